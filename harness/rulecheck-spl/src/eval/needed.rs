//! Which fields of its rows a pipeline can ever read or show: the first
//! stage of a search copies only those of each event it keeps.
//!
//! A search such as `` `sysmon` EventID=7 … | stats count by dest, Image ``
//! keeps many events but reads a few of their fields; copying whole events
//! is most of its cost. Walking the stages backwards from the end (where
//! every field of the result rows is shown), each stage adds the fields it
//! reads and, where it replaces its rows (`stats`, `table`), starts the set
//! anew. A stage whose reads cannot be named (a term over the raw text,
//! which is built from every field; a wildcard) needs every field.

use std::collections::BTreeSet;

use foldhash::HashSet;

use super::fields::{TIME_FIELDS, fill_wildcards, wildcard_captures};
use super::plan::{Stage, StagePlan};
use super::pushdown::{expr_reads, pred_reads};
use super::stats::{self, Agg};
use crate::ast::StatsFlavor;

/// The top-level fields the rows entering `stages` need (for a dotted
/// name, also its first part, which may hold it as a nested object), or
/// `None` for all of them.
pub(crate) fn needed_fields(stages: &[StagePlan]) -> Option<HashSet<String>> {
    let mut needs: Option<BTreeSet<String>> = None;
    for plan in stages.iter().rev() {
        needs = before(&plan.stage, needs);
    }
    let needs = needs?;
    let mut out: HashSet<String> = TIME_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    for name in needs {
        if let Some((head, _)) = name.split_once('.') {
            out.insert(head.to_owned());
        }
        out.insert(name);
    }
    Some(out)
}

/// Which stages of a pipeline are dead: an `eval` or `convert` none of
/// whose outputs a later stage reads or shows (a later `stats`, `table` or
/// `fields` drops them, as `| convert ctime(firstTime) | … | stats … by
/// dest` does). Such a stage changes no result and can be skipped. The
/// first stage, and a stage that writes a time field, is never dead.
pub(crate) fn dead_stages(stages: &[StagePlan]) -> Vec<bool> {
    let mut dead = vec![false; stages.len()];
    let mut needs: Option<BTreeSet<String>> = None;
    for (i, plan) in stages.iter().enumerate().skip(1).rev() {
        if let Some(n) = &needs
            && let Some(outputs) = outputs(&plan.stage)
            && !outputs
                .iter()
                .any(|o| TIME_FIELDS.contains(&o.as_str()) || is_needed(n, o))
        {
            dead[i] = true;
            continue;
        }
        needs = before(&plan.stage, needs);
    }
    dead
}

/// The fields an `eval` or `convert` writes (`None` for any other stage,
/// or a `convert` of a wildcard pattern).
fn outputs(stage: &Stage) -> Option<Vec<String>> {
    match stage {
        Stage::Eval(assignments) => Some(assignments.iter().map(|(f, _)| f.clone()).collect()),
        Stage::Convert { conversions, .. } => conversions
            .iter()
            .map(|c| match &c.alias {
                Some(alias) => Some(alias.clone()),
                None => (!c.field.contains('*')).then(|| c.field.clone()),
            })
            .collect(),
        _ => None,
    }
}

/// Whether `field` or a field it holds or is held in (dotted names) is
/// among `needs`.
fn is_needed(needs: &BTreeSet<String>, field: &str) -> bool {
    needs.iter().any(|n| {
        n == field
            || n.strip_prefix(field)
                .is_some_and(|rest| rest.starts_with('.'))
            || field
                .strip_prefix(n.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// What the rows entering `stage` need, given what its output rows need
/// (`None`: every field).
#[allow(clippy::too_many_lines)]
fn before(stage: &Stage, needs: Option<BTreeSet<String>>) -> Option<BTreeSet<String>> {
    let with = |needs: Option<BTreeSet<String>>, reads: Vec<String>| {
        needs.map(|mut n| {
            n.extend(reads);
            n
        })
    };
    let named = |names: &[String]| {
        (!names.iter().any(|n| n.contains('*'))).then(|| names.iter().cloned().collect())
    };
    match stage {
        Stage::Stats {
            flavor: StatsFlavor::Stats,
            aggs,
            by,
            ..
        } => aggregate_reads(aggs, by).map(|r| r.into_iter().collect()),
        Stage::Stats { aggs, by, .. } => {
            let reads = aggregate_reads(aggs, by)?;
            with(needs, reads)
        }
        Stage::Table(patterns)
        | Stage::Fields {
            keep: true,
            patterns,
        } => named(patterns),
        Stage::Fields { keep: false, .. }
        | Stage::Head(_)
        | Stage::Tail(_)
        | Stage::Fillnull { .. }
        | Stage::Append(_)
        | Stage::Tstats(_)
        | Stage::Inputlookup { .. }
        | Stage::FromDatamodel(_) => needs,
        Stage::Search(pred) => {
            if pred.reads_raw() {
                return None;
            }
            let mut reads = Vec::new();
            pred_reads(pred, &mut reads);
            with(needs, reads)
        }
        Stage::Where(e) => {
            let mut reads = Vec::new();
            expr_reads(e, &mut reads);
            with(needs, reads)
        }
        Stage::Eval(assignments) => {
            let mut needs = needs?;
            for (field, e) in assignments.iter().rev() {
                // The assignment replaces the field (or removes it).
                needs.remove(field);
                let mut reads = Vec::new();
                expr_reads(e, &mut reads);
                needs.extend(reads);
            }
            Some(needs)
        }
        Stage::Rename(pairs) => {
            let mut needs = needs?;
            for (from, to) in pairs.iter().rev() {
                if !from.contains('*') && !to.contains('*') {
                    needs.insert(from.clone());
                    continue;
                }
                if to.matches('*').count() != 1 || from.matches('*').count() != 1 {
                    return None;
                }
                // A needed field may hold the value of the field renamed
                // onto it, which may itself have been renamed onto first:
                // follow the names back to a fixed point.
                let mut settled = false;
                for _ in 0..8 {
                    let sources: Vec<String> = needs
                        .iter()
                        .filter_map(|n| wildcard_captures(to, n))
                        .map(|c| fill_wildcards(from, &c))
                        .filter(|s| !needs.contains(s))
                        .collect();
                    if sources.is_empty() {
                        settled = true;
                        break;
                    }
                    needs.extend(sources);
                }
                if !settled {
                    return None;
                }
            }
            Some(needs)
        }
        Stage::Convert { conversions, .. } => {
            if conversions.iter().any(|c| c.field.contains('*')) {
                return None;
            }
            with(needs, conversions.iter().map(|c| c.field.clone()).collect())
        }
        Stage::Lookup(plan) => with(
            needs,
            plan.inputs
                .iter()
                .chain(&plan.outputs)
                .map(|(_, f)| f.clone())
                .collect(),
        ),
        Stage::Rex { field, .. }
        | Stage::Sed { field, .. }
        | Stage::Regex { field, .. }
        | Stage::Bin { field, .. }
        | Stage::Makemv { field, .. }
        | Stage::Mvexpand { field, .. }
        | Stage::Iplocation { field, .. }
        | Stage::Spath { input: field, .. } => {
            if field == "_raw" {
                return None;
            }
            with(needs, vec![field.clone()])
        }
        Stage::Dedup { fields, sort, .. } => with(
            needs,
            fields
                .iter()
                .cloned()
                .chain(sort.iter().map(|k| k.field.clone()))
                .collect(),
        ),
        Stage::Sort { keys, .. } => with(needs, keys.iter().map(|k| k.field.clone()).collect()),
        Stage::Join { fields, .. } => with(needs, fields.clone()),
    }
}

/// The fields the aggregations and `by` clause read; `None` for a
/// wildcard input.
fn aggregate_reads(aggs: &[Agg], by: &[String]) -> Option<Vec<String>> {
    let mut reads = stats::input_reads(aggs)?;
    reads.extend(by.iter().cloned());
    Some(reads)
}

#[cfg(test)]
mod tests {
    use super::super::{Context, compile_str};
    use crate::Macros;

    /// The fields the first stage of `query` keeps, besides the time
    /// fields, sorted.
    fn kept(query: &str) -> Option<Vec<String>> {
        let search = compile_str(query, &Macros::new(), &Context::new(0))
            .unwrap_or_else(|d| panic!("{query}: {d:#?}"));
        let keep = search.stages.first()?.keep_fields.clone()?;
        let mut names: Vec<String> = keep
            .into_iter()
            .filter(|n| !super::TIME_FIELDS.contains(&n.as_str()))
            .collect();
        names.sort();
        Some(names)
    }

    #[test]
    fn stages_that_replace_rows_name_what_they_read() {
        assert_eq!(kept("x=1 | stats count by host"), Some(vec!["host".into()]));
        assert_eq!(
            kept("x=1 | eval y=a+1 | stats sum(y) as s by h | where s > 1"),
            Some(vec!["a".into(), "h".into()])
        );
        assert_eq!(
            kept("x=1 | eval y=a | table y z"),
            Some(vec!["a".into(), "z".into()])
        );
        assert_eq!(
            kept("x=1 | rename a as b | stats count by b"),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            kept("x=1 | rename * as x* | stats count by xb"),
            Some(vec!["b".into(), "xb".into()])
        );
        assert_eq!(
            kept("x=1 | table a b.c"),
            Some(vec!["a".into(), "b".into(), "b.c".into()]),
            "a dotted name may be a nested object's field"
        );
        assert_eq!(
            kept("x=1 | fillnull | stats count(eval(n>1)) as c by h | sort - c"),
            Some(vec!["h".into(), "n".into()])
        );
    }

    /// The names of the dead stages of `query`.
    fn dead(query: &str) -> Vec<String> {
        let search = compile_str(query, &Macros::new(), &Context::new(0))
            .unwrap_or_else(|d| panic!("{query}: {d:#?}"));
        search
            .stages
            .iter()
            .filter(|s| s.dead)
            .map(|s| s.name.clone())
            .collect()
    }

    #[test]
    fn stages_whose_outputs_are_dropped_are_dead() {
        assert_eq!(
            dead("x=1 | convert ctime(t) | eval n=len(p) | stats max(n) by h"),
            ["convert"],
            "`t` is dropped by `stats`; `n` is read"
        );
        assert_eq!(
            dead("x=1 | eval a=1, b=2 | table b"),
            Vec::<String>::new(),
            "one output is shown"
        );
        assert_eq!(dead("x=1 | eval a=1 | fields - a | table b"), ["eval"]);
        assert_eq!(
            dead("x=1 | convert ctime(t) as u | stats count by t"),
            ["convert"]
        );
        for query in [
            "x=1 | convert ctime(t)",
            "x=1 | eval a=1 | where a > 0 | stats count by h",
            "x=1 | eval _time=0 | stats count by h",
            "x=1 | eval a=1 | table a.b",
            "x=1 | eval a=1 | table *",
            "x=1 | eval a=1 | stats values(*) as * by h",
            "x=1 | eval a=1 | rename a as b | stats count by b",
        ] {
            assert_eq!(dead(query), Vec::<String>::new(), "{query}");
        }
    }

    #[test]
    fn every_field_when_the_reads_are_not_named() {
        for query in [
            "x=1",
            "x=1 | where y > 1",
            "x=1 | table a*",
            "x=1 | search foo | stats count by h",
            "x=1 | regex \"a\" | stats count by h",
            "x=1 | stats values(*) as * by h",
            // `P.P.a` may become `P.a` and then `a`: no bound.
            "x=1 | rename P.* as * | stats count by a",
            "x=1 | rename a*b* as c* | stats count by c",
        ] {
            assert_eq!(kept(query), None, "{query}");
        }
    }
}
