//! The Sigma engine in a run: its options from `rulecheck.toml`
//! (logsource mapping, placeholder values), the compile step of the
//! validation tier, and `explain`.

use std::collections::HashMap;
use std::path::Path;

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

#[cfg(test)]
mod tests {
    use super::*;

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
