//! Reading each format's document into the shared [`Rule`].
//!
//! This is lenient: it takes what it can from a document even when the
//! schema finds errors, so the report can still name the rule.

use rulecheck_core::rule::{DataRequirement, Language};
use rulecheck_core::yaml::Node;
use rulecheck_core::{Query, Rule, RuleFormat, Span, Spanned};

/// The normalized rule of a document of `format`.
pub fn normalize(format: RuleFormat, document: usize, root: &Node, source: &str) -> Rule {
    let mut rule = Rule {
        format,
        document,
        id: spanned_text(root.get("id")),
        title: None,
        status: root.get("status").and_then(Node::scalar_text),
        level: root.get("level").and_then(Node::scalar_text),
        techniques: Vec::new(),
        tactics: Vec::new(),
        data: Vec::new(),
        queries: Vec::new(),
    };
    match format {
        RuleFormat::Sigma | RuleFormat::SigmaCorrelation | RuleFormat::SigmaFilter => {
            sigma(&mut rule, root, source);
        }
        RuleFormat::Escu => escu(&mut rule, root),
        RuleFormat::Armory => armory(&mut rule, root),
    }
    rule
}

fn spanned_text(node: Option<&Node>) -> Option<Spanned<String>> {
    let node = node?;
    Some(Spanned::new(node.scalar_text()?, node.span))
}

fn query(language: Language, node: &Node, source: &str) -> Query {
    Query {
        language,
        text: source.get(node.span.range()).unwrap_or_default().to_owned(),
        span: node.span,
    }
}

fn sigma(rule: &mut Rule, root: &Node, source: &str) {
    rule.title = spanned_text(root.get("title"));
    for tag in root.get("tags").map(Node::items).unwrap_or_default() {
        let Some(text) = tag.as_str() else { continue };
        let Some(name) = text.strip_prefix("attack.") else {
            continue;
        };
        if is_technique_id(name) {
            rule.techniques
                .push(Spanned::new(name.to_ascii_uppercase(), tag.span));
        } else if !is_attack_object_id(name) {
            rule.tactics
                .push(Spanned::new(name.replace('_', "-"), tag.span));
        }
    }
    if let Some(logsource) = root.get("logsource") {
        let text = |k| logsource.get(k).and_then(Node::scalar_text);
        rule.data.push(DataRequirement::Logsource {
            product: text("product"),
            category: text("category"),
            service: text("service"),
        });
    }
    let (key, language) = match rule.format {
        RuleFormat::SigmaCorrelation => ("correlation", Language::SigmaCorrelation),
        RuleFormat::SigmaFilter => ("filter", Language::Sigma),
        _ => ("detection", Language::Sigma),
    };
    if let Some(node) = root.get(key) {
        rule.queries.push(query(language, node, source));
    }
}

fn escu(rule: &mut Rule, root: &Node) {
    rule.title = spanned_text(root.get("name"));
    if let Some(ids) = root.get("tags").and_then(|t| t.get("mitre_attack_id")) {
        for id in ids.items() {
            if let Some(text) = id.scalar_text() {
                rule.techniques
                    .push(Spanned::new(text.trim().to_ascii_uppercase(), id.span));
            }
        }
    }
    for source in root.get("data_source").map(Node::items).unwrap_or_default() {
        if let Some(name) = source.scalar_text() {
            rule.data.push(DataRequirement::DataSource(name));
        }
    }
    if let Some(search) = root.get("search")
        && let Some(text) = search.as_str()
    {
        for model in data_models(text) {
            if !rule.data.contains(&model) {
                rule.data.push(model);
            }
        }
        rule.queries.push(Query {
            language: Language::Spl,
            text: text.to_owned(),
            span: search.span,
        });
    }
}

fn armory(rule: &mut Rule, root: &Node) {
    rule.title = spanned_text(root.get("title"));
    for id in root
        .get("technique_id")
        .map(Node::items)
        .unwrap_or_default()
    {
        if let Some(text) = id.scalar_text() {
            rule.techniques
                .push(Spanned::new(text.trim().to_ascii_uppercase(), id.span));
        }
    }
    for entry in root.get("techniques").map(Node::items).unwrap_or_default() {
        if let Some(tactic) = entry.as_str().and_then(|t| t.split(':').next()) {
            let tactic = tactic.trim().to_ascii_lowercase().replace([' ', '_'], "-");
            if !tactic.is_empty() && !rule.tactics.iter().any(|t| t.value == tactic) {
                rule.tactics.push(Spanned::new(tactic, entry.span));
            }
        }
    }
    if let Some(logic) = root.get("logic")
        && let Some(text) = logic.as_str()
    {
        let language = root
            .get("logic_format")
            .and_then(Node::scalar_text)
            .map_or(Language::Other("unknown".into()), |f| logic_language(&f));
        rule.queries.push(Query {
            language,
            text: text.to_owned(),
            span: logic.span,
        });
    }
}

/// The query language of an armory `logic_format`.
pub fn logic_language(format: &str) -> Language {
    match format.to_ascii_lowercase().as_str() {
        "splunk" | "spl" => Language::Spl,
        other => Language::Other(other.replace(' ', "-")),
    }
}

/// The CIM data models an SPL search names (`datamodel=Endpoint.Processes`,
/// `from datamodel:Network_Traffic`).
fn data_models(search: &str) -> Vec<DataRequirement> {
    let mut out = Vec::new();
    for (i, _) in search.match_indices("datamodel") {
        let rest = search[i + "datamodel".len()..].trim_start();
        let Some(rest) = rest.strip_prefix(['=', ':']) else {
            continue;
        };
        let name: String = rest
            .trim_start()
            .trim_start_matches('"')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
            .collect();
        let model = DataRequirement::DataModel(name.clone());
        if !name.is_empty() && !out.contains(&model) {
            out.push(model);
        }
    }
    out
}

/// Whether `name` (after `attack.`) is a technique ID like `t1218.003`.
pub fn is_technique_id(name: &str) -> bool {
    let bytes = name.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    matches!(bytes.first(), Some(b't' | b'T'))
        && match bytes.len() {
            5 => digits(&bytes[1..5]),
            9 => digits(&bytes[1..5]) && bytes[5] == b'.' && digits(&bytes[6..9]),
            _ => false,
        }
}

/// Whether `name` (after `attack.`) names an ATT&CK group, software,
/// campaign, mitigation or data source (`g0069`, `s0002`, `c0015`, …).
fn is_attack_object_id(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() == 5
        && matches!(
            bytes[0].to_ascii_lowercase(),
            b'g' | b's' | b'c' | b'm' | b'd'
        )
        && bytes[1..].iter().all(u8::is_ascii_digit)
}

/// The span of a whole document, for diagnostics about the rule as a whole.
pub fn document_span(root: &Node) -> Span {
    Span::at(root.span.start as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rulecheck_core::yaml::{Limits, load};

    #[test]
    fn sigma_tags_split_into_techniques_and_tactics() {
        let text = "title: t\ntags: [attack.defense_evasion, attack.t1218.003, attack.g0069, cve.2021-1]\nlogsource: {product: windows}\ndetection: {a: {x: 1}, condition: a}\n";
        let root = &load(text, &Limits::default()).documents[0];
        let rule = normalize(RuleFormat::Sigma, 0, root, text);
        assert_eq!(
            rule.techniques
                .iter()
                .map(|t| t.value.as_str())
                .collect::<Vec<_>>(),
            ["T1218.003"]
        );
        assert_eq!(
            rule.tactics
                .iter()
                .map(|t| t.value.as_str())
                .collect::<Vec<_>>(),
            ["defense-evasion"]
        );
        assert_eq!(rule.queries[0].text, "{a: {x: 1}, condition: a}");
    }

    #[test]
    fn escu_search_names_its_data_models() {
        let text = "name: n\nsearch: '| tstats count from datamodel=Endpoint.Processes where x'\ntags: {mitre_attack_id: [T1218.007]}\n";
        let root = &load(text, &Limits::default()).documents[0];
        let rule = normalize(RuleFormat::Escu, 0, root, text);
        assert_eq!(
            rule.data,
            [DataRequirement::DataModel("Endpoint.Processes".into())]
        );
        assert_eq!(rule.languages(), ["spl"]);
    }

    #[test]
    fn armory_logic_format_names_the_language() {
        let text = "id: '1'\ntitle: t\nlogic_format: snowflake\nlogic: select 1\ntechniques: ['defense-evasion:x:y']\n";
        let root = &load(text, &Limits::default()).documents[0];
        let rule = normalize(RuleFormat::Armory, 0, root, text);
        assert_eq!(rule.languages(), ["snowflake"]);
        assert_eq!(rule.tactics[0].value, "defense-evasion");
    }
}
