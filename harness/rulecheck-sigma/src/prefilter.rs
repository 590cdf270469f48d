//! A cross-rule literal prefilter. For each rule, compile time finds a set
//! of (field, literal) pairs of which at least one must occur in the event
//! for the rule to match (from its positive `contains`/`startswith`/
//! `endswith`/exact values). At scan time one Aho–Corasick pass per field
//! finds every such literal of every rule at once, and only rules with a
//! literal present (or without a requirement) are evaluated.

use std::collections::{BTreeMap, HashMap};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde_json::Value;

use crate::compile::{CompiledBody, CompiledRule, Cond, FieldTest};
use crate::event::Resolved;
use crate::matcher::StrMatcher;
use crate::value::{ValueTest, with_text};

/// Alternatives: the rule can only match if one of these (local field,
/// literal) pairs occurs.
type Alts = Vec<(u32, String)>;

fn literal_of(v: &ValueTest) -> Option<Vec<String>> {
    match v {
        ValueTest::Str(
            StrMatcher::Exact(n)
            | StrMatcher::Prefix(n)
            | StrMatcher::Suffix(n)
            | StrMatcher::Contains(n, _),
        ) if !n.text.is_empty() => Some(vec![n.text.clone()]),
        ValueTest::Str(StrMatcher::Glob(_, lits))
            if !lits.is_empty() && lits.iter().all(|l| !l.is_empty()) =>
        {
            Some(lits.clone())
        }
        ValueTest::AnyOf(tests) => tests
            .iter()
            .map(literal_of)
            .collect::<Option<Vec<_>>>()
            .map(|v| v.concat()),
        ValueTest::Str(StrMatcher::ContainsAny(texts, _))
            if texts.iter().all(|t| !t.is_empty()) =>
        {
            Some(texts.clone())
        }
        _ => None,
    }
}

/// Better requirements have fewer alternatives, then longer literals.
fn score(a: &Alts) -> (usize, usize) {
    let shortest = a.iter().map(|(_, l)| l.len()).min().unwrap_or(0);
    (a.len(), usize::MAX - shortest)
}

fn best(options: impl Iterator<Item = Alts>) -> Option<Alts> {
    options.min_by_key(score)
}

fn test_req(t: &FieldTest) -> Option<Alts> {
    if t.negate || t.values.is_empty() {
        return None;
    }
    let per_value: Vec<Option<Vec<String>>> = t.values.iter().map(literal_of).collect();
    let lits = if t.all {
        per_value.into_iter().flatten().min_by_key(|l| {
            (
                l.len(),
                usize::MAX - l.iter().map(String::len).min().unwrap_or(0),
            )
        })?
    } else {
        per_value.into_iter().collect::<Option<Vec<_>>>()?.concat()
    };
    Some(lits.into_iter().map(|l| (t.field, l)).collect())
}

fn selection_req(rule: &CompiledRule, i: u32) -> Option<Alts> {
    match &rule.selections.get(i as usize)?.body {
        CompiledBody::Keywords(_) => None,
        CompiledBody::Groups(groups) => {
            let mut all = Vec::new();
            for g in groups {
                all.extend(best(g.tests.iter().filter_map(test_req))?);
            }
            (!all.is_empty()).then_some(all)
        }
    }
}

fn cond_req(rule: &CompiledRule, c: &Cond) -> Option<Alts> {
    match c {
        Cond::Sel(i) => selection_req(rule, *i),
        Cond::Not(_) => None,
        Cond::And(items) => best(items.iter().filter_map(|i| cond_req(rule, i))),
        Cond::AllOf(sels) => best(sels.iter().filter_map(|s| selection_req(rule, *s))),
        Cond::Or(items) => {
            let mut all = Vec::new();
            for i in items {
                all.extend(cond_req(rule, i)?);
            }
            (!all.is_empty()).then_some(all)
        }
        Cond::AtLeast(_, sels) => {
            let mut all = Vec::new();
            for s in sels {
                all.extend(selection_req(rule, *s)?);
            }
            (!all.is_empty()).then_some(all)
        }
    }
}

/// The rule's requirement over local field ids, including the fields its
/// logsource sources read instead (renamed fields).
pub(crate) fn requirement(rule: &CompiledRule) -> Option<Alts> {
    let alts = cond_req(rule, &rule.condition)?;
    let mut out = alts.clone();
    for s in &rule.sources {
        for (f, lit) in &alts {
            if let Some(&a) = s.alias.get(*f as usize)
                && a != *f
            {
                out.push((a, lit.clone()));
            }
        }
    }
    Some(out)
}

/// Collects literals of many rules, then builds one automaton per field.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    ids: HashMap<(u32, String), u32>,
    by_field: BTreeMap<u32, Vec<(String, u32)>>,
}

impl Builder {
    /// The literal id of `lit` in global field `field`.
    pub(crate) fn add(&mut self, field: u32, lit: &str) -> u32 {
        let key = (field, lit.to_ascii_lowercase());
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.by_field
            .entry(field)
            .or_default()
            .push((key.1.clone(), id));
        self.ids.insert(key, id);
        id
    }

    pub(crate) fn build(self) -> Prefilter {
        let fields = self
            .by_field
            .into_iter()
            .filter_map(|(field, lits)| {
                let ac = AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(lits.iter().map(|(l, _)| l))
                    .ok()?;
                Some(FieldScan {
                    field,
                    ac,
                    ids: lits.into_iter().map(|(_, id)| id).collect(),
                })
            })
            .collect();
        Prefilter {
            fields,
            words: self.ids.len().div_ceil(64),
        }
    }
}

#[derive(Debug, Clone)]
struct FieldScan {
    field: u32,
    ac: AhoCorasick,
    ids: Vec<u32>,
}

/// The built prefilter of a rule set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prefilter {
    fields: Vec<FieldScan>,
    words: usize,
}

impl Prefilter {
    /// Mark in `found` every literal present in the event, and list each
    /// once in `ids`.
    pub(crate) fn scan(&self, resolved: &Resolved<'_>, found: &mut Vec<u64>, ids: &mut Vec<u32>) {
        found.clear();
        found.resize(self.words, 0);
        ids.clear();
        for f in &self.fields {
            let Some(v) = resolved.get(f.field) else {
                continue;
            };
            let mut mark = |s: &str| {
                for m in f.ac.find_overlapping_iter(s) {
                    let id = f.ids[m.pattern().as_usize()];
                    let (word, bit) = (id as usize / 64, 1 << (id % 64));
                    if found[word] & bit == 0 {
                        found[word] |= bit;
                        ids.push(id);
                    }
                }
            };
            match v {
                Value::Array(items) => {
                    for i in items {
                        with_text(i, &mut mark);
                    }
                }
                other => {
                    with_text(other, &mut mark);
                }
            }
        }
    }

    /// How many distinct literals there are.
    pub(crate) fn len(&self) -> usize {
        self.words * 64
    }
}
