use super::*;
use crate::span::LineIndex;

fn load_ok(text: &str) -> Node {
    let loaded = load(text, &Limits::default());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    loaded.documents.into_iter().next().expect("one document")
}

fn position(text: &str, span: crate::span::Span) -> (u32, u32) {
    let lc = LineIndex::new(text).line_col(text, span.start);
    (lc.line, lc.column)
}

#[test]
fn nodes_keep_their_positions() {
    let text =
        "title: x\ndetection:\n  sel:\n    Image|endswith: '\\cmstp.exe'\n  condition: sel\n";
    let doc = load_ok(text);
    let value = doc.pointer("/detection/sel/Image|endswith").unwrap();
    assert_eq!(value.as_str(), Some("\\cmstp.exe"));
    assert_eq!(position(text, value.span), (4, 21));
    assert_eq!(&text[value.span.range()], "'\\cmstp.exe'");
    let entry = doc.get("detection").unwrap().entry("condition").unwrap();
    assert_eq!(position(text, entry.key_span), (5, 3));
}

#[test]
fn positions_count_characters_in_non_ascii_text() {
    let text = "a: é\nb: c\n";
    let doc = load_ok(text);
    let b = doc.get("b").unwrap();
    assert_eq!(&text[b.span.range()], "c");
    assert_eq!(position(text, b.span), (2, 4));
}

#[test]
fn sequence_items_are_addressed_by_index() {
    let text = "tags:\n  - attack.execution\n  - attack.t1218.003\n";
    let doc = load_ok(text);
    let tag = doc.pointer("/tags/1").unwrap();
    assert_eq!(tag.as_str(), Some("attack.t1218.003"));
    assert_eq!(position(text, tag.span), (3, 5));
}

#[test]
fn multiple_documents_load_in_order() {
    let loaded = load("a: 1\n---\nb: 2\n", &Limits::default());
    assert_eq!(loaded.documents.len(), 2);
    assert!(loaded.documents[1].get("b").is_some());
}

#[test]
fn an_empty_stream_has_no_document() {
    assert!(load("", &Limits::default()).documents.is_empty());
    assert!(
        load("# only a comment\n", &Limits::default())
            .documents
            .is_empty()
    );
}

#[test]
fn duplicate_keys_are_reported_and_the_first_kept() {
    let text = "level: high\nlevel: low\n";
    let loaded = load(text, &Limits::default());
    assert_eq!(loaded.diagnostics.len(), 1);
    assert_eq!(loaded.diagnostics[0].code, "yaml-duplicate-key");
    assert_eq!(position(text, loaded.diagnostics[0].span.unwrap()), (2, 1));
    assert_eq!(
        loaded.documents[0].get("level").unwrap().as_str(),
        Some("high")
    );
}

#[test]
fn alias_bombs_stop_at_the_node_limit() {
    let mut lines = vec!["a0: &a0 [x, x, x, x, x, x, x, x, x, x]".to_owned()];
    for i in 1..10 {
        let items = vec![format!("*a{}", i - 1); 10].join(", ");
        lines.push(format!("a{i}: &a{i} [{items}]"));
    }
    let text = lines.join("\n");
    let loaded = load(&text, &Limits::default());
    assert!(loaded.documents.is_empty());
    assert_eq!(loaded.diagnostics[0].code, "yaml-too-large");
}

#[test]
fn small_aliases_expand() {
    let doc = load_ok("base: &b {x: 1}\ncopy: *b\n");
    assert_eq!(doc.pointer("/copy/x").unwrap().value, Value::Int(1));
}

#[test]
fn deep_nesting_stops_at_the_depth_limit() {
    let mut text = String::new();
    for depth in 0..100 {
        text.push_str(&" ".repeat(depth * 2));
        text.push_str("k:\n");
    }
    let loaded = load(&text, &Limits::default());
    assert!(loaded.documents.is_empty());
    assert_eq!(loaded.diagnostics[0].code, "yaml-too-deep");
}

#[test]
fn deep_flow_nesting_is_refused_without_overflowing_the_stack() {
    let text = "[".repeat(100_000);
    let loaded = load(&text, &Limits::default());
    assert!(loaded.documents.is_empty());
    assert_eq!(loaded.diagnostics.len(), 1);
}

#[test]
fn syntax_errors_point_at_the_fault() {
    let text = "title: x\nlevel: [high\n";
    let loaded = load(text, &Limits::default());
    assert!(loaded.documents.is_empty());
    assert_eq!(loaded.diagnostics[0].code, "yaml-syntax");
    assert!(loaded.diagnostics[0].span.is_some());
}

#[test]
fn quoted_scalars_stay_strings_and_tags_are_honoured() {
    let doc = load_ok("a: '1'\nb: 1\nc: !!str 2\nd: \"x\\\"y\"\n");
    assert_eq!(doc.get("a").unwrap().value, Value::String("1".into()));
    assert_eq!(doc.get("b").unwrap().value, Value::Int(1));
    assert_eq!(doc.get("c").unwrap().value, Value::String("2".into()));
    assert_eq!(doc.get("d").unwrap().span.len(), 6);
}

#[test]
fn to_json_keeps_order_and_types() {
    let doc = load_ok("b: 1\na: [true, null, 'x']\n");
    assert_eq!(doc.to_json().to_string(), r#"{"b":1,"a":[true,null,"x"]}"#);
}

#[test]
fn quoted_scalars_continued_at_column_zero_load_as_pyyaml_reads_them() {
    let doc = load_ok("search: '`okta` x=1\n| stats count\n| `f`'\nnext: 1\n");
    assert_eq!(
        doc.get("search").unwrap().as_str(),
        Some("`okta` x=1 | stats count | `f`")
    );
    assert_eq!(doc.get("next").unwrap().value, Value::Int(1));
}

#[test]
fn collection_spans_end_at_their_last_item() {
    let text = "a:\n  b: 1\n  c: [x, y]\nd: 2\n";
    let doc = load_ok(text);
    assert_eq!(
        &text[doc.get("a").unwrap().span.range()],
        "b: 1\n  c: [x, y]"
    );
}
