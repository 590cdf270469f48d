//! Sigma filters: meta documents that add an exclusion to the rules they
//! name (by `id` or `name`): the rule matches when its own condition holds
//! and the filter's condition does not.

use rulecheck_core::Diagnostic;
use rulecheck_core::yaml::Node;

use crate::ast::{LogSource, Meta, ParsedRule};
use crate::compile::{CompileOptions, CompiledRule, compile};
use crate::parse::{parse_detection_with, parse_logsource};

/// A parsed filter document.
#[derive(Debug, Clone)]
pub struct ParsedFilter {
    /// Id, title.
    pub meta: Meta,
    /// The filter's logsource.
    pub logsource: LogSource,
    /// The ids or names of the rules it applies to.
    pub rules: Vec<String>,
    /// The filter's selections and condition, as a rule.
    pub detection: ParsedRule,
}

pub(crate) fn parse_filter(
    doc: &Node,
    meta: Meta,
    diags: &mut Vec<Diagnostic>,
) -> Option<ParsedFilter> {
    let filter = doc.get("filter")?;
    let logsource = parse_logsource(doc);
    let rules: Vec<String> = filter
        .get("rules")
        .map(|r| r.items().iter().filter_map(Node::scalar_text).collect())
        .unwrap_or_default();
    if rules.is_empty() {
        diags.push(
            Diagnostic::error(
                "sigma-missing-field",
                "a filter needs `rules:` (ids or names)",
            )
            .with_span(filter.span),
        );
    }
    let (selections, condition) = parse_detection_with(filter, &["rules"], diags)?;
    let detection = ParsedRule {
        meta: meta.clone(),
        logsource: logsource.clone(),
        selections,
        condition,
    };
    Some(ParsedFilter {
        meta,
        logsource,
        rules,
        detection,
    })
}

/// A compiled filter.
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    /// The rules it applies to (ids or names).
    pub rules: Vec<String>,
    /// Its detection (logsource not applied: the rule's own applies).
    pub detection: CompiledRule,
}

impl ParsedFilter {
    /// Compile the filter's detection.
    pub fn compile(&self, opts: &CompileOptions) -> Result<CompiledFilter, Vec<Diagnostic>> {
        let opts = CompileOptions {
            logsource: None,
            ..opts.clone()
        };
        Ok(CompiledFilter {
            rules: self.rules.clone(),
            detection: compile(&self.detection, &opts)?,
        })
    }
}

impl CompiledFilter {
    /// Whether the filter names `rule` (by id or name).
    pub fn applies_to(&self, rule: &CompiledRule) -> bool {
        self.rules.iter().any(|r| {
            rule.id.as_deref() == Some(r.as_str()) || rule.name.as_deref() == Some(r.as_str())
        })
    }
}
