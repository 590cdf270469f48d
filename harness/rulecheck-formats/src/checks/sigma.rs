//! Structural checks of Sigma detections, filters and correlations: known
//! modifiers, condition identifiers that exist, correlation keys each type
//! needs. The full compile of the detection logic belongs to the Sigma
//! engine; these checks need no engine and run on every rule.
//!
//! | code | what |
//! | --- | --- |
//! | `sigma-unknown-modifier` | a `field\|modifier` the specification does not define |
//! | `sigma-undefined-identifier` | a condition names a search identifier that does not exist |
//! | `sigma-unused-search` | a search identifier the condition never uses (warning) |
//! | `sigma-bad-condition` | unbalanced parentheses or an empty condition |
//! | `sigma-legacy-aggregation` | a Sigma 1.x aggregation (`\| count() by …`) or `near` |
//! | `sigma-correlation-incomplete` | a correlation lacking what its type needs |

use rulecheck_core::yaml::Node;
use rulecheck_core::{Diagnostic, RuleFormat, Span};

/// Every value modifier of the Sigma specification v2.1.0.
pub const MODIFIERS: &[&str] = &[
    "contains",
    "startswith",
    "endswith",
    "all",
    "exists",
    "cased",
    "neq",
    "windash",
    "re",
    "i",
    "m",
    "s",
    "base64",
    "base64offset",
    "utf16le",
    "utf16be",
    "utf16",
    "wide",
    "lt",
    "lte",
    "gt",
    "gte",
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "year",
    "cidr",
    "expand",
    "fieldref",
];

/// Keys of a `detection`/`filter` block that are not search identifiers.
const RESERVED: &[&str] = &["condition", "timeframe", "rules"];

/// Check a Sigma document of `format`.
pub fn check(format: RuleFormat, root: &Node, out: &mut Vec<Diagnostic>) {
    match format {
        RuleFormat::Sigma => {
            if let Some(detection) = root.get("detection") {
                check_detection(detection, out);
                if let Some(timeframe) = detection.entry("timeframe") {
                    out.push(
                        Diagnostic::warning(
                            "sigma-legacy-aggregation",
                            "`timeframe` in a detection is Sigma 1.x syntax",
                        )
                        .with_span(timeframe.key_span)
                        .with_help("express time windows with a correlation rule's `timespan`"),
                    );
                }
            }
        }
        RuleFormat::SigmaFilter => {
            if let Some(filter) = root.get("filter") {
                check_detection(filter, out);
            }
        }
        RuleFormat::SigmaCorrelation => {
            if let Some(correlation) = root.get("correlation") {
                check_correlation(correlation, out);
            }
        }
        RuleFormat::Escu | RuleFormat::Armory => {}
    }
}

fn check_detection(block: &Node, out: &mut Vec<Diagnostic>) {
    let Some(entries) = block.as_map() else {
        return;
    };
    let searches: Vec<&str> = entries
        .iter()
        .map(|e| e.key.as_str())
        .filter(|k| !RESERVED.contains(k))
        .collect();
    for entry in entries
        .iter()
        .filter(|e| !RESERVED.contains(&e.key.as_str()))
    {
        check_modifiers(&entry.value, out);
    }
    let Some(condition) = block.get("condition") else {
        return;
    };
    let mut used = vec![false; searches.len()];
    for item in condition.items() {
        let Some(text) = item.as_str() else { continue };
        check_condition(text, item, &searches, &mut used, out);
    }
    for (name, used) in searches.iter().zip(&used) {
        if !used && let Some(entry) = block.entry(name) {
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

/// Check the `field|modifier|…` keys of a search identifier.
fn check_modifiers(search: &Node, out: &mut Vec<Diagnostic>) {
    let maps: Vec<&Node> = match search.as_seq() {
        Some(items) => items.iter().filter(|i| i.as_map().is_some()).collect(),
        None => vec![search],
    };
    for map in maps {
        for entry in map.as_map().unwrap_or_default() {
            let mut offset = entry.key_span.start as usize;
            let quoted = entry.key_span.len() > entry.key.len();
            if quoted {
                offset += 1;
            }
            let mut parts = entry.key.split('|');
            offset += parts.next().map_or(0, str::len) + 1;
            for modifier in parts {
                if !MODIFIERS.contains(&modifier) {
                    let span = if quoted || entry.key_span.len() == entry.key.len() {
                        Span::new(offset, offset + modifier.len())
                    } else {
                        entry.key_span
                    };
                    let suggestion = MODIFIERS
                        .iter()
                        .find(|m| {
                            m.eq_ignore_ascii_case(modifier)
                                || (modifier.len() > 3 && m.starts_with(&modifier[..3]))
                        })
                        .map_or_else(String::new, |m| format!("did you mean `{m}`? "));
                    out.push(
                        Diagnostic::error(
                            "sigma-unknown-modifier",
                            format!("unknown modifier `{modifier}` in `{}`", entry.key),
                        )
                        .with_span(span)
                        .with_help(format!(
                            "{suggestion}modifiers are: {}",
                            MODIFIERS.join(", ")
                        )),
                    );
                }
                offset += modifier.len() + 1;
            }
        }
    }
}

/// Spans inside a condition string.
struct ConditionText<'a> {
    text: &'a str,
    node: &'a Node,
}

impl ConditionText<'_> {
    /// The span of `len` bytes at `start` in the condition text; offsets into
    /// the source are exact only for single-line plain or quoted scalars, so
    /// other conditions point at the whole value.
    fn at(&self, start: usize, len: usize) -> Span {
        let (span, text) = (self.node.span, self.text);
        let quoted = span.len() == text.len() + 2;
        if span.len() == text.len() || quoted {
            let base = span.start as usize + usize::from(quoted);
            Span::new(base + start, base + start + len)
        } else {
            span
        }
    }
}

fn check_condition(
    text: &str,
    node: &Node,
    searches: &[&str],
    used: &mut [bool],
    out: &mut Vec<Diagnostic>,
) {
    let condition = ConditionText { text, node };
    if text.trim().is_empty() {
        out.push(
            Diagnostic::error("sigma-bad-condition", "the condition is empty")
                .with_span(node.span)
                .with_help(
                    "name the search identifiers to combine, e.g. `selection and not filter`",
                ),
        );
        return;
    }
    if let Some(pipe) = text.find('|') {
        out.push(
            Diagnostic::error(
                "sigma-legacy-aggregation",
                "aggregations in the condition (`| count() by …`) are Sigma 1.x syntax",
            )
            .with_span(condition.at(pipe, text.len() - pipe))
            .with_help(
                "express aggregations with a Sigma correlation rule (event_count, value_count, …)",
            ),
        );
    }
    let tokens = tokens(text);
    let foreign = |t: &str| {
        !t.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '*' | '?' | '(' | ')' | '.'))
    };
    if let Some((start, token)) = tokens.iter().find(|(_, t)| foreign(t)) {
        out.push(
            Diagnostic::error("sigma-bad-condition", format!("`{token}` is not part of the Sigma condition syntax"))
                .with_span(condition.at(*start, token.len()))
                .with_help("a condition combines search identifiers with and, or, not, parentheses, `1 of x*`, `all of them`"),
        );
        // Which identifiers it meant to use cannot be told.
        used.fill(true);
        return;
    }
    check_tokens(&condition, &tokens, searches, used, out);
    if text.contains("of them") {
        used.fill(true);
    }
}

/// Parentheses balance, and every identifier names a search identifier.
fn check_tokens(
    condition: &ConditionText<'_>,
    tokens: &[(usize, &str)],
    searches: &[&str],
    used: &mut [bool],
    out: &mut Vec<Diagnostic>,
) {
    let mut depth = 0i32;
    let mut previous: Option<&str> = None;
    for &(start, token) in tokens {
        let lower = token.to_ascii_lowercase();
        match lower.as_str() {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth < 0 {
                    out.push(
                        Diagnostic::error("sigma-bad-condition", "`)` without a matching `(`")
                            .with_span(condition.at(start, 1)),
                    );
                    depth = 0;
                }
            }
            "and" | "or" | "not" | "of" | "them" | "all" | "any" => {}
            _ if token.chars().all(|c| c.is_ascii_digit()) => {}
            "near" => out.push(
                Diagnostic::error("sigma-legacy-aggregation", "`near` is Sigma 1.x syntax")
                    .with_span(condition.at(start, token.len()))
                    .with_help("use a temporal correlation rule"),
            ),
            _ => {
                let pattern = previous.is_some_and(|p| p.eq_ignore_ascii_case("of"));
                if !mark_used(token, pattern, searches, used) {
                    let what = if pattern {
                        "matches no search identifier"
                    } else {
                        "is not a search identifier"
                    };
                    out.push(
                        Diagnostic::error(
                            "sigma-undefined-identifier",
                            format!("`{token}` in the condition {what}"),
                        )
                        .with_span(condition.at(start, token.len()))
                        .with_help(format!("search identifiers are: {}", searches.join(", "))),
                    );
                }
            }
        }
        previous = Some(token);
    }
    if depth > 0 {
        out.push(
            Diagnostic::error("sigma-bad-condition", "`(` without a matching `)`")
                .with_span(condition.node.span),
        );
    }
}

/// Mark the search identifiers `token` names (a wildcard pattern after `of`)
/// as used; false when it names none.
fn mark_used(token: &str, pattern: bool, searches: &[&str], used: &mut [bool]) -> bool {
    let mut found = false;
    for (name, used) in searches.iter().zip(used.iter_mut()) {
        if if pattern {
            wildcard_match(token, name)
        } else {
            *name == token
        } {
            *used = true;
            found = true;
        }
    }
    found
}

/// The tokens of a condition (parentheses and words) with their offsets,
/// up to a `|` aggregation.
fn tokens(text: &str) -> Vec<(usize, &str)> {
    let end = text.find('|').unwrap_or(text.len());
    let text = &text[..end];
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() || c == '(' || c == ')' {
            if let Some(s) = start.take() {
                out.push((s, &text[s..i]));
            }
            if c != ' ' && !c.is_whitespace() {
                out.push((i, &text[i..=i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
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

fn check_correlation(correlation: &Node, out: &mut Vec<Diagnostic>) {
    let kind = correlation
        .get("type")
        .and_then(Node::as_str)
        .unwrap_or_default();
    let condition = correlation.get("condition");
    let needs_condition = !matches!(kind, "temporal" | "temporal_ordered" | "");
    let needs_field = kind.starts_with("value_");
    let at = Span::at(correlation.span.start as usize);
    if needs_condition && condition.is_none() {
        out.push(
            Diagnostic::error(
                "sigma-correlation-incomplete",
                format!("a `{kind}` correlation needs a `condition`"),
            )
            .with_span(at)
            .with_help("e.g. `condition: {gte: 10}`"),
        );
    }
    if needs_field && condition.and_then(|c| c.get("field")).is_none() {
        out.push(
            Diagnostic::error(
                "sigma-correlation-incomplete",
                format!("a `{kind}` correlation needs `condition.field`"),
            )
            .with_span(condition.map_or(at, |c| c.span))
            .with_help("name the field whose values are counted, summed or averaged"),
        );
    }
    if let Some(condition) = condition {
        let comparisons = ["gt", "gte", "lt", "lte", "eq", "neq"];
        if !comparisons.iter().any(|c| condition.get(c).is_some()) {
            out.push(
                Diagnostic::error(
                    "sigma-correlation-incomplete",
                    "the correlation condition has no comparison",
                )
                .with_span(condition.span)
                .with_help("use gt, gte, lt, lte, eq or neq"),
            );
        }
    }
    if kind == "value_percentile" && condition.and_then(|c| c.get("percentile")).is_none() {
        out.push(
            Diagnostic::error(
                "sigma-correlation-incomplete",
                "a `value_percentile` correlation needs `condition.percentile`",
            )
            .with_span(condition.map_or(at, |c| c.span)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rulecheck_core::yaml::{Limits, load};

    fn codes(text: &str) -> Vec<&'static str> {
        let root = &load(text, &Limits::default()).documents[0];
        let mut out = Vec::new();
        check(RuleFormat::Sigma, root, &mut out);
        out.iter().map(|d| d.code).collect()
    }

    #[test]
    fn a_sound_detection_has_no_findings() {
        assert!(codes("detection:\n  sel_a: {Image|endswith: x}\n  sel_b: {x|re|i: y}\n  filter: {y: 1}\n  condition: 1 of sel_* and not filter\n").is_empty());
        assert!(codes("detection:\n  a: [x]\n  b: {c: 1}\n  condition: all of them\n").is_empty());
    }

    #[test]
    fn unknown_modifiers_and_identifiers_are_found() {
        assert_eq!(
            codes("detection:\n  sel: {Image|endwith: x}\n  condition: sel\n"),
            ["sigma-unknown-modifier"]
        );
        assert_eq!(
            codes("detection:\n  sel: {a: 1}\n  condition: sel or other\n"),
            ["sigma-undefined-identifier"]
        );
        assert_eq!(
            codes("detection:\n  sel: {a: 1}\n  condition: 1 of filter_*\n"),
            ["sigma-undefined-identifier", "sigma-unused-search"]
        );
        assert_eq!(
            codes("detection:\n  sel: {a: 1}\n  condition: (sel\n"),
            ["sigma-bad-condition"]
        );
        assert_eq!(
            codes("detection:\n  sel: {a: 1}\n  condition: sel | count() by x > 3\n"),
            ["sigma-legacy-aggregation"]
        );
    }

    #[test]
    fn the_unknown_modifier_is_pointed_at() {
        let text = "detection:\n  sel:\n    Image|endswith|wat: x\n  condition: sel\n";
        let root = &load(text, &Limits::default()).documents[0];
        let mut out = Vec::new();
        check(RuleFormat::Sigma, root, &mut out);
        assert_eq!(&text[out[0].span.unwrap().range()], "wat");
    }
}
