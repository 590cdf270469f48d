//! Evaluating a rule on the events of a scenario, whatever its language:
//! the result is the list of alerts (result rows), each a JSON object.

use std::path::Path;

use rulecheck_core::rule::Language;
use rulecheck_core::yaml::Node;
use rulecheck_core::{LineIndex, Rule, RuleFormat};
use rulecheck_sigma::{CompiledRule, Event, ParsedDocument, RuleSet};
use serde_json::{Map, Value};

use super::fixture::EventMap;
use crate::sigma::SigmaSetup;
use crate::spl::SplSetup;

/// A rule ready to run on fixtures, or why it cannot be.
pub enum Evaluator {
    /// A Sigma detection rule.
    Sigma {
        /// The compiled rule.
        rule: Box<CompiledRule>,
        /// The rule file's path and text, for explain traces.
        path: String,
        /// The rule file's text.
        text: String,
    },
    /// A Sigma correlation rule, with the rules of its file.
    SigmaCorrelation {
        /// Every rule of the file.
        set: Box<RuleSet>,
        /// The correlation's title (to pick its alerts).
        title: String,
    },
    /// An SPL search.
    Spl {
        /// The compiled search.
        search: Box<rulecheck_spl::Search>,
        /// The evaluation context (its `now` is set per scenario).
        context: Box<rulecheck_spl::Context>,
    },
    /// The rule cannot be evaluated: the `unsupported` status, with why.
    Unsupported(String),
    /// The rule does not compile: the `error` status, with the diagnostics.
    Broken(Vec<String>),
}

impl Evaluator {
    /// Prepare `rule` (document `root` of the file at `path` holding
    /// `documents`).
    pub fn new(
        rule: &Rule,
        root: &Node,
        documents: &[Node],
        path: &Path,
        text: &str,
        sigma: &SigmaSetup,
        spl: &SplSetup,
    ) -> Evaluator {
        let show = |ds: Vec<rulecheck_core::Diagnostic>| -> Vec<String> {
            let index = LineIndex::new(text);
            ds.iter()
                .map(|d| {
                    let at = d.span.map(|s| index.line_col(text, s.start));
                    let place =
                        at.map_or_else(String::new, |a| format!(":{}:{}", a.line, a.column));
                    format!("{}{place}: {}", path.display(), d.message)
                })
                .collect()
        };
        match rule.format {
            RuleFormat::Sigma => match rulecheck_sigma::parse(root) {
                Ok(ParsedDocument::Rule(parsed)) => {
                    match rulecheck_sigma::compile(&parsed, &sigma.options(true)) {
                        Ok(compiled) if compiled.unmapped => Evaluator::Unsupported(format!(
                            "the logsource mapping has no entry for this rule's logsource ({})",
                            rule.data
                                .first()
                                .map(ToString::to_string)
                                .unwrap_or_default()
                        )),
                        Ok(compiled) => Evaluator::Sigma {
                            rule: Box::new(compiled),
                            path: path.display().to_string().replace('\\', "/"),
                            text: text.to_owned(),
                        },
                        Err(ds) => Evaluator::Broken(show(ds)),
                    }
                }
                Ok(_) => Evaluator::Broken(vec!["not a Sigma detection rule".into()]),
                Err(ds) => Evaluator::Broken(show(ds)),
            },
            RuleFormat::SigmaCorrelation => {
                let mut parsed = Vec::new();
                for doc in documents {
                    match rulecheck_sigma::parse(doc) {
                        Ok(p) => parsed.push(p),
                        Err(ds) => return Evaluator::Broken(show(ds)),
                    }
                }
                let (set, errors) = RuleSet::build(&parsed, &sigma.options(true));
                if let Some(e) = errors.into_iter().next() {
                    return Evaluator::Unsupported(format!(
                        "the correlation is evaluated with the rules of its own file, and they do not compile alone: {}",
                        show(e.diagnostics).join("; ")
                    ));
                }
                Evaluator::SigmaCorrelation {
                    set: Box::new(set),
                    title: rule
                        .title
                        .as_ref()
                        .map(|t| t.value.clone())
                        .unwrap_or_default(),
                }
            }
            RuleFormat::SigmaFilter => Evaluator::Unsupported(
                "a Sigma filter is tested through the rules it applies to".into(),
            ),
            RuleFormat::Escu | RuleFormat::Armory => {
                match rule.queries.first().map(|q| &q.language) {
                    Some(Language::Spl) => spl_evaluator(&rule.queries[0].text, spl),
                    Some(other) => Evaluator::Unsupported(format!(
                        "rulecheck does not evaluate {} queries",
                        other.as_str()
                    )),
                    None => Evaluator::Broken(vec!["the rule has no query".into()]),
                }
            }
        }
    }

    /// The alerts of the rule on `events`; `now` (epoch seconds) anchors
    /// relative time.
    pub fn evaluate(
        &self,
        events: &[EventMap],
        now: Option<i64>,
    ) -> Result<Vec<Map<String, Value>>, String> {
        match self {
            Evaluator::Spl { search, context } => {
                let context = crate::spl::with_now(context, now);
                let events = spl_events(events);
                search
                    .run(&events, &context)
                    .map(|rows| {
                        rows.into_iter()
                            .map(rulecheck_spl::event_into_object)
                            .collect()
                    })
                    .map_err(|e| e.to_string())
            }
            Evaluator::Sigma { rule, .. } => {
                let mut alerts = Vec::new();
                for event in events {
                    let e = to_event(event)?;
                    if rule.matches(&e) {
                        alerts.push(event.clone());
                    }
                }
                Ok(alerts)
            }
            Evaluator::SigmaCorrelation { set, title } => {
                let events = events.iter().map(to_event).collect::<Result<Vec<_>, _>>()?;
                Ok(set
                    .correlate(&events)
                    .into_iter()
                    .filter(|c| &c.title == title)
                    .map(|c| {
                        let mut row: Map<String, Value> = c
                            .group
                            .into_iter()
                            .map(|(k, v)| (k, Value::String(v)))
                            .collect();
                        row.insert("value".into(), serde_json::json!(c.value));
                        row.insert(
                            "events".into(),
                            serde_json::json!(c.events.iter().map(|i| i + 1).collect::<Vec<_>>()),
                        );
                        row
                    })
                    .collect())
            }
            Evaluator::Unsupported(reason) => Err(reason.clone()),
            Evaluator::Broken(errors) => Err(errors.join("\n")),
        }
    }

    /// The event `index` (0-based) of the scenario and its evaluation
    /// trace, when the language has one.
    pub fn explain(&self, events: &[EventMap], index: usize, now: Option<i64>) -> Option<String> {
        let event = events.get(index)?;
        let trace = match self {
            Evaluator::Spl { search, context } => search
                .explain(
                    &spl_events(events),
                    &crate::spl::with_now(context, now),
                    index,
                )
                .to_string(),
            Evaluator::Sigma { rule, path, text } => {
                let lines = LineIndex::new(text);
                rule.explain(&to_event(event).ok()?)
                    .render(path, text, &lines)
                    .to_string()
            }
            _ => return None,
        };
        let json = serde_json::to_string(event).unwrap_or_default();
        Some(format!(
            "event {} of {}: {json}\n{trace}",
            index + 1,
            events.len()
        ))
    }
}

/// Compile an SPL query: constructs rulecheck does not evaluate make the
/// rule `unsupported`, naming them; other problems are `error`s.
fn spl_evaluator(query: &str, spl: &SplSetup) -> Evaluator {
    match rulecheck_spl::compile_str(query, &spl.macros, &spl.context) {
        Ok(search) => Evaluator::Spl {
            search: Box::new(search),
            context: Box::new(spl.context.clone()),
        },
        Err(ds) => {
            let (unsupported, other): (Vec<_>, Vec<_>) = ds
                .into_iter()
                .partition(|d| d.code == rulecheck_spl::UNSUPPORTED);
            if other.is_empty() && !unsupported.is_empty() {
                Evaluator::Unsupported(
                    unsupported
                        .iter()
                        .map(|d| d.message.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            } else {
                Evaluator::Broken(
                    other
                        .iter()
                        .chain(&unsupported)
                        .map(|d| d.message.clone())
                        .collect(),
                )
            }
        }
    }
}

/// The events of a scenario as the SPL engine reads them.
fn spl_events(events: &[EventMap]) -> Vec<rulecheck_spl::Event> {
    events
        .iter()
        .map(|e| rulecheck_spl::event_from_object(e.clone()))
        .collect()
}

fn to_event(map: &EventMap) -> Result<Event, String> {
    Event::from_json(Value::Object(map.clone()))
        .map_err(|_| "an event is not a JSON object".to_owned())
}
