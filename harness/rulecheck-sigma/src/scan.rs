//! A set of compiled rules scanned over a stream of events: each event is
//! resolved once against the set's field table and meets only the rules
//! whose logsource can apply to it (indexed by `EventID`).

use std::collections::HashMap;

use rayon::prelude::*;
use rulecheck_core::Diagnostic;
use serde_json::Value;

use crate::ast::ParsedDocument;
use crate::compile::{CompileOptions, CompiledRule, compile};
use crate::correlation::{CompiledCorrelation, CorrelationAlert};
use crate::eval::{Lookup, View};
use crate::event::{Event, FieldTable, Resolved, Resolver};
use crate::filter::CompiledFilter;
use crate::prefilter::{self, Prefilter};

/// One rule of a set, with its field ids in the set's table.
#[derive(Debug, Clone)]
struct Member {
    rule: CompiledRule,
    global: Vec<u32>,
    /// Filters that apply to it, with their field ids.
    filters: Vec<(CompiledRule, Vec<u32>)>,
    /// Literal ids of which one must be in the event (None: no prefilter).
    literals: Option<Vec<u32>>,
    /// The `EventID`s its logsource requires (None: any).
    event_ids: Option<Vec<i64>>,
}

/// Per-event scratch space of [`RuleSet::matching`], reused across events.
#[derive(Debug, Default, Clone)]
pub struct Hits {
    rules: Vec<u32>,
    literals: Vec<u64>,
    found: Vec<u32>,
    candidates: Vec<u32>,
}

impl Hits {
    /// Indices of the rules that matched the last event, in rule order.
    pub fn rules(&self) -> &[u32] {
        &self.rules
    }

    /// Indices of the rules the prefilter and the `EventID` index let
    /// through for the last event (each was evaluated unless its logsource
    /// excluded the event), for tuning.
    pub fn candidates(&self) -> &[u32] {
        &self.candidates
    }
}

/// Compiled rules, filters and correlations, ready to scan events.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    table: FieldTable,
    members: Vec<Member>,
    by_event_id: HashMap<i64, Vec<u32>>,
    /// Rules indexed by the `EventID`s their detection requires: tried on
    /// events whose `EventID` is present but not an integer.
    by_event_id_other: Vec<u32>,
    always: Vec<u32>,
    event_id_field: Option<u32>,
    correlations: Vec<CompiledCorrelation>,
    prefilter: Prefilter,
    /// For each literal id, the rules that require it.
    by_literal: Vec<Vec<u32>>,
}

/// Problems of one document given to [`RuleSet::build`].
#[derive(Debug, Clone)]
pub struct DocumentErrors {
    /// Position of the document in the input.
    pub index: usize,
    /// What is wrong.
    pub diagnostics: Vec<Diagnostic>,
}

/// A detection alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Index of the rule in the set.
    pub rule: usize,
    /// The rule's id.
    pub rule_id: Option<String>,
    /// The rule's title.
    pub title: String,
    /// The event's record number in the stream, from 1.
    pub record: u64,
    /// The event.
    pub event: Event,
}

impl RuleSet {
    /// Compile every rule, filter and correlation of `docs`. Documents that
    /// fail are left out and reported; the rest are usable.
    pub fn build(docs: &[ParsedDocument], opts: &CompileOptions) -> (RuleSet, Vec<DocumentErrors>) {
        let mut set = RuleSet::default();
        let mut errors = Vec::new();
        let mut filters = Vec::new();
        let mut correlations = Vec::new();
        for (index, doc) in docs.iter().enumerate() {
            let result = match doc {
                ParsedDocument::Rule(r) => compile(r, opts).map(|rule| set.add(rule)),
                ParsedDocument::Filter(f) => f.compile(opts).map(|c| filters.push(c)),
                ParsedDocument::Correlation(c) => {
                    correlations.push((index, c));
                    Ok(())
                }
            };
            if let Err(diagnostics) = result {
                errors.push(DocumentErrors { index, diagnostics });
            }
        }
        for f in filters {
            set.add_filter(&f);
        }
        let rules: Vec<CompiledRule> = set.members.iter().map(|m| m.rule.clone()).collect();
        for (index, c) in correlations {
            match c.compile(&rules) {
                Ok(c) => set.correlations.push(c),
                Err(diagnostics) => errors.push(DocumentErrors { index, diagnostics }),
            }
        }
        set.index();
        (set, errors)
    }

    fn globals(&mut self, rule: &CompiledRule) -> Vec<u32> {
        rule.fields.iter().map(|f| self.table.intern(f)).collect()
    }

    fn add(&mut self, rule: CompiledRule) {
        let global = self.globals(&rule);
        self.members.push(Member {
            rule,
            global,
            filters: Vec::new(),
            literals: None,
            event_ids: None,
        });
    }

    fn add_filter(&mut self, filter: &CompiledFilter) {
        let global = self.globals(&filter.detection);
        for m in &mut self.members {
            if filter.applies_to(&m.rule) {
                m.filters.push((filter.detection.clone(), global.clone()));
            }
        }
    }

    /// Index the rules: by required literal when they have one, otherwise
    /// by the `EventID`s their detection or their logsource requires (or in
    /// `always` when neither fixes any).
    fn index(&mut self) {
        self.by_event_id.clear();
        self.by_event_id_other.clear();
        self.always.clear();
        self.event_id_field = Some(self.table.intern(prefilter::EVENT_ID));
        let mut literals = prefilter::Builder::default();
        let mut detection_ids = Vec::with_capacity(self.members.len());
        for m in &mut self.members {
            detection_ids.push(prefilter::detection_event_ids(&m.rule));
            m.literals = prefilter::requirement(&m.rule).map(|alts| {
                let mut ids: Vec<u32> = alts
                    .iter()
                    .map(|(local, lit)| literals.add(m.global[*local as usize], lit))
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                ids
            });
            m.event_ids = if m.rule.sources.is_empty() {
                None
            } else {
                m.rule
                    .sources
                    .iter()
                    .map(|s| (!s.event_ids.is_empty()).then(|| s.event_ids.clone()))
                    .collect::<Option<Vec<_>>>()
                    .map(|v| v.concat())
            };
        }
        self.prefilter = literals.build();
        self.by_literal = vec![Vec::new(); self.prefilter.len()];
        for (i, m) in self.members.iter().enumerate() {
            if m.rule.unmapped {
                continue;
            }
            match (&m.literals, &detection_ids[i], &m.event_ids) {
                (Some(lits), _, _) => {
                    for &l in lits {
                        self.by_literal[l as usize].push(i as u32);
                    }
                }
                (None, Some(ids), _) => {
                    for &id in ids {
                        self.by_event_id.entry(id).or_default().push(i as u32);
                    }
                    self.by_event_id_other.push(i as u32);
                }
                (None, None, Some(ids)) => {
                    for &id in ids {
                        let list = self.by_event_id.entry(id).or_default();
                        if list.last() != Some(&(i as u32)) {
                            list.push(i as u32);
                        }
                    }
                }
                (None, None, None) => self.always.push(i as u32),
            }
        }
    }

    /// The rules, in the order they were given.
    pub fn rules(&self) -> impl Iterator<Item = &CompiledRule> {
        self.members.iter().map(|m| &m.rule)
    }

    /// The set's field table, for resolving events with a [`Resolver`].
    pub fn table(&self) -> &FieldTable {
        &self.table
    }

    /// How many evaluable rules have no literal prefilter (they are tried
    /// on every event of the `EventID`s their detection or logsource
    /// requires, or on every event when neither requires any), for
    /// benchmarks and tuning.
    pub fn unfiltered_rules(&self) -> usize {
        self.members
            .iter()
            .filter(|m| !m.rule.unmapped && m.literals.is_none())
            .count()
    }

    /// How many evaluable rules are tried on every event: no required
    /// literal and no `EventID` from their detection or logsource, for
    /// benchmarks and tuning.
    pub fn unindexed_rules(&self) -> usize {
        self.always.len()
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the set has no rules.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The correlations.
    pub fn correlations(&self) -> &[CompiledCorrelation] {
        &self.correlations
    }

    /// Find the rules that match `resolved`; [`Hits::rules`] lists them in
    /// rule order.
    pub fn matching(&self, resolved: &Resolved<'_>, hits: &mut Hits) {
        hits.rules.clear();
        hits.candidates.clear();
        self.prefilter
            .scan(resolved, &mut hits.literals, &mut hits.found);
        let eid_value = self.event_id_field.and_then(|f| resolved.get(f));
        let eid = eid_value.and_then(event_id_key);
        for &l in &hits.found {
            hits.candidates.extend(&self.by_literal[l as usize]);
        }
        if let Some(list) = eid.and_then(|e| self.by_event_id.get(&e)) {
            hits.candidates.extend(list);
        } else if eid.is_none() && eid_value.is_some() {
            hits.candidates.extend(&self.by_event_id_other);
        }
        hits.candidates.extend(&self.always);
        hits.candidates.sort_unstable();
        hits.candidates.dedup();
        for &i in &hits.candidates {
            let Some(m) = self.members.get(i as usize) else {
                continue;
            };
            let eligible = match (&m.event_ids, eid) {
                (None, _) => true,
                (Some(ids), Some(e)) => ids.contains(&e),
                (Some(_), None) => false,
            };
            if eligible && Self::member_matches(m, resolved) {
                hits.rules.push(i);
            }
        }
    }

    fn member_matches(m: &Member, resolved: &Resolved<'_>) -> bool {
        let view = View::new(Lookup::Slots {
            resolved,
            global: &m.global,
        });
        m.rule.matches_view(view)
            && !m.filters.iter().any(|(f, g)| {
                f.matches_view(View::new(Lookup::Slots {
                    resolved,
                    global: g,
                }))
            })
    }

    /// Scan a stream of events; alerts come out in event order, then rule
    /// order.
    pub fn scan<I: IntoIterator<Item = Event>>(&self, events: I) -> Scan<'_, I::IntoIter> {
        Scan {
            set: self,
            events: events.into_iter(),
            resolver: Resolver::default(),
            hits: Hits::default(),
            pending: Vec::new(),
            record: 0,
        }
    }

    /// Count the matches of every rule over `events` without keeping the
    /// events (the fast path for benchmarks and large datasets).
    pub fn count<'e, I: IntoIterator<Item = &'e Event>>(&self, events: I) -> Vec<u64> {
        let mut counts = vec![0; self.members.len()];
        let mut resolver = Resolver::default();
        let mut hits = Hits::default();
        for e in events {
            let r = resolver.resolve(&self.table, e);
            self.matching(&r, &mut hits);
            for &h in hits.rules() {
                counts[h as usize] += 1;
            }
            resolver.recycle(r);
        }
        counts
    }

    /// Evaluate every correlation over `events` (in any order; they are
    /// ordered by their timestamps).
    pub fn correlate(&self, events: &[Event]) -> Vec<CorrelationAlert> {
        let mut resolver = Resolver::default();
        let mut hits = Hits::default();
        let per_event: Vec<Vec<u32>> = events
            .iter()
            .map(|e| {
                let r = resolver.resolve(&self.table, e);
                self.matching(&r, &mut hits);
                resolver.recycle(r);
                hits.rules().to_vec()
            })
            .collect();
        let mut out = Vec::new();
        for c in &self.correlations {
            let matched: Vec<Vec<usize>> = per_event
                .iter()
                .map(|hits| {
                    c.rule_indices
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| hits.contains(&(**r as u32)))
                        .map(|(pos, _)| pos)
                        .collect()
                })
                .collect();
            out.extend(c.evaluate(events, &matched));
        }
        out
    }
}

/// The integer an event's `EventID` holds: a number or a string spelling
/// one (rounded like [`prefilter::integral`], so that every value a rule's
/// `EventID: N` accepts gets the key `N`).
fn event_id_key(v: &Value) -> Option<i64> {
    let x = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    prefilter::integral(x)
}

/// Lines per unit of parallel work in [`RuleSet::scan_json_lines`].
const LINES_PER_TASK: usize = 512;

/// What [`RuleSet::scan_json_lines`] found in a block of JSON lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineMatches {
    /// `(record, rule)` for every match, ordered by record number, then
    /// rule index: the same order whatever the number of threads.
    pub hits: Vec<(u64, u32)>,
    /// How many lines held a JSON object (the events scanned).
    pub events: u64,
    /// Record numbers of the non-empty lines that are not a JSON object.
    pub invalid: Vec<u64>,
}

impl LineMatches {
    fn append(&mut self, mut other: LineMatches) {
        self.hits.append(&mut other.hits);
        self.events += other.events;
        self.invalid.append(&mut other.invalid);
    }
}

impl RuleSet {
    /// Parse and match a block of JSON lines (one event per line) on the
    /// current rayon thread pool, in parallel over runs of lines. The line
    /// at offset `n` of `text` has record number `first_record + n`; blank
    /// lines are skipped but keep their number. The result does not depend
    /// on the number of threads.
    pub fn scan_json_lines(&self, text: &str, first_record: u64) -> LineMatches {
        let lines: Vec<&str> = text.lines().collect();
        lines
            .par_chunks(LINES_PER_TASK)
            .enumerate()
            .map_init(
                || (Resolver::default(), Hits::default()),
                |(resolver, hits), (chunk, lines)| {
                    let first = first_record + (chunk * LINES_PER_TASK) as u64;
                    self.scan_lines(lines, first, resolver, hits)
                },
            )
            .collect::<Vec<_>>()
            .into_iter()
            .fold(LineMatches::default(), |mut all, part| {
                all.append(part);
                all
            })
    }

    fn scan_lines(
        &self,
        lines: &[&str],
        first_record: u64,
        resolver: &mut Resolver,
        hits: &mut Hits,
    ) -> LineMatches {
        let mut out = LineMatches::default();
        for (record, line) in (first_record..).zip(lines) {
            if line.trim().is_empty() {
                continue;
            }
            let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(line) else {
                out.invalid.push(record);
                continue;
            };
            let event = Event::from_map(fields);
            out.events += 1;
            let r = resolver.resolve(&self.table, &event);
            self.matching(&r, hits);
            resolver.recycle(r);
            out.hits.extend(hits.rules().iter().map(|&h| (record, h)));
        }
        out
    }
}

/// The iterator of [`RuleSet::scan`].
pub struct Scan<'s, I> {
    set: &'s RuleSet,
    events: I,
    resolver: Resolver,
    hits: Hits,
    pending: Vec<Alert>,
    record: u64,
}

impl<I: Iterator<Item = Event>> Iterator for Scan<'_, I> {
    type Item = Alert;

    fn next(&mut self) -> Option<Alert> {
        loop {
            if let Some(a) = self.pending.pop() {
                return Some(a);
            }
            let event = self.events.next()?;
            self.record += 1;
            let r = self.resolver.resolve(&self.set.table, &event);
            self.set.matching(&r, &mut self.hits);
            self.resolver.recycle(r);
            for &h in self.hits.rules().iter().rev() {
                let rule = &self.set.members[h as usize].rule;
                self.pending.push(Alert {
                    rule: h as usize,
                    rule_id: rule.id.clone(),
                    title: rule.title.clone(),
                    record: self.record,
                    event: event.clone(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::{LogsourceMap, parse_str};

    use super::*;

    const RULES: &str = "
title: Evil child
id: r-evil
logsource: { product: windows, category: process_creation }
detection:
    sel:
        Image|endswith: '\\evil.exe'
    condition: sel
---
title: Run key
id: r-run
name: run_key
logsource: { product: windows, category: registry_set }
detection:
    sel:
        TargetObject|contains: '\\Run\\'
    condition: sel
---
title: Admin filter
filter:
    rules: [r-evil]
    sel:
        User|startswith: adm_
    condition: sel
";

    const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

    fn set() -> RuleSet {
        windows_set(RULES)
    }

    /// The rules of `text`, compiled with the Windows logsource map; they
    /// must parse and compile without a diagnostic.
    fn windows_set(text: &str) -> RuleSet {
        let (docs, diags) = parse_str(text);
        assert!(diags.is_empty(), "{diags:?}");
        let opts = CompileOptions {
            logsource: Some(LogsourceMap::windows()),
            ..Default::default()
        };
        let (set, errors) = RuleSet::build(&docs, &opts);
        assert!(errors.is_empty(), "{errors:?}");
        set
    }

    fn ev(v: serde_json::Value) -> Event {
        Event::from_json(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn scan_yields_alerts_with_record_numbers() {
        let set = set();
        let events = vec![
            ev(json!({"EventID": 1, "Channel": SYSMON, "Image": "C:\\a.exe"})),
            ev(json!({"EventID": 1, "Channel": SYSMON, "Image": "C:\\evil.exe", "User": "bob"})),
            ev(
                json!({"EventID": 13, "Channel": SYSMON, "TargetObject": "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x"}),
            ),
            ev(json!({"EventID": 13, "Channel": SYSMON, "Image": "C:\\evil.exe"})),
        ];
        let alerts: Vec<(Option<String>, u64)> =
            set.scan(events).map(|a| (a.rule_id, a.record)).collect();
        assert_eq!(
            alerts,
            vec![(Some("r-evil".into()), 2), (Some("r-run".into()), 3)]
        );
    }

    #[test]
    fn filters_exclude_matches_of_the_rules_they_name() {
        let set = set();
        let admin = ev(
            json!({"EventID": 1, "Channel": SYSMON, "Image": "C:\\evil.exe", "User": "ADM_alice"}),
        );
        let user =
            ev(json!({"EventID": 1, "Channel": SYSMON, "Image": "C:\\evil.exe", "User": "alice"}));
        assert_eq!(set.count([&admin, &user]), vec![1, 0]);
    }

    #[test]
    fn rules_are_indexed_by_literal_or_event_id() {
        let set = set();
        // Both rules have a required literal: `\\evil.exe` in `Image` and in
        // `NewProcessName` (its Security 4688 name), `\\run\\`.
        assert_eq!(set.by_literal.iter().filter(|r| !r.is_empty()).count(), 3);
        assert!(set.by_event_id.is_empty());
        assert!(set.always.is_empty());
        assert_eq!(set.unfiltered_rules(), 0);
        // A rule without a literal goes by its EventIDs.
        let text = "title: any\nlogsource: { product: windows, category: registry_event }\ndetection:\n    sel:\n        Details|exists: true\n    condition: sel\n";
        let set = windows_set(text);
        assert_eq!(set.by_event_id.get(&13).map(Vec::len), Some(1));
        let hit = ev(json!({"EventID": 13, "Channel": SYSMON, "Details": "x"}));
        let miss = ev(json!({"EventID": 11, "Channel": SYSMON, "Details": "x"}));
        assert_eq!(set.count([&hit, &miss]), vec![1]);
    }

    #[test]
    fn rules_are_indexed_by_the_event_ids_of_their_detection() {
        let text = "title: failed network logon\nlogsource: { product: windows, service: security }\ndetection:\n    sel:\n        EventID: 4625\n        LogonType: 3\n    condition: sel\n";
        let set = windows_set(text);
        assert_eq!(set.by_event_id.get(&4625).map(Vec::len), Some(1));
        assert_eq!(set.by_event_id_other.len(), 1);
        assert!(set.always.is_empty());
        let rule = set.rules().next().cloned();
        let rule = rule.unwrap_or_else(|| panic!("one rule"));
        let cases = [
            (
                json!({"EventID": 4625, "Channel": "Security", "LogonType": 3}),
                true,
            ),
            (
                json!({"EventID": "4625", "Channel": "Security", "LogonType": "3"}),
                true,
            ),
            (
                json!({"EventID": " 4625.0", "Channel": "Security", "LogonType": 3}),
                true,
            ),
            // Not an integer key: the rule is tried anyway.
            (
                json!({"EventID": [4624, 4625], "Channel": "Security", "LogonType": 3}),
                true,
            ),
            (
                json!({"EventID": 4624, "Channel": "Security", "LogonType": 3}),
                false,
            ),
            (json!({"Channel": "Security", "LogonType": 3}), false),
        ];
        for (event, want) in cases {
            let e = ev(event.clone());
            assert_eq!(rule.matches(&e), want, "{event}");
            assert_eq!(set.count([&e]), vec![u64::from(want)], "{event}");
        }
    }

    #[test]
    fn regex_rules_get_the_literal_prefilter() {
        let text = "title: mimikatz\nlogsource: { product: windows, category: process_creation }\ndetection:\n    sel:\n        CommandLine|re: '(?i)invoke-(mimikatz|kerberoast)\\b'\n    condition: sel\n";
        let set = windows_set(text);
        assert_eq!(set.unfiltered_rules(), 0);
        let hit = ev(
            json!({"EventID": 1, "Channel": SYSMON, "CommandLine": "powershell INVOKE-Mimikatz -x"}),
        );
        let miss = ev(json!({"EventID": 1, "Channel": SYSMON, "CommandLine": "invoke-mimi"}));
        let mut hits = Hits::default();
        let mut resolver = Resolver::default();
        let r = resolver.resolve(set.table(), &miss);
        set.matching(&r, &mut hits);
        assert!(hits.candidates().is_empty(), "the prefilter skips the rule");
        resolver.recycle(r);
        assert_eq!(set.count([&hit, &miss]), vec![1]);
    }

    #[test]
    fn json_lines_scan_is_ordered_and_thread_independent() {
        let set = set();
        let evil = format!(r#"{{"EventID": 1, "Channel": "{SYSMON}", "Image": "C:\\evil.exe"}}"#);
        let run =
            format!(r#"{{"EventID": 13, "Channel": "{SYSMON}", "TargetObject": "HKCU\\Run\\x"}}"#);
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(match i % 7 {
                0 => &evil,
                3 => &run,
                5 => "",
                6 => "[1, 2]",
                _ => r#"{"EventID": 1}"#,
            });
            text.push('\n');
        }
        let pool = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let one = pool(1).install(|| set.scan_json_lines(&text, 10));
        let two = pool(2).install(|| set.scan_json_lines(&text, 10));
        assert_eq!(one, two);
        assert_eq!(one.events, 3000 - 2 * 428);
        assert_eq!(one.invalid.len(), 428);
        assert_eq!(one.invalid[0], 16);
        assert_eq!(&one.hits[..3], &[(10, 0), (13, 1), (17, 0)]);
        assert!(one.hits.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn bad_documents_are_reported_and_the_rest_still_run() {
        let text = format!(
            "{RULES}---\ntitle: broken\nlogsource: {{}}\ndetection:\n    sel:\n        A|re: '(x'\n    condition: sel\n"
        );
        let (docs, _) = parse_str(&text);
        let (set, errors) = RuleSet::build(&docs, &CompileOptions::default());
        assert_eq!(set.len(), 2);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].index, 3);
    }
}
