//! Evaluating a [`CompiledRule`] against an event: [`CompiledRule::matches`]
//! for the hot path, [`CompiledRule::explain`] for the full trace.

use serde_json::Value;

use crate::compile::{CompiledBody, CompiledRule, CompiledSource, Cond, FieldTest, KeywordTest};
use crate::event::{Event, Resolved};
use crate::matcher::StrMatcher;
use crate::trace::{FieldTrace, SelectionTrace, SourceTrace, Trace};
use crate::value::{ValueTest, with_text};

/// How field indices of a rule are looked up in an event.
#[derive(Clone, Copy)]
pub(crate) enum Lookup<'a, 'e> {
    /// Directly by name (one rule, one event).
    Direct {
        event: &'e Event,
        names: &'a [String],
    },
    /// Through a resolved event of a rule set: `global[local]` is the slot.
    Slots {
        resolved: &'a Resolved<'e>,
        global: &'a [u32],
    },
}

#[derive(Clone, Copy)]
pub(crate) struct View<'a, 'e> {
    lookup: Lookup<'a, 'e>,
    alias: &'a [u32],
}

impl<'a, 'e> View<'a, 'e> {
    pub(crate) fn new(lookup: Lookup<'a, 'e>) -> Self {
        View { lookup, alias: &[] }
    }

    fn raw(&self, local: u32) -> Option<&'e Value> {
        match self.lookup {
            Lookup::Direct { event, names } => event.get(names.get(local as usize)?),
            Lookup::Slots { resolved, global } => {
                let g = *global.get(local as usize)?;
                resolved.slots.get(g as usize).copied().flatten()
            }
        }
    }

    pub(crate) fn get(&self, local: u32) -> Option<&'e Value> {
        if let Some(&a) = self.alias.get(local as usize)
            && a != local
            && let Some(v) = self.raw(a)
        {
            return Some(v);
        }
        self.raw(local)
    }

    pub(crate) fn event(&self) -> &'e Event {
        match self.lookup {
            Lookup::Direct { event, .. } => event,
            Lookup::Slots { resolved, .. } => resolved.event,
        }
    }

    fn with_alias(self, alias: &'a [u32]) -> Self {
        View { alias, ..self }
    }
}

impl FieldTest {
    pub(crate) fn eval(&self, view: &View<'_, '_>) -> bool {
        let v = view.get(self.field);
        let other = |id: u32| view.get(id);
        let hit = if self.all {
            self.values.iter().all(|t| t.eval(v, &other))
        } else {
            self.values.iter().any(|t| t.eval(v, &other))
        };
        hit != self.negate
    }
}

impl KeywordTest {
    pub(crate) fn eval(&self, event: &Event) -> bool {
        let one = |variants: &Vec<crate::matcher::StrMatcher>| {
            variants.iter().any(|m| match event.raw() {
                Some(raw) => m.is_match(raw),
                None => any_string(event, m),
            })
        };
        if self.all {
            self.values.iter().all(one)
        } else {
            self.values.iter().any(one)
        }
    }
}

fn any_string(event: &Event, m: &crate::matcher::StrMatcher) -> bool {
    fn walk(v: &Value, m: &crate::matcher::StrMatcher, depth: usize) -> bool {
        match v {
            Value::String(s) => m.is_match(s),
            Value::Array(items) if depth < 32 => items.iter().any(|i| walk(i, m, depth + 1)),
            Value::Object(o) if depth < 32 => o.values().any(|i| walk(i, m, depth + 1)),
            Value::Number(_) => with_text(v, |s| m.is_match(s)).unwrap_or(false),
            _ => false,
        }
    }
    event.fields().values().any(|v| walk(v, m, 0))
}

impl CompiledRule {
    /// Whether the rule matches `event` (logsource included when the rule
    /// was compiled with a mapping).
    pub fn matches(&self, event: &Event) -> bool {
        self.matches_view(View::new(Lookup::Direct {
            event,
            names: &self.fields,
        }))
    }

    pub(crate) fn matches_view(&self, view: View<'_, '_>) -> bool {
        if self.unmapped {
            return false;
        }
        if self.sources.is_empty() {
            return self.detect(&view);
        }
        self.sources.iter().any(|s| {
            let v = view.with_alias(&s.alias);
            s.tests.iter().all(|t| t.eval(&v)) && self.detect(&v)
        })
    }

    fn detect(&self, view: &View<'_, '_>) -> bool {
        let mut memo = [None; 64];
        self.cond(&self.condition, view, &mut memo)
    }

    fn sel(&self, i: u32, view: &View<'_, '_>, memo: &mut [Option<bool>; 64]) -> bool {
        if let Some(Some(b)) = memo.get(i as usize) {
            return *b;
        }
        let hit = self
            .selections
            .get(i as usize)
            .is_some_and(|s| match &s.body {
                CompiledBody::Groups(groups) => {
                    groups.iter().any(|g| g.tests.iter().all(|t| t.eval(view)))
                }
                CompiledBody::Keywords(k) => k.eval(view.event()),
            });
        if let Some(slot) = memo.get_mut(i as usize) {
            *slot = Some(hit);
        }
        hit
    }

    fn cond(&self, c: &Cond, view: &View<'_, '_>, memo: &mut [Option<bool>; 64]) -> bool {
        match c {
            Cond::Sel(i) => self.sel(*i, view, memo),
            Cond::Not(inner) => !self.cond(inner, view, memo),
            Cond::And(items) => items.iter().all(|i| self.cond(i, view, memo)),
            Cond::Or(items) => items.iter().any(|i| self.cond(i, view, memo)),
            Cond::AtLeast(n, picked) => {
                let mut count = 0;
                for s in picked {
                    if self.sel(*s, view, memo) {
                        count += 1;
                        if count >= *n {
                            return true;
                        }
                    }
                }
                false
            }
            Cond::AllOf(picked) => picked.iter().all(|s| self.sel(*s, view, memo)),
        }
    }

    /// The full evaluation tree of the rule on `event`: every source,
    /// selection and field test, its result and the event's value.
    pub fn explain(&self, event: &Event) -> Trace {
        let view = View::new(Lookup::Direct {
            event,
            names: &self.fields,
        });
        let sources: Vec<SourceTrace> = self
            .sources
            .iter()
            .map(|s| SourceTrace {
                label: s.label.clone(),
                tests: s
                    .tests
                    .iter()
                    .map(|t| self.field_trace(t, &view.with_alias(&s.alias)))
                    .collect(),
            })
            .collect();
        let active: Option<&CompiledSource> = self
            .sources
            .iter()
            .zip(&sources)
            .find(|(_, t)| t.matched())
            .map(|(s, _)| s);
        let view = match active {
            Some(s) => view.with_alias(&s.alias),
            None => view,
        };
        let selections = self
            .selections
            .iter()
            .map(|s| {
                let (groups, keywords) = match &s.body {
                    CompiledBody::Groups(groups) => (
                        groups
                            .iter()
                            .map(|g| g.tests.iter().map(|t| self.field_trace(t, &view)).collect())
                            .collect(),
                        None,
                    ),
                    CompiledBody::Keywords(k) => (Vec::new(), Some(k.eval(event))),
                };
                let matched = match &keywords {
                    Some(b) => *b,
                    None => groups
                        .iter()
                        .any(|g: &Vec<FieldTrace>| g.iter().all(|t| t.matched)),
                };
                SelectionTrace {
                    name: s.name.clone(),
                    span: s.span,
                    matched,
                    groups,
                    keywords,
                }
            })
            .collect();
        let source_ok = !self.unmapped && (self.sources.is_empty() || active.is_some());
        let condition = self.detect(&view);
        Trace {
            title: self.title.clone(),
            id: self.id.clone(),
            matched: source_ok && condition,
            sources,
            unmapped: self.unmapped,
            selections,
            condition,
            condition_span: self.condition_span,
        }
    }

    fn field_trace(&self, t: &FieldTest, view: &View<'_, '_>) -> FieldTrace {
        FieldTrace {
            field: self
                .fields
                .get(t.field as usize)
                .cloned()
                .unwrap_or_default(),
            test: describe(t),
            value: view.get(t.field).cloned(),
            matched: t.eval(view),
            span: t.span,
        }
    }
}

fn describe(t: &FieldTest) -> String {
    let items: Vec<String> = t.values.iter().map(describe_value).collect();
    let joined = items.join(if t.all { " and " } else { " or " });
    if t.negate {
        format!("not ({joined})")
    } else {
        joined
    }
}

/// A value test as a rule author reads it: `endswith '\cmstp.exe'`,
/// `= 1`, `matches /…/`, `in 10.0.0.0/8`.
fn describe_value(v: &ValueTest) -> String {
    let quoted =
        |n: &crate::Needle| format!("'{}'{}", n.text, if n.cased { " (cased)" } else { "" });
    match v {
        ValueTest::Str(m) => match m {
            StrMatcher::Exact(n) => format!("= {}", quoted(n)),
            StrMatcher::Prefix(n) => format!("startswith {}", quoted(n)),
            StrMatcher::Suffix(n) => format!("endswith {}", quoted(n)),
            StrMatcher::Contains(n, _) => format!("contains {}", quoted(n)),
            StrMatcher::ContainsAny(texts, _) => format!(
                "contains any of {}",
                texts
                    .iter()
                    .map(|t| format!("'{t}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            StrMatcher::Regex(re) => format!("matches /{}/", re.as_str()),
            StrMatcher::Glob(re, _) => format!("matches the wildcard pattern /{}/", re.as_str()),
        },
        ValueTest::Num { text, .. } => format!("= {text}"),
        ValueTest::Bool(b) => format!("= {b}"),
        ValueTest::Null => "is null or missing".to_owned(),
        ValueTest::Exists(true) => "exists".to_owned(),
        ValueTest::Exists(false) => "does not exist".to_owned(),
        ValueTest::Cmp(op, n) => format!("{} {n}", op.symbol()),
        ValueTest::TimePart(part, op, n) => format!("{part:?} {} {n}", op.symbol()).to_lowercase(),
        ValueTest::Cidr(c) => format!("in {}/{}", c.addr, c.prefix),
        ValueTest::Regex(re) => format!("matches /{}/", re.as_str()),
        ValueTest::FieldRef { kind, .. } => {
            format!("{kind:?} another field of the event").to_lowercase()
        }
        ValueTest::AnyOf(tests) => format!(
            "({})",
            tests
                .iter()
                .map(describe_value)
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    }
}
