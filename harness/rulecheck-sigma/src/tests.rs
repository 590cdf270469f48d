//! Semantics tests: small rules and events that pin each modifier and
//! condition form down, positive and negative.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::*;

fn rule_text(detection: &str) -> String {
    let mut body = String::new();
    for line in detection.lines() {
        body.push_str("    ");
        body.push_str(line);
        body.push('\n');
    }
    format!(
        "title: t\nid: test-rule\nlogsource: {{ product: windows, category: process_creation }}\ndetection:\n{body}"
    )
}

fn compiled(detection: &str) -> CompiledRule {
    let text = rule_text(detection);
    compile_str(&text, &CompileOptions::default()).unwrap_or_else(|d| panic!("{detection}\n{d:#?}"))
}

fn event(v: Value) -> Event {
    Event::from_json(v).unwrap_or_else(|e| panic!("{e}"))
}

/// (detection, event, expected) rows.
fn run(cases: &[(&str, Value, bool)]) {
    for (detection, ev, want) in cases {
        let rule = compiled(detection);
        let e = event(ev.clone());
        assert_eq!(rule.matches(&e), *want, "\n{detection}\nevent: {ev}");
        assert_eq!(
            rule.explain(&e).matched,
            *want,
            "explain disagrees:\n{detection}"
        );
        // The rule-set path (resolved slots) agrees with the direct path.
        let (docs, _) = parse_str(&rule_text(detection));
        let (set, errs) = RuleSet::build(&docs, &CompileOptions::default());
        assert!(errs.is_empty());
        assert_eq!(
            set.count([&e])[0] == 1,
            *want,
            "rule set disagrees:\n{detection}"
        );
    }
}

fn errors(detection: &str) -> Vec<&'static str> {
    let text = rule_text(detection);
    match compile_str(&text, &CompileOptions::default()) {
        Ok(_) => Vec::new(),
        Err(d) => d.iter().map(|d| d.code).collect(),
    }
}

const SEL: &str = "condition: sel";

fn d(sel: &str) -> String {
    format!(
        "sel:\n{}\n{SEL}",
        sel.lines()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

#[test]
fn plain_values_wildcards_and_case() {
    let cases = [
        (
            d("Image: 'C:\\Windows\\cmd.exe'"),
            json!({"Image": "c:\\windows\\CMD.EXE"}),
            true,
        ),
        (
            d("Image: 'C:\\Windows\\cmd.exe'"),
            json!({"Image": "c:\\windows\\cmd.exe2"}),
            false,
        ),
        (
            d("Image: '*\\cmd.exe'"),
            json!({"Image": "C:\\x\\cmd.exe"}),
            true,
        ),
        (
            d("Image: 'C:\\Win*'"),
            json!({"Image": "C:\\Windows"}),
            true,
        ),
        (d("Image: 'a?c'"), json!({"Image": "abc"}), true),
        (d("Image: 'a?c'"), json!({"Image": "ac"}), false),
        (d("Image: 'a\\*c'"), json!({"Image": "a*c"}), true),
        (d("Image: 'a\\*c'"), json!({"Image": "abc"}), false),
        (d("Image: ''"), json!({"Image": ""}), true),
        (d("Image: ''"), json!({}), false),
        (d("Image: x"), json!({}), false),
        (d("Image: [a, b]"), json!({"Image": "B"}), true),
        (d("Image: [a, b]"), json!({"Image": "c"}), false),
        (
            d("Image: x\nUser: y"),
            json!({"Image": "x", "User": "y"}),
            true,
        ),
        (
            d("Image: x\nUser: y"),
            json!({"Image": "x", "User": "z"}),
            false,
        ),
        (d("Tags: evil"), json!({"Tags": ["good", "EVIL"]}), true),
        (d("Tags: evil"), json!({"Tags": ["good"]}), false),
        (
            d("process.name: evil.exe"),
            json!({"process": {"name": "evil.exe"}}),
            true,
        ),
    ];
    run(&cases
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.clone(), *c))
        .collect::<Vec<_>>());
}

#[test]
fn numbers_booleans_and_null() {
    let cases = [
        (d("EventID: 1"), json!({"EventID": 1}), true),
        (d("EventID: 1"), json!({"EventID": "1"}), true),
        (d("EventID: 1"), json!({"EventID": 10}), false),
        (d("EventID: '1'"), json!({"EventID": 1}), true),
        (d("EventID: [4624, 4625]"), json!({"EventID": 4625}), true),
        (d("Enabled: true"), json!({"Enabled": true}), true),
        (d("Enabled: true"), json!({"Enabled": "true"}), true),
        (d("Enabled: true"), json!({"Enabled": false}), false),
        (d("Field: null"), json!({}), true),
        (d("Field: null"), json!({"Field": null}), true),
        (d("Field: null"), json!({"Field": ""}), false),
        (d("Size: 1.5"), json!({"Size": 1.5}), true),
    ];
    run(&cases
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.clone(), *c))
        .collect::<Vec<_>>());
}

#[test]
#[allow(clippy::too_many_lines, reason = "one table row per modifier case")]
fn every_modifier() {
    let cases = [
        // contains / startswith / endswith / all
        (d("C|contains: mimi"), json!({"C": "xMIMIx"}), true),
        (d("C|contains: mimi"), json!({"C": "mim"}), false),
        (d("C|contains: [a1, b2, c3]"), json!({"C": "zzB2zz"}), true),
        (d("C|contains: [a1, b2, c3]"), json!({"C": "zz"}), false),
        (d("C|startswith: abc"), json!({"C": "ABCdef"}), true),
        (d("C|startswith: abc"), json!({"C": "xabc"}), false),
        (d("C|endswith: .exe"), json!({"C": "a.EXE"}), true),
        (d("C|endswith: .exe"), json!({"C": "a.exe "}), false),
        (d("C|contains|all: [a1, b2]"), json!({"C": "a1 b2"}), true),
        (d("C|contains|all: [a1, b2]"), json!({"C": "a1 b3"}), false),
        (d("C|all: [x, x]"), json!({"C": "x"}), true),
        // exists
        (d("C|exists: true"), json!({"C": null}), true),
        (d("C|exists: true"), json!({}), false),
        (d("C|exists: false"), json!({}), true),
        (d("C|exists: false"), json!({"C": 1}), false),
        // cased
        (d("C|cased: Abc"), json!({"C": "Abc"}), true),
        (d("C|cased: Abc"), json!({"C": "abc"}), false),
        (d("C|contains|cased: Abc"), json!({"C": "xAbcx"}), true),
        (d("C|contains|cased: Abc"), json!({"C": "xabcx"}), false),
        // neq
        (d("C|neq: a"), json!({"C": "b"}), true),
        (d("C|neq: a"), json!({"C": "A"}), false),
        (d("C|neq: [a, b]"), json!({"C": "b"}), false),
        (d("C|neq: [a, b]"), json!({"C": "c"}), true),
        (d("N|neq: 5"), json!({"N": 5}), false),
        (d("N|neq: 5"), json!({"N": 6}), true),
        // windash
        (
            d("C|windash|contains: ' -enc '"),
            json!({"C": "ps /enc x"}),
            true,
        ),
        (
            d("C|windash|contains: ' -enc '"),
            json!({"C": "ps \u{2013}enc x"}),
            true,
        ),
        (
            d("C|windash|contains: ' -enc '"),
            json!({"C": "ps -enc x"}),
            true,
        ),
        (
            d("C|windash|contains: ' -enc '"),
            json!({"C": "ps enc x"}),
            false,
        ),
        (
            d("C|contains|windash: ' -enc '"),
            json!({"C": "ps \u{2015}enc x"}),
            true,
        ),
        // re and flags
        (d("C|re: '^a.c$'"), json!({"C": "abc"}), true),
        (d("C|re: '^a.c$'"), json!({"C": "ABC"}), false),
        (d("C|re|i: '^a.c$'"), json!({"C": "ABC"}), true),
        (d("C|re: '^b$'"), json!({"C": "a\nb"}), false),
        (d("C|re|m: '^b$'"), json!({"C": "a\nb"}), true),
        (d("C|re: 'a.b'"), json!({"C": "a\nb"}), false),
        (d("C|re|s: 'a.b'"), json!({"C": "a\nb"}), true),
        (d("C|re: 'foo(?!bar)'"), json!({"C": "foobaz"}), true),
        (d("C|re: 'foo(?!bar)'"), json!({"C": "foobar"}), false),
        // base64 / base64offset / utf16
        (d("C|base64: cmd"), json!({"C": "Y21k"}), true),
        (d("C|base64|contains: cmd"), json!({"C": "xxY21kxx"}), true),
        (d("C|base64: cmd"), json!({"C": "cmd"}), false),
        (
            d("C|base64offset|contains: /bin/bash"),
            json!({"C": "echo IC9iaW4vYmFzaA== | b64"}),
            true,
        ),
        (
            d("C|base64offset|contains: /bin/bash"),
            json!({"C": "L2Jpbi9iYXNo"}),
            true,
        ),
        (
            d("C|base64offset|contains: /bin/bash"),
            json!({"C": "L2Jpbi9zaA=="}),
            false,
        ),
        (
            d("C|utf16le|base64offset|contains: ping"),
            json!({"C": "-enc cABpAG4AZwA="}),
            true,
        ),
        (
            d("C|wide|base64offset|contains: ping"),
            json!({"C": "-enc cABpAG4AZwA="}),
            true,
        ),
        (d("C|utf16be|base64: cmd"), json!({"C": "AGMAbQBk"}), true),
        (d("C|utf16|base64: cmd"), json!({"C": "//5jAG0AZAA="}), true),
        (d("C|utf16le|base64: cmd"), json!({"C": "Y21k"}), false),
        // numeric comparisons
        (d("N|lt: 5"), json!({"N": 4}), true),
        (d("N|lt: 5"), json!({"N": 5}), false),
        (d("N|lte: 5"), json!({"N": 5}), true),
        (d("N|gt: 5"), json!({"N": "6"}), true),
        (d("N|gt: 5"), json!({"N": 5}), false),
        (d("N|gte: 5"), json!({"N": 5}), true),
        (d("N|gte: 5"), json!({}), false),
        // time parts
        (d("T|minute: 7"), json!({"T": "2024-03-05T14:07:09Z"}), true),
        (d("T|hour: 14"), json!({"T": "2024-03-05T14:07:09Z"}), true),
        (d("T|hour: 15"), json!({"T": "2024-03-05T14:07:09Z"}), false),
        (
            d("T|hour|gte: 20"),
            json!({"T": "2024-03-05T21:00:00Z"}),
            true,
        ),
        (
            d("T|hour|gte: 20"),
            json!({"T": "2024-03-05T19:00:00Z"}),
            false,
        ),
        (d("T|day: 5"), json!({"T": "2024-03-05T14:07:09Z"}), true),
        (d("T|week: 10"), json!({"T": "2024-03-05T14:07:09Z"}), true),
        (d("T|month: 3"), json!({"T": "2024-03-05"}), true),
        (d("T|year: 2024"), json!({"T": 1_709_647_629}), true),
        (d("T|year: 2023"), json!({"T": "2024-03-05"}), false),
        (d("T|year: 2024"), json!({"T": "not a date"}), false),
        // cidr
        (d("Ip|cidr: 10.0.0.0/8"), json!({"Ip": "10.20.30.40"}), true),
        (d("Ip|cidr: 10.0.0.0/8"), json!({"Ip": "11.0.0.1"}), false),
        (
            d("Ip|cidr: ['10.0.0.0/8', 'fc00::/7']"),
            json!({"Ip": "fd12::1"}),
            true,
        ),
        (
            d("Ip|cidr: 'fc00::/7'"),
            json!({"Ip": "2001:db8::1"}),
            false,
        ),
        (d("Ip|cidr: 10.0.0.0/8"), json!({"Ip": "not an ip"}), false),
        // fieldref
        (d("A|fieldref: B"), json!({"A": "x", "B": "X"}), true),
        (d("A|fieldref: B"), json!({"A": "x", "B": "y"}), false),
        (d("A|fieldref: B"), json!({"A": "x"}), false),
        (d("A|fieldref|neq: B"), json!({"A": "x", "B": "y"}), true),
        (d("A|fieldref|neq: B"), json!({"A": "x", "B": "x"}), false),
        (
            d("A|fieldref|startswith: B"),
            json!({"A": "xyz", "B": "xy"}),
            true,
        ),
        (d("A|fieldref|cased: B"), json!({"A": "x", "B": "X"}), false),
    ];
    run(&cases
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.clone(), *c))
        .collect::<Vec<_>>());
}

#[test]
fn expand_uses_the_placeholder_map() {
    let text = rule_text(&d("User|expand: '%Admins%'"));
    let mut opts = CompileOptions::default();
    let err = compile_str(&text, &opts).err().unwrap_or_default();
    assert_eq!(
        err.iter().map(|d| d.code).collect::<Vec<_>>(),
        ["sigma-unresolved-placeholder"]
    );
    assert!(err[0].span.is_some());
    opts.placeholders = HashMap::from([(
        "Admins".to_owned(),
        vec!["adm_*".to_owned(), "root".to_owned()],
    )]);
    let rule = compile_str(&text, &opts).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(rule.matches(&event(json!({"User": "ADM_bob"}))));
    assert!(rule.matches(&event(json!({"User": "root"}))));
    assert!(!rule.matches(&event(json!({"User": "bob"}))));
    // Without `expand`, `%x%` is literal.
    let literal = compiled(&d("User: '%Admins%'"));
    assert!(literal.matches(&event(json!({"User": "%admins%"}))));
}

#[test]
fn keywords() {
    let cases = [
        (
            "kw:\n    - mimikatz\n    - 'event::clear'\ncondition: kw",
            json!({"CommandLine": "run Event::Clear"}),
            true,
        ),
        (
            "kw:\n    - mimikatz\ncondition: kw",
            json!({"CommandLine": "nothing"}),
            false,
        ),
        (
            "kw:\n    - mimikatz\ncondition: kw",
            json!({"_raw": "x MIMIKATZ y", "CommandLine": "nothing"}),
            true,
        ),
        (
            "kw:\n    - mimikatz\ncondition: kw",
            json!({"_raw": "nothing", "CommandLine": "mimikatz"}),
            false,
        ),
        (
            "kw:\n    '|all':\n        - Oab\n        - ' -ExternalUrl '\ncondition: kw",
            json!({"a": "OAB", "b": "x -externalurl y"}),
            true,
        ),
        (
            "kw:\n    '|all':\n        - Oab\n        - ' -ExternalUrl '\ncondition: kw",
            json!({"a": "OAB"}),
            false,
        ),
        (
            "kw:\n    '|contains': [abc]\ncondition: kw",
            json!({"n": {"deep": "xabcx"}}),
            true,
        ),
        (
            "kw: single\ncondition: kw",
            json!({"a": "a single word"}),
            true,
        ),
    ];
    run(&cases);
}

#[test]
fn conditions() {
    let base = "sel1:\n    A: 1\nsel2:\n    B: 1\nfilter_x:\n    C: 1\n_hidden:\n    D: 1\n";
    let cases = [
        ("sel1", json!({"A": 1}), true),
        ("sel1 and sel2", json!({"A": 1}), false),
        ("sel1 and sel2", json!({"A": 1, "B": 1}), true),
        ("sel1 or sel2", json!({"B": 1}), true),
        ("not sel1", json!({"B": 1}), true),
        ("not sel1", json!({"A": 1}), false),
        ("sel1 and not filter_x", json!({"A": 1, "C": 1}), false),
        ("sel1 or sel2 and filter_x", json!({"A": 1}), true),
        ("(sel1 or sel2) and filter_x", json!({"A": 1}), false),
        ("not sel1 and sel2", json!({"B": 1}), true),
        ("not (sel1 and sel2)", json!({"A": 1, "B": 1}), false),
        ("1 of sel*", json!({"B": 1}), true),
        ("1 of sel*", json!({"C": 1}), false),
        ("all of sel*", json!({"A": 1, "B": 1}), true),
        ("all of sel*", json!({"A": 1}), false),
        ("1 of them", json!({"C": 1}), true),
        ("1 of them", json!({"D": 1}), false),
        ("all of them", json!({"A": 1, "B": 1, "C": 1}), true),
        ("all of them", json!({"A": 1, "B": 1}), false),
        (
            "1 of sel* and not 1 of filter*",
            json!({"A": 1, "C": 1}),
            false,
        ),
        ("1 of sel* and not 1 of filter*", json!({"A": 1}), true),
        ("2 of them", json!({"A": 1, "C": 1}), true),
        ("2 of them", json!({"A": 1}), false),
        ("all of *_x", json!({"C": 1}), true),
        ("_hidden", json!({"D": 1}), true),
    ];
    let rows: Vec<(String, Value, bool)> = cases
        .iter()
        .map(|(c, e, w)| (format!("{base}condition: {c}"), e.clone(), *w))
        .collect();
    run(&rows
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.clone(), *c))
        .collect::<Vec<_>>());
    // A list of conditions is an OR.
    run(&[(
        &format!("{base}condition:\n    - sel1\n    - sel2"),
        json!({"B": 1}),
        true,
    )]);
    // A list of maps is an OR of ANDs.
    run(&[
        (
            "sel:\n    - A: 1\n      B: 2\n    - C: 3\ncondition: sel",
            json!({"C": 3}),
            true,
        ),
        (
            "sel:\n    - A: 1\n      B: 2\n    - C: 3\ncondition: sel",
            json!({"A": 1}),
            false,
        ),
    ]);
}

#[test]
fn diagnostics_for_bad_rules() {
    let cases: &[(&str, &[&str])] = &[
        (
            "sel:\n    A|bogus: 1\ncondition: sel",
            &["sigma-unknown-modifier"],
        ),
        (
            "sel:\n    A|bogus: 1\n    B|nope: 2\ncondition: sel",
            &["sigma-unknown-modifier", "sigma-unknown-modifier"],
        ),
        (
            "sel:\n    A: 1\ncondition: other",
            &["sigma-undefined-identifier"],
        ),
        (
            "sel:\n    A: 1\ncondition: 1 of nothing*",
            &["sigma-undefined-identifier"],
        ),
        (
            "sel:\n    A: 1\ncondition: sel and",
            &["sigma-bad-condition"],
        ),
        ("sel:\n    A|re: '(x'\ncondition: sel", &["sigma-bad-regex"]),
        (
            "sel:\n    A|re: '(x'\n    B|re: '[y'\ncondition: sel",
            &["sigma-bad-regex", "sigma-bad-regex"],
        ),
        (
            "sel:\n    A|utf16le: x\ncondition: sel",
            &["sigma-bad-modifier"],
        ),
        (
            "sel:\n    A|contains|re: x\ncondition: sel",
            &["sigma-bad-modifier"],
        ),
        (
            "sel:\n    A|all: x\ncondition: sel",
            &["sigma-bad-modifier"],
        ),
        (
            "sel:\n    A|exists: yes\ncondition: sel",
            &["sigma-bad-value"],
        ),
        ("sel:\n    A|gt: abc\ncondition: sel", &["sigma-bad-value"]),
        (
            "sel:\n    A|cidr: 10.0.0.0/99\ncondition: sel",
            &["sigma-bad-value"],
        ),
        (
            "sel:\n    A: 1\ncondition: sel | count() by B > 3",
            &["sigma-unsupported"],
        ),
        (
            "sel:\n    A: 1\ncondition: sel near other",
            &["sigma-unsupported"],
        ),
        (
            "sel:\n    A: 1\ntimeframe: 5m\ncondition: sel",
            &["sigma-unsupported"],
        ),
        ("sel:\n    A: 1", &["sigma-missing-field"]),
        (
            "sel:\n    A: 1\ncondition: nope\nsel2:\n    B|bad: 1",
            &["sigma-unknown-modifier", "sigma-undefined-identifier"],
        ),
    ];
    for (detection, want) in cases {
        let mut got = errors(detection);
        got.sort_unstable();
        let mut want = want.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "{detection}");
    }
}

#[test]
fn action_global_is_rejected() {
    let (_, diags) = parse_str("action: global\ntitle: x\n---\ntitle: y\n");
    assert!(diags.iter().any(|d| d.code == "sigma-unsupported"));
}

#[test]
fn diagnostics_point_at_the_rule_line() {
    let text = rule_text("sel:\n    A|re: '(x'\ncondition: sel");
    let diags = compile_str(&text, &CompileOptions::default())
        .err()
        .unwrap_or_default();
    let index = rulecheck_core::LineIndex::new(&text);
    let span = diags[0].span.unwrap_or_default();
    assert_eq!(index.line_col(&text, span.start).line, 6);
    let text = rule_text("sel:\n    A: 1\ncondition: sel and nope");
    let diags = compile_str(&text, &CompileOptions::default())
        .err()
        .unwrap_or_default();
    let span = diags[0].span.unwrap_or_default();
    assert_eq!(&text[span.range()], "nope");
}

#[test]
fn compiled_form_is_inspectable() {
    let rule = compiled(
        "sel:\n    Image|endswith: '\\cmd.exe'\n    C|contains: [a, b]\ncondition: 1 of sel*",
    );
    let dbg = format!("{:?}", rule.condition);
    assert_eq!(dbg, "AtLeast(1, [0])");
    let CompiledBody::Groups(groups) = &rule.selections[0].body else {
        panic!("groups expected");
    };
    let tests: Vec<String> = groups[0]
        .tests
        .iter()
        .map(|t| format!("{:?}", t.values))
        .collect();
    assert_eq!(tests[0], r#"[Str(Suffix("\\cmd.exe"))]"#);
    assert_eq!(tests[1], r#"[Str(ContainsAny(["a", "b"]))]"#);
    assert_eq!(rule.fields, ["Image", "C"]);
}
