//! The JSON report: `schemas/report.json`, pretty-printed, deterministic.

use rulecheck_core::report::Report;

/// The report as pretty JSON with a final newline.
pub fn render(report: &Report) -> String {
    // Serializing plain data structures cannot fail.
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}
