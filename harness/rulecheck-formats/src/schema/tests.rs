use super::*;
use rulecheck_core::LineIndex;
use rulecheck_core::yaml::{Limits, load};

fn findings(format: RuleFormat, text: &str) -> Vec<(String, u32, u32, String)> {
    let root = &load(text, &Limits::default()).documents[0];
    let index = LineIndex::new(text);
    validate(format, root)
        .into_iter()
        .map(|d| {
            let lc = index.line_col(text, d.span.map_or(0, |s| s.start));
            (d.code.to_owned(), lc.line, lc.column, d.message)
        })
        .collect()
}

const SIGMA: &str = "title: t\nid: 929a690e-bef0-4204-a928-ef5e620d6fcc\nstatus: test\nlogsource:\n  product: windows\ndetection:\n  sel:\n    Image|endswith: x\n  condition: sel\nlevel: high\n";

#[test]
fn a_valid_sigma_rule_passes() {
    assert_eq!(findings(RuleFormat::Sigma, SIGMA), []);
}

#[test]
fn an_invalid_enum_value_names_the_allowed_values_at_its_line() {
    let text = SIGMA.replace("level: high", "level: extreme");
    let root = &load(&text, &Limits::default()).documents[0];
    let diagnostics = validate(RuleFormat::Sigma, root);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].code, "schema-invalid-value");
    assert!(diagnostics[0].help.as_deref().unwrap().contains("critical"));
    assert_eq!(
        LineIndex::new(&text)
            .line_col(&text, diagnostics[0].span.unwrap().start)
            .line,
        10
    );
}

#[test]
fn a_missing_key_is_reported() {
    let text = "title: t\nlogsource: {product: windows}\n";
    let found = findings(RuleFormat::Sigma, text);
    assert_eq!(found[0].0, "schema-missing-key");
    assert!(found[0].3.contains("`detection`"));
}

#[test]
fn wrong_types_and_bad_uuids_point_at_the_value() {
    let text = SIGMA
        .replace("status: test", "status: [test]")
        .replace("929a690e-bef0-4204-a928-ef5e620d6fcc", "not-a-uuid");
    let found = findings(RuleFormat::Sigma, &text);
    let codes: Vec<_> = found.iter().map(|f| (f.0.as_str(), f.1)).collect();
    assert!(codes.contains(&("schema-invalid-value", 2)), "{found:?}");
    assert!(codes.iter().any(|&(_, line)| line == 3), "{found:?}");
}

#[test]
fn unknown_keys_in_strict_formats_suggest_the_closest_key() {
    let text =
        "id: '1.2'\ntitle: t\nlogic_format: Splunk\nlogic: search x\ntechnique_ids: [T1059]\n";
    let root = &load(text, &Limits::default()).documents[0];
    let diagnostics = validate(RuleFormat::Armory, root);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].code, "schema-unknown-key");
    assert_eq!(
        diagnostics[0].help.as_deref(),
        Some("did you mean `technique_id`?")
    );
}

#[test]
fn a_bad_search_identifier_is_reported_inside_the_detection() {
    let text = "title: t\nlogsource: {product: windows}\ndetection:\n  sel: 5\n  condition: sel\n";
    let found = findings(RuleFormat::Sigma, text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, 4);
}

#[test]
fn every_format_schema_compiles() {
    for format in RuleFormat::ALL {
        assert!(validator(format).is_some(), "{format}");
    }
}
