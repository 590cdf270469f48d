//! Bare terms and quoted phrases against `_raw`: segmentation at major and
//! minor breakers, wildcards, `TERM()`, `CASE()`, `NOT` and the precedence
//! of `OR` over the implicit `AND`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rulecheck_spl::{Context, Macros, compile_str};
use serde_json::json;

/// Whether `search` matches an event whose `_raw` is `raw`.
fn hits(search: &str, raw: &str) -> bool {
    let ctx = Context::new(0);
    let s =
        compile_str(search, &Macros::new(), &ctx).unwrap_or_else(|d| panic!("{search}: {d:#?}"));
    let event = rulecheck_spl::event_from_object(json!({"_raw": raw}).as_object().unwrap().clone());
    !s.run(&[event], &ctx).unwrap().is_empty()
}

const RAW: &str = "2026-03-14 host=WS-01 user=CORP\\Admin cmd=\"C:\\Windows\\System32\\cmd.exe /c whoami\" src=10.0.0.15:443 [ok]";

#[test]
fn segmentation_and_wildcards() {
    let cases: &[(&str, bool)] = &[
        // Whole segments between breakers, case-insensitive.
        ("whoami", true),
        ("WHOAMI", true),
        ("cmd", true),
        ("system32", true),
        ("exe", true),
        ("ws", true),
        ("01", true),
        ("ok", true),
        // Not a segment: part of a longer token.
        ("who", false),
        ("md", false),
        ("ystem32", false),
        ("10.0.0.1", false),
        // Terms spanning minor breakers.
        ("cmd.exe", true),
        ("WS-01", true),
        ("10.0.0.15", true),
        ("CORP\\Admin", true),
        // `host=WS-01` is a field comparison, not a term: no `host` field.
        ("host=WS-01", false),
        // Wildcards at either end or inside.
        ("who*", true),
        ("*ami", true),
        ("*ystem3*", true),
        ("c*.exe", true),
        ("sys*32", true),
        ("xyz*", false),
        ("*xyz", false),
        ("*", true),
        // Quoted phrases: the text with its spaces, bounded by breakers.
        ("\"cmd.exe /c whoami\"", true),
        ("\"cmd.exe /c\"", true),
        ("\"exe /c who\"", false),
        ("\"/c whoami\"", true),
        ("\"c:\\windows\\system32\"", true),
        // TERM: bounded by major breakers (or `=`), minor ones inside.
        ("TERM(10.0.0.15:443)", true),
        ("TERM(10.0.0.15)", false),
        ("TERM(WS-01)", true),
        ("TERM(system32)", false),
        // CASE: case-sensitive.
        ("CASE(Admin)", true),
        ("CASE(admin)", false),
        ("CASE(WS-01)", true),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter(|(s, want)| hits(s, RAW) != *want)
        .map(|(s, want)| format!("{s}: want {want}"))
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn boolean_operators() {
    let cases: &[(&str, bool)] = &[
        ("whoami cmd", true),
        ("whoami nothere", false),
        ("whoami AND cmd", true),
        ("NOT whoami", false),
        ("NOT nothere", true),
        ("whoami NOT nothere", true),
        // OR binds tighter than the implicit AND: (nothere OR whoami) cmd.
        ("nothere OR whoami cmd", true),
        ("nothere OR whoami missing", false),
        ("whoami nothere OR cmd", true),
        ("(nothere OR missing) whoami", false),
        ("NOT (nothere OR whoami)", false),
        // Operators are case-sensitive: lower-case `or` is a term.
        ("nothere or whoami", false),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter(|(s, want)| hits(s, RAW) != *want)
        .map(|(s, want)| format!("{s}: want {want}"))
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn events_without_raw_match_their_field_values() {
    let ctx = Context::new(0);
    let s = compile_str("cmd.exe whoami", &Macros::new(), &ctx).unwrap();
    let event = json!({"Image": "C:\\Windows\\cmd.exe", "CommandLine": "cmd.exe /c whoami"});
    let rows = s
        .run(
            &[rulecheck_spl::event_from_object(
                event.as_object().unwrap().clone(),
            )],
            &ctx,
        )
        .unwrap();
    assert_eq!(rows.len(), 1);
    let s = compile_str("notepad", &Macros::new(), &ctx).unwrap();
    assert!(
        s.run(
            &[rulecheck_spl::event_from_object(
                event.as_object().unwrap().clone()
            )],
            &ctx
        )
        .unwrap()
        .is_empty()
    );
}
