//! The Sigma engine in a run: its options from `rulecheck.toml`
//! (logsource mapping, placeholder values), the compile step of the
//! validation tier, and `explain`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rulecheck_core::yaml::{self, Node, Value};
use rulecheck_core::{Diagnostic, LineIndex, RuleFormat, Severity};
use rulecheck_sigma::{CompileOptions, LogsourceMap, ParsedDocument};

use crate::Error;
use crate::config::Config;

/// Options for compiling Sigma rules, read from the configuration.
#[derive(Debug, Clone, Default)]
pub struct SigmaSetup {
    /// Placeholder values for `expand`.
    pub placeholders: HashMap<String, Vec<String>>,
    /// The logsource mapping (the built-in Windows mapping unless the
    /// configuration names another).
    pub mapping: Option<LogsourceMap>,
}

impl SigmaSetup {
    /// Read the files the configuration names (paths relative to `root`).
    pub fn from_config(config: &Config, root: &Path) -> Result<SigmaSetup, Error> {
        let placeholders = match &config.sigma.placeholders {
            Some(file) => read_placeholders(&root.join(file))?,
            None => HashMap::new(),
        };
        let mapping = match &config.sigma.mapping {
            Some(file) => read_mapping(&root.join(file))?,
            None => LogsourceMap::windows(),
        };
        Ok(SigmaSetup {
            placeholders,
            mapping: Some(mapping),
        })
    }

    /// Compile options: with the logsource mapping, or without it for
    /// events already filtered to the rule's log source.
    pub fn options(&self, apply_logsource: bool) -> CompileOptions {
        CompileOptions {
            placeholders: self.placeholders.clone(),
            logsource: if apply_logsource {
                self.mapping.clone()
            } else {
                None
            },
        }
    }
}

fn file_error(path: &Path, text: &str, diagnostics: &[Diagnostic]) -> Error {
    let index = LineIndex::new(text);
    let message = diagnostics
        .iter()
        .map(|d| match d.span {
            Some(span) => {
                let at = index.line_col(text, span.start);
                format!("{}:{}: {}", at.line, at.column, d.message)
            }
            None => d.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ");
    Error::Config {
        path: path.to_owned(),
        message,
    }
}

fn read_text(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

fn read_mapping(path: &Path) -> Result<LogsourceMap, Error> {
    let text = read_text(path)?;
    LogsourceMap::from_yaml(&text).map_err(|d| file_error(path, &text, &d))
}

/// Read a placeholder file: a mapping of names to a string or a list of
/// strings.
pub fn read_placeholders(path: &Path) -> Result<HashMap<String, Vec<String>>, Error> {
    let text = read_text(path)?;
    let loaded = yaml::load(&text, &yaml::Limits::default());
    if !loaded.diagnostics.is_empty() {
        return Err(file_error(path, &text, &loaded.diagnostics));
    }
    let mut out = HashMap::new();
    let Some(root) = loaded.documents.first() else {
        return Ok(out);
    };
    let Some(entries) = root.as_map() else {
        let d = Diagnostic::error(
            "sigma-bad-placeholders",
            "a placeholder file is a mapping of names to values",
        )
        .with_span(root.span);
        return Err(file_error(path, &text, &[d]));
    };
    for entry in entries {
        let values: Option<Vec<String>> = match &entry.value.value {
            Value::Seq(items) => items.iter().map(Node::scalar_text).collect(),
            _ => entry.value.scalar_text().map(|v| vec![v]),
        };
        let Some(values) = values else {
            let d = Diagnostic::error(
                "sigma-bad-placeholders",
                format!(
                    "the values of `{}` must be a string or a list of strings",
                    entry.key
                ),
            )
            .with_span(entry.value.span);
            return Err(file_error(path, &text, &[d]));
        };
        out.insert(entry.key.clone(), values);
    }
    Ok(out)
}

/// The Sigma engine's findings on a rule document: everything its parser
/// and compiler reject (modifier chains, conditions, regexes, values). A
/// placeholder without a value is a warning here: the values belong to the
/// environment, and evaluating the rule reports it as an error.
pub fn compile_diagnostics(format: RuleFormat, root: &Node, setup: &SigmaSetup) -> Vec<Diagnostic> {
    let mut out = match rulecheck_sigma::parse(root) {
        Err(diagnostics) => diagnostics,
        Ok(ParsedDocument::Rule(rule)) if format == RuleFormat::Sigma => {
            rulecheck_sigma::compile(&rule, &setup.options(false))
                .err()
                .unwrap_or_default()
        }
        Ok(_) => Vec::new(),
    };
    for d in &mut out {
        if d.code == "sigma-unresolved-placeholder" {
            d.severity = Severity::Warning;
        }
    }
    out
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
pub fn explain(
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

    #[test]
    fn placeholder_files_map_names_to_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("placeholders.yml");
        std::fs::write(&path, "Admins: [adm_*, root]\nDomain: corp\n").unwrap();
        let map = read_placeholders(&path).unwrap();
        assert_eq!(map["Admins"], ["adm_*", "root"]);
        assert_eq!(map["Domain"], ["corp"]);
        std::fs::write(&path, "Admins: {a: 1}\n").unwrap();
        let err = read_placeholders(&path).unwrap_err().to_string();
        assert!(err.contains("1:9"), "{err}");
    }
}
