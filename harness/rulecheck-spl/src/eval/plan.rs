//! Compilation of a pipeline into stages.

use rulecheck_core::{Diagnostic, Span};

use super::Context;
use super::datamodel::{self, DatasetPlan};
use super::diag::{invalid, unsupported};
use super::expr::{self, CExpr};
use super::lookup::{self, Table};
use super::pattern::Re;
use super::predicate::{self, Pred, PredEnv};
use super::prefilter::Prefilter;
use super::stats::{self, Agg};
use super::time::span_seconds;
use crate::ast::{
    Command, CommandKind, CommandOption, FieldsMode, RexMode, SearchExpr, SortOrder, StatsFlavor,
    TstatsSource, Word,
};

/// One compiled command.
#[derive(Debug, Clone)]
pub(crate) struct StagePlan {
    pub(crate) name: String,
    pub(crate) stage: Stage,
    /// For a search stage, necessary conditions of its expression: as the
    /// first stage over a batch, only the events that meet the most
    /// selective are evaluated.
    pub(crate) prefilter: Option<Prefilter>,
    /// For a first search stage, the fields of the events it keeps that
    /// the later stages can read or show ([`super::needed`]); `None` for
    /// all of them.
    pub(crate) keep_fields: Option<foldhash::HashSet<String>>,
    /// Whether the stage is dead and skipped: an `eval` or `convert` whose
    /// outputs no later stage reads or shows ([`super::needed::dead_stages`]).
    pub(crate) dead: bool,
}

/// What a stage does.
#[derive(Debug, Clone)]
pub(crate) enum Stage {
    Search(Pred),
    Where(CExpr),
    Eval(Vec<(String, CExpr)>),
    Stats {
        flavor: StatsFlavor,
        aggs: Vec<Agg>,
        by: Vec<String>,
        window: usize,
        current: bool,
        /// For `stats`, the stages after it that decide from a group's key
        /// whether its row survives ([`super::pushdown`]).
        key_filter: Option<super::pushdown::KeyFilter>,
    },
    Tstats(Box<TstatsPlan>),
    Table(Vec<String>),
    Fields {
        keep: bool,
        patterns: Vec<String>,
    },
    Rename(Vec<(String, String)>),
    Rex {
        field: String,
        re: Re,
        all: bool,
    },
    Sed {
        field: String,
        re: Re,
        replacement: String,
        global: bool,
    },
    Regex {
        field: String,
        re: Re,
        negated: bool,
    },
    Bin {
        field: String,
        alias: String,
        span: f64,
    },
    Dedup {
        count: usize,
        fields: Vec<String>,
        keepempty: bool,
        consecutive: bool,
        sort: Vec<SortKey>,
    },
    Sort {
        limit: usize,
        keys: Vec<SortKey>,
    },
    Head(usize),
    Tail(usize),
    Fillnull {
        value: String,
        fields: Vec<String>,
    },
    Convert {
        format: String,
        conversions: Vec<Conversion>,
    },
    Lookup(Box<LookupPlan>),
    Inputlookup {
        rows: Vec<super::value::Event>,
        filter: Option<Pred>,
    },
    Makemv {
        field: String,
        delim: String,
        tokenizer: Option<Re>,
    },
    Mvexpand {
        field: String,
        limit: usize,
    },
    Spath {
        input: String,
        output: Option<String>,
        path: Option<String>,
    },
    Join {
        kind: JoinKind,
        fields: Vec<String>,
        max: usize,
        sub: Box<super::Search>,
    },
    Append(Box<super::Search>),
    FromDatamodel(DatasetPlan),
    Iplocation {
        field: String,
        prefix: String,
        table: Option<Table>,
    },
}

/// A `sort` key.
#[derive(Debug, Clone)]
pub(crate) struct SortKey {
    pub(crate) field: String,
    pub(crate) descending: bool,
    /// `Some(true)` numeric, `Some(false)` string, `None` automatic.
    pub(crate) numeric: Option<bool>,
}

/// A `convert` function.
#[derive(Debug, Clone)]
pub(crate) struct Conversion {
    pub(crate) kind: ConvKind,
    pub(crate) field: String,
    pub(crate) alias: Option<String>,
}

/// Which `convert` function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConvKind {
    Ctime,
    Mktime,
    Num,
    None,
}

/// `join` type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinKind {
    Inner,
    Left,
}

/// `lookup`.
#[derive(Debug, Clone)]
pub(crate) struct LookupPlan {
    pub(crate) table: Table,
    /// Whether rows are found through the table's index (always, but for
    /// the reference runs of [`super::Search::unoptimized`]).
    pub(crate) indexed: bool,
    /// (column, event field)
    pub(crate) inputs: Vec<(usize, String)>,
    /// (column, event field)
    pub(crate) outputs: Vec<(usize, String)>,
    pub(crate) only_new: bool,
}

/// `tstats`.
#[derive(Debug, Clone)]
pub(crate) struct TstatsPlan {
    pub(crate) dataset: Option<DatasetPlan>,
    pub(crate) filter: Pred,
    pub(crate) aggs: Vec<Agg>,
    pub(crate) by: Vec<String>,
    pub(crate) span: Option<f64>,
    pub(crate) fillnull: Option<String>,
    /// Necessary conditions of the filter: with a batch, only the view
    /// rows that meet the most selective are filtered.
    pub(crate) prefilter: Option<Prefilter>,
    /// The fields of a view row the aggregation reads (besides `_time`):
    /// the `by` fields and the aggregated fields; `None` when an
    /// aggregation reads an expression or a wildcard pattern, so the whole
    /// row is kept.
    pub(crate) reads: Option<Vec<String>>,
    /// The stages after the `tstats` that decide from a group's key whether
    /// its row survives ([`super::pushdown`]).
    pub(crate) key_filter: Option<super::pushdown::KeyFilter>,
    /// The fields of the rows that reach the first inner `join` after the
    /// `tstats` (or, for a subsearch's, the join's rows of the subsearch),
    /// with the position of the `by` field whose text each holds
    /// ([`super::pushdown::join_origins`]): the rows on the other side of
    /// the `join` tell which groups can match.
    pub(crate) join_origins: Vec<(String, usize)>,
}

fn option<'a>(options: &'a [CommandOption], key: &str) -> Option<&'a Word> {
    options
        .iter()
        .find(|o| o.key.text.eq_ignore_ascii_case(key))
        .map(|o| &o.value)
}

fn reject_options(
    options: &[CommandOption],
    known: &[&str],
    command: &str,
    errors: &mut Vec<Diagnostic>,
) {
    for o in options {
        if !known.iter().any(|k| o.key.text.eq_ignore_ascii_case(k)) {
            errors.push(unsupported(
                &format!("the `{command}` option `{}`", o.key.text),
                o.key.span,
            ));
        }
    }
}

fn number(word: Option<&Word>, default: usize, errors: &mut Vec<Diagnostic>) -> usize {
    match word {
        None => default,
        Some(w) => w.text.parse().unwrap_or_else(|_| {
            errors.push(invalid(format!("`{}` is not a count", w.text), w.span));
            default
        }),
    }
}

fn truth(word: Option<&Word>, default: bool) -> bool {
    word.map_or(default, |w| {
        matches!(
            w.text.to_ascii_lowercase().as_str(),
            "t" | "true" | "1" | "yes"
        )
    })
}

fn regex(pattern: &Word, errors: &mut Vec<Diagnostic>) -> Option<Re> {
    match Re::new(&pattern.text) {
        Ok(re) => Some(re),
        Err(message) => {
            errors.push(invalid(
                format!("bad regular expression: {message}"),
                pattern.span,
            ));
            None
        }
    }
}

/// Compile the commands of a pipeline.
pub(crate) fn compile_commands(
    commands: &[Command],
    ctx: &Context,
    errors: &mut Vec<Diagnostic>,
) -> Vec<StagePlan> {
    let mut out = Vec::new();
    for command in commands {
        let name = command
            .name
            .as_ref()
            .map_or_else(|| "search".to_owned(), |w| w.text.to_ascii_lowercase());
        if let Some(stage) = compile_command(command, &name, ctx, errors) {
            let prefilter = match &stage {
                Stage::Search(pred) => Prefilter::of(pred),
                _ => None,
            };
            out.push(StagePlan {
                name,
                stage,
                prefilter,
                keep_fields: None,
                dead: false,
            });
        }
    }
    if let Some((first, rest)) = out.split_first_mut()
        && matches!(first.stage, Stage::Search(_))
    {
        first.keep_fields = super::needed::needed_fields(rest);
    }
    let dead = super::needed::dead_stages(&out);
    for (plan, dead) in out.iter_mut().zip(dead) {
        plan.dead = dead;
    }
    for i in 0..out.len() {
        let (head, following) = out.split_at_mut(i + 1);
        match &mut head[i].stage {
            Stage::Stats {
                flavor: StatsFlavor::Stats,
                aggs,
                by,
                key_filter,
                ..
            } => *key_filter = super::pushdown::key_filter(by, aggs, following),
            Stage::Tstats(plan) => {
                plan.key_filter = super::pushdown::key_filter(&plan.by, &plan.aggs, following);
            }
            _ => {}
        }
    }
    trace_join_keys(&mut out);
    out
}

/// Set the [`TstatsPlan::join_origins`] of the `tstats` that start a
/// subsearch of a `join` (none when the subsearch has a `join` of its own,
/// whose origins the subsearch's compilation set), and of a first `tstats`
/// followed by an inner `join`.
fn trace_join_keys(out: &mut [StagePlan]) {
    let first_inner = out.iter().position(|s| {
        matches!(
            s.stage,
            Stage::Join {
                kind: JoinKind::Inner,
                ..
            }
        )
    });
    for plan in out.iter_mut() {
        if let Stage::Join { fields, sub, .. } = &mut plan.stage
            && let Some((head, rest)) = sub.stages.split_first_mut()
            && let Stage::Tstats(t) = &mut head.stage
        {
            let stages = rest.iter().map(|s| &s.stage);
            t.join_origins = super::pushdown::join_origins(&t.by, &t.aggs, stages, fields);
        }
    }
    if let Some(at) = first_inner.filter(|&at| at > 0) {
        let (head, rest) = out.split_at_mut(1);
        let (between, rest) = rest.split_at(at - 1);
        if let (Stage::Tstats(t), Some(Stage::Join { fields, .. })) =
            (&mut head[0].stage, rest.first().map(|s| &s.stage))
        {
            let stages = between.iter().map(|s| &s.stage);
            t.join_origins = super::pushdown::join_origins(&t.by, &t.aggs, stages, fields);
        }
    }
}

#[allow(clippy::too_many_lines)]
fn compile_command(
    command: &Command,
    name: &str,
    ctx: &Context,
    errors: &mut Vec<Diagnostic>,
) -> Option<Stage> {
    let penv = PredEnv { now: ctx.now };
    Some(match &command.kind {
        CommandKind::Search(expr) => Stage::Search(
            expr.as_ref()
                .map_or(Pred::All, |e| predicate::compile(e, &penv, errors)),
        ),
        CommandKind::Where(e) => Stage::Where(expr::compile(e, errors)),
        CommandKind::Eval(eval) => Stage::Eval(
            eval.assignments
                .iter()
                .map(|a| (a.field.text.clone(), expr::compile(&a.expr, errors)))
                .collect(),
        ),
        CommandKind::Stats(s) => {
            reject_options(
                &s.options,
                &[
                    "window",
                    "current",
                    "global",
                    "allnum",
                    "delim",
                    "partitions",
                    "time_window",
                ],
                name,
                errors,
            );
            if option(&s.options, "time_window").is_some() {
                errors.push(unsupported("`streamstats time_window=`", command.span));
            }
            Stage::Stats {
                flavor: s.flavor,
                aggs: stats::compile(&s.aggregations, errors),
                by: s.by.iter().map(|w| w.text.clone()).collect(),
                window: number(option(&s.options, "window"), 0, errors),
                current: truth(option(&s.options, "current"), true),
                key_filter: None,
            }
        }
        CommandKind::Tstats(t) => Stage::Tstats(Box::new(tstats(t, command.span, ctx, errors)?)),
        CommandKind::Table(t) => Stage::Table(t.fields.iter().map(|w| w.text.clone()).collect()),
        CommandKind::Fields(f) => Stage::Fields {
            keep: f.mode == FieldsMode::Keep,
            patterns: f.fields.iter().map(|w| w.text.clone()).collect(),
        },
        CommandKind::Rename(r) => Stage::Rename(
            r.pairs
                .iter()
                .map(|p| (p.from.text.clone(), p.to.text.clone()))
                .collect(),
        ),
        CommandKind::Rex(r) => {
            reject_options(&r.options, &["max_match", "offset_field"], name, errors);
            let field = r.field.as_ref().map_or("_raw", |w| &w.text).to_owned();
            match r.mode {
                RexMode::Extract => Stage::Rex {
                    field,
                    re: regex(&r.pattern, errors)?,
                    all: number(option(&r.options, "max_match"), 1, errors) != 1,
                },
                RexMode::Sed => sed(&r.pattern, field, errors)?,
            }
        }
        CommandKind::Regex(r) => Stage::Regex {
            field: r.field.as_ref().map_or("_raw", |w| &w.text).to_owned(),
            re: regex(&r.pattern, errors)?,
            negated: r.negated,
        },
        CommandKind::Bin(b) => {
            reject_options(&b.options, &["span", "aligntime"], name, errors);
            let Some(span_word) = option(&b.options, "span") else {
                errors.push(unsupported("`bin` without `span=`", command.span));
                return None;
            };
            let Some(span) = span_seconds(&span_word.text).filter(|s| *s > 0.0) else {
                errors.push(unsupported(
                    &format!("the span `{}`", span_word.text),
                    span_word.span,
                ));
                return None;
            };
            let field = b.field.as_ref().map_or("_time", |w| &w.text).to_owned();
            Stage::Bin {
                alias: b
                    .alias
                    .as_ref()
                    .map_or_else(|| field.clone(), |w| w.text.clone()),
                field,
                span,
            }
        }
        CommandKind::Dedup(d) => {
            reject_options(
                &d.options,
                &["keepempty", "consecutive", "keepevents"],
                name,
                errors,
            );
            Stage::Dedup {
                count: number(d.count.as_ref(), 1, errors),
                fields: d.fields.iter().map(|w| w.text.clone()).collect(),
                keepempty: truth(option(&d.options, "keepempty"), false),
                consecutive: truth(option(&d.options, "consecutive"), false),
                sort: sort_keys(&d.sort_by),
            }
        }
        CommandKind::Sort(s) => {
            let mut keys = sort_keys(&s.keys);
            if s.descending {
                for k in &mut keys {
                    k.descending = !k.descending;
                }
            }
            Stage::Sort {
                limit: number(s.limit.as_ref(), 10_000, errors),
                keys,
            }
        }
        CommandKind::Head(h) => Stage::Head(number(
            h.count.as_ref().or(option(&h.options, "limit")),
            10,
            errors,
        )),
        CommandKind::Tail(h) => Stage::Tail(number(
            h.count.as_ref().or(option(&h.options, "limit")),
            10,
            errors,
        )),
        CommandKind::Fillnull(f) => Stage::Fillnull {
            value: f.value.as_ref().map_or("0", |w| &w.text).to_owned(),
            fields: f.fields.iter().map(|w| w.text.clone()).collect(),
        },
        CommandKind::Convert(c) => {
            reject_options(&c.options, &["timeformat"], name, errors);
            let mut conversions = Vec::new();
            for call in &c.conversions {
                let kind = match call.function.text.to_ascii_lowercase().as_str() {
                    "ctime" => ConvKind::Ctime,
                    "mktime" => ConvKind::Mktime,
                    "num" | "auto" => ConvKind::Num,
                    "none" => ConvKind::None,
                    other => {
                        errors.push(unsupported(
                            &format!("the convert function `{other}`"),
                            call.function.span,
                        ));
                        continue;
                    }
                };
                conversions.push(Conversion {
                    kind,
                    field: call.field.text.clone(),
                    alias: call.alias.as_ref().map(|w| w.text.clone()),
                });
            }
            Stage::Convert {
                format: option(&c.options, "timeformat")
                    .map_or("%m/%d/%Y %H:%M:%S", |w| &w.text)
                    .to_owned(),
                conversions,
            }
        }
        CommandKind::Lookup(l) => {
            reject_options(
                &l.options,
                &["local", "update", "event_time_field"],
                name,
                errors,
            );
            let table = load_table(&l.table, ctx, errors)?;
            let mut column = |w: &Word| {
                let c = table.column(&w.text);
                if c.is_none() {
                    errors.push(invalid(
                        format!("lookup `{}` has no field `{}`", l.table.text, w.text),
                        w.span,
                    ));
                }
                c
            };
            let mut inputs = Vec::new();
            for f in &l.inputs {
                let c = column(&f.field)?;
                inputs.push((c, f.alias.as_ref().unwrap_or(&f.field).text.clone()));
            }
            let mut outputs = Vec::new();
            for f in &l.outputs {
                let c = column(&f.field)?;
                outputs.push((c, f.alias.as_ref().unwrap_or(&f.field).text.clone()));
            }
            if l.outputs.is_empty() {
                for (c, h) in table.header.iter().enumerate() {
                    if !inputs.iter().any(|(i, _)| *i == c) {
                        outputs.push((c, h.clone()));
                    }
                }
            }
            let only_new = l
                .output_mode
                .as_ref()
                .is_some_and(|w| w.text.eq_ignore_ascii_case("outputnew"));
            Stage::Lookup(Box::new(LookupPlan {
                table,
                indexed: true,
                inputs,
                outputs,
                only_new,
            }))
        }
        CommandKind::Inputlookup(i) => {
            reject_options(&i.options, &["append", "max", "start"], name, errors);
            if truth(option(&i.options, "append"), false) {
                errors.push(unsupported("`inputlookup append=t`", command.span));
            }
            let table = load_table(&i.table, ctx, errors)?;
            Stage::Inputlookup {
                rows: table.events(),
                filter: i
                    .filter
                    .as_ref()
                    .map(|f| predicate::compile(f, &penv, errors)),
            }
        }
        CommandKind::Makemv(m) => {
            reject_options(
                &m.options,
                &["delim", "tokenizer", "allowempty", "setsv"],
                name,
                errors,
            );
            Stage::Makemv {
                field: m.field.text.clone(),
                delim: option(&m.options, "delim")
                    .map_or(" ", |w| &w.text)
                    .to_owned(),
                tokenizer: match option(&m.options, "tokenizer") {
                    Some(w) => Some(regex(w, errors)?),
                    None => None,
                },
            }
        }
        CommandKind::Mvexpand(m) => Stage::Mvexpand {
            field: m.field.text.clone(),
            limit: number(option(&m.options, "limit"), usize::MAX, errors),
        },
        CommandKind::Spath(s) => Stage::Spath {
            input: s.input.as_ref().map_or("_raw", |w| &w.text).to_owned(),
            output: s.output.as_ref().map(|w| w.text.clone()),
            path: s.path.as_ref().map(|w| w.text.clone()),
        },
        CommandKind::Join(j) => {
            reject_options(
                &j.options,
                &["type", "max", "overwrite", "usetime", "earlier"],
                name,
                errors,
            );
            let kind = match option(&j.options, "type").map(|w| w.text.to_ascii_lowercase()) {
                None => JoinKind::Inner,
                Some(t) if t == "inner" => JoinKind::Inner,
                Some(t) if t == "left" || t == "outer" => JoinKind::Left,
                Some(t) => {
                    errors.push(unsupported(&format!("`join type={t}`"), command.span));
                    return None;
                }
            };
            if j.fields.is_empty() {
                errors.push(unsupported("`join` without fields", command.span));
                return None;
            }
            let sub = super::compile_pipeline(&j.subsearch, ctx, errors);
            Stage::Join {
                kind,
                fields: j.fields.iter().map(|w| w.text.clone()).collect(),
                max: number(option(&j.options, "max"), 1, errors),
                sub: Box::new(sub),
            }
        }
        CommandKind::Append(a) => {
            reject_options(
                &a.options,
                &["maxout", "maxtime", "timeout", "extendtimerange"],
                name,
                errors,
            );
            Stage::Append(Box::new(super::compile_pipeline(&a.subsearch, ctx, errors)))
        }
        CommandKind::From(f) => {
            if !f.dataset_kind.text.eq_ignore_ascii_case("datamodel") {
                errors.push(unsupported(
                    &format!("`from {}`", f.dataset_kind.text),
                    command.span,
                ));
                return None;
            }
            let (model, dataset) = match f.dataset.text.split_once('.') {
                Some((m, d)) => (m, Some(d)),
                None => (f.dataset.text.as_str(), None),
            };
            let Some(plan) = ctx.datamodels.resolve(model, dataset) else {
                errors.push(datamodel::unknown(&f.dataset.text, f.dataset.span));
                return None;
            };
            Stage::FromDatamodel(plan)
        }
        CommandKind::Generic(args) if name == "iplocation" => {
            iplocation(args, command.span, ctx, errors)?
        }
        _ => {
            errors.push(unsupported(&format!("the command `{name}`"), command.span));
            return None;
        }
    })
}

/// `iplocation [prefix=p] [allfields=b] [lang=l] field`: the location
/// columns of the first row of `iplocation.csv` (lookups folder; a `cidr`
/// column and the output columns) whose `cidr` holds the address; without
/// that table no fields are added.
fn iplocation(
    args: &[crate::ast::RawArg],
    span: Span,
    ctx: &Context,
    errors: &mut Vec<Diagnostic>,
) -> Option<Stage> {
    let words: Vec<&str> = args
        .iter()
        .filter_map(|a| match a {
            crate::ast::RawArg::Word(w) | crate::ast::RawArg::Quoted(w) => Some(w.text.as_str()),
            _ => None,
        })
        .collect();
    let mut prefix = String::new();
    let mut field = None;
    let mut i = 0;
    while i < words.len() {
        if let Some((key, value)) = words[i].split_once('=') {
            let (value, step) = if value.is_empty() {
                (words.get(i + 1).copied().unwrap_or(""), 2)
            } else {
                (value, 1)
            };
            if key.eq_ignore_ascii_case("prefix") {
                value.clone_into(&mut prefix);
            }
            i += step;
        } else if words.get(i + 1) == Some(&"=") {
            if words[i].eq_ignore_ascii_case("prefix") {
                words
                    .get(i + 2)
                    .copied()
                    .unwrap_or("")
                    .clone_into(&mut prefix);
            }
            i += 3;
        } else {
            field = Some(words[i].to_owned());
            i += 1;
        }
    }
    let Some(field) = field else {
        errors.push(invalid("`iplocation` needs a field", span));
        return None;
    };
    let table = ctx
        .lookups_dir
        .as_ref()
        .filter(|dir| dir.join("iplocation.csv").exists())
        .and_then(|dir| lookup::load(dir, "iplocation").ok());
    Some(Stage::Iplocation {
        field,
        prefix,
        table,
    })
}

fn sort_keys(keys: &[crate::ast::SortKey]) -> Vec<SortKey> {
    keys.iter()
        .map(|k| SortKey {
            field: k.field.text.clone(),
            descending: k.order == SortOrder::Descending,
            numeric: k.interpretation.as_ref().and_then(|i| {
                match i.text.to_ascii_lowercase().as_str() {
                    "num" => Some(true),
                    "str" => Some(false),
                    _ => None,
                }
            }),
        })
        .collect()
}

fn load_table(name: &Word, ctx: &Context, errors: &mut Vec<Diagnostic>) -> Option<Table> {
    let builtin = name.text == "dnslookup";
    let found = ctx
        .lookups_dir
        .as_ref()
        .is_some_and(|dir| dir.join(format!("{}.csv", name.text)).exists());
    if builtin && !found {
        return Some(lookup::dnslookup());
    }
    let Some(dir) = &ctx.lookups_dir else {
        errors.push(invalid(
            format!("lookup `{}`: no lookups folder is configured", name.text),
            name.span,
        ));
        return None;
    };
    match lookup::load(dir, &name.text) {
        Ok(t) => Some(t),
        Err(message) => {
            errors.push(invalid(message, name.span));
            None
        }
    }
}

/// `rex mode=sed "s/re/replacement/flags"`.
fn sed(pattern: &Word, field: String, errors: &mut Vec<Diagnostic>) -> Option<Stage> {
    let text = &pattern.text;
    let bad = |errors: &mut Vec<Diagnostic>| {
        errors.push(unsupported(
            &format!("the sed expression `{text}`"),
            pattern.span,
        ));
    };
    let mut chars = text.chars();
    if chars.next() != Some('s') {
        bad(errors);
        return None;
    }
    let Some(delim) = chars.next() else {
        bad(errors);
        return None;
    };
    let mut parts = vec![String::new()];
    let mut escaped = false;
    for c in chars {
        if escaped {
            if c != delim {
                parts.last_mut()?.push('\\');
            }
            parts.last_mut()?.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == delim {
            parts.push(String::new());
        } else {
            parts.last_mut()?.push(c);
        }
    }
    if parts.len() != 3 {
        bad(errors);
        return None;
    }
    let re = match Re::new(&parts[0]) {
        Ok(re) => re,
        Err(message) => {
            errors.push(invalid(
                format!("bad regular expression: {message}"),
                pattern.span,
            ));
            return None;
        }
    };
    Some(Stage::Sed {
        field,
        re,
        replacement: parts[1].clone(),
        global: parts[2].contains('g'),
    })
}

fn tstats(
    t: &crate::ast::Tstats,
    span: Span,
    ctx: &Context,
    errors: &mut Vec<Diagnostic>,
) -> Option<TstatsPlan> {
    reject_options(
        &t.options,
        &[
            "summariesonly",
            "allow_old_summaries",
            "fillnull_value",
            "chunk_size",
            "local",
            "include_reduced_buckets",
        ],
        "tstats",
        errors,
    );
    for o in &t.by_options {
        if !o.key.text.eq_ignore_ascii_case("span") {
            errors.push(unsupported(
                &format!("the `tstats` option `{}`", o.key.text),
                o.key.span,
            ));
        }
    }
    let penv = PredEnv { now: ctx.now };
    let mut filter_expr = t.filter.clone();
    let mut nodename = None;
    if let Some(expr) = &mut filter_expr {
        nodename = take_nodename(expr);
    }
    let dataset = match &t.from {
        Some(TstatsSource::Datamodel { model, dataset }) => {
            let dataset_path = nodename
                .clone()
                .or_else(|| dataset.as_ref().map(|d| d.text.clone()));
            let Some(plan) = ctx.datamodels.resolve(&model.text, dataset_path.as_deref()) else {
                let full = match &dataset_path {
                    Some(d) => format!("{}.{d}", model.text),
                    None => model.text.clone(),
                };
                errors.push(datamodel::unknown(&full, model.span));
                return None;
            };
            Some(plan)
        }
        Some(TstatsSource::Other(word)) => {
            errors.push(unsupported(
                &format!("`tstats from {}`", word.text),
                word.span,
            ));
            return None;
        }
        None => None,
    };
    let span_value = match option(&t.by_options, "span") {
        Some(w) => {
            let Some(s) = span_seconds(&w.text).filter(|s| *s > 0.0) else {
                errors.push(unsupported(&format!("the span `{}`", w.text), w.span));
                return None;
            };
            Some(s)
        }
        None => None,
    };
    let _ = span;
    let filter = filter_expr
        .as_ref()
        .map_or(Pred::All, |e| predicate::compile(e, &penv, errors));
    let prefilter = Prefilter::of(&filter);
    let aggs = stats::compile(&t.aggregations, errors);
    let by: Vec<String> = t.by.iter().map(|w| w.text.clone()).collect();
    let reads = stats::input_fields(&aggs).map(|mut fields| {
        fields.extend(by.iter().cloned());
        fields.retain(|f| f != "_time");
        fields.sort();
        fields.dedup();
        fields
    });
    Some(TstatsPlan {
        dataset,
        filter,
        prefilter,
        reads,
        key_filter: None,
        join_origins: Vec::new(),
        aggs,
        by,
        span: span_value,
        fillnull: option(&t.options, "fillnull_value").map(|w| w.text.clone()),
    })
}

/// Remove a top-level `nodename=X` from a `tstats` where clause, returning
/// `X`.
fn take_nodename(expr: &mut SearchExpr) -> Option<String> {
    let is_nodename = |e: &SearchExpr| match e {
        SearchExpr::Compare { field, value, .. } if field.text.eq_ignore_ascii_case("nodename") => {
            Some(value.text.clone())
        }
        _ => None,
    };
    if let Some(name) = is_nodename(expr) {
        *expr = SearchExpr::Term(crate::ast::SearchValue {
            text: "*".to_owned(),
            quoted: false,
            directive: None,
            span: expr.span(),
        });
        return Some(name);
    }
    if let SearchExpr::And(parts, _) = expr
        && let Some(i) = parts.iter().position(|p| is_nodename(p).is_some())
    {
        let name = is_nodename(&parts[i]);
        parts.remove(i);
        return name;
    }
    None
}
