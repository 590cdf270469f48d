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

/// A small deterministic generator (xorshift), so the mutation test below
/// explores the same inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn assert_spans_in_bounds(node: &Node, text: &str) {
    assert!(
        node.span.end as usize <= text.len(),
        "{:?} past {}",
        node.span,
        text.len()
    );
    assert!(
        text.is_char_boundary(node.span.start as usize)
            && text.is_char_boundary(node.span.end as usize)
    );
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| assert_spans_in_bounds(n, text)),
        Value::Map(entries) => {
            for e in entries {
                assert!(e.key_span.end as usize <= text.len());
                assert_spans_in_bounds(&e.value, text);
            }
        }
        _ => {}
    }
}

#[test]
fn mutated_rules_never_panic_and_spans_stay_in_bounds() {
    let seeds = [
        "title: CMSTP\nlogsource:\n  product: windows\ndetection:\n  sel:\n    Image|endswith: '\\cmstp.exe'\n    CommandLine|contains|all: [/s, .inf]\n  condition: sel\ntags: [attack.t1218.003]\n",
        "search: '| tstats count from datamodel=Endpoint.Processes\n| `f`'\ntags: {mitre_attack_id: [T1218.007], confidence: 50}\n",
        "a: &x {b: [1, 2.5, ~, true, \"é\\u00e9\"]}\nc: *x\n--- \n- |\n  literal\n- >-\n  folded\n",
    ];
    let pieces = [
        "\n", " ", "  ", "\t", ":", "- ", "[", "]", "{", "}", "'", "\"", "&a ", "*a", "#", "---\n",
        "é", "\u{feff}", "|", ">", "!!str ", "? ", ",", "\\",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let limits = Limits {
        max_nodes: 2_000,
        max_depth: 16,
    };
    // `YAML_FUZZ_ITERATIONS` runs a longer exploration by hand.
    let iterations = std::env::var("YAML_FUZZ_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4_000);
    for _ in 0..iterations {
        let mut text = seeds[rng.below(seeds.len())].to_owned();
        for _ in 0..=rng.below(6) {
            let mut at = rng.below(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match rng.below(3) {
                0 => text.insert_str(at, pieces[rng.below(pieces.len())]),
                1 => {
                    let mut end = (at + 1 + rng.below(8)).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(at..end, "");
                }
                _ => text.truncate(at),
            }
        }
        if std::env::var_os("YAML_FUZZ_PRINT").is_some() {
            eprintln!("INPUT {text:?}");
        }
        let loaded = load(&text, &limits);
        for doc in &loaded.documents {
            assert_spans_in_bounds(doc, &text);
        }
        for d in &loaded.diagnostics {
            assert!(
                d.span.is_none_or(|s| s.end as usize <= text.len()),
                "{text:?}: {d:?}"
            );
        }
    }
}

#[test]
fn a_block_scalar_at_the_end_of_a_file_without_a_final_newline_loads() {
    let doc = load_ok("description: |\n  first line\n  last line");
    assert_eq!(
        doc.get("description").unwrap().as_str(),
        Some("first line\nlast line\n")
    );
}

#[test]
fn a_byte_order_mark_is_skipped_and_positions_stay_exact() {
    let text = "\u{feff}title: x\nlevel: high\n";
    let doc = load_ok(text);
    let level = doc.get("level").unwrap();
    assert_eq!(&text[level.span.range()], "high");
}

#[test]
fn inputs_that_break_the_parser_become_syntax_errors() {
    // A tag directly followed by `,` in a flow collection.
    let loaded = load("a: [!!rue, 1]\n", &Limits::default());
    assert!(loaded.documents.is_empty());
    assert_eq!(loaded.diagnostics[0].code, "yaml-syntax");
}
