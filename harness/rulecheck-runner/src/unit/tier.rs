//! The unit tier of one rule: find its scenarios, evaluate, judge, report.

use std::path::Path;

use rulecheck_core::report::{CaseKind, CaseReport, Status, TierReport};
use rulecheck_core::yaml::Node;
use rulecheck_core::{Rule, RuleFormat};

use super::diff;
use super::engine::Evaluator;
use super::expect::{self, Expected};
use super::fixture::read_events;
use super::pairing::{Scenario, escu_tests, fixture_dir, scenarios_in};
use crate::config::Config;
use crate::discover::display_path;
use crate::sigma::SigmaSetup;
use crate::spl::SplSetup;

/// What the unit tier needs from the run.
pub struct UnitContext<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The folder the configuration's paths are relative to.
    pub root: &'a Path,
    /// The Sigma engine's options.
    pub sigma: &'a SigmaSetup,
    /// The SPL engine's macros and context.
    pub spl: &'a SplSetup,
}

/// Run the unit tier of `rule`, document `root` of `documents` in the file
/// at `path` with text `text`.
pub fn run_unit(
    rule: &Rule,
    root: &Node,
    documents: &[Node],
    path: &Path,
    text: &str,
    ctx: &UnitContext<'_>,
) -> TierReport {
    let mut scenarios = fixture_dir(path, ctx.root, &ctx.config.rules, &ctx.config.fixtures)
        .map(|dir| scenarios_in(&dir))
        .unwrap_or_default();
    if rule.format == RuleFormat::Escu {
        for s in escu_tests(root, ctx.root) {
            if !scenarios.contains(&s) {
                scenarios.push(s);
            }
        }
    }
    scenarios.sort();
    let has = |kind| scenarios.iter().any(|s: &Scenario| s.kind == kind);
    let missing: Vec<&str> = [CaseKind::TruePositive, CaseKind::FalsePositive]
        .into_iter()
        .filter(|k| !has(*k))
        .map(CaseKind::as_str)
        .collect();
    let untested_reason = (!missing.is_empty()).then(|| {
        let expected_dir = fixture_dir(path, ctx.root, &ctx.config.rules, &ctx.config.fixtures)
            .map_or_else(|| "its fixture folder".to_owned(), |d| display_path(&d));
        format!(
            "no {} fixtures (expected in {expected_dir}/)",
            missing.join(" or ")
        )
    });
    if scenarios.is_empty() {
        return TierReport {
            status: Status::Untested,
            reason: untested_reason,
            cases: Vec::new(),
        };
    }
    let evaluator = Evaluator::new(rule, root, documents, path, text, ctx.sigma, ctx.spl);
    match &evaluator {
        Evaluator::Unsupported(reason) => {
            return TierReport {
                status: Status::Unsupported,
                reason: Some(reason.clone()),
                cases: scenarios
                    .iter()
                    .map(|s| case(s, Status::Unsupported, None))
                    .collect(),
            };
        }
        Evaluator::Broken(errors) => {
            return TierReport {
                status: Status::Error,
                reason: Some(format!("the rule does not compile: {}", errors.join("; "))),
                cases: scenarios
                    .iter()
                    .map(|s| case(s, Status::Error, None))
                    .collect(),
            };
        }
        _ => {}
    }
    let cases: Vec<CaseReport> = scenarios.iter().map(|s| run_case(s, &evaluator)).collect();
    let status = if cases.iter().any(|c| c.status == Status::Error) {
        Status::Error
    } else if cases.iter().any(|c| c.status == Status::Fail) {
        Status::Fail
    } else if untested_reason.is_some() {
        Status::Untested
    } else {
        Status::Pass
    };
    TierReport {
        status,
        reason: untested_reason,
        cases,
    }
}

fn case(scenario: &Scenario, status: Status, message: Option<String>) -> CaseReport {
    CaseReport {
        name: display_path(&scenario.path),
        kind: scenario.kind,
        status,
        alerts: None,
        message,
        diff: None,
        trace: None,
    }
}

fn run_case(scenario: &Scenario, evaluator: &Evaluator) -> CaseReport {
    let expected = match expect::expectation_path(&scenario.path).map(|p| expect::read_expected(&p))
    {
        Some(Ok(e)) => Some(e),
        Some(Err(message)) => return case(scenario, Status::Error, Some(message)),
        None => None,
    };
    let events = match read_events(&scenario.path) {
        Ok(events) => events,
        Err(message) => return case(scenario, Status::Error, Some(message)),
    };
    if events.is_empty() {
        return case(
            scenario,
            Status::Error,
            Some(format!(
                "{}: the scenario holds no event",
                display_path(&scenario.path)
            )),
        );
    }
    let now = match expected.as_ref().and_then(|e| e.now.as_ref()) {
        Some(value) => match rulecheck_sigma::parse_timestamp(value) {
            Some(ms) => Some(ms.div_euclid(1000)),
            None => {
                return case(
                    scenario,
                    Status::Error,
                    Some(format!(
                        "{}: `now` is not a time",
                        display_path(&scenario.path)
                    )),
                );
            }
        },
        None => crate::spl::latest_event_time(&events),
    };
    let alerts = match evaluator.evaluate(&events, now) {
        Ok(alerts) => alerts,
        Err(message) => return case(scenario, Status::Error, Some(message)),
    };
    let verdict = expect::judge(scenario.kind, expected.as_ref(), &alerts);
    let mut report = case(
        scenario,
        if verdict.pass {
            Status::Pass
        } else {
            Status::Fail
        },
        None,
    );
    report.alerts = Some(alerts.len());
    if !verdict.pass {
        report.message = Some(verdict.message.clone());
        let expected_lines =
            expected_lines(scenario.kind, expected.as_ref(), &verdict.expected_lines);
        report.diff = Some(diff::render(&expected_lines, &verdict.actual_lines));
        report.trace = evaluator.explain(
            &events,
            decisive_event(scenario.kind, &events, &alerts),
            now,
        );
    }
    report
}

/// The expected side of the diff when no rows are pinned: what the kind
/// asks for, in words.
fn expected_lines(kind: CaseKind, expected: Option<&Expected>, pinned: &[String]) -> Vec<String> {
    if !pinned.is_empty() {
        return pinned.to_vec();
    }
    match (expected.and_then(|e| e.count), kind) {
        (Some(n), _) => vec![format!("({n} alert{})", if n == 1 { "" } else { "s" })],
        (None, CaseKind::TruePositive) => vec!["(at least one alert)".to_owned()],
        (None, CaseKind::FalsePositive) => Vec::new(),
    }
}

/// The event whose trace explains the failure: the first alerting event of
/// a false-positive scenario, the first event of a true-positive one.
fn decisive_event(
    kind: CaseKind,
    events: &[super::fixture::EventMap],
    alerts: &[serde_json::Map<String, serde_json::Value>],
) -> usize {
    match kind {
        CaseKind::FalsePositive => alerts
            .first()
            .and_then(|a| events.iter().position(|e| e == a))
            .unwrap_or(0),
        CaseKind::TruePositive => 0,
    }
}
