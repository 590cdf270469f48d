//! The compiled search language (base search, `search`, `tstats … where`).

use rulecheck_core::{Diagnostic, Span};
use serde_json::Value as Json;

use super::datamodel::{FieldSlots, SlotColumn};
use super::diag::unsupported;
use super::fields::{self, any_text};
use super::pattern::{Glob, TermMatcher};
use super::prefilter::RepeatTrial;
use super::time::relative_time;
use super::value::{Event, parse_number};
use super::views::ViewColumn;
use crate::ast::{CompareOp, Directive, SearchExpr, SearchValue};

/// Fields every event is taken to have when it does not say otherwise:
/// offline, the events given are the index.
const IMPLIED_FIELDS: &[&str] = &["index", "splunk_server", "_index_earliest", "_index_latest"];

/// A compiled search expression.
#[derive(Debug, Clone)]
pub(crate) enum Pred {
    /// Always true (`*`, an empty search).
    All,
    /// Every part.
    And(Vec<Pred>),
    /// Any part.
    Or(Vec<Pred>),
    /// The negation.
    Not(Box<Pred>),
    /// A term or phrase over the raw text.
    Term { label: String, matcher: TermMatcher },
    /// `field=value` / `field!=value` with wildcards.
    Match {
        label: String,
        field: String,
        negated: bool,
        glob: Glob,
    },
    /// `field IN (…)`.
    In {
        label: String,
        field: String,
        globs: Vec<Glob>,
    },
    /// `field<value` and the other orderings.
    Order {
        label: String,
        field: String,
        op: CompareOp,
        value: String,
    },
    /// `earliest=` / `latest=`: the event time is at or after (before) the
    /// bound.
    Time {
        label: String,
        bound: f64,
        earliest: bool,
    },
    /// A comparison on a field the events are taken to have
    /// ([`IMPLIED_FIELDS`]) when the event lacks it.
    Implied { field: String, inner: Box<Pred> },
}

/// What the compiler needs to know.
pub(crate) struct PredEnv {
    /// The pinned "now".
    pub(crate) now: i64,
}

/// Compile a search expression.
pub(crate) fn compile(expr: &SearchExpr, env: &PredEnv, errors: &mut Vec<Diagnostic>) -> Pred {
    match expr {
        SearchExpr::And(parts, _) => {
            Pred::And(parts.iter().map(|p| compile(p, env, errors)).collect())
        }
        SearchExpr::Or(parts, _) => {
            Pred::Or(parts.iter().map(|p| compile(p, env, errors)).collect())
        }
        SearchExpr::Not(inner, _) => Pred::Not(Box::new(compile(inner, env, errors))),
        SearchExpr::Term(value) => {
            if value.text.chars().all(|c| c == '*') && value.directive.is_none() {
                return Pred::All;
            }
            Pred::Term {
                label: label_value(value),
                matcher: TermMatcher::new(
                    &value.text,
                    value.directive == Some(Directive::Term),
                    value.directive == Some(Directive::Case),
                ),
            }
        }
        SearchExpr::Compare {
            field,
            op,
            value,
            span,
        } => compare(&field.text, *op, value, *span, env, errors),
        SearchExpr::In { field, values, .. } => {
            let label = format!(
                "{} IN ({})",
                field.text,
                values
                    .iter()
                    .map(label_value)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let pred = Pred::In {
                label,
                field: field.text.clone(),
                globs: values
                    .iter()
                    .map(|v| Glob::new(&v.text, v.directive == Some(Directive::Case)))
                    .collect(),
            };
            implied(&field.text, pred)
        }
        SearchExpr::Subsearch(_, span) => {
            errors.push(unsupported("a subsearch in a search", *span));
            Pred::All
        }
    }
}

fn compare(
    field: &str,
    op: CompareOp,
    value: &SearchValue,
    span: Span,
    env: &PredEnv,
    errors: &mut Vec<Diagnostic>,
) -> Pred {
    let label = format!("{field}{}{}", op_text(op), label_value(value));
    let lower = field.to_ascii_lowercase();
    if matches!(lower.as_str(), "earliest" | "latest") && op == CompareOp::Eq {
        let Some(bound) = relative_time(env.now, &value.text) else {
            errors.push(
                Diagnostic::error(
                    super::diag::UNSUPPORTED,
                    format!("unsupported time specifier `{}`", value.text),
                )
                .with_span(span),
            );
            return Pred::All;
        };
        #[allow(clippy::cast_precision_loss)]
        return Pred::Time {
            label,
            bound: bound as f64,
            earliest: lower == "earliest",
        };
    }
    let pred = match op {
        CompareOp::Eq | CompareOp::Ne => Pred::Match {
            label,
            field: field.to_owned(),
            negated: op == CompareOp::Ne,
            glob: Glob::new(&value.text, value.directive == Some(Directive::Case)),
        },
        _ => Pred::Order {
            label,
            field: field.to_owned(),
            op,
            value: value.text.clone(),
        },
    };
    implied(field, pred)
}

fn implied(field: &str, pred: Pred) -> Pred {
    if IMPLIED_FIELDS.contains(&field) {
        Pred::Implied {
            field: field.to_owned(),
            inner: Box::new(pred),
        }
    } else {
        pred
    }
}

fn op_text(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "!=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
    }
}

fn label_value(value: &SearchValue) -> String {
    let text = if value.quoted {
        format!("\"{}\"", value.text)
    } else {
        value.text.clone()
    };
    match value.directive {
        Some(Directive::Term) => format!("TERM({text})"),
        Some(Directive::Case) => format!("CASE({text})"),
        None => text,
    }
}

impl Pred {
    /// Whether the event satisfies the expression. `raw` caches the raw
    /// text, built on first use.
    pub(crate) fn eval<'e>(
        &self,
        event: &'e Event,
        raw: &mut Option<std::borrow::Cow<'e, str>>,
    ) -> bool {
        match self {
            Pred::All => true,
            Pred::And(parts) => parts.iter().all(|p| p.eval(event, raw)),
            Pred::Or(parts) => parts.iter().any(|p| p.eval(event, raw)),
            Pred::Not(inner) => !inner.eval(event, raw),
            Pred::Term { matcher, .. } => {
                let text = raw.get_or_insert_with(|| fields::raw(event));
                matcher.matches(text)
            }
            Pred::Match { field, .. } | Pred::In { field, .. } | Pred::Order { field, .. } => {
                self.holds_for(fields::get(event, field))
            }
            Pred::Time {
                bound, earliest, ..
            } => fields::event_time(event)
                .is_some_and(|t| if *earliest { t >= *bound } else { t < *bound }),
            Pred::Implied { field, inner } => {
                fields::get(event, field).is_none() || inner.eval(event, raw)
            }
        }
    }

    /// Whether a field comparison ([`Pred::Match`], [`Pred::In`],
    /// [`Pred::Order`]) holds for the value of its field (as
    /// [`fields::get`] reads it); `false` for any other expression.
    fn holds_for(&self, value: Option<&Json>) -> bool {
        match self {
            Pred::Match { negated, glob, .. } => match value {
                None => false,
                Some(json) if glob.is_any() => !negated || json.is_null(),
                Some(json) => any_text(json, &mut |s| glob.matches(s)) != *negated,
            },
            Pred::In { globs, .. } => value
                .is_some_and(|json| any_text(json, &mut |s| globs.iter().any(|g| g.matches(s)))),
            Pred::Order {
                op, value: bound, ..
            } => value.is_some_and(|json| any_text(json, &mut |s| ordered(s, *op, bound))),
            _ => false,
        }
    }

    /// The expression bound to the rows of `slots`: each field comparison
    /// reads its field through the slots, without a lookup by name.
    pub(crate) fn bind<'p>(&'p self, slots: &'p FieldSlots) -> Bound<'p> {
        self.bind_with(&mut |field| Reader::Slots(slots.column(field)))
    }

    /// The expression bound to columns of field values (`column` gives
    /// each field's): each field comparison reads its column. A term over
    /// the raw text and a time bound are left to the row the evaluation
    /// is given.
    pub(crate) fn bind_columns<'p>(
        &'p self,
        column: &mut impl FnMut(&str) -> std::rc::Rc<ViewColumn<'p>>,
    ) -> Bound<'p> {
        self.bind_with(&mut |field| Reader::Column(column(field)))
    }

    /// The expression with each field comparison reading its field through
    /// the reader `reader` gives for it.
    fn bind_with<'p>(&'p self, reader: &mut impl FnMut(&'p str) -> Reader<'p>) -> Bound<'p> {
        match self {
            Pred::And(parts) => Bound::And(parts.iter().map(|p| p.bind_with(reader)).collect()),
            Pred::Or(parts) => Bound::Or(parts.iter().map(|p| p.bind_with(reader)).collect()),
            Pred::Not(inner) => Bound::Not(Box::new(inner.bind_with(reader))),
            Pred::Match { field, .. } | Pred::In { field, .. } | Pred::Order { field, .. } => {
                Bound::Field {
                    pred: self,
                    column: reader(field),
                    memo: self.is_costly().then(std::cell::RefCell::default),
                }
            }
            Pred::Implied { field, inner } => Bound::Implied {
                column: reader(field),
                inner: Box::new(inner.bind_with(reader)),
            },
            Pred::All | Pred::Term { .. } | Pred::Time { .. } => Bound::Other(self),
        }
    }

    /// Whether testing a value costs more than looking its text up in a
    /// hash map: a pattern with a wildcard inside, or a list of several
    /// patterns.
    fn is_costly(&self) -> bool {
        match self {
            Pred::Match { glob, .. } => glob.is_costly(),
            Pred::In { globs, .. } => globs.len() > 2 || globs.iter().any(Glob::is_costly),
            _ => false,
        }
    }

    /// The parts an event must meet all of: the parts of a top-level
    /// `AND` (nested ones flattened), or the expression itself.
    pub(crate) fn conjuncts(&self) -> Vec<&Pred> {
        match self {
            Pred::And(parts) => parts.iter().flat_map(Pred::conjuncts).collect(),
            other => vec![other],
        }
    }

    /// Whether the expression has a term over the raw text.
    pub(crate) fn reads_raw(&self) -> bool {
        match self {
            Pred::Term { .. } => true,
            Pred::And(parts) | Pred::Or(parts) => parts.iter().any(Pred::reads_raw),
            Pred::Not(inner) | Pred::Implied { inner, .. } => inner.reads_raw(),
            _ => false,
        }
    }

    /// Each leaf predicate's text and result on the event, in order.
    pub(crate) fn explain(&self, event: &Event, out: &mut Vec<(String, bool)>) {
        let mut raw = None;
        match self {
            Pred::All => out.push(("*".to_owned(), true)),
            Pred::And(parts) | Pred::Or(parts) => {
                for part in parts {
                    part.explain(event, out);
                }
            }
            Pred::Not(inner) => {
                let mut inner_out = Vec::new();
                inner.explain(event, &mut inner_out);
                for (label, result) in inner_out {
                    out.push((format!("NOT {label}"), !result));
                }
            }
            Pred::Term { label, .. }
            | Pred::Match { label, .. }
            | Pred::In { label, .. }
            | Pred::Order { label, .. }
            | Pred::Time { label, .. } => out.push((label.clone(), self.eval(event, &mut raw))),
            Pred::Implied { inner, .. } => {
                let mut inner_out = Vec::new();
                inner.explain(event, &mut inner_out);
                let result = self.eval(event, &mut raw);
                for (label, _) in inner_out {
                    out.push((label, result));
                }
            }
        }
    }
}

/// `value op bound`: numerically when both are numbers, otherwise as
/// case-insensitive strings.
fn ordered(value: &str, op: CompareOp, bound: &str) -> bool {
    let ordering = match (parse_number(value), parse_number(bound)) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => Some(value.to_lowercase().cmp(&bound.to_lowercase())),
    };
    let Some(ordering) = ordering else {
        return false;
    };
    match op {
        CompareOp::Lt => ordering.is_lt(),
        CompareOp::Le => ordering.is_le(),
        CompareOp::Gt => ordering.is_gt(),
        CompareOp::Ge => ordering.is_ge(),
        CompareOp::Eq => ordering.is_eq(),
        CompareOp::Ne => ordering.is_ne(),
    }
}

/// A [`Pred`] bound to where its fields are read: the rows of a
/// [`FieldSlots`] ([`Pred::bind`]) or columns ([`Pred::bind_columns`]).
#[derive(Debug)]
pub(crate) enum Bound<'p> {
    /// Every part.
    And(Vec<Bound<'p>>),
    /// Any part.
    Or(Vec<Bound<'p>>),
    /// The negation.
    Not(Box<Bound<'p>>),
    /// A field comparison and where each row holds its field.
    Field {
        pred: &'p Pred,
        column: Reader<'p>,
        /// For a costly comparison ([`Pred::is_costly`]), its result on
        /// each string value tested so far: values repeat across rows.
        memo: Option<std::cell::RefCell<Memo>>,
    },
    /// [`Pred::Implied`].
    Implied {
        column: Reader<'p>,
        inner: Box<Bound<'p>>,
    },
    /// An expression that reads no single field.
    Other(&'p Pred),
}

/// A comparison's results by the string value each was tested on. When
/// values seldom repeat ([`RepeatTrial`] over 256 values) or more than
/// 1,024 are distinct, it forgets them and the comparison is made on every
/// row.
#[derive(Debug)]
pub(crate) struct Memo {
    known: foldhash::HashMap<Box<str>, bool>,
    trial: RepeatTrial,
}

impl Default for Memo {
    fn default() -> Memo {
        Memo {
            known: foldhash::HashMap::default(),
            trial: RepeatTrial::new(256),
        }
    }
}

impl Memo {
    /// How many distinct values are remembered at most.
    const CAPACITY: usize = 1024;

    /// Whether values are remembered.
    fn on(&self) -> bool {
        self.trial.on()
    }

    /// The result remembered for `text`.
    fn recall(&mut self, text: &str) -> Option<bool> {
        let known = self.known.get(text).copied();
        if known.is_some() {
            self.trial.repeat();
        }
        known
    }

    /// Remember the result on `text`.
    fn learn(&mut self, text: &str, holds: bool) {
        if self.known.len() >= Self::CAPACITY {
            self.trial.stop();
        }
        if !self.trial.on() {
            self.known = foldhash::HashMap::default();
            return;
        }
        self.known.insert(text.into(), holds);
        self.trial.remembered(self.known.len());
    }
}

/// How a [`Bound`] reads a field of row `id`.
#[derive(Debug)]
pub(crate) enum Reader<'p> {
    /// From the row, at its entry position.
    Slots(SlotColumn<'p>),
    /// From a column of the field's values.
    Column(std::rc::Rc<ViewColumn<'p>>),
}

impl Reader<'_> {
    /// The field of `row`, row `id`, as [`fields::get`] reads it.
    fn get<'a>(&'a self, row: &'a Event, id: usize) -> Option<&'a Json> {
        match self {
            Reader::Slots(column) => column.get(row, id),
            Reader::Column(column) => column.get(id),
        }
    }
}

impl Bound<'_> {
    /// Whether row `id` satisfies the expression, as [`Pred::eval`]
    /// decides it on `row`: the row itself when bound to slots; when bound
    /// to columns, the event whose view the row is, from which a time
    /// bound reads (a term over a view row's raw text is not bound).
    pub(crate) fn eval<'e>(
        &self,
        row: &'e Event,
        id: usize,
        raw: &mut Option<std::borrow::Cow<'e, str>>,
    ) -> bool {
        match self {
            Bound::And(parts) => parts.iter().all(|p| p.eval(row, id, raw)),
            Bound::Or(parts) => parts.iter().any(|p| p.eval(row, id, raw)),
            Bound::Not(inner) => !inner.eval(row, id, raw),
            Bound::Field { pred, column, memo } => {
                let value = column.get(row, id);
                match (memo, value) {
                    (Some(memo), Some(Json::String(text))) if memo.borrow().on() => {
                        if let Some(known) = memo.borrow_mut().recall(text) {
                            return known;
                        }
                        let holds = pred.holds_for(value);
                        memo.borrow_mut().learn(text, holds);
                        holds
                    }
                    _ => pred.holds_for(value),
                }
            }
            Bound::Implied { column, inner } => {
                column.get(row, id).is_none() || inner.eval(row, id, raw)
            }
            Bound::Other(pred) => pred.eval(row, raw),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ast::CommandKind;
    use crate::eval::datamodel::Batch;

    /// The compiled expression of `| search text`.
    pub(crate) fn compiled(text: &str) -> Pred {
        let (pipeline, diagnostics) = crate::parse_str(&format!("| search {text}"));
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let Some(CommandKind::Search(Some(expr))) = pipeline
            .and_then(|p| p.commands.into_iter().next())
            .map(|c| c.kind)
        else {
            panic!("not a search: {text}");
        };
        let mut errors = Vec::new();
        let pred = compile(&expr, &PredEnv { now: 0 }, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        pred
    }

    #[test]
    fn bound_predicates_decide_as_the_predicates() {
        let events: Vec<Event> = [
            serde_json::json!({"a": "X1", "b": {"c": 5}, "index": "main"}),
            serde_json::json!({"b.c": 7, "a": ["y", "x2"], "n": null}),
            serde_json::json!({"z": "other"}),
            serde_json::json!({"a": "x3", "index": "risk", "b": 3}),
        ]
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap_or_default())
        .collect();
        let batch = Batch::new(&events);
        for text in [
            "a=x*",
            "a!=x1",
            "NOT a=x*",
            "b.c>4",
            "b.c IN (5, 7)",
            "n=*",
            "a=* OR z=other",
            "index=risk",
            "index=risk a=x*",
            "other AND a=*",
            "(a=x1 OR a=x3) NOT b.c=5",
        ] {
            assert_bound_reads_as_eval(&compiled(text), &events, &batch, text);
        }
    }

    /// `pred` bound to the slots of `batch` (over `events`) decides each
    /// event as [`Pred::eval`] does.
    fn assert_bound_reads_as_eval(pred: &Pred, events: &[Event], batch: &Batch<'_>, text: &str) {
        let bound = pred.bind(batch.event_slots());
        for (id, event) in events.iter().enumerate() {
            assert_eq!(
                bound.eval(event, id, &mut None),
                pred.eval(event, &mut None),
                "{text} on event {id}"
            );
        }
    }

    #[test]
    fn costly_comparisons_remember_repeated_values() {
        // Repeated values, values in other case, a multivalue, a number,
        // and more distinct values than the memo keeps.
        let mut values: Vec<serde_json::Value> = Vec::new();
        for i in 0..4000 {
            values.push(match i % 7 {
                0 => serde_json::json!("C:\\Users\\a\\x.exe"),
                1 => serde_json::json!("c:\\users\\A\\X.EXE"),
                2 => serde_json::json!(["C:\\Windows\\y.exe", "C:\\Temp\\z.exe"]),
                3 => serde_json::json!(17),
                4 => serde_json::json!(format!("C:\\Temp\\{i}.exe")),
                5 => serde_json::json!(format!("D:\\{i}\\w.dll")),
                _ => serde_json::json!(null),
            });
        }
        let events: Vec<Event> = values
            .into_iter()
            .map(|v| serde_json::from_value(serde_json::json!({ "p": v })).unwrap_or_default())
            .collect();
        let batch = Batch::new(&events);
        for text in [
            r#"p="*\\Users\\*""#,
            r#"p IN ("*\\temp\\*", "*.dll", "x", "*1*")"#,
            r#"NOT p IN ("a", "b", "c")"#,
            r#"p!="*\\Temp\\*""#,
        ] {
            let pred = compiled(text);
            let costly = match &pred {
                Pred::Not(inner) => inner.is_costly(),
                other => other.is_costly(),
            };
            assert!(costly, "{text}");
            assert_bound_reads_as_eval(&pred, &events, &batch, text);
        }
    }
}
