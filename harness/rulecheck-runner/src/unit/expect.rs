//! Expectations: what a scenario must produce. Without an expectation file
//! a true-positive scenario must produce at least one alert and a
//! false-positive scenario none; `<scenario>.expected.yml` beside the
//! fixture pins the alerts exactly. Its JSON Schema is
//! `schemas/expected.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rulecheck_core::report::CaseKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The contents of `<scenario>.expected.yml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "rulecheck scenario expectation",
    description = "Pins the alerts (result rows) a rule must produce on one fixture file."
)]
pub struct Expected {
    /// The exact number of alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// The alerts, each compared on the fields it names; other fields of
    /// the actual alert are not compared. In any order unless `ordered`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<Map<String, Value>>>,
    /// Fields never compared (e.g. `firstTime`, `lastTime`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// Compare rows in order (default: in any order).
    #[serde(default)]
    pub ordered: bool,
    /// Compare list values in order (default: as sets, since `values()`
    /// and `list()` order is not meaningful in most detections).
    #[serde(default)]
    pub ordered_values: bool,
    /// The time "now" is for the scenario (RFC 3339 or epoch seconds), for
    /// relative time (`earliest=-24h`, `relative_time`). Default: the time
    /// of the latest event of the scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<Value>,
}

/// The expectation file of a scenario, if there is one.
pub fn expectation_path(scenario: &Path) -> Option<PathBuf> {
    let stem = scenario.file_stem()?.to_string_lossy().into_owned();
    ["yml", "yaml"]
        .iter()
        .map(|ext| scenario.with_file_name(format!("{stem}.expected.{ext}")))
        .find(|p| p.is_file())
}

/// Read an expectation file; the error names its line and column.
pub fn read_expected(path: &Path) -> Result<Expected, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let loaded = rulecheck_core::yaml::load(&text, &rulecheck_core::yaml::Limits::default());
    let index = rulecheck_core::LineIndex::new(&text);
    let at = |offset: u32| {
        let lc = index.line_col(&text, offset);
        format!("{}:{}:{}", path.display(), lc.line, lc.column)
    };
    if let Some(d) = loaded.diagnostics.first() {
        return Err(format!(
            "{}: {}",
            at(d.span.map_or(0, |s| s.start)),
            d.message
        ));
    }
    let Some(root) = loaded.documents.first() else {
        return Ok(Expected::default());
    };
    serde_json::from_value(root.to_json()).map_err(|e| {
        // Point at the key serde names, when it names one.
        let key = e.to_string().split('`').nth(1).map(str::to_owned);
        let span = key
            .and_then(|k| root.entry(&k).map(|e| e.key_span))
            .unwrap_or(root.span);
        format!("{}: {e}", at(span.start))
    })
}

/// The verdict on one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Whether the alerts are as expected.
    pub pass: bool,
    /// What was expected, in words, for a failure.
    pub message: String,
    /// Expected rows as text lines (empty when no rows are pinned).
    pub expected_lines: Vec<String>,
    /// Actual rows as text lines, projected on the fields the expected rows
    /// name.
    pub actual_lines: Vec<String>,
}

/// Compare `actual` alerts with what the scenario expects.
pub fn judge(
    kind: CaseKind,
    expected: Option<&Expected>,
    actual: &[Map<String, Value>],
) -> Verdict {
    let pinned_rows = expected.and_then(|e| e.rows.as_ref());
    let count = expected.and_then(|e| e.count).or(pinned_rows.map(Vec::len));
    let (pass_count, message) = match (count, kind) {
        (Some(n), _) => (
            actual.len() == n,
            format!("expected {n} alert{}, got {}", plural(n), actual.len()),
        ),
        (None, CaseKind::TruePositive) => (
            !actual.is_empty(),
            format!("expected at least one alert, got {}", actual.len()),
        ),
        (None, CaseKind::FalsePositive) => (
            actual.is_empty(),
            format!("expected no alert, got {}", actual.len()),
        ),
    };
    let Some(rows) = pinned_rows else {
        return Verdict {
            pass: pass_count,
            message,
            expected_lines: Vec::new(),
            actual_lines: actual
                .iter()
                .map(|row| line(row, None, &[], false))
                .collect(),
        };
    };
    let expected = expected.cloned().unwrap_or_default();
    let fields: Vec<String> = {
        let mut names: Vec<String> = rows.iter().flat_map(|r| r.keys().cloned()).collect();
        names.sort();
        names.dedup();
        names.retain(|n| !expected.ignore.contains(n));
        names
    };
    let mut expected_lines: Vec<String> = rows
        .iter()
        .map(|r| line(r, Some(&fields), &expected.ignore, !expected.ordered_values))
        .collect();
    let mut actual_lines: Vec<String> = actual
        .iter()
        .map(|r| line(r, Some(&fields), &expected.ignore, !expected.ordered_values))
        .collect();
    if !expected.ordered {
        expected_lines.sort();
        actual_lines.sort();
    }
    let rows_match = expected_lines == actual_lines;
    Verdict {
        pass: pass_count && rows_match,
        message: if rows_match {
            message
        } else {
            format!("the alerts differ from the expected rows ({message})")
        },
        expected_lines,
        actual_lines,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One row as a line of JSON with sorted keys: only `fields` when given,
/// without `ignore`, list values sorted when `unordered_values`.
fn line(
    row: &Map<String, Value>,
    fields: Option<&[String]>,
    ignore: &[String],
    unordered_values: bool,
) -> String {
    let mut out: BTreeMap<&str, Value> = BTreeMap::new();
    for (key, value) in row {
        if ignore.contains(key) || fields.is_some_and(|f| !f.contains(key)) {
            continue;
        }
        out.insert(key, normalize(value, unordered_values));
    }
    if let Some(fields) = fields {
        for f in fields {
            out.entry(f.as_str()).or_insert(Value::Null);
        }
    }
    serde_json::to_string(&out).unwrap_or_default()
}

/// Numbers and strings compare by their text (`4688` equals `"4688"`, as
/// SPL sees them), lists as sets when asked.
fn normalize(value: &Value, unordered: bool) -> Value {
    match value {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(|v| normalize(v, unordered)).collect();
            if unordered {
                items.sort_by_key(ToString::to_string);
            }
            if items.len() == 1 {
                items.remove(0)
            } else {
                Value::Array(items)
            }
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalize(v, unordered)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(v: &Value) -> Vec<Map<String, Value>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect()
    }

    #[test]
    fn without_an_expectation_the_kind_decides() {
        let one = rows(&json!([{"a": 1}]));
        assert!(judge(CaseKind::TruePositive, None, &one).pass);
        assert!(!judge(CaseKind::TruePositive, None, &[]).pass);
        assert!(judge(CaseKind::FalsePositive, None, &[]).pass);
        let fp = judge(CaseKind::FalsePositive, None, &one);
        assert_eq!(
            (fp.pass, fp.message.as_str()),
            (false, "expected no alert, got 1")
        );
    }

    #[test]
    fn pinned_rows_compare_named_fields_with_tolerances() {
        let expected = Expected {
            rows: Some(rows(
                &json!([{"host": "ws1", "process": ["b", "a"], "firstTime": "x"}]),
            )),
            ignore: vec!["firstTime".into()],
            ..Expected::default()
        };
        let actual =
            rows(&json!([{"host": "ws1", "process": ["a", "b"], "firstTime": "y", "count": 2}]));
        assert!(judge(CaseKind::TruePositive, Some(&expected), &actual).pass);
        let wrong = rows(&json!([{"host": "ws2", "process": ["a", "b"]}]));
        let verdict = judge(CaseKind::TruePositive, Some(&expected), &wrong);
        assert!(!verdict.pass);
        assert_eq!(
            verdict.expected_lines,
            [r#"{"host":"ws1","process":["a","b"]}"#]
        );
        assert_eq!(
            verdict.actual_lines,
            [r#"{"host":"ws2","process":["a","b"]}"#]
        );
    }

    #[test]
    fn numbers_and_strings_compare_by_text_and_counts_are_exact() {
        let expected = Expected {
            count: Some(2),
            rows: None,
            ..Expected::default()
        };
        assert!(
            !judge(
                CaseKind::TruePositive,
                Some(&expected),
                &rows(&json!([{"a": 1}]))
            )
            .pass
        );
        let expected = Expected {
            rows: Some(rows(&json!([{"EventCode": "4688"}]))),
            ..Expected::default()
        };
        assert!(
            judge(
                CaseKind::TruePositive,
                Some(&expected),
                &rows(&json!([{"EventCode": 4688}]))
            )
            .pass
        );
    }

    #[test]
    fn expectation_files_are_read_with_positions() {
        let dir = tempfile::tempdir().unwrap();
        let scenario = dir.path().join("tp.jsonl");
        std::fs::write(&scenario, "{}").unwrap();
        assert!(expectation_path(&scenario).is_none());
        let path = dir.path().join("tp.expected.yml");
        std::fs::write(&path, "count: 1\nignore: [firstTime]\n").unwrap();
        assert_eq!(expectation_path(&scenario).as_deref(), Some(path.as_path()));
        assert_eq!(read_expected(&path).unwrap().count, Some(1));
        std::fs::write(&path, "count: 1\ncuont: 2\n").unwrap();
        let err = read_expected(&path).unwrap_err();
        assert!(err.contains("tp.expected.yml:2:1"), "{err}");
    }
}
