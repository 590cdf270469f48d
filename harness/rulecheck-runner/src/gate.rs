//! The gate: from each rule's statuses and the policy of `rulecheck.toml`
//! to pass or fail.

use std::time::{SystemTime, UNIX_EPOCH};

use rulecheck_core::Severity;
use rulecheck_core::report::{GateResult, RuleReport, Status};

use crate::config::{Gate, Verdict};

/// Whether `rule` fails the gate under `policy`, before exceptions; the
/// reason when it does.
pub fn failure(rule: &RuleReport, policy: &Gate) -> Option<String> {
    if matches!(rule.validation.status, Status::Fail | Status::Error) {
        return Some(format!("validation {}", rule.validation.status));
    }
    if policy.warnings_as_errors
        && rule
            .validation
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Warning)
    {
        return Some("warnings (warnings_as_errors)".into());
    }
    for (tier, status) in [
        ("unit", rule.unit.status),
        ("integration", rule.integration.status),
    ] {
        let fails = match status {
            Status::Fail | Status::Error => true,
            Status::Untested => policy.untested == Verdict::Fail,
            Status::Unsupported => policy.unsupported == Verdict::Fail,
            Status::Pass | Status::Skipped => false,
        };
        if fails {
            return Some(format!("{tier} {status}"));
        }
    }
    None
}

/// Decide the gate for `rules`, noting on each rule the exception that
/// covers it. `today` is `YYYY-MM-DD`.
pub fn decide(rules: &mut [RuleReport], policy: &Gate, today: &str) -> GateResult {
    let mut result = GateResult::Pass;
    for rule in rules.iter_mut() {
        let exception = policy.exceptions.iter().find(|e| {
            rule.id.as_deref() == Some(e.rule.as_str())
                || rule.path == e.rule
                || rule.path.ends_with(&format!("/{}", e.rule))
        });
        if let Some(e) = exception {
            rule.exception = Some(if e.expires.as_str() >= today {
                format!("{} (until {})", e.reason, e.expires)
            } else {
                format!("expired on {}: {}", e.expires, e.reason)
            });
        }
        let excused = exception.is_some_and(|e| e.expires.as_str() >= today);
        if failure(rule, policy).is_some() && !excused {
            result = GateResult::Fail;
        }
    }
    result
}

/// Today's date (UTC), `YYYY-MM-DD`: the one use of the wall clock, for
/// exception expiry.
pub fn today() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    civil_date(i64::try_from(days).unwrap_or(0))
}

/// The calendar date `days` after 1970-01-01.
fn civil_date(days: i64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Exception;
    use rulecheck_core::report::{TierReport, ValidationReport};

    fn rule(unit: Status) -> RuleReport {
        RuleReport {
            path: "rules/a.yml".into(),
            document: None,
            id: Some("a".into()),
            title: None,
            format: None,
            languages: vec![],
            techniques: vec![],
            validation: ValidationReport {
                status: Status::Pass,
                diagnostics: vec![],
            },
            unit: TierReport {
                status: unit,
                reason: None,
                cases: vec![],
            },
            integration: TierReport::skipped("not run"),
            exception: None,
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_780), "2026-11-23");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }

    #[test]
    fn the_policy_decides_untested_and_unsupported() {
        let mut policy = Gate::default();
        assert!(failure(&rule(Status::Untested), &policy).is_some());
        assert!(failure(&rule(Status::Unsupported), &policy).is_some());
        policy.untested = Verdict::Warn;
        policy.unsupported = Verdict::Warn;
        assert!(failure(&rule(Status::Untested), &policy).is_none());
        assert!(failure(&rule(Status::Unsupported), &policy).is_none());
        assert!(failure(&rule(Status::Fail), &policy).is_some());
    }

    #[test]
    fn exceptions_hold_until_they_expire() {
        let policy = Gate {
            exceptions: vec![Exception {
                rule: "a".into(),
                reason: "tuning".into(),
                expires: "2026-12-31".into(),
            }],
            ..Gate::default()
        };
        let mut rules = vec![rule(Status::Fail)];
        assert_eq!(decide(&mut rules, &policy, "2026-11-23"), GateResult::Pass);
        assert_eq!(
            rules[0].exception.as_deref(),
            Some("tuning (until 2026-12-31)")
        );
        assert_eq!(decide(&mut rules, &policy, "2027-01-01"), GateResult::Fail);
        assert_eq!(
            rules[0].exception.as_deref(),
            Some("expired on 2026-12-31: tuning")
        );
    }
}
