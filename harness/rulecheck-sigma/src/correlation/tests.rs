//! Correlation semantics, pinned with small rules and timestamped events.

use serde_json::json;

use crate::{CompileOptions, RuleSet, parse_str};

use super::*;

const BASE: &str = "
title: Failed logon
id: failed
name: failed_logon
logsource: { product: windows, service: security }
detection:
    sel:
        EventID: 4625
    condition: sel
---
title: Successful logon
id: success
name: successful_logon
logsource: { product: windows, service: security }
detection:
    sel:
        EventID: 4624
    condition: sel
";

fn run(correlation: &str, events: &[serde_json::Value]) -> Vec<CorrelationAlert> {
    let text = format!("{BASE}---\ntitle: corr\nid: corr\n{correlation}");
    let (docs, diags) = parse_str(&text);
    assert!(diags.is_empty(), "{diags:?}");
    let (set, errors) = RuleSet::build(&docs, &CompileOptions::default());
    assert!(errors.is_empty(), "{errors:?}");
    let events: Vec<Event> = events
        .iter()
        .map(|e| Event::from_json(e.clone()).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    set.correlate(&events)
}

fn logon(id: i64, secs: i64, user: &str, host: &str) -> serde_json::Value {
    json!({"EventID": id, "@timestamp": 1_700_000_000 + secs, "User": user, "Host": host})
}

#[test]
fn event_count_within_timespan_by_group() {
    let corr = "correlation:\n  type: event_count\n  rules: [failed]\n  group-by: [Host]\n  timespan: 1m\n  condition: { gte: 3 }\n";
    let spread = [
        logon(4625, 0, "a", "h1"),
        logon(4625, 50, "a", "h1"),
        logon(4625, 100, "a", "h1"),
    ];
    assert!(
        run(corr, &spread).is_empty(),
        "3 events over 100s is not 3 in 1m"
    );
    let burst = [
        logon(4625, 0, "a", "h1"),
        logon(4625, 10, "b", "h1"),
        logon(4625, 20, "c", "h1"),
        logon(4625, 30, "a", "h2"),
    ];
    let alerts = run(corr, &burst);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].group, vec![("Host".to_owned(), "h1".to_owned())]);
    assert_eq!(alerts[0].events, vec![0, 1, 2]);
    // Input order does not matter: events are ordered by timestamp.
    let mut shuffled = burst.to_vec();
    shuffled.reverse();
    assert_eq!(run(corr, &shuffled).len(), 1);
}

#[test]
fn value_count_counts_distinct_values() {
    let corr = "correlation:\n  type: value_count\n  rules: [failed]\n  group-by: [Host]\n  timespan: 5m\n  condition: { field: User, gt: 2 }\n";
    let same = [
        logon(4625, 0, "a", "h"),
        logon(4625, 1, "a", "h"),
        logon(4625, 2, "a", "h"),
        logon(4625, 3, "b", "h"),
    ];
    assert!(run(corr, &same).is_empty());
    let spray = [
        logon(4625, 0, "a", "h"),
        logon(4625, 1, "b", "h"),
        logon(4625, 2, "c", "h"),
    ];
    let alerts = run(corr, &spray);
    assert_eq!(alerts.len(), 1);
    assert!((alerts[0].value - 3.0).abs() < f64::EPSILON);
}

#[test]
fn temporal_and_temporal_ordered() {
    let t = "correlation:\n  type: temporal\n  rules: [failed_logon, successful_logon]\n  group-by: [User]\n  timespan: 1m\n";
    let o = t.replace("temporal\n", "temporal_ordered\n");
    let in_order = [logon(4625, 0, "a", "h"), logon(4624, 10, "a", "h")];
    let reversed = [logon(4624, 0, "a", "h"), logon(4625, 10, "a", "h")];
    let other_user = [logon(4625, 0, "a", "h"), logon(4624, 10, "b", "h")];
    let too_late = [logon(4625, 0, "a", "h"), logon(4624, 100, "a", "h")];
    assert_eq!(run(t, &in_order).len(), 1);
    assert_eq!(run(t, &reversed).len(), 1);
    assert!(run(t, &other_user).is_empty());
    assert!(run(t, &too_late).is_empty());
    assert_eq!(run(&o, &in_order).len(), 1);
    assert!(run(&o, &reversed).is_empty());
}

#[test]
fn aliases_map_group_fields_per_rule() {
    let corr = "correlation:\n  type: temporal\n  rules: [failed_logon, successful_logon]\n  group-by: [who]\n  timespan: 1m\n  aliases:\n    who:\n      failed_logon: TargetUserName\n      successful_logon: User\n";
    let ev = [
        json!({"EventID": 4625, "@timestamp": "2024-01-01T00:00:00Z", "TargetUserName": "bob"}),
        json!({"EventID": 4624, "@timestamp": "2024-01-01T00:00:30Z", "User": "bob"}),
    ];
    assert_eq!(run(corr, &ev).len(), 1);
    let ev2 = [
        ev[0].clone(),
        json!({"EventID": 4624, "@timestamp": "2024-01-01T00:00:30Z", "User": "eve"}),
    ];
    assert!(run(corr, &ev2).is_empty());
}

#[test]
fn upper_bounds_and_ranges_are_checked_when_the_window_closes() {
    let lt = "correlation:\n  type: event_count\n  rules: [failed]\n  group-by: [Host]\n  timespan: 1m\n  condition: { lt: 2 }\n";
    assert_eq!(run(lt, &[logon(4625, 0, "a", "h")]).len(), 1);
    assert!(run(lt, &[logon(4625, 0, "a", "h"), logon(4625, 5, "a", "h")]).is_empty());
    let range = lt.replace("{ lt: 2 }", "{ gt: 1, lte: 2 }");
    assert_eq!(
        run(
            &range,
            &[logon(4625, 0, "a", "h"), logon(4625, 5, "a", "h")]
        )
        .len(),
        1
    );
    assert!(
        run(
            &range,
            &[
                logon(4625, 0, "a", "h"),
                logon(4625, 5, "a", "h"),
                logon(4625, 6, "a", "h")
            ]
        )
        .is_empty()
    );
    let eq = lt.replace("{ lt: 2 }", "{ eq: 2 }");
    assert_eq!(
        run(&eq, &[logon(4625, 0, "a", "h"), logon(4625, 5, "a", "h")]).len(),
        1
    );
    let neq = lt.replace("{ lt: 2 }", "{ neq: 2 }");
    assert!(run(&neq, &[logon(4625, 0, "a", "h"), logon(4625, 5, "a", "h")]).is_empty());
    // Two windows: the second starts at the first event after the first closed.
    let two = [logon(4625, 0, "a", "h"), logon(4625, 100, "a", "h")];
    assert_eq!(run(lt, &two).len(), 2);
}

#[test]
fn value_sum_avg_percentile() {
    let bytes =
        |secs: i64, n: i64| json!({"EventID": 4625, "@timestamp": secs, "Host": "h", "Bytes": n});
    let ev = [bytes(0, 10), bytes(1, 20), bytes(2, 90)];
    let base = "correlation:\n  type: TYPE\n  rules: [failed]\n  group-by: [Host]\n  timespan: 1m\n  condition: COND\n";
    let mk = |t: &str, c: &str| base.replace("TYPE", t).replace("COND", c);
    assert_eq!(
        run(&mk("value_sum", "{ field: Bytes, gte: 120 }"), &ev).len(),
        1
    );
    assert!(run(&mk("value_sum", "{ field: Bytes, gt: 120 }"), &ev).is_empty());
    assert_eq!(
        run(&mk("value_avg", "{ field: Bytes, eq: 40 }"), &ev).len(),
        1
    );
    assert_eq!(
        run(
            &mk(
                "value_percentile",
                "{ field: Bytes, percentile: 50, eq: 20 }"
            ),
            &ev
        )
        .len(),
        1
    );
    assert_eq!(
        run(
            &mk(
                "value_percentile",
                "{ field: Bytes, percentile: 95, gte: 90 }"
            ),
            &ev
        )
        .len(),
        1
    );
}

#[test]
fn events_without_timestamps_are_ignored() {
    let corr = "correlation:\n  type: event_count\n  rules: [failed]\n  group-by: [Host]\n  timespan: 1m\n  condition: { gte: 1 }\n";
    assert!(run(corr, &[json!({"EventID": 4625, "Host": "h"})]).is_empty());
}

#[test]
fn bad_correlations_are_diagnosed() {
    let cases = [
        (
            "correlation:\n  type: nope\n  rules: [failed]\n  timespan: 1m\n  condition: { gte: 1 }\n",
            "sigma-bad-correlation",
        ),
        (
            "correlation:\n  type: event_count\n  rules: [failed]\n  timespan: 1 hour\n  condition: { gte: 1 }\n",
            "sigma-bad-correlation",
        ),
        (
            "correlation:\n  type: event_count\n  rules: [failed]\n  timespan: 1m\n",
            "sigma-missing-field",
        ),
        (
            "correlation:\n  type: value_count\n  rules: [failed]\n  timespan: 1m\n  condition: { gte: 1 }\n",
            "sigma-missing-field",
        ),
    ];
    for (corr, code) in cases {
        let (_, diags) = parse_str(&format!("title: c\n{corr}"));
        assert_eq!(diags.first().map(|d| d.code), Some(code), "{corr}");
    }
    let (docs, _) = parse_str(
        "title: c\ncorrelation:\n  type: event_count\n  rules: [missing]\n  timespan: 1m\n  condition: { gte: 1 }\n",
    );
    let (_, errors) = RuleSet::build(&docs, &CompileOptions::default());
    assert_eq!(errors[0].diagnostics[0].code, "sigma-undefined-rule");
    assert_eq!(parse_timespan("90m"), Some(5_400_000));
    assert_eq!(parse_timespan("0s"), None);
    assert_eq!(parse_timespan("5y"), None);
}
