//! Macro expansion: definitions, arguments, recursion, errors and the map
//! back to the original query.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use rulecheck_core::{Severity, Span};
use rulecheck_spl::{
    FILTER_MACRO_PASSES, MACRO_ARGUMENTS, MACRO_CYCLE, Macros, UNKNOWN_MACRO, expand, parse,
};

fn macros() -> Macros {
    let mut m = Macros::new();
    m.add_escu_file(
        Path::new("ctime.yml"),
        "name: security_content_ctime\ndefinition: 'convert timeformat=\"%Y\" ctime($field$)'\narguments:\n- field\n",
    );
    m.insert("sysmon", "sourcetype=sysmon");
    m.insert_with_arguments("pair", vec!["a".into(), "b".into()], "$a$=$b$");
    m.insert("outer", "`inner` x");
    m.insert("inner", "y");
    m
}

fn text(query: &str, m: &Macros) -> String {
    expand(query, m).unwrap().text
}

#[test]
fn expansion_table() {
    let m = macros();
    let cases: &[(&str, &str)] = &[
        ("`sysmon` a", "sourcetype=sysmon a"),
        (
            "| `security_content_ctime(firstTime)`",
            "| convert timeformat=\"%Y\" ctime(firstTime)",
        ),
        ("`pair(x, \"y z\")`", "x=y z"),
        ("`pair(b=2, a=1)`", "1=2"),
        ("`outer`", "y x"),
        ("a ```a comment with `sysmon` ``` b", "a   b"),
        ("\"`sysmon`\" a", "\"`sysmon`\" a"),
        ("eval x=split(p,\"`\")", "eval x=split(p,\"`\")"),
        ("no macros", "no macros"),
    ];
    for (query, want) in cases {
        assert_eq!(text(query, &m), *want, "{query}");
    }
}

#[test]
fn the_map_wins_over_files_whatever_the_order() {
    let mut m = Macros::new();
    m.insert("x", "from_map");
    m.add_escu_file(Path::new("x.yml"), "name: x\ndefinition: from_file\n");
    assert_eq!(text("`x`", &m), "from_map");
    m.insert("x", "from_map_again");
    assert_eq!(text("`x`", &m), "from_map_again");
}

#[test]
fn a_call_with_arguments_falls_back_to_the_bare_name() {
    let mut m = Macros::new();
    m.add_escu_file(
        Path::new("f.yml"),
        "name: f(1)\ndefinition: f=$v$\narguments: [v]\n",
    );
    assert_eq!(text("`f(3)`", &m), "f=3");
}

#[test]
fn errors_name_the_macro_and_point_at_the_call() {
    let m = macros();
    let cases: &[(&str, &str, &str)] = &[
        ("a `nope` b", UNKNOWN_MACRO, "`nope`"),
        ("`sysmon(1)`", MACRO_ARGUMENTS, "`sysmon(1)`"),
        ("`pair(1)`", MACRO_ARGUMENTS, "`pair(1)`"),
        ("`pair(1`", MACRO_ARGUMENTS, "`pair(1`"),
        ("x `sysmon", rulecheck_spl::SYNTAX, "`"),
    ];
    for (query, code, at) in cases {
        let errors = expand(query, &m).unwrap_err();
        assert_eq!(errors.len(), 1, "{query}: {errors:?}");
        assert_eq!(errors[0].code, *code, "{query}");
        assert_eq!(&query[errors[0].span.unwrap().range()], *at, "{query}");
    }
}

#[test]
fn every_unknown_macro_is_reported() {
    let errors = expand("`a` `b` | `c`", &Macros::new()).unwrap_err();
    let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "macro `a` is not defined",
            "macro `b` is not defined",
            "macro `c` is not defined"
        ]
    );
}

#[test]
fn cycles_and_depth_are_refused() {
    let mut m = Macros::new();
    m.insert("a", "`b`");
    m.insert("b", "`a`");
    let errors = expand("x `a`", &m).unwrap_err();
    assert_eq!(errors[0].code, MACRO_CYCLE);
    assert_eq!(errors[0].message, "macro `a` expands to itself: a → b → a");
    assert_eq!(errors[0].span, Some(Span::new(2, 5)));

    let mut m = Macros::new();
    for i in 0..40 {
        m.insert(format!("m{i}"), format!("`m{}`", i + 1));
    }
    m.insert("m40", "end");
    let errors = expand("`m0`", &m).unwrap_err();
    assert_eq!(errors[0].code, MACRO_CYCLE);

    let mut m = Macros::new();
    m.insert("d0", "x");
    for i in 1..30 {
        m.insert(format!("d{i}"), format!("`d{0}` `d{0}`", i - 1));
    }
    let errors = expand("`d29`", &m).unwrap_err();
    assert!(errors[0].message.contains("grows past"), "{errors:?}");
}

#[test]
fn undefined_filter_macros_pass_only_when_asked() {
    let query = "a | `my_detection_filter`";
    let errors = expand(query, &Macros::new()).unwrap_err();
    assert_eq!(errors[0].code, UNKNOWN_MACRO);

    let m = Macros::new().with_undefined_filters_passing(true);
    let expanded = expand(query, &m).unwrap();
    assert_eq!(expanded.text, "a | search *");
    assert_eq!(expanded.notes.len(), 1);
    assert_eq!(expanded.notes[0].severity, Severity::Info);
    assert_eq!(expanded.notes[0].code, FILTER_MACRO_PASSES);
    assert_eq!(
        &query[expanded.notes[0].span.unwrap().range()],
        "`my_detection_filter`"
    );
    // A `_filter` macro with arguments is still an error.
    assert!(expand("`x_filter(1)`", &m).is_err());
}

#[test]
fn spans_map_back_to_the_query() {
    let m = macros();
    let query = "`sysmon` a=1 | `security_content_ctime(t)` | eval";
    let expanded = expand(query, &m).unwrap();
    let at = |needle: &str| {
        let start = expanded.text.find(needle).unwrap();
        let span = expanded.original_span(Span::new(start, start + needle.len()));
        &query[span.range()]
    };
    assert_eq!(at("a=1"), "a=1");
    assert_eq!(at("sourcetype"), "`sysmon`");
    assert_eq!(at("ctime(t)"), "`security_content_ctime(t)`");
    assert_eq!(at("eval"), "eval");
    assert_eq!(
        expanded.macro_at(expanded.text.find("ctime").unwrap()),
        Some("security_content_ctime")
    );

    // A parse error inside an expansion points at the call.
    let mut m = Macros::new();
    m.insert("broken", "where (1 +) > 2");
    let query = "a | `broken` | table x";
    let (pipeline, errors) = parse(&expand(query, &m).unwrap());
    assert!(pipeline.is_none());
    assert_eq!(&query[errors[0].span.unwrap().range()], "`broken`");
    assert!(
        errors[0]
            .help
            .as_deref()
            .unwrap()
            .contains("macro `broken`")
    );
}

#[test]
fn macro_files_that_are_not_macros_are_reported() {
    let mut m = Macros::new();
    let problems = m.add_escu_file(Path::new("bad.yml"), "name: x\n");
    assert_eq!(problems[0].code, rulecheck_spl::MACRO_FILE);
    assert_eq!(problems[0].message, "the macro file has no `definition`");
    let problems = m.add_escu_file(
        Path::new("bad.yml"),
        "name: x\ndefinition: y\narguments: 3\n",
    );
    assert_eq!(problems[0].message, "`arguments` must be a list of names");
    assert!(m.is_empty());
}

#[test]
fn the_repository_macro_folder_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../macros/escu");
    let (m, problems) = Macros::from_escu_dir(&dir).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(m.get("drop_dm_object_name", 1).is_some());
    assert_eq!(
        m.get("security_content_ctime", 1).unwrap().arguments,
        ["field"]
    );
}
