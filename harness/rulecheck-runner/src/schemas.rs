//! Every JSON Schema rulecheck publishes in `schemas/`, generated from the
//! Rust types.

use rulecheck_core::RuleFormat;
use rulecheck_core::report::Report;
use rulecheck_formats::schema::{format_schema, schema_file_name, schema_of};
use serde_json::Value;

use crate::config::Config;

/// `(file name, schema)` for every published schema, in a fixed order.
pub fn all() -> Vec<(&'static str, Value)> {
    let mut out: Vec<(&'static str, Value)> = RuleFormat::ALL
        .iter()
        .map(|&f| (schema_file_name(f), format_schema(f)))
        .collect();
    out.push(("config.json", schema_of::<Config>()));
    out.push((
        "expected.json",
        schema_of::<crate::unit::expect::Expected>(),
    ));
    out.push(("report.json", schema_of::<Report>()));
    out
}

/// The text written for a schema: pretty JSON with a final newline.
pub fn render(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}
