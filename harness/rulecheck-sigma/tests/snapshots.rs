//! Snapshots of what users read: explain traces of the repository's CMSTP
//! rule on its fixture events, and parse diagnostics of broken rules.

use std::fmt::Write as _;
use std::path::Path;

use rulecheck_core::{Diagnostic, LineIndex};
use rulecheck_sigma::{CompileOptions, Event, LogsourceMap, compile_str, parse_str};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../");
const RULE: &str = "rules/sigma/windows/sysmon/cmstp_execution.yml";
const FIXTURES: &str = "fixtures/sigma/windows/sysmon/cmstp_execution";

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The events of a fixture file: one JSON object (`.json`) or one per
/// non-empty line (`.jsonl`).
fn events(path: &Path) -> Vec<Event> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
    let values: Vec<serde_json::Value> = if path.extension().is_some_and(|x| x == "jsonl") {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    } else {
        vec![serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"))]
    };
    values
        .into_iter()
        .map(|v| Event::from_json(v).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn fixture_files(kind: &str) -> Vec<std::path::PathBuf> {
    let dir = format!("{ROOT}{FIXTURES}/{kind}");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json" || x == "jsonl"))
        .collect();
    files.sort();
    files
}

#[test]
fn explain_traces_of_cmstp_execution_on_its_fixtures() {
    let text = read(RULE);
    let index = LineIndex::new(&text);
    let opts = CompileOptions {
        logsource: Some(LogsourceMap::windows()),
        ..CompileOptions::default()
    };
    let rule = compile_str(&text, &opts).unwrap_or_else(|d| panic!("{d:?}"));
    for (kind, want) in [("true_positive", true), ("false_positive", false)] {
        let files = fixture_files(kind);
        assert!(!files.is_empty(), "no {kind} fixtures");
        for file in files {
            let stem = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            let mut out = String::new();
            let mut any = false;
            for (n, event) in events(&file).iter().enumerate() {
                let trace = rule.explain(event);
                assert_eq!(trace.matched, rule.matches(event), "{stem} #{n}");
                let _ = writeln!(out, "--- event {} of {kind}/{stem}", n + 1);
                let _ = write!(out, "{}", trace.render(RULE, &text, &index));
                any |= trace.matched;
            }
            assert_eq!(any, want, "{kind}/{stem}: whether some event matches");
            insta::assert_snapshot!(format!("explain_{kind}_{stem}"), out);
        }
    }
}

/// A diagnostic as the command line shows it: position, severity, code,
/// message, the source line with a caret under the span, and help.
fn render(file: &str, text: &str, d: &Diagnostic) -> String {
    let index = LineIndex::new(text);
    let mut out = String::new();
    match d.span {
        Some(span) => {
            let lc = index.line_col(text, span.start);
            let _ = writeln!(
                out,
                "{file}:{}:{}: {}[{}]: {}",
                lc.line,
                lc.column,
                d.severity.as_str(),
                d.code,
                d.message
            );
            let line = &text[index.line_range(text, lc.line)];
            let width = span
                .len()
                .max(1)
                .min(line.len().saturating_sub(lc.column as usize - 1))
                .max(1);
            let _ = writeln!(out, "    | {line}");
            let _ = writeln!(
                out,
                "    | {}{}",
                " ".repeat(lc.column as usize - 1),
                "^".repeat(width)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "{file}: {}[{}]: {}",
                d.severity.as_str(),
                d.code,
                d.message
            );
        }
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "    = help: {help}");
    }
    out
}

const BAD_RULES: &[(&str, &str)] = &[
    (
        "missing_detection",
        "title: No detection\nlogsource:\n    product: windows\n",
    ),
    (
        "undefined_identifier",
        "title: Typo in condition\nlogsource:\n    product: windows\ndetection:\n    selection:\n        Image|endswith: '\\cmstp.exe'\n    condition: selectoin\n",
    ),
    (
        "unknown_modifier",
        "title: Unknown modifier\nlogsource:\n    product: windows\ndetection:\n    selection:\n        CommandLine|contians: 'cmlua.dll'\n    condition: selection\n",
    ),
    (
        "bad_condition",
        "title: Unbalanced condition\nlogsource:\n    product: windows\ndetection:\n    selection:\n        EventID: 1\n    condition: (selection and\n",
    ),
    (
        "bad_detection",
        "title: Detection is a list\nlogsource:\n    product: windows\ndetection:\n    - EventID: 1\n",
    ),
    (
        "bad_yaml",
        "title: Broken YAML\nlogsource: { product: windows\ndetection:\n    selection:\n        EventID: 1\n    condition: selection\n",
    ),
];

#[test]
fn parse_diagnostics_of_bad_rules() {
    for (name, text) in BAD_RULES {
        let file = format!("{name}.yml");
        let (docs, diags) = parse_str(text);
        assert!(!diags.is_empty(), "{name}: expected diagnostics");
        assert!(docs.is_empty(), "{name}: the broken document is left out");
        let out: String = diags.iter().map(|d| render(&file, text, d)).collect();
        insta::assert_snapshot!(format!("diagnostics_{name}"), out);
    }
}
