//! `rulecheck scan`: stream events through every Sigma rule and report each
//! alert. Memory stays flat in the size of the input, except when
//! correlation rules are present: those need every event of the run.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use rulecheck_core::{LineIndex, RuleFormat};
use rulecheck_formats::{DocumentKind, detect};
use rulecheck_sigma::{Event, ParsedDocument, RuleSet};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Error;
use crate::config::Config;
use crate::discover::{discover, display_path};
use crate::load::read;
use crate::sigma::SigmaSetup;
use crate::spl::SplSetup;
use rulecheck_core::rule::Language;

/// What to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Rule files and folders.
    pub rules: Vec<PathBuf>,
    /// Event files (JSON lines, a JSON array, or one JSON object).
    pub events: Vec<PathBuf>,
    /// Whether to apply the logsource mapping (off for events already
    /// filtered to each rule's log source).
    pub apply_logsource: bool,
    /// The folder configuration paths are relative to.
    pub root: PathBuf,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanAlert {
    /// The rule's id.
    pub rule: Option<String>,
    /// The rule's title.
    pub title: String,
    /// The rule file.
    pub path: String,
    /// The events file.
    pub source: String,
    /// The 1-based record number of the event in its file (for correlation
    /// alerts, the last event that completed the correlation; none for the
    /// result rows of an SPL search, which may stand for many events).
    pub record: Option<u64>,
    /// The event's fields (for correlation alerts: the group-by values,
    /// the aggregate and the contributing records).
    pub fields: Map<String, Value>,
}

impl ScanAlert {
    /// One line for people: `source:record  title  (path)`.
    pub fn human(&self) -> String {
        let record = self.record.map_or_else(String::new, |r| format!(":{r}"));
        format!("{}{record}  {}  ({})", self.source, self.title, self.path)
    }
}

/// What a scan did besides alerting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanSummary {
    /// Rules evaluated.
    pub rules: usize,
    /// Events read.
    pub events: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Problems (rules that do not compile, events that cannot be read),
    /// each naming its file, line and column.
    pub problems: Vec<String>,
    /// Rules not evaluated, with the reason.
    pub not_evaluated: Vec<String>,
}

/// Scan `options.events` with the rules under `options.rules`, handing each
/// alert to `on_alert` as it is found.
pub fn scan(
    config: &Config,
    options: &ScanOptions,
    setup: &SigmaSetup,
    spl: &SplSetup,
    mut on_alert: impl FnMut(ScanAlert),
) -> Result<ScanSummary, Error> {
    let mut summary = ScanSummary::default();
    let (set, paths, searches) = build_rules(config, options, setup, spl, &mut summary)?;
    summary.rules = set.len() + searches.len();
    for (rule, path) in set.rules().zip(&paths) {
        if rule.unmapped {
            summary.not_evaluated.push(format!("{path}: the logsource mapping has no entry for this rule's logsource (use --no-logsource for pre-filtered events)"));
        }
    }
    let keep_events = !set.correlations().is_empty();
    for events_path in &options.events {
        let source = display_path(events_path);
        let reader = rulecheck_ingest::read_file(events_path).map_err(|e| Error::Io {
            path: events_path.clone(),
            source: std::io::Error::other(e.message),
        })?;
        // Records that cannot be read are reported and skipped; `skips`
        // maps positions in the stream of good events back to records.
        let problems = Rc::new(RefCell::new(Vec::new()));
        let skips: Rc<RefCell<Vec<(u64, u64)>>> = Rc::new(RefCell::new(Vec::new()));
        let kept = Rc::new(RefCell::new(Vec::new()));
        let events_read = Rc::new(std::cell::Cell::new(0u64));
        let mut good = 0u64;
        let stream = {
            let (problems, skips, kept, events_read) = (
                Rc::clone(&problems),
                Rc::clone(&skips),
                Rc::clone(&kept),
                Rc::clone(&events_read),
            );
            reader.filter_map(move |record| {
                let parsed = record.map_err(|e| e.to_string()).and_then(|r| {
                    let (number, line) = (r.record, r.line);
                    Event::from_json(Value::Object(r.event))
                        .map(|e| (number, e))
                        .map_err(|_| format!("line {line}: not a JSON object"))
                });
                match parsed {
                    Ok((number, event)) => {
                        good += 1;
                        events_read.set(events_read.get() + 1);
                        if number != good + skips.borrow().last().map_or(0, |s| s.1) {
                            skips.borrow_mut().push((good, number - good));
                        }
                        if keep_events {
                            kept.borrow_mut().push((number, event.clone()));
                        }
                        Some(event)
                    }
                    Err(message) => {
                        problems.borrow_mut().push(message);
                        None
                    }
                }
            })
        };
        for alert in set.scan(stream) {
            summary.alerts += 1;
            let offset = skips
                .borrow()
                .iter()
                .rev()
                .find(|(from, _)| *from <= alert.record)
                .map_or(0, |s| s.1);
            on_alert(ScanAlert {
                rule: alert.rule_id.clone(),
                title: alert.title.clone(),
                path: paths[alert.rule].clone(),
                source: source.clone(),
                record: Some(alert.record + offset),
                fields: alert.event.fields().clone(),
            });
        }
        summary
            .problems
            .extend(problems.borrow().iter().map(|m| format!("{source}: {m}")));
        summary.events += events_read.get();
        if keep_events {
            correlate(&set, &kept.borrow(), &source, &mut summary, &mut on_alert);
        }
        if !searches.is_empty() {
            run_searches(
                &searches,
                events_path,
                &source,
                spl,
                &mut summary,
                &mut on_alert,
            );
        }
    }
    Ok(summary)
}

/// Evaluate the correlations of `set` over the `kept` (record, event) pairs
/// of one file.
fn correlate(
    set: &RuleSet,
    kept: &[(u64, Event)],
    source: &str,
    summary: &mut ScanSummary,
    on_alert: &mut impl FnMut(ScanAlert),
) {
    let events: Vec<Event> = kept.iter().map(|(_, e)| e.clone()).collect();
    for c in set.correlate(&events) {
        summary.alerts += 1;
        let records: Vec<u64> = c.events.iter().map(|&i| kept[i].0).collect();
        let mut fields = Map::new();
        for (k, v) in &c.group {
            fields.insert(k.clone(), Value::String(v.clone()));
        }
        fields.insert("value".into(), serde_json::json!(c.value));
        fields.insert("records".into(), serde_json::json!(records));
        on_alert(ScanAlert {
            rule: c.id.clone(),
            title: c.title.clone(),
            path: String::new(),
            source: source.to_owned(),
            record: records.last().copied(),
            fields,
        });
    }
}

/// A compiled SPL rule.
struct SplRule {
    path: String,
    id: Option<String>,
    title: String,
    search: rulecheck_spl::Search,
}

/// Run the SPL rules over every event of one file (their result-producing
/// commands need them all); "now" is the time of the latest event.
fn run_searches(
    searches: &[SplRule],
    events_path: &std::path::Path,
    source: &str,
    spl: &SplSetup,
    summary: &mut ScanSummary,
    on_alert: &mut impl FnMut(ScanAlert),
) {
    let Ok(reader) = rulecheck_ingest::read_file(events_path) else {
        return;
    };
    // Unreadable records were reported by the Sigma pass.
    let events: Vec<Map<String, Value>> = reader.filter_map(Result::ok).map(|r| r.event).collect();
    let context = spl.context_at(crate::spl::latest_event_time(&events));
    let events: Vec<rulecheck_spl::Event> = events
        .into_iter()
        .map(rulecheck_spl::event_from_object)
        .collect();
    for rule in searches {
        match rule.search.run(&events, &context) {
            Ok(rows) => {
                for row in rows {
                    summary.alerts += 1;
                    on_alert(ScanAlert {
                        rule: rule.id.clone(),
                        title: rule.title.clone(),
                        path: rule.path.clone(),
                        source: source.to_owned(),
                        record: None,
                        fields: rulecheck_spl::event_into_object(row),
                    });
                }
            }
            Err(e) => summary.problems.push(format!("{}: {e}", rule.path)),
        }
    }
}

/// Compile every Sigma document under the rule paths into one set, with the
/// path of each compiled rule in set order.
fn build_rules(
    config: &Config,
    options: &ScanOptions,
    setup: &SigmaSetup,
    spl: &SplSetup,
    summary: &mut ScanSummary,
) -> Result<(RuleSet, Vec<String>, Vec<SplRule>), Error> {
    let mut searches = Vec::new();
    let files = discover(&options.rules, &options.root, &config.exclude)?;
    let mut docs = Vec::new();
    let mut doc_paths = Vec::new();
    for file in &files {
        let path = display_path(file);
        let source = read(file, &config.limits);
        let index = LineIndex::new(&source.text);
        let at = |span: Option<rulecheck_core::Span>| {
            span.map_or_else(String::new, |s| {
                let lc = index.line_col(&source.text, s.start);
                format!(":{}:{}", lc.line, lc.column)
            })
        };
        for d in &source.diagnostics {
            summary
                .problems
                .push(format!("{path}{}: {}", at(d.span), d.message));
        }
        for root in &source.documents {
            match detect(root) {
                DocumentKind::Rule(
                    RuleFormat::Sigma | RuleFormat::SigmaCorrelation | RuleFormat::SigmaFilter,
                ) => match rulecheck_sigma::parse(root) {
                    Ok(doc) => {
                        docs.push(doc);
                        doc_paths.push(path.clone());
                    }
                    Err(ds) => summary.problems.extend(
                        ds.iter()
                            .map(|d| format!("{path}{}: {}", at(d.span), d.message)),
                    ),
                },
                DocumentKind::Rule(format) => {
                    let rule =
                        rulecheck_formats::normalize::normalize(format, 0, root, &source.text);
                    match rule.queries.first() {
                        Some(query) if query.language == Language::Spl => {
                            match rulecheck_spl::compile_str(&query.text, &spl.macros, &spl.context)
                            {
                                Ok(search) => searches.push(SplRule {
                                    path: path.clone(),
                                    id: rule.id.map(|i| i.value),
                                    title: rule.title.map(|t| t.value).unwrap_or_default(),
                                    search,
                                }),
                                Err(ds)
                                    if ds.iter().all(|d| d.code == rulecheck_spl::UNSUPPORTED) =>
                                {
                                    summary.not_evaluated.push(format!(
                                        "{path}: {}",
                                        ds.iter()
                                            .map(|d| d.message.as_str())
                                            .collect::<Vec<_>>()
                                            .join("; ")
                                    ));
                                }
                                Err(ds) => summary
                                    .problems
                                    .extend(ds.iter().map(|d| format!("{path}: {}", d.message))),
                            }
                        }
                        Some(query) => summary.not_evaluated.push(format!(
                            "{path}: rulecheck does not evaluate {} queries",
                            query.language.as_str()
                        )),
                        None => summary
                            .problems
                            .push(format!("{path}: the rule has no query")),
                    }
                }
                _ => {}
            }
        }
    }
    let (set, errors) = RuleSet::build(&docs, &setup.options(options.apply_logsource));
    let failed: Vec<usize> = errors.iter().map(|e| e.index).collect();
    for e in &errors {
        for d in &e.diagnostics {
            summary
                .problems
                .push(format!("{}: {}", doc_paths[e.index], d.message));
        }
    }
    let paths: Vec<String> = docs
        .iter()
        .zip(&doc_paths)
        .enumerate()
        .filter(|(i, (doc, _))| matches!(doc, ParsedDocument::Rule(_)) && !failed.contains(i))
        .map(|(_, (_, path))| path.clone())
        .collect();
    debug_assert_eq!(paths.len(), set.len());
    Ok((set, paths, searches))
}
