//! A warning the Sigma engine does not give: search identifiers that the
//! condition never uses (`sigma-unused-search`). Everything else about a
//! Sigma detection (modifiers, conditions, values, regexes, correlations) is
//! checked by compiling it with the Sigma engine, in the validation tier.

use rulecheck_core::yaml::Node;
use rulecheck_core::{Diagnostic, RuleFormat};

/// Keys of a `detection`/`filter` block that are not search identifiers.
const RESERVED: &[&str] = &["condition", "timeframe", "rules"];

/// Warn about the unused search identifiers of a Sigma rule or filter.
pub fn check(format: RuleFormat, root: &Node, out: &mut Vec<Diagnostic>) {
    let block = match format {
        RuleFormat::Sigma => root.get("detection"),
        RuleFormat::SigmaFilter => root.get("filter"),
        RuleFormat::SigmaCorrelation | RuleFormat::Escu | RuleFormat::Armory => None,
    };
    let Some(entries) = block.and_then(Node::as_map) else {
        return;
    };
    let Some(condition) = block.and_then(|b| b.get("condition")) else {
        return;
    };
    let searches: Vec<&str> = entries
        .iter()
        .map(|e| e.key.as_str())
        .filter(|k| !RESERVED.contains(k))
        .collect();
    let mut used = vec![false; searches.len()];
    for item in condition.items() {
        let Some(text) = item.as_str() else {
            // Not a string: the engine reports it; nothing to compare.
            return;
        };
        if !mark_used(text, &searches, &mut used) {
            return;
        }
    }
    for (name, used) in searches.iter().zip(&used) {
        if let (false, Some(entry)) = (used, entries.iter().find(|e| e.key == *name)) {
            out.push(
                Diagnostic::warning(
                    "sigma-unused-search",
                    format!("search identifier `{name}` is not used in the condition"),
                )
                .with_span(entry.key_span)
                .with_help("use it in the condition or remove it"),
            );
        }
    }
}

/// Mark the search identifiers `condition` names (directly, or by a pattern
/// after `of`, or all of them with `of them`). False when the condition is
/// not plain Sigma v2 syntax, in which case the engine reports it and no
/// identifier can be called unused.
fn mark_used(condition: &str, searches: &[&str], used: &mut [bool]) -> bool {
    if condition.contains('|') {
        return false;
    }
    let mut previous = "";
    for word in condition
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
    {
        if !word
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '*' | '?' | '.'))
        {
            return false;
        }
        let after_of = previous.eq_ignore_ascii_case("of");
        if after_of && word == "them" {
            used.fill(true);
        } else {
            for (name, used) in searches.iter().zip(used.iter_mut()) {
                if if after_of {
                    wildcard_match(word, name)
                } else {
                    *name == word
                } {
                    *used = true;
                }
            }
        }
        previous = word;
    }
    true
}

/// `*` matches any run of characters, `?` one character.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rulecheck_core::yaml::{Limits, load};

    fn unused(text: &str) -> Vec<String> {
        let root = &load(text, &Limits::default()).documents[0];
        let mut out = Vec::new();
        check(RuleFormat::Sigma, root, &mut out);
        out.iter().map(|d| d.message.clone()).collect()
    }

    #[test]
    fn every_used_identifier_counts() {
        assert!(unused("detection:\n  sel_a: {a: 1}\n  sel_b: {b: 1}\n  filter: {y: 1}\n  condition: 1 of sel_* and not filter\n").is_empty());
        assert!(unused("detection:\n  a: [x]\n  b: {c: 1}\n  condition: all of them\n").is_empty());
    }

    #[test]
    fn an_unused_identifier_is_named() {
        assert_eq!(
            unused("detection:\n  sel: {a: 1}\n  filter_main: {b: 2}\n  condition: sel\n"),
            ["search identifier `filter_main` is not used in the condition"]
        );
    }

    #[test]
    fn conditions_outside_the_syntax_are_left_to_the_engine() {
        assert!(
            unused("detection:\n  sel: {a: 1}\n  other: {b: 1}\n  condition: sel | count() > 3\n")
                .is_empty()
        );
    }
}
