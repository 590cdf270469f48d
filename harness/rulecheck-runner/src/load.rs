//! Reading one rule file with limits: size, UTF-8, emptiness, and YAML
//! hazards. Every problem is a diagnostic; nothing panics.

use std::path::Path;

use rulecheck_core::yaml::{self, Node};
use rulecheck_core::{Diagnostic, Span};

use crate::config::Limits;

/// A rule file as read from disk.
#[derive(Debug)]
pub struct SourceFile {
    /// The text (lossily decoded when it is not UTF-8, so diagnostics can
    /// still show it).
    pub text: String,
    /// The YAML documents, empty when the file could not be read as YAML.
    pub documents: Vec<Node>,
    /// Problems reading the file.
    pub diagnostics: Vec<Diagnostic>,
}

impl SourceFile {
    /// Whether the file could not be read far enough to check any rule.
    pub fn unreadable(&self) -> bool {
        self.documents.is_empty()
    }
}

/// Read and parse `path`.
pub fn read(path: &Path, limits: &Limits) -> SourceFile {
    let fail = |text: String, diagnostic: Diagnostic| SourceFile {
        text,
        documents: Vec::new(),
        diagnostics: vec![diagnostic],
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > limits.max_file_size => {
            return fail(
                String::new(),
                Diagnostic::error(
                    "file-too-large",
                    format!("the file is {} bytes, over the limit of {} bytes", meta.len(), limits.max_file_size),
                )
                .with_help("rule files are small; raise `limits.max_file_size` in rulecheck.toml if this one is genuine"),
            );
        }
        Ok(_) => {}
        Err(e) => {
            return fail(
                String::new(),
                Diagnostic::error("io", format!("cannot read the file: {e}")),
            );
        }
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            return fail(
                String::new(),
                Diagnostic::error("io", format!("cannot read the file: {e}")),
            );
        }
    };
    parse(bytes, limits)
}

/// Parse the bytes of a rule file.
pub fn parse(bytes: Vec<u8>, limits: &Limits) -> SourceFile {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            return SourceFile {
                text,
                documents: Vec::new(),
                diagnostics: vec![
                    Diagnostic::error("not-utf8", "the file is not valid UTF-8")
                        .with_span(Span::new(valid, valid + 1))
                        .with_help("save the file as UTF-8"),
                ],
            };
        }
    };
    let loaded = yaml::load(
        &text,
        &yaml::Limits {
            max_nodes: limits.max_yaml_nodes,
            max_depth: limits.max_yaml_depth,
        },
    );
    let mut diagnostics = loaded.diagnostics;
    let mut documents = loaded.documents;
    // A document that is only `---` or comments loads as null: not a rule.
    documents.retain(|d| !matches!(d.value, yaml::Value::Null));
    if documents.is_empty() && diagnostics.is_empty() {
        diagnostics.push(
            Diagnostic::error("empty-file", "the file holds no YAML document")
                .with_help("write the rule, or delete the file"),
        );
    }
    SourceFile {
        text,
        documents,
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_points_at_the_first_bad_byte() {
        let file = parse(b"title: caf\xe9\n".to_vec(), &Limits::default());
        assert!(file.unreadable());
        assert_eq!(file.diagnostics[0].code, "not-utf8");
        assert_eq!(file.diagnostics[0].span.unwrap().start, 10);
    }

    #[test]
    fn empty_files_are_reported() {
        for text in ["", "\n\n", "# nothing\n", "---\n"] {
            let file = parse(text.as_bytes().to_vec(), &Limits::default());
            assert_eq!(file.diagnostics[0].code, "empty-file", "{text:?}");
        }
    }

    #[test]
    fn oversized_files_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.yml");
        std::fs::write(&path, "a: 1\n".repeat(100)).unwrap();
        let limits = Limits {
            max_file_size: 10,
            ..Limits::default()
        };
        assert_eq!(read(&path, &limits).diagnostics[0].code, "file-too-large");
    }
}
