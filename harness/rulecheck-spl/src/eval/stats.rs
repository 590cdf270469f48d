//! Aggregations of `stats`, `eventstats`, `streamstats` and `tstats`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use rulecheck_core::Diagnostic;
use serde_json::Value as Json;

use super::diag::unsupported;
use super::expr::{self, CExpr, ExprEnv};
use super::fields::{self, fill_wildcards, name_matches, wildcard_captures};
use super::value::{Event, EventHasher, Value, format_number, json_number, parse_number};
use crate::ast::{AggArg, Aggregation};

/// An aggregation function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum AggFunc {
    Count,
    Dc,
    Values,
    List,
    Min,
    Max,
    Sum,
    Avg,
    Earliest,
    Latest,
    EarliestTime,
    LatestTime,
    First,
    Last,
    Stdev,
    Stdevp,
    Var,
    Median,
    Mode,
    Range,
    Perc(f64),
}

/// What an aggregation reads.
#[derive(Debug, Clone)]
pub(crate) enum AggInput {
    /// `count` alone: the rows.
    Rows,
    /// One field.
    Field(String),
    /// Every field matching a wildcard pattern (`values(*) as *`).
    Pattern(String),
    /// `eval(expr)`.
    Eval(CExpr),
}

/// One compiled aggregation.
#[derive(Debug, Clone)]
pub(crate) struct Agg {
    func: AggFunc,
    input: AggInput,
    /// The output name (a pattern when the input is one).
    name: String,
}

fn parse_func(name: &str) -> Option<AggFunc> {
    let lower = name.to_ascii_lowercase();
    Some(match lower.as_str() {
        "count" | "c" => AggFunc::Count,
        "dc" | "distinct_count" => AggFunc::Dc,
        "values" => AggFunc::Values,
        "list" => AggFunc::List,
        "min" => AggFunc::Min,
        "max" => AggFunc::Max,
        "sum" => AggFunc::Sum,
        "avg" | "mean" => AggFunc::Avg,
        "earliest" => AggFunc::Earliest,
        "latest" => AggFunc::Latest,
        "earliest_time" => AggFunc::EarliestTime,
        "latest_time" => AggFunc::LatestTime,
        "first" => AggFunc::First,
        "last" => AggFunc::Last,
        "stdev" => AggFunc::Stdev,
        "stdevp" => AggFunc::Stdevp,
        "var" => AggFunc::Var,
        "median" => AggFunc::Median,
        "mode" => AggFunc::Mode,
        "range" => AggFunc::Range,
        _ => {
            let digits = lower
                .strip_prefix("perc")
                .or_else(|| lower.strip_prefix("p"))
                .or_else(|| lower.strip_prefix("exactperc"))?;
            AggFunc::Perc(digits.parse().ok()?)
        }
    })
}

/// The fields the aggregations read, when each reads one named field (or
/// the rows alone); `None` when one reads an expression or a wildcard
/// pattern.
pub(crate) fn input_fields(aggs: &[Agg]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for agg in aggs {
        match &agg.input {
            AggInput::Rows => {}
            AggInput::Field(field) => out.push(field.clone()),
            AggInput::Pattern(_) | AggInput::Eval(_) => return None,
        }
    }
    Some(out)
}

/// The fields the aggregations read (for `eval(…)`, the fields of the
/// expression); `None` when one reads a wildcard pattern.
pub(crate) fn input_reads(aggs: &[Agg]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for agg in aggs {
        match &agg.input {
            AggInput::Rows => {}
            AggInput::Field(field) => out.push(field.clone()),
            AggInput::Eval(e) => super::pushdown::expr_reads(e, &mut out),
            AggInput::Pattern(_) => return None,
        }
    }
    Some(out)
}

/// The names of the fields the aggregations write; `None` when one reads a
/// wildcard pattern (its names depend on the rows).
pub(crate) fn output_names(aggs: &[Agg]) -> Option<Vec<String>> {
    aggs.iter()
        .map(|agg| match agg.input {
            AggInput::Pattern(_) => None,
            _ => Some(agg.name.clone()),
        })
        .collect()
}

/// Compile the aggregations of a statistics command.
pub(crate) fn compile(aggregations: &[Aggregation], errors: &mut Vec<Diagnostic>) -> Vec<Agg> {
    let mut out = Vec::new();
    for agg in aggregations {
        let Some(func) = parse_func(&agg.function.text) else {
            errors.push(unsupported(
                &format!("the statistics function `{}`", agg.function.text),
                agg.span,
            ));
            continue;
        };
        let (input, default_name) = match &agg.arg {
            None => (AggInput::Rows, agg.function.text.clone()),
            Some(AggArg::Field(word)) if word.has_wildcard() => (
                AggInput::Pattern(word.text.clone()),
                format!("{}({})", agg.function.text, word.text),
            ),
            Some(AggArg::Field(word)) => (
                AggInput::Field(word.text.clone()),
                format!("{}({})", agg.function.text, word.text),
            ),
            Some(AggArg::Eval(e)) => (
                AggInput::Eval(expr::compile(e, errors)),
                format!("{}(eval)", agg.function.text),
            ),
        };
        if matches!(input, AggInput::Rows) && func != AggFunc::Count {
            errors.push(super::diag::invalid(
                format!("`{}` needs a field", agg.function.text),
                agg.span,
            ));
            continue;
        }
        let name = agg.alias.as_ref().map_or(default_name, |a| a.text.clone());
        out.push(Agg { func, input, name });
    }
    out
}

/// The texts of a JSON value as [`Value::from_json`] and [`Value::texts`]
/// read them, borrowed where the value is a string.
fn json_texts<'r>(json: &'r Json, out: &mut Vec<Cow<'r, str>>) {
    match json {
        Json::Null => {}
        Json::String(s) => out.push(Cow::Borrowed(s)),
        Json::Bool(b) => out.push(Cow::Borrowed(if *b { "true" } else { "false" })),
        Json::Number(n) => {
            if let Some(f) = n.as_f64() {
                out.push(Cow::Owned(format_number(f)));
            }
        }
        Json::Array(_) | Json::Object(_) => {
            out.extend(Value::from_json(json).texts().into_iter().map(Cow::Owned));
        }
    }
}

/// The texts of a value ([`json_texts`]), owned when the value is.
pub(crate) fn value_texts<'r>(value: Cow<'r, Json>, out: &mut Vec<Cow<'r, str>>) {
    match value {
        Cow::Borrowed(json) => json_texts(json, out),
        Cow::Owned(json) => {
            let mut texts = Vec::new();
            json_texts(&json, &mut texts);
            out.extend(texts.into_iter().map(|t| Cow::Owned(t.into_owned())));
        }
    }
}

/// Every key made of one text of each field (none when a field has no
/// text).
pub(crate) fn combinations<'r>(texts: Vec<Vec<Cow<'r, str>>>) -> Vec<Key<'r>> {
    let mut keys: Vec<Key<'r>> = vec![Vec::with_capacity(texts.len())];
    for field in texts {
        match field.len() {
            0 => return Vec::new(),
            1 => {
                for k in &mut keys {
                    k.push(field[0].clone());
                }
            }
            _ => {
                keys = keys
                    .into_iter()
                    .flat_map(|k| {
                        field.iter().map(move |t| {
                            let mut k = k.clone();
                            k.push(t.clone());
                            k
                        })
                    })
                    .collect();
            }
        }
    }
    keys
}

/// The group keys of a row: one per combination of the `by` fields' values
/// (a multivalue field gives one group per value); none when a `by` field
/// is missing.
pub(crate) fn group_keys<'r>(row: &'r Event, by: &[String]) -> Vec<Key<'r>> {
    // Most rows have one text in each `by` field: their one key is built
    // without the texts of each field.
    let mut key: Key<'r> = Vec::with_capacity(by.len());
    let mut texts = Vec::new();
    for field in by {
        texts.clear();
        if let Some(json) = fields::get(row, field) {
            json_texts(json, &mut texts);
        }
        match (texts.pop(), texts.is_empty()) {
            (Some(text), true) => key.push(text),
            (None, _) => return Vec::new(),
            (Some(_), false) => return all_group_keys(row, by),
        }
    }
    vec![key]
}

/// [`group_keys`] of a row with a multivalue `by` field.
fn all_group_keys<'r>(row: &'r Event, by: &[String]) -> Vec<Key<'r>> {
    combinations(
        by.iter()
            .map(|field| {
                let mut texts = Vec::new();
                if let Some(json) = fields::get(row, field) {
                    json_texts(json, &mut texts);
                }
                texts
            })
            .collect(),
    )
}

/// A group key: the text of each `by` field.
pub(crate) type Key<'r> = Vec<Cow<'r, str>>;

/// Rows grouped by key, in key order, with the index of each row.
pub(crate) fn group<'r>(rows: &'r [Event], by: &[String]) -> Vec<(Key<'r>, Vec<usize>)> {
    group_by_keys(rows.iter().map(|row| group_keys(row, by)))
}

/// Row indices grouped by key, in key order, from the keys of each row.
pub(crate) fn group_by_keys<'r>(
    keys: impl Iterator<Item = Vec<Key<'r>>>,
) -> Vec<(Key<'r>, Vec<usize>)> {
    let mut groups: HashMap<Key<'r>, Vec<usize>> = HashMap::new();
    for (i, row_keys) in keys.enumerate() {
        for key in row_keys {
            groups.entry(key).or_default().push(i);
        }
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    groups
}

/// The `by` fields of an output row: each key text, as a number when the
/// first row held a number there.
pub(crate) fn key_fields(by: &[String], key: &[Cow<'_, str>], sample: Option<&Event>) -> Event {
    key_fields_with(by, key, |field| {
        sample
            .and_then(|row| fields::get(row, field))
            .is_some_and(Json::is_number)
    })
}

/// [`key_fields`], told by `numeric` whether the group's first row holds a
/// number in a field.
pub(crate) fn key_fields_with(
    by: &[String],
    key: &[Cow<'_, str>],
    numeric: impl Fn(&str) -> bool,
) -> Event {
    // Room for the aggregates a group's row gets next.
    let mut out = Event::with_capacity_and_hasher(by.len() + 8, EventHasher::default());
    for (field, text) in by.iter().zip(key) {
        let numeric = numeric(field);
        let value = match numeric.then(|| parse_number(text)).flatten() {
            Some(n) => json_number(n),
            None => Json::String(text.clone().into_owned()),
        };
        out.insert(field.clone(), value);
    }
    out
}

/// The row a key filter decides a group on: the `by` fields at `reads`
/// alone (survival depends on nothing else, [`super::pushdown`]), or every
/// `by` field when `reads` is `None`.
pub(crate) fn decision_row(
    by: &[String],
    key: &[Cow<'_, str>],
    numeric: impl Fn(&str) -> bool,
    reads: Option<&[usize]>,
) -> Event {
    let Some(reads) = reads else {
        return key_fields_with(by, key, numeric);
    };
    let by: Vec<String> = reads.iter().filter_map(|&i| by.get(i).cloned()).collect();
    let key: Vec<Cow<'_, str>> = reads.iter().filter_map(|&i| key.get(i).cloned()).collect();
    key_fields_with(&by, &key, numeric)
}

/// The values one aggregation reads from a row, with the row's time.
fn inputs(agg: &Agg, row: &Event, env: &ExprEnv, out: &mut Vec<(String, Vec<Value>)>) {
    match &agg.input {
        AggInput::Rows => push(out, &agg.name, Value::Num(1.0)),
        AggInput::Field(field) => push(out, &agg.name, fields::value(row, field)),
        AggInput::Eval(e) => {
            let v = e.eval(row, env);
            let v = match (agg.func, v) {
                (_, Value::Bool(false)) => Value::Null,
                (AggFunc::Count, Value::Bool(true)) => Value::Num(1.0),
                (_, v) => v,
            };
            push(out, &agg.name, v);
        }
        AggInput::Pattern(pattern) => {
            for (name, json) in row {
                if !name_matches(pattern, name) {
                    continue;
                }
                let Some(captures) = wildcard_captures(pattern, name) else {
                    continue;
                };
                push(
                    out,
                    &fill_wildcards(&agg.name, &captures),
                    Value::from_json(json),
                );
            }
        }
    }
}

fn push(out: &mut Vec<(String, Vec<Value>)>, name: &str, value: Value) {
    if let Some((_, values)) = out.iter_mut().find(|(n, _)| n == name) {
        values.push(value);
    } else {
        out.push((name.to_owned(), vec![value]));
    }
}

/// Compute every aggregation over `rows` (indices into `all`); `skip` names
/// fields a wildcard input must not read (the `by` fields).
pub(crate) fn aggregate<R: std::borrow::Borrow<Event>>(
    aggs: &[Agg],
    all: &[R],
    rows: &[usize],
    skip: &[String],
    env: &ExprEnv,
) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for agg in aggs {
        if !matches!(agg.input, AggInput::Pattern(_)) {
            out.push((agg.name.clone(), aggregate_one(agg, all, rows, env)));
            continue;
        }
        // name → (values, times)
        let mut collected: Vec<(String, Vec<Value>)> = Vec::new();
        let mut times: Vec<(String, Vec<Option<f64>>)> = Vec::new();
        if let AggInput::Rows | AggInput::Field(_) | AggInput::Eval(_) = agg.input {
            collected.push((agg.name.clone(), Vec::new()));
        }
        for &i in rows {
            let row = all[i].borrow();
            let time = fields::event_time(row);
            let mut here = Vec::new();
            inputs(agg, row, env, &mut here);
            for (name, values) in here {
                if skip.contains(&name) && matches!(agg.input, AggInput::Pattern(_)) {
                    continue;
                }
                let slot = if let Some(p) = collected.iter().position(|(n, _)| *n == name) {
                    p
                } else {
                    collected.push((name.clone(), Vec::new()));
                    collected.len() - 1
                };
                let tslot = if let Some(p) = times.iter().position(|(n, _)| *n == name) {
                    p
                } else {
                    times.push((name.clone(), Vec::new()));
                    times.len() - 1
                };
                for v in values {
                    for item in v.items() {
                        collected[slot].1.push(item.clone());
                        times[tslot].1.push(time);
                    }
                }
            }
        }
        for (name, values) in collected {
            let t = times
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| t.clone())
                .unwrap_or_default();
            out.push((name, finish(agg.func, &values, &t)));
        }
    }
    out
}

/// One aggregation of a single input (not a wildcard pattern) over `rows`
/// (indices into `all`).
fn aggregate_one<R: std::borrow::Borrow<Event>>(
    agg: &Agg,
    all: &[R],
    rows: &[usize],
    env: &ExprEnv,
) -> Value {
    if matches!(agg.input, AggInput::Rows) {
        #[allow(clippy::cast_precision_loss)]
        return Value::Num(rows.len() as f64);
    }
    let needs_time = agg.func.reads_time();
    fold(
        agg.func,
        rows.iter().map(|&i| {
            let row = all[i].borrow();
            let value = match &agg.input {
                AggInput::Field(field) => fields::value(row, field),
                AggInput::Eval(e) => match (agg.func, e.eval(row, env)) {
                    (_, Value::Bool(false)) => Value::Null,
                    (AggFunc::Count, Value::Bool(true)) => Value::Num(1.0),
                    (_, v) => v,
                },
                AggInput::Rows | AggInput::Pattern(_) => Value::Null,
            };
            let time = if needs_time && !value.is_null() {
                fields::event_time(row)
            } else {
                None
            };
            (value, time)
        }),
    )
}

/// Every aggregation over `rows`, each reading field `f` of row `i` as
/// `read(i, f)`; `None` when one reads more of its rows than one named
/// field (an expression, a wildcard pattern, or the rows' times for
/// `earliest` and the like), for which the aggregation needs the rows
/// themselves ([`aggregate`]).
pub(crate) fn aggregate_fields(
    aggs: &[Agg],
    rows: &[usize],
    read: impl Fn(usize, &str) -> Value,
) -> Option<Vec<(String, Value)>> {
    aggs.iter()
        .map(|agg| {
            let value = match &agg.input {
                #[allow(clippy::cast_precision_loss)]
                AggInput::Rows => Value::Num(rows.len() as f64),
                AggInput::Field(field) if !agg.func.reads_time() => {
                    fold(agg.func, rows.iter().map(|&i| (read(i, field), None)))
                }
                _ => return None,
            };
            Some((agg.name.clone(), value))
        })
        .collect()
}

impl AggFunc {
    /// Whether the function reads the time of each value's row.
    fn reads_time(self) -> bool {
        matches!(
            self,
            AggFunc::Earliest | AggFunc::Latest | AggFunc::EarliestTime | AggFunc::LatestTime
        )
    }
}

/// `func` over the values of its rows, each with its row's time (read
/// only by [`AggFunc::reads_time`] functions).
fn fold(func: AggFunc, items: impl Iterator<Item = (Value, Option<f64>)>) -> Value {
    let mut values = Vec::new();
    let mut times = Vec::new();
    let mut count = 0_usize;
    for (value, time) in items {
        let n = value.items().len();
        if func == AggFunc::Count {
            count += n;
            continue;
        }
        if func.reads_time() && n > 0 {
            times.extend(std::iter::repeat_n(time, n));
        }
        match value {
            Value::Null => {}
            Value::Multi(items) => values.extend(items),
            single => values.push(single),
        }
    }
    if func == AggFunc::Count {
        #[allow(clippy::cast_precision_loss)]
        return Value::Num(count as f64);
    }
    finish(func, &values, &times)
}

#[allow(clippy::cast_precision_loss, clippy::too_many_lines)]
fn finish(func: AggFunc, values: &[Value], times: &[Option<f64>]) -> Value {
    let texts = || -> Vec<String> {
        values
            .iter()
            .filter_map(|v| v.as_text().map(std::borrow::Cow::into_owned))
            .collect()
    };
    let nums = || -> Vec<f64> { values.iter().filter_map(Value::as_num).collect() };
    match func {
        AggFunc::Count => Value::Num(values.len() as f64),
        AggFunc::Dc => {
            let mut t = texts();
            t.sort();
            t.dedup();
            Value::Num(t.len() as f64)
        }
        AggFunc::Values => {
            let mut t = texts();
            t.sort();
            t.dedup();
            Value::multi(t.into_iter().map(Value::Str).collect())
        }
        AggFunc::List => Value::multi(values.iter().take(100).cloned().collect()),
        AggFunc::Min | AggFunc::Max => {
            let n = nums();
            if !n.is_empty() {
                let pick = if func == AggFunc::Max {
                    f64::max
                } else {
                    f64::min
                };
                return Value::Num(n.into_iter().reduce(pick).unwrap_or(0.0));
            }
            let t = texts();
            let best = if func == AggFunc::Max {
                t.into_iter().max()
            } else {
                t.into_iter().min()
            };
            best.map_or(Value::Null, Value::Str)
        }
        AggFunc::Sum => {
            let n = nums();
            if n.is_empty() {
                Value::Null
            } else {
                Value::Num(n.iter().sum())
            }
        }
        AggFunc::Avg => {
            let n = nums();
            if n.is_empty() {
                Value::Null
            } else {
                Value::Num(n.iter().sum::<f64>() / n.len() as f64)
            }
        }
        AggFunc::Stdev | AggFunc::Stdevp | AggFunc::Var => {
            let n = nums();
            let len = n.len() as f64;
            let denominator = if func == AggFunc::Stdevp {
                len
            } else {
                len - 1.0
            };
            if n.is_empty() || denominator <= 0.0 {
                return if n.len() == 1 {
                    Value::Num(0.0)
                } else {
                    Value::Null
                };
            }
            let mean = n.iter().sum::<f64>() / len;
            let var = n.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / denominator;
            Value::Num(if func == AggFunc::Var {
                var
            } else {
                var.sqrt()
            })
        }
        AggFunc::Median => percentile(nums(), 50.0),
        AggFunc::Perc(p) => percentile(nums(), p),
        AggFunc::Range => {
            let n = nums();
            match (
                n.iter().copied().reduce(f64::min),
                n.iter().copied().reduce(f64::max),
            ) {
                (Some(lo), Some(hi)) => Value::Num(hi - lo),
                _ => Value::Null,
            }
        }
        AggFunc::Mode => {
            let mut counts: Vec<(String, usize)> = Vec::new();
            for t in texts() {
                match counts.iter_mut().find(|(v, _)| *v == t) {
                    Some((_, c)) => *c += 1,
                    None => counts.push((t, 1)),
                }
            }
            let best = counts.iter().map(|(_, c)| *c).max().unwrap_or(0);
            counts
                .into_iter()
                .find(|(_, c)| *c == best)
                .map_or(Value::Null, |(v, _)| Value::Str(v))
        }
        AggFunc::First => values.first().cloned().unwrap_or(Value::Null),
        AggFunc::Last => values.last().cloned().unwrap_or(Value::Null),
        AggFunc::Earliest | AggFunc::Latest | AggFunc::EarliestTime | AggFunc::LatestTime => {
            let latest = matches!(func, AggFunc::Latest | AggFunc::LatestTime);
            let mut best: Option<(f64, usize)> = None;
            for (i, t) in times.iter().enumerate() {
                let Some(t) = t else { continue };
                let better = best.is_none_or(|(b, _)| if latest { *t > b } else { *t < b });
                if better {
                    best = Some((*t, i));
                }
            }
            match (best, func) {
                (Some((t, _)), AggFunc::EarliestTime | AggFunc::LatestTime) => Value::Num(t),
                (Some((_, i)), _) => values.get(i).cloned().unwrap_or(Value::Null),
                (None, _) if latest => values.last().cloned().unwrap_or(Value::Null),
                (None, _) => values.first().cloned().unwrap_or(Value::Null),
            }
        }
    }
}

fn percentile(mut n: Vec<f64>, p: f64) -> Value {
    if n.is_empty() {
        return Value::Null;
    }
    n.sort_by(f64::total_cmp);
    #[allow(clippy::cast_precision_loss)]
    let rank = (p / 100.0) * (n.len() - 1) as f64;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    let frac = rank - rank.floor();
    Value::Num(n[lo] + (n[hi.min(n.len() - 1)] - n[lo]) * frac)
}

/// Which groups to aggregate: those whose key row (their `by` fields)
/// `test` accepts. When `reads` names the `by` positions the test depends
/// on, it runs once per distinct combination of those keys (and of
/// whether each is a number).
pub(crate) struct KeyTest<'a> {
    pub(crate) test: &'a dyn Fn(&Event) -> bool,
    pub(crate) reads: Option<&'a [usize]>,
}

/// The decisions of a key filter, by the keys of the `by` fields it reads
/// (and whether each is a number in the group's first row).
#[derive(Default)]
pub(crate) struct Decisions<'k> {
    decided: HashMap<Vec<(Cow<'k, str>, bool)>, bool>,
}

impl<'k> Decisions<'k> {
    /// Whether the group with `key` survives: as decided for an earlier
    /// group that agreed on the `by` fields at `reads`, else `test()`,
    /// remembered (always `test()` when `reads` is `None`).
    pub(crate) fn decide(
        &mut self,
        reads: Option<&[usize]>,
        by: &[String],
        key: &Key<'k>,
        numeric: impl Fn(&str) -> bool,
        test: impl FnOnce() -> bool,
    ) -> bool {
        let Some(reads) = reads else {
            return test();
        };
        let memo: Vec<(Cow<'k, str>, bool)> = reads
            .iter()
            .map(|&i| (key[i].clone(), numeric(&by[i])))
            .collect();
        if let Some(&known) = self.decided.get(&memo) {
            return known;
        }
        let survives = test();
        self.decided.insert(memo, survives);
        survives
    }
}

/// `stats` / `tstats`: one row per group, in key order; with no `by`
/// fields and no rows, one row (count 0). A group whose key row `keep`
/// rejects is left out without being aggregated.
pub(crate) fn stats(
    aggs: &[Agg],
    by: &[String],
    rows: &[Event],
    env: &ExprEnv,
    keep: Option<&KeyTest<'_>>,
) -> Vec<Event> {
    let groups = group(rows, by);
    let mut out = Vec::new();
    if groups.is_empty() && by.is_empty() {
        let mut row = Event::default();
        for (name, value) in aggregate(aggs, rows, &[], by, env) {
            if let Some(json) = value.to_json() {
                row.insert(name, json);
            }
        }
        out.push(row);
        return out;
    }
    let mut decisions = Decisions::default();
    for (key, members) in groups {
        let sample = members.first().map(|&i| &rows[i]);
        let numeric = |field: &str| {
            sample
                .and_then(|row| fields::get(row, field))
                .is_some_and(Json::is_number)
        };
        let mut row = None;
        if let Some(keep) = keep {
            let survives = decisions.decide(keep.reads, by, &key, numeric, || {
                let key_row = decision_row(by, &key, numeric, keep.reads);
                let survives = (keep.test)(&key_row);
                if keep.reads.is_none() {
                    row = Some(key_row);
                }
                survives
            });
            if !survives {
                continue;
            }
        }
        let mut row = row.unwrap_or_else(|| key_fields(by, &key, sample));
        for (name, value) in aggregate(aggs, rows, &members, by, env) {
            if by.contains(&name) {
                continue;
            }
            if let Some(json) = value.to_json() {
                row.insert(name, json);
            }
        }
        out.push(row);
    }
    out
}

/// `eventstats`: each row gets its group's statistics.
pub(crate) fn eventstats(aggs: &[Agg], by: &[String], rows: &mut [Event], env: &ExprEnv) {
    let groups: Vec<Vec<usize>> = group(rows, by).into_iter().map(|(_, m)| m).collect();
    let mut updates: Vec<(usize, Vec<(String, Value)>)> = Vec::new();
    for members in &groups {
        let values = aggregate(aggs, rows, members, by, env);
        for &i in members {
            updates.push((i, values.clone()));
        }
    }
    for (i, values) in updates {
        for (name, value) in values {
            match value.to_json() {
                Some(json) => rows[i].insert(name, json),
                None => rows[i].swap_remove(&name),
            };
        }
    }
}

/// `streamstats`: each row gets the statistics of the rows before it in its
/// group (itself included unless `current=f`), over the last `window` rows
/// when given.
pub(crate) fn streamstats(
    aggs: &[Agg],
    by: &[String],
    rows: &mut [Event],
    window: usize,
    current: bool,
    env: &ExprEnv,
) {
    let mut seen: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
    let mut updates = Vec::new();
    for i in 0..rows.len() {
        let keys: Vec<Vec<String>> = group_keys(&rows[i], by)
            .into_iter()
            .map(|k| k.into_iter().map(Cow::into_owned).collect())
            .collect();
        for key in keys {
            let members = seen.entry(key).or_default();
            if current {
                members.push(i);
            }
            let from = if window > 0 {
                members.len().saturating_sub(window)
            } else {
                0
            };
            let values = aggregate(aggs, rows, &members[from..], by, env);
            updates.push((i, values));
            if !current {
                members.push(i);
            }
        }
        for (j, values) in updates.drain(..) {
            for (name, value) in values {
                if let Some(json) = value.to_json() {
                    rows[j].insert(name, json);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: serde_json::Value) -> Event {
        serde_json::from_value(json).unwrap_or_default()
    }

    #[test]
    fn group_keys_take_one_text_of_each_field() {
        let by = ["a".to_owned(), "b".to_owned()];
        let keys = |json| -> Vec<Vec<String>> {
            group_keys(&event(json), &by)
                .into_iter()
                .map(|k| k.into_iter().map(Cow::into_owned).collect())
                .collect()
        };
        let strings = |rows: &[&[&str]]| -> Vec<Vec<String>> {
            rows.iter()
                .map(|r| r.iter().map(|t| (*t).to_owned()).collect())
                .collect()
        };
        assert_eq!(
            keys(serde_json::json!({"a": "x", "b": 2})),
            strings(&[&["x", "2"]])
        );
        assert_eq!(
            keys(serde_json::json!({"a": ["x", "y"], "b": true})),
            strings(&[&["x", "true"], &["y", "true"]]),
            "a multivalue gives a key per value"
        );
        assert_eq!(
            keys(serde_json::json!({"a": "x", "b": ["p", "q"]})),
            strings(&[&["x", "p"], &["x", "q"]])
        );
        for json in [
            serde_json::json!({"a": "x"}),
            serde_json::json!({"a": "x", "b": null}),
            serde_json::json!({"a": [], "b": "y"}),
        ] {
            assert!(keys(json.clone()).is_empty(), "{json}");
        }
    }
}
