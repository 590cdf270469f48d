//! Rule ids are unique across every rule checked together.

use std::collections::HashMap;

use rulecheck_core::{Diagnostic, Rule};

/// For each rule that reuses an id, a `duplicate-id` diagnostic naming where
/// the id was first used. `rules` pairs each rule with its file path; the
/// result holds the index of the rule each diagnostic belongs to.
pub fn check(rules: &[(&str, &Rule)]) -> Vec<(usize, Diagnostic)> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::new();
    for (index, (_, rule)) in rules.iter().enumerate() {
        let Some(id) = &rule.id else { continue };
        match first.get(id.value.as_str()) {
            None => {
                first.insert(id.value.as_str(), index);
            }
            Some(&original) => {
                let (path, _) = rules[original];
                out.push((
                    index,
                    Diagnostic::error(
                        "duplicate-id",
                        format!("the id `{}` is already used by {path}", id.value),
                    )
                    .with_span(id.span)
                    .with_help(
                        "every rule needs its own id; generate a new one (e.g. with `uuidgen`)",
                    ),
                ));
            }
        }
    }
    out
}
