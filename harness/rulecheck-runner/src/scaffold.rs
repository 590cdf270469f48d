//! `rulecheck new RULE`: create a rule's fixture folders with a commented
//! template event built from the fields the rule uses. Existing files are
//! never touched.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rulecheck_core::RuleFormat;
use rulecheck_core::yaml::{self, Node};
use rulecheck_formats::{DocumentKind, detect};

use crate::Error;
use crate::config::Config;
use crate::unit::pairing::fixture_dir;

/// What `new` did.
#[derive(Debug, Default)]
pub struct Scaffold {
    /// The fixture folder.
    pub dir: PathBuf,
    /// Files written.
    pub created: Vec<PathBuf>,
    /// Files that already existed and were left alone.
    pub kept: Vec<PathBuf>,
}

/// Create the fixture folders of the rule at `rule` (under one of the
/// configured `rules` folders of `root`).
pub fn scaffold(rule: &Path, config: &Config, root: &Path) -> Result<Scaffold, Error> {
    let text = std::fs::read_to_string(rule).map_err(|source| Error::Io {
        path: rule.to_owned(),
        source,
    })?;
    let dir =
        fixture_dir(rule, root, &config.rules, &config.fixtures).ok_or_else(|| Error::Config {
            path: rule.to_owned(),
            message: format!(
                "the rule is not under a `rules` folder of the configuration ({})",
                config.rules.join(", ")
            ),
        })?;
    let loaded = yaml::load(&text, &yaml::Limits::default());
    let document = loaded.documents.first();
    let fields = document.map(used_fields).unwrap_or_default();
    let mut out = Scaffold {
        dir: dir.clone(),
        ..Scaffold::default()
    };
    for (kind, what) in [
        ("true_positive", "an event this rule must alert on"),
        (
            "false_positive",
            "a benign look-alike this rule must not alert on",
        ),
    ] {
        let folder = dir.join(kind);
        std::fs::create_dir_all(&folder).map_err(|source| Error::Io {
            path: folder.clone(),
            source,
        })?;
        let file = folder.join("example.yml");
        if file.exists() {
            out.kept.push(file);
            continue;
        }
        std::fs::write(&file, template(what, &fields)).map_err(|source| Error::Io {
            path: file.clone(),
            source,
        })?;
        out.created.push(file);
    }
    Ok(out)
}

/// The fields a rule tests, in order of first use, with what it tests.
fn used_fields(root: &Node) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |name: String, hint: String| {
        if !name.is_empty() && !out.iter().any(|(n, _)| *n == name) {
            out.push((name, hint));
        }
    };
    match detect(root) {
        DocumentKind::Rule(RuleFormat::Sigma) => {
            for (name, hint) in logsource_fields(root) {
                add(name.to_owned(), hint.to_owned());
            }
            for entry in root
                .get("detection")
                .and_then(Node::as_map)
                .unwrap_or_default()
            {
                if entry.key == "condition" {
                    continue;
                }
                let maps: Vec<&Node> = match entry.value.as_seq() {
                    Some(items) => items.iter().filter(|i| i.as_map().is_some()).collect(),
                    None => vec![&entry.value],
                };
                for map in maps {
                    for field in map.as_map().unwrap_or_default() {
                        let mut parts = field.key.split('|');
                        let name = parts.next().unwrap_or_default().to_owned();
                        let modifiers: Vec<&str> = parts.collect();
                        let values: Vec<String> = field
                            .value
                            .items()
                            .iter()
                            .filter_map(Node::scalar_text)
                            .take(3)
                            .collect();
                        let test = if modifiers.is_empty() {
                            "equals".to_owned()
                        } else {
                            modifiers.join("|")
                        };
                        add(
                            name,
                            format!("{}: {test} {}", entry.key, values.join(" / ")),
                        );
                    }
                }
            }
        }
        DocumentKind::Rule(RuleFormat::Escu | RuleFormat::Armory) => {
            let query = root
                .get("search")
                .or_else(|| root.get("logic"))
                .and_then(Node::as_str)
                .unwrap_or_default();
            for name in spl_fields(query) {
                add(name, "used by the search".to_owned());
            }
        }
        _ => {}
    }
    out
}

/// Fields and values implied by common Windows logsources.
fn logsource_fields(root: &Node) -> Vec<(&'static str, &'static str)> {
    let get = |k: &str| {
        root.get("logsource")
            .and_then(|l| l.get(k))
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match (
        get("product").as_str(),
        get("category").as_str(),
        get("service").as_str(),
    ) {
        ("windows", "process_creation", _) => vec![
            ("EventID", "1 (Sysmon) or 4688 (Security)"),
            ("Channel", "Microsoft-Windows-Sysmon/Operational"),
        ],
        ("windows", "", "sysmon") => vec![
            ("EventID", "the Sysmon event ID the selection needs"),
            ("Channel", "Microsoft-Windows-Sysmon/Operational"),
        ],
        ("windows", "", "security") => vec![
            ("EventID", "the Security event ID"),
            ("Channel", "Security"),
        ],
        ("windows", "ps_script", _) => vec![
            ("EventID", "4104"),
            ("Channel", "Microsoft-Windows-PowerShell/Operational"),
        ],
        _ => Vec::new(),
    }
}

/// The field names an SPL query compares (`field=value`, `field IN (…)`,
/// `Processes.process_name=…`).
fn spl_fields(query: &str) -> Vec<String> {
    const NOT_FIELDS: &[&str] = &[
        "datamodel",
        "summariesonly",
        "allow_old_summaries",
        "fillnull_value",
        "span",
        "max",
        "mode",
        "field",
        "timeformat",
        "type",
    ];
    let mut out = Vec::new();
    let bytes = query.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphabetic() || bytes[i] == b'_' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'.'))
            {
                i += 1;
            }
            let word = &query[start..i];
            let rest = query[i..].trim_start();
            let compares = rest.starts_with('=')
                || rest.starts_with("!=")
                || rest.to_ascii_uppercase().starts_with("IN (")
                || rest.to_ascii_uppercase().starts_with("IN(");
            let preceded = start > 0 && matches!(bytes[start - 1], b'"' | b'\'' | b'$' | b'`');
            if compares
                && !preceded
                && !NOT_FIELDS.contains(&word)
                && !out.iter().any(|w| w == word)
            {
                out.push(word.to_owned());
            }
        } else {
            i += 1;
        }
    }
    out
}

fn template(what: &str, fields: &[(String, String)]) -> String {
    let mut out = format!(
        "# A scenario: {what}.\n\
         # One event per YAML document (or a list of events); JSON and JSON lines work too.\n\
         # Replace the empty values with those of a real event. The fields the rule uses:\n"
    );
    for (name, hint) in fields {
        let _ = writeln!(out, "#   {name}: {hint}");
    }
    if fields.is_empty() {
        out.push_str("#   (none found: write the event's fields)\n");
    }
    for (name, _) in fields {
        let _ = writeln!(out, "{name}: ''");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spl_fields_are_the_compared_names() {
        let fields = spl_fields(
            "| tstats count from datamodel=Endpoint.Processes where Processes.parent_process_name=msiexec.exe Processes.process_name IN (\"cmd.exe\") by Processes.dest | where x!=1 span=1s",
        );
        assert_eq!(
            fields,
            [
                "Processes.parent_process_name",
                "Processes.process_name",
                "x"
            ]
        );
    }

    #[test]
    fn scaffolding_writes_templates_and_keeps_existing_files() {
        let dir = tempfile::tempdir().unwrap();
        let rule = dir.path().join("rules/sigma/x.yml");
        std::fs::create_dir_all(rule.parent().unwrap()).unwrap();
        std::fs::write(&rule, "title: x\nlogsource: {product: windows, category: process_creation}\ndetection:\n  selection:\n    ParentImage|endswith: '\\\\cmstp.exe'\n  condition: selection\n").unwrap();
        let done = scaffold(&rule, &Config::default(), dir.path()).unwrap();
        assert_eq!(done.created.len(), 2);
        let text = std::fs::read_to_string(&done.created[0]).unwrap();
        assert!(
            text.contains("#   ParentImage: selection: endswith \\\\cmstp.exe"),
            "{text}"
        );
        assert!(text.contains("\nEventID: ''\n"), "{text}");
        std::fs::write(&done.created[0], "EventID: 1\n").unwrap();
        let again = scaffold(&rule, &Config::default(), dir.path()).unwrap();
        assert_eq!((again.created.len(), again.kept.len()), (0, 2));
        assert_eq!(
            std::fs::read_to_string(&done.created[0]).unwrap(),
            "EventID: 1\n"
        );
    }
}
