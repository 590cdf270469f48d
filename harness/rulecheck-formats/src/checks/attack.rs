//! ATT&CK checks: techniques exist, are current, and sit under the tactics
//! the rule declares.

use rulecheck_attack::{AttackData, Lookup};
use rulecheck_core::{Diagnostic, Rule, RuleFormat};

/// Check the rule's techniques and tactics against ATT&CK.
pub fn check(rule: &Rule, attack: &AttackData, out: &mut Vec<Diagnostic>) {
    let mut current_tactics: Vec<(&str, Vec<String>, rulecheck_core::Span)> = Vec::new();
    for technique in &rule.techniques {
        let id = technique.value.as_str();
        if !crate::normalize::is_technique_id(id) {
            // Malformed IDs are the schema's to report.
            continue;
        }
        match attack.lookup(id) {
            Lookup::Active(t) => current_tactics.push((id, t.tactics.clone(), technique.span)),
            Lookup::Revoked { technique: t, replacement } => {
                let mut d = Diagnostic::error(
                    "attack-revoked-technique",
                    format!("ATT&CK technique {id} ({}) is revoked", t.name),
                )
                .with_span(technique.span);
                d = match replacement {
                    Some(r) => d.with_help(format!(
                        "it was replaced by {} ({}): use {}",
                        r.id,
                        r.name,
                        spelled(rule.format, &r.id)
                    )),
                    None => d.with_help("it has no current replacement: remove it or choose a current technique"),
                };
                out.push(d);
            }
            Lookup::Deprecated(t) => out.push(
                Diagnostic::error(
                    "attack-deprecated-technique",
                    format!("ATT&CK technique {id} ({}) is deprecated", t.name),
                )
                .with_span(technique.span)
                .with_help("deprecated techniques have no replacement: remove it or choose a current technique"),
            ),
            Lookup::Unknown => out.push(
                Diagnostic::error(
                    "attack-unknown-technique",
                    format!("{id} is not a technique of ATT&CK Enterprise {}", attack.version()),
                )
                .with_span(technique.span)
                .with_help(newer_release_help(attack, "technique IDs look like T1218 or T1218.003")),
            ),
        }
    }
    let mut declared = Vec::new();
    let mut all_known = true;
    for tactic in &rule.tactics {
        match attack.tactic(&tactic.value) {
            Some(t) => declared.push(t.shortname.as_str()),
            None => out.push({
                all_known = false;
                Diagnostic::warning(
                    "attack-unknown-tactic",
                    format!(
                        "`{}` is not a tactic of ATT&CK Enterprise {}",
                        tactic.value,
                        attack.version()
                    ),
                )
                .with_span(tactic.span)
                .with_help(newer_release_help(
                    attack,
                    &format!(
                        "tactics are: {}",
                        attack
                            .tactics()
                            .iter()
                            .map(|t| t.shortname.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }),
        }
    }
    // With no tactic, or one this table does not know (a newer ATT&CK
    // release), there is nothing to compare against.
    if declared.is_empty() || !all_known {
        return;
    }
    for (id, tactics, span) in current_tactics {
        if !tactics.iter().any(|t| declared.contains(&t.as_str())) {
            out.push(
                Diagnostic::warning(
                    "attack-tactic-mismatch",
                    format!(
                        "{id} belongs to {}, none of which the rule declares",
                        tactics.join(", ")
                    ),
                )
                .with_span(span)
                .with_help(format!(
                    "add the tactic {}",
                    spelled_tactic(rule.format, &tactics[0])
                )),
            );
        }
    }
}

fn newer_release_help(attack: &AttackData, hint: &str) -> String {
    format!(
        "{hint}; if it comes from an ATT&CK release newer than {}, derive a table from that release's bundle \
         with scripts/attack-table.py and pass it with --attack-data (or `[attack] data` in rulecheck.toml)",
        attack.version()
    )
}

/// How a technique ID is written in a rule of `format`.
fn spelled(format: RuleFormat, id: &str) -> String {
    match format {
        RuleFormat::Sigma | RuleFormat::SigmaCorrelation | RuleFormat::SigmaFilter => {
            format!("`attack.{}`", id.to_ascii_lowercase())
        }
        RuleFormat::Escu | RuleFormat::Armory => format!("`{id}`"),
    }
}

fn spelled_tactic(format: RuleFormat, tactic: &str) -> String {
    match format {
        RuleFormat::Sigma | RuleFormat::SigmaCorrelation | RuleFormat::SigmaFilter => {
            format!("tag `attack.{tactic}`")
        }
        RuleFormat::Escu | RuleFormat::Armory => format!("`{tactic}`"),
    }
}
