//! Prefilters: necessary conditions of a search expression that a batch
//! answers from indexes, so that the expression is evaluated only on the
//! rows that can match.
//!
//! A condition is a set of (field, need) pairs of which every row the
//! expression accepts meets at least one: the field's value lowercases to
//! one of some texts ([`Need::Equals`], from `field=value` and `IN`), or
//! contains one of some literals, ASCII case aside ([`Need::Contains`], the
//! longest text between the `*`s of each wildcard pattern), or has no value
//! ([`Need::Missing`], for a field such as `index` that a search term on it
//! lets through when an event lacks it). An expression
//! may have several conditions (one per part of an `AND`); a batch computes
//! the rows of each and keeps the fewest.

use std::rc::Rc;

use memchr::memmem;
use serde_json::Value as Json;

use super::datamodel::RowIndex;
use super::fields::any_text;
use super::pattern::Glob;
use super::predicate::Pred;

/// The field name under which a condition is on the raw text (as
/// [`super::fields::raw`] gives it, built from the fields when `_raw` is absent).
pub(crate) const RAW: &str = "_raw";

/// What a field's value must be like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Need {
    /// Lowercase to one of these texts.
    Equals(Vec<String>),
    /// Contain one of these ASCII-lowercase literals (ASCII case
    /// ignored).
    Contains(Vec<String>),
    /// Have no value (missing or null).
    Missing,
}

/// Rows meeting any of the pairs.
pub(crate) type Condition = Vec<(String, Need)>;

/// Necessary conditions of an expression, the cheapest to answer first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prefilter {
    pub(crate) conditions: Vec<Condition>,
}

impl Prefilter {
    /// The prefilter of `pred`, or `None` when no necessary condition is
    /// known (`NOT`, terms over the raw text, `*` alone, an `OR` with an
    /// unconstrained branch).
    pub(crate) fn of(pred: &Pred) -> Option<Prefilter> {
        let mut conditions = conditions(pred);
        if conditions.is_empty() {
            return None;
        }
        conditions.sort_by_key(|c| std::cmp::Reverse(rank(c)));
        Some(Prefilter { conditions })
    }
}

/// How good a condition is expected to be: exact values before literals,
/// fewer values first, longer literals first.
fn rank(condition: &Condition) -> (bool, isize) {
    let exact = condition
        .iter()
        .all(|(_, need)| matches!(need, Need::Equals(_) | Need::Missing));
    let score = condition
        .iter()
        .map(|(_, need)| match need {
            Need::Equals(values) => -isize::try_from(values.len()).unwrap_or(isize::MAX),
            Need::Missing => -1,
            Need::Contains(literals) => literals
                .iter()
                .map(|l| isize::try_from(l.len()).unwrap_or(isize::MAX))
                .min()
                .unwrap_or(0),
        })
        .min()
        .unwrap_or(0);
    (exact, score)
}

/// The need a glob puts on a value it matches.
fn glob_need(glob: &Glob) -> Option<Need> {
    if let Some(value) = glob.exact_lower() {
        return Some(Need::Equals(vec![value]));
    }
    literal_need(glob).map(|l| Need::Contains(vec![l]))
}

/// The ASCII-lowercase literal every value the glob matches contains.
fn literal_need(glob: &Glob) -> Option<String> {
    glob.longest_literal()
        .filter(|l| l.is_ascii() && !l.contains('\0'))
        .map(str::to_ascii_lowercase)
}

fn conditions(pred: &Pred) -> Vec<Condition> {
    match pred {
        Pred::Match {
            field,
            negated: false,
            glob,
            ..
        } => glob_need(glob)
            .map(|need| vec![vec![(field.clone(), need)]])
            .unwrap_or_default(),
        Pred::In { field, globs, .. } => {
            if let Some(values) = globs.iter().map(Glob::exact_lower).collect::<Option<_>>() {
                return vec![vec![(field.clone(), Need::Equals(values))]];
            }
            globs
                .iter()
                .map(literal_need)
                .collect::<Option<Vec<_>>>()
                .map(|literals| vec![vec![(field.clone(), Need::Contains(literals))]])
                .unwrap_or_default()
        }
        Pred::Term { matcher, .. } => matcher
            .literal()
            .map(|l| vec![vec![(RAW.to_owned(), Need::Contains(vec![l.to_owned()]))]])
            .unwrap_or_default(),
        Pred::And(parts) => parts.iter().flat_map(conditions).collect(),
        // The field is missing, or the comparison holds.
        Pred::Implied { field, inner } => match conditions(inner).into_iter().max_by_key(rank) {
            Some(mut best) => {
                merge(&mut best, field.clone(), Need::Missing);
                vec![best]
            }
            None => Vec::new(),
        },
        Pred::Or(parts) if !parts.is_empty() => {
            let mut out: Condition = Vec::new();
            for part in parts {
                let Some(best) = conditions(part).into_iter().max_by_key(rank) else {
                    return Vec::new();
                };
                for (field, need) in best {
                    merge(&mut out, field, need);
                }
            }
            for (_, need) in &mut out {
                if let Need::Equals(v) | Need::Contains(v) = need {
                    v.sort();
                    v.dedup();
                }
            }
            vec![out]
        }
        _ => Vec::new(),
    }
}

fn merge(out: &mut Condition, field: String, need: Need) {
    for (f, existing) in out.iter_mut() {
        if *f != field {
            continue;
        }
        match (existing, &need) {
            (Need::Equals(a), Need::Equals(b)) | (Need::Contains(a), Need::Contains(b)) => {
                a.extend(b.iter().cloned());
                return;
            }
            (Need::Missing, Need::Missing) => return,
            _ => {}
        }
    }
    out.push((field, need));
}

/// Whether remembering a batch's values by their text still pays: after
/// `trial` distinct values, values that repeated fewer times than that stop
/// being remembered (hashing them costs more than it saves). Used by text
/// columns, value indexes and remembered comparisons.
#[derive(Debug)]
pub(crate) struct RepeatTrial {
    trial: usize,
    repeats: usize,
    on: bool,
}

impl RepeatTrial {
    /// A trial over the first `trial` distinct values.
    pub(crate) fn new(trial: usize) -> RepeatTrial {
        RepeatTrial {
            trial,
            repeats: 0,
            on: true,
        }
    }

    /// Whether values are still remembered.
    pub(crate) fn on(&self) -> bool {
        self.on
    }

    /// Note a value found among those remembered.
    pub(crate) fn repeat(&mut self) {
        self.repeats += 1;
    }

    /// Stop remembering values.
    pub(crate) fn stop(&mut self) {
        self.on = false;
    }

    /// Note that `distinct` values are remembered now; the trial ends at
    /// `trial` of them.
    pub(crate) fn remembered(&mut self, distinct: usize) {
        if distinct == self.trial && self.repeats < self.trial {
            self.on = false;
        }
    }
}

/// The trial of the dictionaries of text columns and value indexes.
pub(crate) const DICTIONARY_TRIAL: usize = 512;

/// The text of one field over the rows of a batch, for finding the rows
/// whose value contains a literal, dictionary-encoded: each distinct
/// value text once, ASCII-lowercased and separated by NUL, and per row
/// the texts it has. A literal is searched for in the distinct texts only
/// (values repeat a lot: paths, process names, registry keys), then mapped
/// to the rows that hold a matching text.
#[derive(Debug, Default)]
pub(crate) struct TextColumn {
    text: Vec<u8>,
    /// Start offset in `text` of each distinct text, ascending.
    starts: Vec<usize>,
    /// The row of each (row, text) pair, ascending.
    rows: Vec<usize>,
    /// The distinct text of each (row, text) pair (its place in
    /// `starts`).
    entries: Vec<u32>,
    /// Rows with a non-ASCII text, whose Unicode case folding the column
    /// does not model: always candidates.
    unicode_rows: Vec<usize>,
}

impl TextColumn {
    /// The column of each row's value (`None` for a row without one).
    pub(crate) fn of_values<'r>(values: impl Iterator<Item = Option<&'r Json>>) -> Self {
        Self::of_shared_values(values.map(|v| (v, None)), 0)
    }

    /// [`TextColumn::of_values`] of values some of which are shared: rows
    /// whose share (a number below `shares`) is the same have the same
    /// value, whose text is looked up once.
    pub(crate) fn of_shared_values<'r>(
        values: impl Iterator<Item = (Option<&'r Json>, Option<usize>)>,
        shares: usize,
    ) -> Self {
        let mut column = TextColumn::default();
        // The entry of each string seen, by its text as the event has it
        // (texts differing in case get separate entries).
        let mut known: foldhash::HashMap<&'r str, u32> = foldhash::HashMap::default();
        let mut trial = RepeatTrial::new(DICTIONARY_TRIAL);
        let mut add = |column: &mut TextColumn, id: usize, json: &'r Json| match json {
            Json::String(text) if trial.on() => match known.get(text.as_str()) {
                Some(&entry) => {
                    trial.repeat();
                    column.add_pair(id, entry);
                }
                None => {
                    if let Some(entry) = column.push(id, text) {
                        known.insert(text, entry);
                        trial.remembered(known.len());
                    }
                }
            },
            other => {
                any_text(other, &mut |s| {
                    column.push(id, s);
                    false
                });
            }
        };
        // The entry of each share whose value is one ASCII string.
        let mut entries: Vec<Option<u32>> = vec![None; shares];
        for (id, (json, share)) in values.enumerate() {
            if let Some(&Some(entry)) = share.and_then(|s| entries.get(s)) {
                column.add_pair(id, entry);
                continue;
            }
            match json {
                None => {}
                Some(Json::Array(items)) => {
                    for item in items {
                        add(&mut column, id, item);
                    }
                }
                Some(json) => {
                    let pairs = column.entries.len();
                    add(&mut column, id, json);
                    if let (Json::String(_), Some(slot)) =
                        (json, share.and_then(|s| entries.get_mut(s)))
                        && column.entries.len() == pairs + 1
                    {
                        *slot = column.entries.last().copied();
                    }
                }
            }
        }
        column
    }

    /// The column of one text per row.
    #[cfg(test)]
    pub(crate) fn from_texts<'t>(texts: impl Iterator<Item = (usize, &'t str)>) -> Self {
        let mut column = TextColumn::default();
        for (id, text) in texts {
            column.push(id, text);
        }
        column
    }

    /// Add `text` as a new distinct text of row `id` (rows in ascending
    /// order); its entry, `None` for a non-ASCII text.
    pub(crate) fn push(&mut self, id: usize, text: &str) -> Option<u32> {
        if text.is_ascii() {
            let entry = u32::try_from(self.starts.len()).ok()?;
            self.starts.push(self.text.len());
            let start = self.text.len();
            self.text.extend_from_slice(text.as_bytes());
            self.text[start..].make_ascii_lowercase();
            self.text.push(0);
            self.add_pair(id, entry);
            Some(entry)
        } else {
            if self.unicode_rows.last() != Some(&id) {
                self.unicode_rows.push(id);
            }
            None
        }
    }

    /// Record that row `id` has the distinct text `entry`.
    fn add_pair(&mut self, id: usize, entry: u32) {
        self.rows.push(id);
        self.entries.push(entry);
    }

    /// The rows [`TextColumn::rows_containing`] gives, in order.
    #[cfg(test)]
    pub(crate) fn rows_with(&self, literal: &str) -> Vec<usize> {
        let mut out = Vec::new();
        self.rows_containing(literal, &mut out);
        out
    }

    /// Add to `out` the rows with a text containing `literal` (ASCII
    /// lowercase), and the rows with non-ASCII texts.
    fn rows_containing(&self, literal: &str, out: &mut Vec<usize>) {
        out.extend_from_slice(&self.unicode_rows);
        let mut hits = Vec::new();
        for at in memmem::find_iter(&self.text, literal.as_bytes()) {
            let entry = self.starts.partition_point(|&s| s <= at) - 1;
            if hits.last() != Some(&entry) {
                hits.push(entry);
            }
        }
        if hits.is_empty() {
            return;
        }
        if self.entries.len() == self.starts.len() {
            // No text repeats: each entry is one pair, in row order.
            let mut last_row = usize::MAX;
            for entry in hits {
                let row = self.rows[entry];
                if row != last_row {
                    out.push(row);
                    last_row = row;
                }
            }
            return;
        }
        let mut hit = vec![false; self.starts.len()];
        for entry in hits {
            hit[entry] = true;
        }
        let mut last_row = usize::MAX;
        for (&row, &entry) in self.rows.iter().zip(&self.entries) {
            if hit[entry as usize] && row != last_row {
                out.push(row);
                last_row = row;
            }
        }
    }
}

/// The ids of the rows that meet the most selective condition of
/// `prefilter`, ascending, from the value index and text column of each
/// field.
pub(crate) fn candidates(
    prefilter: &Prefilter,
    index: impl Fn(&str) -> Rc<RowIndex>,
    texts: impl Fn(&str) -> Rc<TextColumn>,
) -> Vec<usize> {
    let mut best: Option<Vec<usize>> = None;
    for condition in &prefilter.conditions {
        let mut ids = Vec::new();
        for (field, need) in condition {
            match need {
                Need::Equals(values) => {
                    let index = index(field);
                    ids.extend(values.iter().filter_map(|v| index.get(v)).flatten());
                }
                Need::Contains(literals) => {
                    let column = texts(field);
                    for literal in literals {
                        column.rows_containing(literal, &mut ids);
                    }
                }
                Need::Missing => ids.extend_from_slice(index(field).missing()),
            }
        }
        // One index entry or text gives its rows ascending already.
        if !ids.is_sorted_by(|a, b| a < b) {
            sort_dedup(&mut ids);
        }
        if best.as_ref().is_none_or(|b| ids.len() < b.len()) {
            best = Some(ids);
        }
        // Few enough: checking the rest would cost more than it saves.
        if best.as_ref().is_some_and(|b| b.len() <= 16) {
            break;
        }
    }
    best.unwrap_or_default()
}

/// Sort `ids` and drop repeats: through a bitset of the rows when there
/// are many ids for the span of rows, else by sorting.
fn sort_dedup(ids: &mut Vec<usize>) {
    let max = ids.iter().copied().max().unwrap_or(0);
    if ids.len() < 32 || max / 64 > ids.len() {
        ids.sort_unstable();
        ids.dedup();
        return;
    }
    let mut bits = vec![0_u64; max / 64 + 1];
    for &id in ids.iter() {
        bits[id / 64] |= 1 << (id % 64);
    }
    ids.clear();
    for (at, &word) in bits.iter().enumerate() {
        let mut word = word;
        while word != 0 {
            ids.push(at * 64 + word.trailing_zeros() as usize);
            word &= word - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::fields;
    use crate::eval::predicate::tests::compiled;
    use crate::eval::value::Event;

    fn prefilter(text: &str) -> Option<Prefilter> {
        Prefilter::of(&compiled(text))
    }

    #[test]
    fn ids_are_sorted_and_deduplicated_either_way() {
        let mut few = vec![5, 1, 5, 3];
        sort_dedup(&mut few);
        assert_eq!(few, [1, 3, 5]);
        let mut many: Vec<usize> = (0..200).rev().map(|i| (i * 7) % 150).collect();
        let mut want = many.clone();
        want.sort_unstable();
        want.dedup();
        sort_dedup(&mut many);
        assert_eq!(many, want);
    }

    fn equals(field: &str, values: &[&str]) -> Condition {
        vec![(
            field.to_owned(),
            Need::Equals(values.iter().map(|v| (*v).to_owned()).collect()),
        )]
    }

    fn contains(field: &str, literals: &[&str]) -> Condition {
        vec![(
            field.to_owned(),
            Need::Contains(literals.iter().map(|v| (*v).to_owned()).collect()),
        )]
    }

    #[allow(clippy::unnecessary_wraps)]
    fn of(conditions: Vec<Condition>) -> Option<Prefilter> {
        Some(Prefilter { conditions })
    }

    #[test]
    fn equalities_are_lowercased_values() {
        assert_eq!(
            prefilter("Processes.process_name=MofComp.exe"),
            of(vec![equals("Processes.process_name", &["mofcomp.exe"])])
        );
        assert_eq!(
            prefilter("x=CASE(ABC)"),
            of(vec![equals("x", &["abc"])]),
            "a case-sensitive value still lowercases to the key"
        );
        assert_eq!(prefilter("x IN (A, b)"), of(vec![equals("x", &["a", "b"])]));
        assert_eq!(
            prefilter("x=a OR x=B OR x=a"),
            of(vec![equals("x", &["a", "b"])])
        );
    }

    #[test]
    fn wildcards_give_literals() {
        assert_eq!(
            prefilter("x=\"*Whoami*\""),
            of(vec![contains("x", &["whoami"])])
        );
        assert_eq!(
            prefilter("x IN (\"*\\\\Temp\\\\*\", \"C:\\\\x*\", cmd.exe)"),
            of(vec![contains("x", &["\\temp\\", "c:\\x", "cmd.exe"])])
        );
        assert_eq!(
            prefilter("x=\"*a*bcd*\" OR y=e"),
            of(vec![vec![
                ("x".to_owned(), Need::Contains(vec!["bcd".to_owned()])),
                ("y".to_owned(), Need::Equals(vec!["e".to_owned()])),
            ]])
        );
    }

    #[test]
    fn terms_give_literals_of_the_raw_text() {
        assert_eq!(
            prefilter("TERM(sudoedit) \"Segfault at\""),
            of(vec![
                contains(RAW, &["segfault at"]),
                contains(RAW, &["sudoedit"]),
            ])
        );
        assert_eq!(
            prefilter("x=a OR foo*bar"),
            of(vec![vec![
                ("x".to_owned(), Need::Equals(vec!["a".to_owned()])),
                (RAW.to_owned(), Need::Contains(vec!["bar".to_owned()])),
            ]])
        );
    }

    #[test]
    fn a_conjunction_gives_each_part_best_first() {
        assert_eq!(
            prefilter("x=\"*long literal*\" y IN (c, d) z=\"*ab*\""),
            of(vec![
                equals("y", &["c", "d"]),
                contains("x", &["long literal"]),
                contains("z", &["ab"]),
            ])
        );
    }

    #[test]
    fn no_prefilter_when_not_certain() {
        for text in [
            "x=*",
            "x IN (a, *)",
            "x!=a",
            "NOT x=a",
            "x=a OR \"*\"",
            "x>1",
            "*",
            "x=\"*É*\"",
            "É",
        ] {
            assert_eq!(prefilter(text), None, "{text}");
        }
    }

    #[test]
    fn an_implied_field_needs_its_value_or_none() {
        assert_eq!(
            prefilter("index=Main"),
            of(vec![vec![
                ("index".to_owned(), Need::Equals(vec!["main".to_owned()])),
                ("index".to_owned(), Need::Missing),
            ]]),
            "an implied field matches events without it"
        );
        assert_eq!(
            prefilter("index=unix \"sudoedit -s\""),
            of(vec![
                vec![
                    ("index".to_owned(), Need::Equals(vec!["unix".to_owned()])),
                    ("index".to_owned(), Need::Missing),
                ],
                contains(RAW, &["sudoedit -s"]),
            ]),
            "the index is answered first"
        );
        assert_eq!(prefilter("index=*"), None);
        assert_eq!(prefilter("index!=main"), None);
    }

    #[test]
    fn missing_values_are_candidates_of_an_implied_field() {
        let rows: Vec<Event> = [
            serde_json::json!({"index": "unix", "m": "sudoedit -s x"}),
            serde_json::json!({"index": "windows", "m": "sudoedit -s x"}),
            serde_json::json!({"m": "sudoedit -s x"}),
            serde_json::json!({"index": null, "m": "other"}),
            serde_json::json!({"index": [], "m": "sudoedit -s x"}),
        ]
        .iter()
        .map(|v| crate::event_from_object(v.as_object().unwrap().clone()))
        .collect();
        let batch = crate::eval::datamodel::Batch::new(&rows);
        let pred = compiled("index=unix \"sudoedit -s\"");
        let found = candidates(
            &Prefilter::of(&pred).unwrap(),
            |field| batch.event_index(field),
            |field| batch.event_text_column(field),
        );
        assert_eq!(found, [0, 2, 3]);
        let matching: Vec<usize> = (0..rows.len())
            .filter(|&id| pred.eval(&rows[id], &mut None))
            .collect();
        assert!(
            matching.iter().all(|id| found.contains(id)),
            "{matching:?} not all in {found:?}"
        );
        assert_eq!(matching, [0, 2]);
    }

    #[test]
    fn a_repeat_trial_stops_when_values_seldom_repeat() {
        let mut seldom = RepeatTrial::new(4);
        seldom.repeat();
        for distinct in 1..=4 {
            assert!(seldom.on());
            seldom.remembered(distinct);
        }
        assert!(!seldom.on(), "1 repeat in 4 distinct values");
        let mut often = RepeatTrial::new(4);
        for distinct in 1..=8 {
            often.repeat();
            often.remembered(distinct);
        }
        assert!(often.on(), "as many repeats as distinct values");
        often.stop();
        assert!(!often.on());
    }

    #[test]
    fn text_columns_find_rows_by_literal() {
        let rows: Vec<Event> = [
            serde_json::json!({"p": "C:\\Windows\\WHOAMI.exe"}),
            serde_json::json!({"q": "whoami"}),
            serde_json::json!({"p": ["x", "who", "am-whoami"]}),
            serde_json::json!({"p": "\u{212A}elvin whoami"}),
            serde_json::json!({"p": 12345}),
        ]
        .iter()
        .map(|v| crate::event_from_object(v.as_object().unwrap().clone()))
        .collect();
        let column = TextColumn::of_values(rows.iter().map(|r| fields::get(r, "p")));
        let mut out = Vec::new();
        column.rows_containing("whoami", &mut out);
        out.sort_unstable();
        assert_eq!(out, [0, 2, 3], "non-ASCII rows are always candidates");
        let mut out = Vec::new();
        column.rows_containing("234", &mut out);
        assert_eq!(out, [3, 4]);
        let mut out = Vec::new();
        column.rows_containing("xwho", &mut out);
        assert_eq!(out, [3], "a literal never spans two values");
        // Repeated texts are kept once and found in every row holding them.
        let repeated: Vec<Json> = [
            "C:\\A\\who.exe",
            "b",
            "c:\\a\\WHO.exe",
            "C:\\A\\who.exe",
            "b",
        ]
        .iter()
        .map(|t| Json::String((*t).to_owned()))
        .chain([serde_json::json!(["b", "C:\\A\\who.exe"])])
        .collect();
        let column = TextColumn::of_values(repeated.iter().map(Some));
        assert_eq!(column.starts.len(), 3, "one entry per distinct text");
        let mut out = Vec::new();
        column.rows_containing("\\who.", &mut out);
        assert_eq!(out, [0, 2, 3, 5]);
        let mut out = Vec::new();
        column.rows_containing("b", &mut out);
        assert_eq!(out, [1, 4, 5]);
        // Texts that seldom repeat stop being looked up; rows are found
        // all the same.
        let many: Vec<Json> = (0..2000)
            .map(|i| {
                Json::String(if i % 3 == 0 {
                    "same".to_owned()
                } else {
                    format!("t{i}")
                })
            })
            .collect();
        let column = TextColumn::of_values(many.iter().map(Some));
        assert!(column.starts.len() > 1400, "no longer deduplicated");
        let mut out = Vec::new();
        column.rows_containing("same", &mut out);
        assert_eq!(out, (0..2000).step_by(3).collect::<Vec<_>>());
        let mut out = Vec::new();
        column.rows_containing("t1999", &mut out);
        assert_eq!(out, [1999]);
        // The raw text: `_raw`, or one built from the fields.
        let raw_texts: Vec<_> = rows.iter().map(fields::raw).collect();
        let column = TextColumn::from_texts(raw_texts.iter().map(AsRef::as_ref).enumerate());
        let mut out = Vec::new();
        column.rows_containing("q=whoami", &mut out);
        assert_eq!(out, [3, 1]);
    }
}
