//! A cross-rule literal prefilter. For each rule, compile time finds a set
//! of (field, literal) pairs of which at least one must occur in the event
//! for the rule to match (from its positive `contains`/`startswith`/
//! `endswith`/exact values, and the literals every match of a `re` value
//! contains). At scan time one Aho–Corasick pass per field
//! finds every such literal of every rule at once, and only rules with a
//! literal present (or without a requirement) are evaluated.

use std::collections::{BTreeMap, HashMap};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use serde_json::Value;

use crate::compile::{CompiledBody, CompiledRule, Cond, FieldTest};
use crate::event::Resolved;
use crate::matcher::{Re, StrMatcher};
use crate::reliteral;
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
        ValueTest::Regex(Re::Std(re)) | ValueTest::Str(StrMatcher::Regex(Re::Std(re))) => {
            reliteral::required(re.as_str())
        }
        _ => None,
    }
}

/// A value of which a requirement lists alternatives.
trait Key: Clone {
    /// How likely an event is to hold the key, in units of 2^-20 (see
    /// [`literal_cost`]); requirements with a lower total are preferred.
    fn cost(&self) -> u64;
}

impl Key for String {
    fn cost(&self) -> u64 {
        literal_cost(self)
    }
}

impl Key for i64 {
    fn cost(&self) -> u64 {
        1 << 10
    }
}

/// Path pieces and extensions that occur in most Windows events, and so
/// select almost nothing.
const COMMON_LITERALS: &[&str] = &[
    ".exe",
    ".dll",
    "c:\\",
    "\\windows\\",
    "c:\\windows\\",
    "\\system32\\",
    "\\windows\\system32\\",
    "c:\\windows\\system32\\",
    "\\syswow64\\",
    "c:\\users\\",
    "\\users\\",
    "\\appdata\\",
    "\\program files",
    "c:\\program files",
    "c:\\program files\\",
    "c:\\program files (x86)\\",
    "\\microsoft\\",
    "\\software\\",
    "hklm\\software\\",
    "\\software\\microsoft\\",
    "\\software\\microsoft\\windows\\currentversion\\",
    "\\currentversion\\",
    "true",
    "false",
];

/// The estimated chance (in units of 2^-20) that a field holds `lit`:
/// halved by every byte of length, and certain for the literals in
/// [`COMMON_LITERALS`].
pub(crate) fn literal_cost(lit: &str) -> u64 {
    if COMMON_LITERALS.iter().any(|c| c.eq_ignore_ascii_case(lit)) {
        return 1 << 20;
    }
    1 << (20 - lit.len().min(20))
}

/// Better requirements have a lower total cost, then fewer alternatives.
fn score<K: Key>(a: &[(u32, K)]) -> (u64, usize) {
    let total = a
        .iter()
        .map(|(_, k)| k.cost())
        .fold(0u64, u64::saturating_add);
    (total, a.len())
}

fn best<K: Key>(options: impl Iterator<Item = Vec<(u32, K)>>) -> Option<Vec<(u32, K)>> {
    options.min_by_key(|a| score(a))
}

fn test_req(t: &FieldTest) -> Option<Alts> {
    if t.negate || t.values.is_empty() {
        return None;
    }
    let per_value: Vec<Option<Vec<String>>> = t.values.iter().map(literal_of).collect();
    let lits = if t.all {
        per_value.into_iter().flatten().min_by_key(|l| {
            (
                l.iter()
                    .map(|s| literal_cost(s))
                    .fold(0u64, u64::saturating_add),
                l.len(),
            )
        })?
    } else {
        per_value.into_iter().collect::<Option<Vec<_>>>()?.concat()
    };
    Some(lits.into_iter().map(|l| (t.field, l)).collect())
}

/// Which alternatives one field test requires.
type TestReq<'r, K> = &'r dyn Fn(&FieldTest) -> Option<Vec<(u32, K)>>;

fn selection_req<K: Key>(rule: &CompiledRule, i: u32, f: TestReq<'_, K>) -> Option<Vec<(u32, K)>> {
    match &rule.selections.get(i as usize)?.body {
        CompiledBody::Keywords(_) => None,
        CompiledBody::Groups(groups) => {
            let mut all = Vec::new();
            for g in groups {
                all.extend(best(g.tests.iter().filter_map(f))?);
            }
            (!all.is_empty()).then_some(all)
        }
    }
}

fn cond_req<K: Key>(rule: &CompiledRule, c: &Cond, f: TestReq<'_, K>) -> Option<Vec<(u32, K)>> {
    match c {
        Cond::Sel(i) => selection_req(rule, *i, f),
        Cond::Not(_) => None,
        Cond::And(items) => best(items.iter().filter_map(|i| cond_req(rule, i, f))),
        Cond::AllOf(sels) => best(sels.iter().filter_map(|s| selection_req(rule, *s, f))),
        Cond::Or(items) => {
            let mut all = Vec::new();
            for i in items {
                all.extend(cond_req(rule, i, f)?);
            }
            (!all.is_empty()).then_some(all)
        }
        Cond::AtLeast(_, sels) => {
            let mut all = Vec::new();
            for s in sels {
                all.extend(selection_req(rule, *s, f)?);
            }
            (!all.is_empty()).then_some(all)
        }
    }
}

/// The rule's requirement over local field ids, including the fields its
/// logsource sources read instead (renamed fields).
pub(crate) fn requirement(rule: &CompiledRule) -> Option<Alts> {
    let alts = cond_req(rule, &rule.condition, &test_req)?;
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

/// The name of the field that holds Windows event ids.
pub(crate) const EVENT_ID: &str = "EventID";

/// The `EventID`s of which the rule's detection requires one (from
/// positive `EventID: N` items on every path to a match), when the rule
/// reads `EventID` under that name in every source.
pub(crate) fn detection_event_ids(rule: &CompiledRule) -> Option<Vec<i64>> {
    let field = rule.fields.iter().position(|f| f == EVENT_ID)? as u32;
    let renamed = rule
        .sources
        .iter()
        .any(|s| s.alias.get(field as usize).is_some_and(|&a| a != field));
    if renamed {
        return None;
    }
    let ids = |t: &FieldTest| -> Option<Vec<(u32, i64)>> {
        if t.field != field || t.negate || t.all || t.values.is_empty() {
            return None;
        }
        t.values
            .iter()
            .map(|v| match v {
                ValueTest::Num { value, .. } => integral(*value).map(|id| (field, id)),
                _ => None,
            })
            .collect()
    };
    let mut out: Vec<i64> = cond_req(rule, &rule.condition, &ids)?
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// `x` as an integer when it is one (within 1e-9, a superset of the
/// equality numbers are compared with).
#[allow(
    clippy::cast_possible_truncation,
    reason = "the range is checked before the cast"
)]
pub(crate) fn integral(x: f64) -> Option<i64> {
    let r = x.round();
    ((x - r).abs() < 1e-9 && r.abs() < 9.0e15).then_some(r as i64)
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
        let mut fields = Vec::new();
        let mut unsearchable = Vec::new();
        for (field, lits) in self.by_field {
            let builder = |kind| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(kind)
                    .build(lits.iter().map(|(l, _)| l))
            };
            // A DFA searches fastest; a field with too many literals for
            // one gets the automaton the builder picks.
            match builder(Some(AhoCorasickKind::DFA)).or_else(|_| builder(None)) {
                Ok(ac) => fields.push(FieldScan {
                    field,
                    ac,
                    ids: lits.into_iter().map(|(_, id)| id).collect(),
                }),
                // No automaton at all: the literals count as always present.
                Err(_) => unsearchable.extend(lits.into_iter().map(|(_, id)| id)),
            }
        }
        Prefilter {
            fields,
            words: self.ids.len().div_ceil(64),
            unsearchable,
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
    /// Literals no automaton could be built for, reported on every event.
    unsearchable: Vec<u32>,
}

impl Prefilter {
    /// Mark in `found` every literal present in the event, and list each
    /// once in `ids`.
    pub(crate) fn scan(&self, resolved: &Resolved<'_>, found: &mut Vec<u64>, ids: &mut Vec<u32>) {
        found.clear();
        found.resize(self.words, 0);
        ids.clear();
        for &id in &self.unsearchable {
            found[id as usize / 64] |= 1 << (id % 64);
            ids.push(id);
        }
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
