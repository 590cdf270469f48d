//! Recognising what a YAML document is from its content.

use rulecheck_core::RuleFormat;
use rulecheck_core::yaml::Node;

/// What a YAML document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// A rule of this format.
    Rule(RuleFormat),
    /// A Sigma 1.x rule collection header (`action: global`, `reset`, `repeat`).
    SigmaCollectionAction,
    /// Something else rulecheck recognizes but does not check as a rule.
    Other(OtherKind),
    /// Nothing rulecheck knows.
    Unknown,
}

/// Recognized YAML files that are not rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherKind {
    /// An ESCU macro definition (`name` + `definition`).
    EscuMacro,
    /// An ESCU lookup descriptor (`filename` or `collection`).
    EscuLookup,
    /// An ESCU analytic story (`narrative`).
    EscuStory,
    /// An ESCU data source (`sourcetype` + `supported_TA`).
    EscuDataSource,
}

impl OtherKind {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            OtherKind::EscuMacro => "escu-macro",
            OtherKind::EscuLookup => "escu-lookup",
            OtherKind::EscuStory => "escu-story",
            OtherKind::EscuDataSource => "escu-data-source",
        }
    }
}

/// Recognise a document from its top-level keys.
pub fn detect(root: &Node) -> DocumentKind {
    let has = |key: &str| root.get(key).is_some();
    if root.as_map().is_none() {
        return DocumentKind::Unknown;
    }
    if has("correlation") {
        DocumentKind::Rule(RuleFormat::SigmaCorrelation)
    } else if has("filter") && has("logsource") {
        DocumentKind::Rule(RuleFormat::SigmaFilter)
    } else if has("detection") {
        DocumentKind::Rule(RuleFormat::Sigma)
    } else if has("logic") && (has("logic_format") || has("technique_id")) {
        DocumentKind::Rule(RuleFormat::Armory)
    } else if has("search")
        && (has("how_to_implement") || has("known_false_positives") || has("tags") || has("type"))
    {
        DocumentKind::Rule(RuleFormat::Escu)
    } else if root
        .get("action")
        .and_then(Node::as_str)
        .is_some_and(|a| matches!(a, "global" | "reset" | "repeat"))
    {
        DocumentKind::SigmaCollectionAction
    } else if has("definition") && has("name") {
        DocumentKind::Other(OtherKind::EscuMacro)
    } else if has("narrative") {
        DocumentKind::Other(OtherKind::EscuStory)
    } else if has("sourcetype") && (has("supported_TA") || has("source")) {
        DocumentKind::Other(OtherKind::EscuDataSource)
    } else if has("name") && (has("filename") || has("collection")) {
        DocumentKind::Other(OtherKind::EscuLookup)
    } else if has("logsource") || has("title") && has("tags") {
        // A Sigma rule missing its detection: validate it as Sigma so the
        // schema names what is missing.
        DocumentKind::Rule(RuleFormat::Sigma)
    } else {
        DocumentKind::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rulecheck_core::yaml::{Limits, load};

    fn kind(text: &str) -> DocumentKind {
        detect(&load(text, &Limits::default()).documents[0])
    }

    #[test]
    fn formats_are_recognized_from_their_keys() {
        assert_eq!(
            kind("title: x\nlogsource: {}\ndetection: {condition: a}\n"),
            DocumentKind::Rule(RuleFormat::Sigma)
        );
        assert_eq!(
            kind("title: x\ncorrelation: {type: temporal}\n"),
            DocumentKind::Rule(RuleFormat::SigmaCorrelation)
        );
        assert_eq!(
            kind("title: x\nlogsource: {}\nfilter: {rules: [a]}\n"),
            DocumentKind::Rule(RuleFormat::SigmaFilter)
        );
        assert_eq!(
            kind("name: x\nsearch: '| tstats count'\ntype: TTP\n"),
            DocumentKind::Rule(RuleFormat::Escu)
        );
        assert_eq!(
            kind("id: '1.2'\nlogic: x\nlogic_format: Splunk\n"),
            DocumentKind::Rule(RuleFormat::Armory)
        );
        assert_eq!(
            kind("name: m\ndefinition: search *\ndescription: d\n"),
            DocumentKind::Other(OtherKind::EscuMacro)
        );
        assert_eq!(
            kind("action: global\ntitle: x\n"),
            DocumentKind::SigmaCollectionAction
        );
        assert_eq!(kind("jobs: {}\n"), DocumentKind::Unknown);
        assert_eq!(kind("- a\n- b\n"), DocumentKind::Unknown);
    }
}
