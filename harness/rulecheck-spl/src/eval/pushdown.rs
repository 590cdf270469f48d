//! Which stages after a `stats` or `tstats` decide, from a group's key
//! alone, whether the group's row survives them: the group's *key filter*.
//!
//! Hunting searches aggregate every event of a data model by many fields
//! and then keep a few rows (`| rename … | lookup … | search …`). The rows
//! that survive a filter that reads only `by` fields (or fields computed
//! from them) are known as soon as the groups are: a group whose key row
//! (its `by` fields, before any aggregate is added) does not survive the
//! stages up to that filter is never aggregated.
//!
//! The analysis follows the fields that depend on aggregates ("tainted")
//! through the row-local stages after the aggregation: each stage maps one
//! row to at most one row, reading only that row. A filter among them that
//! reads no tainted field keeps the key row exactly when it keeps the full
//! row, because every field it reads has the same value in both. Taint is
//! over-approximated wherever a stage's effect is not certain (a `rename`
//! onto an existing field, a `lookup` that may not match), which can only
//! make the key filter shorter, never wrong. The stages after the last
//! such filter are left out of the key filter.
//!
//! A field is also followed by whether every row certainly has it (the
//! `by` fields do): a `rename` from such a field replaces the value of
//! its target, so an aggregate overwritten from a `by` field
//! (`values(Processes.process) as process … by Processes.process |
//! rename Processes.* as *`) no longer depends on the rows. That needs
//! every name a row may have to be known, to see which fields a wildcard
//! renames onto the same target.
//!
//! A second pass follows, on the key row alone (whose fields are the `by`
//! fields, all known), which `by` fields each field comes from, so that
//! groups agreeing on the ones the filters read are decided once
//! ([`KeyFilter::reads`]).

use std::collections::HashSet;

use super::expr::CExpr;
use super::fields::{TIME_FIELDS, fill_wildcards, wildcard_captures};
use super::plan::{Stage, StagePlan};
use super::predicate::Pred;
use super::stats::{self, Agg};

/// The fields whose values may depend on aggregates.
struct Taint {
    fields: HashSet<String>,
    /// Fields every row certainly has.
    present: HashSet<String>,
    /// Every name a row may have; `None` once a stage writes fields it
    /// cannot name.
    known: Option<HashSet<String>>,
}

impl Taint {
    fn is_tainted(&self, field: &str) -> bool {
        // The raw text of a row is built from all of its fields.
        field == "_raw" || self.fields.contains(field)
    }

    fn any(&self, fields: &[String]) -> bool {
        fields.iter().any(|f| self.is_tainted(f))
    }

    /// After a stage writes `to` from the fields `from`: tainted when any
    /// of them is; a field already tainted stays so (the stage may leave
    /// its old value).
    fn write(&mut self, to: &str, from: &[String]) {
        if self.any(from) {
            self.fields.insert(to.to_owned());
        }
        self.may_have(to);
    }

    /// After a stage may have written `name` (or removed it).
    fn may_have(&mut self, name: &str) {
        self.present.remove(name);
        if let Some(known) = &mut self.known {
            known.insert(name.to_owned());
        }
    }

    /// `rename from AS to` without wildcards: the target takes the
    /// source's value (and taint) when every row has the source.
    fn rename_exact(&mut self, from: &str, to: &str) {
        if !self.present.contains(from) {
            self.write(to, &[from.to_owned()]);
            return;
        }
        if self.is_tainted(from) {
            self.fields.insert(to.to_owned());
        } else {
            self.fields.remove(to);
        }
        self.present.remove(from);
        self.present.insert(to.to_owned());
        if let Some(known) = &mut self.known {
            known.insert(to.to_owned());
        }
    }

    /// `rename from AS to` with wildcards, when every name is known and no
    /// field is both renamed and renamed onto (`false` otherwise): each field it matches moves to its new name
    /// once, replacing the target's value. A target is tainted when a
    /// field renamed onto it is, or when it was and no field that every
    /// row has replaces it.
    fn rename_known(&mut self, from: &str, to: &str) -> bool {
        let Some(known) = &self.known else {
            return false;
        };
        let Some((moves, targets)) = rename_moves(known, from, to) else {
            self.known = None;
            return false;
        };
        let mut tainted = Vec::new();
        let mut present = Vec::new();
        for target in targets {
            let sources = || moves.iter().filter(|(_, t)| *t == target).map(|(s, _)| s);
            let replaced = sources().any(|s| self.present.contains(s));
            if sources().any(|s| self.is_tainted(s)) || (!replaced && self.is_tainted(&target)) {
                tainted.push(target.clone());
            }
            if replaced {
                present.push(target);
            }
        }
        for (source, target) in &moves {
            self.fields.remove(target);
            self.present.remove(source);
            self.present.remove(target);
        }
        self.fields.extend(tainted);
        self.present.extend(present);
        if let Some(known) = &mut self.known {
            known.extend(moves.into_iter().map(|(_, t)| t));
        }
        true
    }
}

/// A key filter: the stages, and which `by` fields decide whether a key
/// row survives them.
#[derive(Debug, Clone)]
pub(crate) struct KeyFilter {
    /// Row-local stages ending with a filter.
    pub(crate) stages: Vec<Stage>,
    /// The positions in `by` of the fields the stages' survival depends
    /// on; `None` when that cannot be told. Groups that agree on these
    /// fields (and their types) survive alike, so the stages run once per
    /// distinct combination.
    pub(crate) reads: Option<Vec<usize>>,
    /// The decisions made so far, by the texts of the fields at `reads`
    /// ([`KeyFilter::decision_key`]), shared by every batch the search
    /// runs on (and by its copies): the stages are row-local, so a key row
    /// survives them alike in any batch.
    pub(crate) decided: std::sync::Arc<std::sync::Mutex<foldhash::HashMap<String, bool>>>,
}

impl KeyFilter {
    /// How many decisions are kept at most; past that they are forgotten.
    const DECISIONS: usize = 1 << 16;

    /// The key of a decision at the pinned time `now` (which a stage may
    /// read): each field's text at `reads`, with whether it is a number,
    /// NUL-separated.
    pub(crate) fn decision_key<'k>(
        now: i64,
        fields: impl Iterator<Item = (&'k str, bool)>,
    ) -> String {
        let mut key = now.to_string();
        key.push('\0');
        for (text, numeric) in fields {
            key.push(if numeric { '#' } else { '"' });
            key.push_str(text);
            key.push('\0');
        }
        key
    }

    /// The decision on `key` made earlier, on any batch.
    pub(crate) fn decided(&self, key: &str) -> Option<bool> {
        self.decided.lock().ok()?.get(key).copied()
    }

    /// Remember the decision on `key`.
    pub(crate) fn remember(&self, key: String, survives: bool) {
        if let Ok(mut decided) = self.decided.lock() {
            if decided.len() >= Self::DECISIONS {
                decided.clear();
            }
            decided.insert(key, survives);
        }
    }
}

/// The key filter of an aggregation with `by` fields and `aggs`, from the
/// stages that follow it: the stages up to the last filter that reads no
/// aggregate, or `None` when there is no such filter.
pub(crate) fn key_filter(
    by: &[String],
    aggs: &[Agg],
    following: &[StagePlan],
) -> Option<KeyFilter> {
    if by.is_empty() {
        return None;
    }
    let outputs = stats::output_names(aggs)?;
    let mut taint = Taint {
        fields: outputs
            .iter()
            .filter(|name| !by.contains(name))
            .cloned()
            .collect(),
        present: by.iter().cloned().collect(),
        known: Some(outputs.into_iter().chain(by.iter().cloned()).collect()),
    };
    let mut last_filter = None;
    for (i, plan) in following.iter().enumerate() {
        match filter_reads(&plan.stage) {
            Some(reads) => {
                if taint.any(&reads) {
                    break;
                }
                last_filter = Some(i);
            }
            None => {
                if !propagate(&plan.stage, &mut taint) {
                    break;
                }
            }
        }
    }
    let end = last_filter? + 1;
    let stages: Vec<Stage> = following[..end].iter().map(|p| p.stage.clone()).collect();
    let reads = survival_reads(by, &stages);
    Some(KeyFilter {
        stages,
        reads,
        decided: std::sync::Arc::default(),
    })
}

/// The positions in `by` of the fields whether a key row survives
/// `stages` depends on, found by following through the stages which `by`
/// fields each field of the key row depends on (a key row has the `by`
/// fields alone, so every name is known); `None` when a stage writes
/// fields it cannot name.
fn survival_reads(by: &[String], stages: &[Stage]) -> Option<Vec<usize>> {
    use serde_json::Value as Json;
    // Each field's value is the set of `by` positions it depends on.
    let mut row: super::value::Event = by
        .iter()
        .enumerate()
        .map(|(i, f)| (f.clone(), Json::from(vec![i])))
        .collect();
    let deps = |row: &super::value::Event, fields: &[String]| -> Vec<usize> {
        if fields.iter().any(|f| f == "_raw") {
            return (0..by.len()).collect();
        }
        fields
            .iter()
            .filter_map(|f| row.get(f).and_then(Json::as_array))
            .flatten()
            .filter_map(|v| v.as_u64().and_then(|v| usize::try_from(v).ok()))
            .collect()
    };
    let write = |row: &mut super::value::Event, to: &str, mut from: Vec<usize>| {
        // The old value may remain (a lookup without a match, a rex that
        // does not match): keep its dependencies too.
        from.extend(deps(row, &[to.to_owned()]));
        from.sort_unstable();
        from.dedup();
        row.insert(to.to_owned(), Json::from(from));
    };
    let mut read = Vec::new();
    for stage in stages {
        if let Some(fields) = filter_reads(stage) {
            read.extend(deps(&row, &fields));
            continue;
        }
        match stage {
            Stage::Eval(assignments) => {
                for (field, e) in assignments {
                    let mut fields = Vec::new();
                    expr_reads(e, &mut fields);
                    let d = deps(&row, &fields);
                    row.insert(field.clone(), Json::from(d));
                }
            }
            Stage::Rename(pairs) => {
                for (from, to) in pairs {
                    super::exec::rename(&mut row, from, to);
                }
            }
            Stage::Convert { conversions, .. } => {
                for c in conversions {
                    if c.field.contains('*') {
                        return None;
                    }
                    let d = deps(&row, std::slice::from_ref(&c.field));
                    write(&mut row, c.alias.as_deref().unwrap_or(&c.field), d);
                }
            }
            Stage::Lookup(plan) => {
                let inputs: Vec<String> = plan.inputs.iter().map(|(_, f)| f.clone()).collect();
                let d = deps(&row, &inputs);
                for (_, field) in &plan.outputs {
                    write(&mut row, field, d.clone());
                }
            }
            Stage::Rex { field, re, .. } => {
                let d = deps(&row, std::slice::from_ref(field));
                for name in re.group_names() {
                    write(&mut row, &name, d.clone());
                }
            }
            Stage::Bin { field, alias, .. } => {
                let d = deps(&row, std::slice::from_ref(field));
                write(&mut row, alias, d);
            }
            // These change only fields they name from themselves, fill
            // named fields with a constant, or remove fields (keeping
            // their dependencies is harmless).
            Stage::Sed { .. }
            | Stage::Makemv { .. }
            | Stage::Fields { .. }
            | Stage::Table(_)
            | Stage::Fillnull { .. } => {}
            _ => return None,
        }
    }
    read.sort_unstable();
    read.dedup();
    Some(read)
}

/// For a filtering stage, the fields it reads; `None` for any other stage.
fn filter_reads(stage: &Stage) -> Option<Vec<String>> {
    let mut out = Vec::new();
    match stage {
        Stage::Search(pred) => pred_reads(pred, &mut out),
        Stage::Where(e) => expr_reads(e, &mut out),
        Stage::Regex { field, .. } => out.push(field.clone()),
        _ => return None,
    }
    Some(out)
}

/// Follow the taint through a row-local stage that filters nothing;
/// `false` for a stage that is not row-local or whose writes cannot be
/// followed.
fn propagate(stage: &Stage, taint: &mut Taint) -> bool {
    match stage {
        Stage::Eval(assignments) => {
            for (field, e) in assignments {
                let mut reads = Vec::new();
                expr_reads(e, &mut reads);
                // The assignment replaces the field's value (or removes it).
                if taint.any(&reads) {
                    taint.fields.insert(field.clone());
                } else {
                    taint.fields.remove(field);
                }
                taint.may_have(field);
            }
            true
        }
        Stage::Rename(pairs) => pairs.iter().all(|(from, to)| {
            if !from.contains('*') {
                taint.rename_exact(from, to);
                return true;
            }
            if taint.rename_known(from, to) {
                return true;
            }
            // A renamed value may be renamed again by the same pattern
            // (`rename * as x*`): follow it to a fixed point.
            taint.present.clear();
            for _ in 0..8 {
                let renamed: Vec<String> = taint
                    .fields
                    .iter()
                    .filter_map(|name| wildcard_captures(from, name))
                    .map(|captures| fill_wildcards(to, &captures))
                    .filter(|name| !taint.fields.contains(name))
                    .collect();
                if renamed.is_empty() {
                    return true;
                }
                taint.fields.extend(renamed);
            }
            false
        }),
        Stage::Convert { conversions, .. } => {
            for c in conversions {
                if c.field.contains('*') {
                    return false;
                }
                let to = c.alias.as_deref().unwrap_or(&c.field);
                taint.write(to, std::slice::from_ref(&c.field));
            }
            true
        }
        Stage::Lookup(plan) => {
            let inputs: Vec<String> = plan.inputs.iter().map(|(_, f)| f.clone()).collect();
            for (_, field) in &plan.outputs {
                taint.write(field, &inputs);
            }
            true
        }
        Stage::Rex { field, re, .. } => {
            for name in re.group_names() {
                taint.write(&name, std::slice::from_ref(field));
            }
            true
        }
        Stage::Sed { field, .. } => {
            taint.write(field, std::slice::from_ref(field));
            true
        }
        Stage::Bin { field, alias, .. } => {
            taint.write(alias, std::slice::from_ref(field));
            true
        }
        // Each of these changes only the fields it names, from themselves,
        // or removes fields.
        Stage::Makemv { field, .. } => {
            taint.may_have(field);
            true
        }
        Stage::Fields { .. } | Stage::Table(_) => {
            // Which fields remain is not followed: none is certain.
            taint.present.clear();
            true
        }
        // Filling named fields with a constant; without names it fills the
        // fields of every row, which is not row-local.
        Stage::Fillnull { fields, .. } => !fields.is_empty(),
        // These write fields whose names depend on the data: from an
        // untainted input, the values they write are untainted too.
        Stage::Spath { input, .. } | Stage::Iplocation { field: input, .. } => {
            taint.known = None;
            taint.present.clear();
            !taint.is_tainted(input)
        }
        _ => false,
    }
}

/// For each of `fields` after the row-local `stages` that follow an
/// aggregation by `by` with `aggs`: the position of the `by` field whose
/// text it holds in every row that has it, where that is certain (the
/// field is a `by` field other than `_time`, moved by renames alone).
/// Fields it cannot tell are left out; a stage that is not row-local, or
/// writes names it cannot tell, leaves none.
///
/// An inner `join` on such a field needs only the groups whose `by` text
/// is one the other side has: the others cannot match.
pub(crate) fn join_origins<'s>(
    by: &[String],
    aggs: &[Agg],
    stages: impl IntoIterator<Item = &'s Stage>,
    fields: &[String],
) -> Vec<(String, usize)> {
    let Some(outputs) = stats::output_names(aggs) else {
        return Vec::new();
    };
    let mut trace = Origins {
        origin: by
            .iter()
            .enumerate()
            .filter(|(_, f)| *f != "_time")
            .map(|(i, f)| (f.clone(), i))
            .collect(),
        present: by.iter().cloned().collect(),
        known: outputs.into_iter().chain(by.iter().cloned()).collect(),
    };
    for stage in stages {
        if filter_reads(stage).is_none() && !trace.follow(stage) {
            return Vec::new();
        }
    }
    fields
        .iter()
        .filter_map(|f| trace.origin.get(f).map(|&i| (f.clone(), i)))
        .collect()
}

/// What [`join_origins`] follows through the stages.
struct Origins {
    /// Fields that hold the text of the `by` field at a position, or are
    /// missing.
    origin: std::collections::HashMap<String, usize>,
    /// Fields every row certainly has.
    present: HashSet<String>,
    /// Every name a row may have.
    known: HashSet<String>,
}

impl Origins {
    /// After a stage may have written `name`.
    fn written(&mut self, name: &str) {
        self.origin.remove(name);
        self.present.remove(name);
        self.known.insert(name.to_owned());
    }

    /// Follow a row-local stage that filters nothing; `false` for any
    /// other stage.
    fn follow(&mut self, stage: &Stage) -> bool {
        match stage {
            Stage::Eval(assignments) => {
                for (field, e) in assignments {
                    // `x = y` copies a field every row has.
                    let copied = match e {
                        CExpr::Field(source) if self.present.contains(source) => {
                            Some(self.origin.get(source).copied())
                        }
                        _ => None,
                    };
                    self.written(field);
                    if let Some(origin) = copied {
                        if let Some(i) = origin {
                            self.origin.insert(field.clone(), i);
                        }
                        self.present.insert(field.clone());
                    }
                }
            }
            Stage::Rename(pairs) => {
                for (from, to) in pairs {
                    if !self.rename(from, to) {
                        return false;
                    }
                }
            }
            Stage::Convert { conversions, .. } => {
                for c in conversions {
                    if c.field.contains('*') {
                        return false;
                    }
                    self.written(c.alias.as_deref().unwrap_or(&c.field));
                }
            }
            Stage::Lookup(plan) => {
                for (_, field) in &plan.outputs {
                    self.written(field);
                }
            }
            Stage::Rex { re, .. } => {
                for name in re.group_names() {
                    self.written(&name);
                }
            }
            Stage::Sed { field, .. } | Stage::Makemv { field, .. } => self.written(field),
            Stage::Bin { alias, .. } => self.written(alias),
            Stage::Fillnull { fields, .. } if !fields.is_empty() => {
                for field in fields {
                    self.written(field);
                }
            }
            // Removing fields keeps "holds the text or is missing".
            Stage::Fields { .. } | Stage::Table(_) => self.present.clear(),
            _ => return false,
        }
        true
    }

    /// `rename from AS to`; `false` when a field is both renamed and
    /// renamed onto.
    fn rename(&mut self, from: &str, to: &str) -> bool {
        let Some((moves, targets)) = rename_moves(&self.known, from, to) else {
            return false;
        };
        let mut updates = Vec::new();
        for target in targets {
            let sources: Vec<&String> = moves
                .iter()
                .filter(|(_, t)| *t == target)
                .map(|(s, _)| s)
                .collect();
            // One source every row has: the target is replaced by it.
            let origin = match sources.as_slice() {
                [source] if self.present.contains(*source) => {
                    Some((self.origin.get(*source).copied(), true))
                }
                _ => None,
            };
            updates.push((target, origin));
        }
        for (source, _) in &moves {
            self.present.remove(source);
        }
        for (target, origin) in updates {
            self.written(&target);
            if let Some((origin, present)) = origin {
                if let Some(i) = origin {
                    self.origin.insert(target.clone(), i);
                }
                if present {
                    self.present.insert(target);
                }
            }
        }
        true
    }
}

/// Each (source, target) pair of a `rename`, and the distinct targets.
type RenameMoves = (Vec<(String, String)>, Vec<String>);

/// What `rename from AS to` does to rows whose names are among `known`:
/// each (source, target) pair, sorted, and the distinct targets; `None`
/// when a field is both renamed and renamed onto, where which value ends
/// where depends on the order of the row's fields.
fn rename_moves(known: &HashSet<String>, from: &str, to: &str) -> Option<RenameMoves> {
    let mut moves: Vec<(String, String)> = known
        .iter()
        .filter_map(|name| {
            wildcard_captures(from, name).map(|c| (name.clone(), fill_wildcards(to, &c)))
        })
        .collect();
    moves.sort();
    if moves.iter().any(|(_, t)| moves.iter().any(|(s, _)| s == t)) {
        return None;
    }
    let mut targets: Vec<String> = moves.iter().map(|(_, t)| t.clone()).collect();
    targets.sort();
    targets.dedup();
    Some((moves, targets))
}

/// The fields a search expression reads.
pub(crate) fn pred_reads(pred: &Pred, out: &mut Vec<String>) {
    match pred {
        Pred::All => {}
        Pred::And(parts) | Pred::Or(parts) => {
            for p in parts {
                pred_reads(p, out);
            }
        }
        Pred::Not(inner) => pred_reads(inner, out),
        Pred::Term { .. } => out.push("_raw".to_owned()),
        Pred::Match { field, .. } | Pred::In { field, .. } | Pred::Order { field, .. } => {
            out.push(field.clone());
        }
        Pred::Time { .. } => out.extend(TIME_FIELDS.iter().map(|f| (*f).to_owned())),
        Pred::Implied { field, inner } => {
            out.push(field.clone());
            pred_reads(inner, out);
        }
    }
}

/// The fields an expression reads (every function is deterministic, so
/// an expression's value depends on these alone).
pub(crate) fn expr_reads(e: &CExpr, out: &mut Vec<String>) {
    e.for_each_field(&mut |f| out.push(f.to_owned()));
}

#[cfg(test)]
mod tests {
    use super::super::plan::Stage;
    use super::super::{Context, compile_str};
    use crate::Macros;

    /// The number of stages in the key filter of the query's first
    /// aggregation.
    fn key_filter_len(query: &str) -> Option<usize> {
        let search = compile_str(query, &Macros::new(), &Context::new(0))
            .unwrap_or_else(|d| panic!("{query}: {d:#?}"));
        search.stages.iter().find_map(|s| match &s.stage {
            Stage::Stats { key_filter, .. } => Some(key_filter.as_ref().map(|k| k.stages.len())),
            Stage::Tstats(plan) => Some(plan.key_filter.as_ref().map(|k| k.stages.len())),
            _ => None,
        })?
    }

    #[test]
    fn filters_on_by_fields_are_key_filters() {
        assert_eq!(
            key_filter_len(
                "| tstats count min(_time) as firstTime from datamodel=Endpoint.Processes \
                 by Processes.dest Processes.process_name | rename Processes.* as * \
                 | convert ctime(firstTime) | search process_name=cmd.exe | table dest"
            ),
            Some(3)
        );
        assert_eq!(
            key_filter_len("| stats count by host | where like(host, \"a%\") | regex host=\"^a\""),
            Some(2)
        );
        assert_eq!(
            key_filter_len("| stats count by host | eval h=upper(host) | search h=A"),
            Some(2)
        );
        // An aggregate overwritten from a `by` field no longer depends on
        // the group's rows.
        assert_eq!(
            key_filter_len("| stats count by host | eval count=host | search count=a"),
            Some(2)
        );
        // A wildcard rename moves each field once: `xhost` is the host,
        // and no row has `xxcount`.
        assert_eq!(
            key_filter_len("| stats count by host | rename * as x* | search xhost=a"),
            Some(2)
        );
        assert_eq!(
            key_filter_len("| stats count by host | rename * as x* | search xxcount=1"),
            Some(2)
        );
        // A `by` field renamed onto an aggregate replaces it: every row
        // has the `by` field.
        assert_eq!(
            key_filter_len("| stats count by host | rename host as count | search count=a"),
            Some(2)
        );
        assert_eq!(
            key_filter_len(
                "| tstats count values(Processes.process) as process \
                 from datamodel=Endpoint.Processes by Processes.dest Processes.process \
                 | rename Processes.* as * | search process=\"*x*\" | table dest"
            ),
            Some(2)
        );
        // The filter stops at the first stage that is not row-local.
        assert_eq!(
            key_filter_len("| stats count by host | search host=a | sort count | search host=b"),
            Some(1)
        );
    }

    /// The `by` positions the key filter of the query's first aggregation
    /// reads.
    fn key_reads(query: &str) -> Option<Vec<usize>> {
        let search = compile_str(query, &Macros::new(), &Context::new(0))
            .unwrap_or_else(|d| panic!("{query}: {d:#?}"));
        search.stages.iter().find_map(|s| match &s.stage {
            Stage::Stats { key_filter, .. } => key_filter.as_ref()?.reads.clone(),
            Stage::Tstats(plan) => plan.key_filter.as_ref()?.reads.clone(),
            _ => None,
        })
    }

    #[test]
    fn key_filters_know_the_fields_they_read() {
        assert_eq!(
            key_reads(
                "| stats count by a b c | rename b as x | eval y=upper(x) | search y=B | table a"
            ),
            Some(vec![1])
        );
        assert_eq!(
            key_reads("| stats count by a b c | where like(a, \"x%\") | search c=1"),
            Some(vec![0, 2])
        );
        assert_eq!(
            key_reads(
                "| tstats count from datamodel=Endpoint.Processes by Processes.dest \
                 Processes.process_name Processes.user | rename Processes.* as * \
                 | search process_name=cmd.exe"
            ),
            Some(vec![1])
        );
        assert_eq!(
            key_reads("| stats count by a b c | eval d=c, c=a | search d=1"),
            Some(vec![2])
        );
    }

    /// Join fields with the `by` position each comes from.
    type Origins = Vec<(String, usize)>;

    /// The join origins of the first `tstats` of `query`, and of the first
    /// `tstats` of its first `join`'s subsearch.
    fn origins(query: &str) -> (Origins, Origins) {
        let search = compile_str(query, &Macros::new(), &Context::new(0))
            .unwrap_or_else(|d| panic!("{query}: {d:#?}"));
        let of = |stages: &[super::super::plan::StagePlan]| match stages.first().map(|s| &s.stage) {
            Some(Stage::Tstats(t)) => t.join_origins.clone(),
            _ => Vec::new(),
        };
        let sub = search.stages.iter().find_map(|s| match &s.stage {
            Stage::Join { sub, .. } => Some(of(&sub.stages)),
            _ => None,
        });
        (of(&search.stages), sub.unwrap_or_default())
    }

    #[test]
    fn join_fields_traced_to_by_fields() {
        let tstats = "| tstats count values(Processes.process) as process \
                      from datamodel=Endpoint.Processes by _time span=1h Processes.dest \
                      Processes.process_guid Processes.process";
        let sub = "[| tstats count from datamodel=Endpoint.Processes \
                   by Processes.parent_process_guid | rename Processes.* as * \
                   | rename parent_process_guid as guid | search guid=*]";
        let (main, sub_origins) = origins(&format!(
            "{tstats} | rename Processes.* as * | rename process_guid as guid \
             | where dest!=\"x\" | join _time guid process {sub}"
        ));
        // `_time` is binned; `process`, the aggregate's name, is replaced
        // by the `by` field renamed onto it.
        assert_eq!(main, [("guid".to_owned(), 2), ("process".to_owned(), 3)]);
        assert_eq!(sub_origins, [("guid".to_owned(), 0)]);
        // A field written by `eval`, a stage that is not row-local, a left
        // join (the main search keeps rows without a match).
        // `eval` copying a field every row has.
        let (main, _) = origins(&format!(
            "{tstats} | rename Processes.* as * | eval guid=process_guid, x=1 | join guid {sub}"
        ));
        assert_eq!(main, [("guid".to_owned(), 2)]);
        for query in [
            format!(
                "{tstats} | rename Processes.* as * | eval guid=lower(process_guid) | join guid {sub}"
            ),
            format!("{tstats} | rename Processes.process_guid as guid | head 5 | join guid {sub}"),
            format!("{tstats} | rename Processes.process_guid as guid | join type=left guid {sub}"),
        ] {
            assert_eq!(origins(&query).0, [], "{query}");
        }
        // A subsearch with a `join` of its own.
        let nested = "[| tstats count from datamodel=Endpoint.Processes \
                      by Processes.parent_process_guid | rename Processes.* as * \
                      | join parent_process_guid [search kind=parent]]";
        let (_, sub_origins) = origins(&format!("kind=child | join guid {nested}"));
        assert_eq!(sub_origins, []);
    }

    #[test]
    fn filters_on_aggregates_are_not() {
        for query in [
            "| stats count by host | where count > 1",
            "| stats count by host | eval x=count | search x=1",
            "| stats count by host | rename count as c | search c=1",
            // `x` may not be there to replace `count`.
            "| stats count values(x) as x by host | rename x as count | search count=a",
            // `count` renamed onto `host`, then moved on: which value ends
            // in `h` depends on the order of the row's fields.
            "| stats count by host | rename count as host | search host=a",
            "| stats count by host | rename *t as h* | search hcoun=1",
            "| stats count by host | rename * as x* | search xcount=1",
            // Names that depend on the rows.
            "| stats values(*) as * by host | search host=a",
            // A term reads the raw text, made of every field.
            "| stats count by host | search foo",
            // Without `by`, the one row is not a group.
            "| stats count | search count=0",
            // `fillnull` without fields depends on every row.
            "| stats count by host | fillnull | search host=a",
            "| eventstats count by host | search host=a",
        ] {
            assert_eq!(key_filter_len(query), None, "{query}");
        }
        // Where the names a row may have are not known, a wildcard rename
        // whose taint does not settle gives up even for an untainted field.
        assert_eq!(
            key_filter_len(
                "| stats count by host | spath input=host | rename * as x* | search xhost=a"
            ),
            None
        );
    }
}
