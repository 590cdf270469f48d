//! `rulecheck explain RULE EVENTS[:N]`: why a rule does or does not fire on
//! one event. A Sigma rule shows its evaluation tree (each selection, each
//! field test, the event's value and the rule line); an SPL rule shows each
//! stage with its row count and, for the base search and `where`, each
//! predicate's result on the event.

use std::path::{Path, PathBuf};

use rulecheck_core::rule::Language;
use rulecheck_core::{Diagnostic, LineIndex, RuleFormat};
use rulecheck_formats::{DocumentKind, detect};
use serde_json::{Map, Value};

use crate::sigma::SigmaSetup;
use crate::spl::SplSetup;

/// Explain the rule at `rule_path` on record `target.record` of
/// `target.events`, whatever the rule's language.
pub fn explain(
    rule_path: &Path,
    target: &ExplainTarget,
    sigma: &SigmaSetup,
    spl: &SplSetup,
    apply_logsource: bool,
) -> Result<Explanation, String> {
    let text = std::fs::read_to_string(rule_path)
        .map_err(|e| format!("{}: cannot read: {e}", rule_path.display()))?;
    let loaded = rulecheck_core::yaml::load(&text, &rulecheck_core::yaml::Limits::default());
    let root = loaded
        .documents
        .first()
        .ok_or_else(|| format!("{}: the file holds no rule", rule_path.display()))?;
    match detect(root) {
        DocumentKind::Rule(format @ (RuleFormat::Escu | RuleFormat::Armory)) => {
            let rule = rulecheck_formats::normalize::normalize(format, 0, root, &text);
            match rule.queries.first() {
                Some(query) if query.language == Language::Spl => {
                    explain_spl(rule_path, &query.text, target, spl)
                }
                Some(query) => Err(format!(
                    "{}: rulecheck does not evaluate {} queries",
                    rule_path.display(),
                    query.language.as_str()
                )),
                None => Err(format!("{}: the rule has no query", rule_path.display())),
            }
        }
        _ => explain_sigma(rule_path, target, sigma, apply_logsource),
    }
}

fn explain_spl(
    rule_path: &Path,
    query: &str,
    target: &ExplainTarget,
    spl: &SplSetup,
) -> Result<Explanation, String> {
    let search = rulecheck_spl::compile_str(query, &spl.macros, &spl.context).map_err(|ds| {
        ds.iter()
            .map(|d| {
                format!(
                    "{}: {}[{}]: {}",
                    rule_path.display(),
                    d.severity.as_str(),
                    d.code,
                    d.message
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let reader = rulecheck_ingest::read_file(&target.events).map_err(|e| e.to_string())?;
    let mut events: Vec<Map<String, Value>> = Vec::new();
    let mut index = None;
    for record in reader {
        let record = record.map_err(|e| e.to_string())?;
        if record.record == target.record {
            index = Some(events.len());
        }
        events.push(record.event);
    }
    let index = index.ok_or_else(|| {
        format!(
            "{}: has no record {}",
            target.events.display(),
            target.record
        )
    })?;
    let context = spl.context_at(crate::spl::latest_event_time(&events));
    let events: Vec<rulecheck_spl::Event> = events
        .into_iter()
        .map(rulecheck_spl::event_from_object)
        .collect();
    let rows = search
        .run(&events, &context)
        .map_err(|e| format!("{}: {e}", rule_path.display()))?;
    let trace = search.explain(&events, &context, index);
    Ok(Explanation {
        matched: !rows.is_empty(),
        text: format!(
            "{} record {} of {}: the search returns {} row(s) over the file\n{trace}\n",
            target.events.display(),
            target.record,
            events.len(),
            rows.len()
        ),
    })
}

/// A rule file and the record of an events file to explain it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplainTarget {
    /// The events file.
    pub events: PathBuf,
    /// The 1-based record.
    pub record: u64,
}

impl ExplainTarget {
    /// Read `EVENTS[:N]` (N defaults to 1). A path that exists as given is
    /// taken whole, even if it ends in `:digits`.
    pub fn parse(text: &str) -> ExplainTarget {
        if !Path::new(text).exists()
            && let Some((path, n)) = text.rsplit_once(':')
            && let Ok(record) = n.parse::<u64>()
        {
            return ExplainTarget {
                events: PathBuf::from(path),
                record: record.max(1),
            };
        }
        ExplainTarget {
            events: PathBuf::from(text),
            record: 1,
        }
    }
}

/// What `explain` found.
#[derive(Debug)]
pub struct Explanation {
    /// Whether the rule matched the event.
    pub matched: bool,
    /// The rendered evaluation trace.
    pub text: String,
}

/// Explain why `rule_path` did or did not match record `target.record` of
/// `target.events`. Problems with the rule or the events are errors whose
/// message names the file, line and column.
fn explain_sigma(
    rule_path: &Path,
    target: &ExplainTarget,
    setup: &SigmaSetup,
    apply_logsource: bool,
) -> Result<Explanation, String> {
    let text = std::fs::read_to_string(rule_path)
        .map_err(|e| format!("{}: cannot read: {e}", rule_path.display()))?;
    let index = LineIndex::new(&text);
    let show = |diagnostics: Vec<Diagnostic>| {
        diagnostics
            .iter()
            .map(|d| {
                let at = d.span.map(|s| index.line_col(&text, s.start));
                let place = at.map_or_else(String::new, |a| format!(":{}:{}", a.line, a.column));
                format!(
                    "{}{place}: {}[{}]: {}",
                    rule_path.display(),
                    d.severity.as_str(),
                    d.code,
                    d.message
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let rule =
        rulecheck_sigma::compile_str(&text, &setup.options(apply_logsource)).map_err(show)?;
    let reader = rulecheck_ingest::read_file(&target.events).map_err(|e| e.to_string())?;
    let mut found = None;
    for record in reader {
        let record = record.map_err(|e| e.to_string())?;
        if record.record == target.record {
            found = Some(record);
            break;
        }
    }
    let record = found.ok_or_else(|| {
        format!(
            "{}: has no record {}",
            target.events.display(),
            target.record
        )
    })?;
    let event = rulecheck_sigma::Event::from_json(serde_json::Value::Object(record.event))
        .map_err(|_| {
            format!(
                "{}:{}: the event is not a JSON object",
                target.events.display(),
                record.line
            )
        })?;
    let trace = rule.explain(&event);
    let rendered = trace
        .render(&rule_path.display().to_string(), &text, &index)
        .to_string();
    let header = format!(
        "{} record {} (line {}): {}\n",
        target.events.display(),
        record.record,
        record.line,
        if trace.matched {
            "the rule matches"
        } else {
            "the rule does not match"
        }
    );
    Ok(Explanation {
        matched: trace.matched,
        text: header + &rendered,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explain_targets_read_an_optional_record() {
        assert_eq!(
            ExplainTarget::parse("events.jsonl:3"),
            ExplainTarget {
                events: "events.jsonl".into(),
                record: 3
            }
        );
        assert_eq!(
            ExplainTarget::parse("events.jsonl"),
            ExplainTarget {
                events: "events.jsonl".into(),
                record: 1
            }
        );
        assert_eq!(
            ExplainTarget::parse("c:events"),
            ExplainTarget {
                events: "c:events".into(),
                record: 1
            }
        );
    }
}
