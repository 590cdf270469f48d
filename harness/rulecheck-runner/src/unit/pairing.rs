//! Which fixtures belong to a rule.

use std::path::{Path, PathBuf};

use rulecheck_core::report::CaseKind;
use rulecheck_core::yaml::Node;

use crate::discover::is_yaml;

/// One scenario: a fixture file and what it expects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Scenario {
    /// What the scenario expects.
    pub kind: CaseKind,
    /// The fixture file.
    pub path: PathBuf,
}

/// The fixture folder of a rule: `<fixtures>/<path>/<name>` for a rule at
/// `<rules dir>/<path>/<name>.yml`, where the rules dir is one of the
/// configured `rules` folders (relative to `root`).
pub fn fixture_dir(
    rule: &Path,
    root: &Path,
    rule_dirs: &[String],
    fixtures: &str,
) -> Option<PathBuf> {
    let absolute = std::path::absolute(rule).ok()?;
    let root_abs = std::path::absolute(root).ok()?;
    let relative = absolute.strip_prefix(&root_abs).ok()?;
    let within = rule_dirs
        .iter()
        .filter_map(|dir| relative.strip_prefix(dir.trim_end_matches('/')).ok())
        .min_by_key(|p| p.components().count())?;
    let stem = within.with_extension("");
    Some(root.join(fixtures).join(stem))
}

/// Whether a file can hold fixture events (and is not an expectation).
pub fn is_fixture_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name.starts_with('.') || name.ends_with(".expected.yml") || name.ends_with(".expected.yaml")
    {
        return false;
    }
    is_yaml(path)
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "json" | "jsonl" | "ndjson"))
}

/// The scenarios in `dir/true_positive` and `dir/false_positive`, sorted.
pub fn scenarios_in(dir: &Path) -> Vec<Scenario> {
    let mut out = Vec::new();
    for kind in [CaseKind::TruePositive, CaseKind::FalsePositive] {
        let Ok(entries) = std::fs::read_dir(dir.join(kind.as_str())) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() && is_fixture_file(&path) {
                out.push(Scenario { kind, path });
            }
        }
    }
    out.sort();
    out
}

/// The local files an ESCU rule's `tests:` names in `attack_data[].data`
/// (URLs are datasets for the integration tier), relative to `root`. Each is
/// a true-positive scenario; a folder stands for the fixture files in it.
pub fn escu_tests(rule: &Node, root: &Path) -> Vec<Scenario> {
    let mut out = Vec::new();
    for test in rule.get("tests").map(Node::items).unwrap_or_default() {
        for data in test.get("attack_data").map(Node::items).unwrap_or_default() {
            let Some(location) = data.get("data").and_then(Node::as_str) else {
                continue;
            };
            if location.contains("://") {
                continue;
            }
            let path = root.join(location);
            if path.is_dir() {
                let Ok(entries) = std::fs::read_dir(&path) else {
                    continue;
                };
                let mut files: Vec<PathBuf> = entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_file() && is_fixture_file(p))
                    .collect();
                files.sort();
                out.extend(files.into_iter().map(|path| Scenario {
                    kind: CaseKind::TruePositive,
                    path,
                }));
            } else {
                out.push(Scenario {
                    kind: CaseKind::TruePositive,
                    path,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_pair_with_the_mirrored_fixture_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let rule = root.join("rules/sigma/win/x.yml");
        let fixtures = fixture_dir(&rule, root, &["rules".into()], "fixtures").unwrap();
        assert_eq!(fixtures, root.join("fixtures/sigma/win/x"));
        assert!(
            fixture_dir(
                &root.join("elsewhere/x.yml"),
                root,
                &["rules".into()],
                "fixtures"
            )
            .is_none()
        );
    }

    #[test]
    fn scenarios_are_found_by_kind_and_expectations_left_out() {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "true_positive/a.json",
            "true_positive/a.expected.yml",
            "true_positive/b.yml",
            "false_positive/c.jsonl",
            "false_positive/notes.txt",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "{}").unwrap();
        }
        let found: Vec<(CaseKind, String)> = scenarios_in(dir.path())
            .into_iter()
            .map(|s| {
                (
                    s.kind,
                    s.path.file_name().unwrap().to_string_lossy().into_owned(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (CaseKind::TruePositive, "a.json".into()),
                (CaseKind::TruePositive, "b.yml".into()),
                (CaseKind::FalsePositive, "c.jsonl".into())
            ]
        );
    }
}
