//! The search language: terms, comparisons, boolean precedence, quoting.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::base_search;

#[test]
fn terms_and_comparisons() {
    let cases: &[(&str, &str)] = &[
        ("error", "error"),
        ("\"web error\"", "\"web error\""),
        ("process_*", "process_*"),
        ("a=b", "a=b"),
        ("a = b", "a=b"),
        ("a!=b", "a!=b"),
        ("count>5", "count>5"),
        ("count >= 5", "count>=5"),
        ("x<=3", "x<=3"),
        ("TargetUserName!=*$", "TargetUserName!=*$"),
        ("src_ip!=::1", "src_ip!=::1"),
        ("sourceIPs{}!=127.0.0.1", "sourceIPs{}!=127.0.0.1"),
        (
            "\"user.groups{}\"=\"system:x\"",
            "user.groups{}=\"system:x\"",
        ),
        ("dest=apis/rbac.k8s.io/v1", "dest=apis/rbac.k8s.io/v1"),
        ("a=x=y", "a=x=y"),
        (
            "Processes.process=*GetCurrent()*",
            "Processes.process=*GetCurrent()*",
        ),
        ("path=\"*\\\\AppData\\\\*\"", "path=\"*\\\\AppData\\\\*\""),
        ("a=\"say \\\"hi\\\"\"", "a=\"say \\\"hi\\\"\""),
    ];
    for (text, want) in cases {
        assert_eq!(base_search(text), *want, "{text}");
    }
}

#[test]
fn or_binds_tighter_than_and_in_search() {
    let cases: &[(&str, &str)] = &[
        ("a b", "(and a b)"),
        ("a AND b", "(and a b)"),
        ("a OR b", "(or a b)"),
        ("a b OR c", "(and a (or b c))"),
        ("a OR b c", "(and (or a b) c)"),
        ("a OR b AND c OR d", "(and (or a b) (or c d))"),
        ("NOT a b", "(and (not a) b)"),
        ("NOT a OR b", "(or (not a) b)"),
        ("NOT (a OR b)", "(not (or a b))"),
        ("(a b) OR c", "(or (and a b) c)"),
        ("((a))", "a"),
        ("a, b", "(and a b)"),
        ("a or b", "(and a or b)"),
        ("a not b", "(and a not b)"),
        ("NOT NOT a", "(not (not a))"),
    ];
    for (text, want) in cases {
        assert_eq!(base_search(text), *want, "{text}");
    }
}

#[test]
fn in_lists_and_directives() {
    let cases: &[(&str, &str)] = &[
        ("x IN (a, b)", "x in [a b]"),
        ("x IN (\"a b\",\"c\")", "x in [\"a b\" \"c\"]"),
        ("x in (a b)", "x in [a b]"),
        ("x IN ()", "x in []"),
        ("TERM(EventCode=4688)", "TERM(EventCode=4688)"),
        ("TERM(\"a b\")", "TERM(\"a b\")"),
        ("term(x)", "TERM(x)"),
        ("TERM (x)", "(and TERM x)"),
        ("CASE(Error)", "CASE(Error)"),
        ("host=CASE(LOCALHOST)", "host=CASE(LOCALHOST)"),
        ("TERM(a OR TERM(b))", "TERM(a OR TERM(b))"),
        (
            "(TERM(EventCode=4688) OR \"<EventID>4688<\" OR Type=Process)",
            "(or TERM(EventCode=4688) \"<EventID>4688<\" Type=Process)",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(base_search(text), *want, "{text}");
    }
}

#[test]
fn a_subsearch_is_a_term() {
    assert_eq!(
        base_search("a [search b | fields c]"),
        "(and a [2 commands])"
    );
}

#[test]
fn spans_cover_what_was_written() {
    let text = "a  x=\"y z\"";
    let p = common::pipeline(text);
    let rulecheck_spl::ast::CommandKind::Search(Some(rulecheck_spl::ast::SearchExpr::And(
        parts,
        span,
    ))) = &p.commands[0].kind
    else {
        panic!("{p:?}");
    };
    assert_eq!(span.range(), 0..text.len());
    assert_eq!(&text[parts[1].span().range()], "x=\"y z\"");
}

#[test]
fn a_query_of_only_spaces_is_an_empty_search() {
    let p = common::pipeline("   ");
    assert!(matches!(
        p.commands[0].kind,
        rulecheck_spl::ast::CommandKind::Search(None)
    ));
}
