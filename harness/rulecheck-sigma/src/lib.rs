//! Sigma rules for rulecheck: parse → compile → evaluate.
//!
//! - [`parse`] turns a positioned YAML document into a [`ParsedDocument`]
//!   (a detection rule, a correlation or a filter), collecting every
//!   problem as a [`Diagnostic`] with a span.
//! - [`compile`] turns a [`ParsedRule`] into a [`CompiledRule`]: an
//!   inspectable tree with field names interned, matchers prebuilt and
//!   condition identifiers resolved to indices.
//! - [`CompiledRule::matches`] and [`CompiledRule::explain`] evaluate it on
//!   an [`Event`]; a [`RuleSet`] scans streams of events, applies filters
//!   and evaluates correlations.
//!
//! ```
//! use rulecheck_sigma::{CompileOptions, Event, LogsourceMap, compile_str};
//!
//! let rule = "
//! title: CMSTP child process
//! logsource: { product: windows, category: process_creation }
//! detection:
//!     selection:
//!         ParentImage|endswith: '\\cmstp.exe'
//!     condition: selection
//! ";
//! let opts = CompileOptions { logsource: Some(LogsourceMap::windows()), ..Default::default() };
//! let compiled = compile_str(rule, &opts).unwrap();
//! let event = Event::from_json(serde_json::json!({
//!     "EventID": 1,
//!     "Channel": "Microsoft-Windows-Sysmon/Operational",
//!     "ParentImage": "C:\\Windows\\System32\\CMSTP.EXE",
//! })).unwrap();
//! assert!(compiled.matches(&event));
//! let trace = compiled.explain(&event);
//! assert!(trace.matched);
//! ```

#![allow(
    clippy::cast_precision_loss,
    reason = "numbers in rules and event counts stay far below 2^52"
)]

mod ast;
mod compile;
mod condition;
mod correlation;
mod eval;
mod event;
mod filter;
mod logsource;
mod matcher;
mod modifier;
mod parse;
mod pattern;
mod prefilter;
mod reliteral;
mod scan;
mod time;
mod trace;
mod value;

pub use ast::{
    CondExpr, Condition, Group, Item, LogSource, Meta, OfTarget, ParsedDocument, ParsedRule,
    Quantifier, RawKind, RawValue, Selection, SelectionBody,
};
pub use compile::{
    CompileOptions, CompiledBody, CompiledGroup, CompiledRule, CompiledSelection, CompiledSource,
    Cond, FieldTest, KeywordTest, compile,
};
pub use correlation::{
    Bound, BoundOp, CompiledCorrelation, CorrelationAlert, CorrelationType, ParsedCorrelation,
    parse_timespan,
};
pub use event::{Event, FieldTable, NotAnObject, Resolved, Resolver};
pub use filter::{CompiledFilter, ParsedFilter};
pub use logsource::{DEFAULT_WINDOWS, LogsourceMap};
pub use matcher::{Finder, Needle, Re, StrMatcher};
pub use modifier::Modifier;
pub use parse::parse;
pub use scan::{Alert, DocumentErrors, Hits, LineMatches, RuleSet, Scan};
pub use time::{TIMESTAMP_FIELDS, TimePart, event_time, parse_timestamp};
pub use trace::{FieldTrace, Rendered, SelectionTrace, SourceTrace, Trace};
pub use value::{Cidr, CmpOp, RefKind, ValueTest};

use rulecheck_core::Diagnostic;
use rulecheck_core::yaml;

/// Load every document of a Sigma YAML file and parse each. Documents that
/// fail are reported and left out.
pub fn parse_str(text: &str) -> (Vec<ParsedDocument>, Vec<Diagnostic>) {
    let loaded = yaml::load(text, &yaml::Limits::default());
    let mut diags = loaded.diagnostics;
    let mut docs = Vec::new();
    for doc in &loaded.documents {
        match parse(doc) {
            Ok(d) => docs.push(d),
            Err(mut d) => diags.append(&mut d),
        }
    }
    (docs, diags)
}

/// Parse and compile a file holding one detection rule.
pub fn compile_str(text: &str, opts: &CompileOptions) -> Result<CompiledRule, Vec<Diagnostic>> {
    let (docs, diags) = parse_str(text);
    if !diags.is_empty() {
        return Err(diags);
    }
    match docs.as_slice() {
        [ParsedDocument::Rule(rule)] => compile(rule, opts),
        _ => Err(vec![Diagnostic::error(
            "sigma-bad-rule",
            "expected exactly one detection rule in the file",
        )]),
    }
}

#[cfg(test)]
mod tests;
