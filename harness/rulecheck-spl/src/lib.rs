//! Splunk SPL for rulecheck: macro expansion, lexing and parsing into a
//! typed syntax tree.
//!
//! The principal type is [`Pipeline`], the syntax tree of a query. A query
//! goes through two steps, each returning values and diagnostics:
//!
//! 1. [`expand`] replaces macro calls (`` `name` ``, `` `name(a, b)` ``)
//!    with their definitions from [`Macros`] and comments with a space,
//!    keeping a map back to the text the user wrote ([`Expanded`]).
//! 2. [`parse`] reads the expanded text into a [`Pipeline`]; its
//!    diagnostics point into the original query.
//!
//! ```
//! use rulecheck_spl::{Macros, expand, parse, ast::CommandKind};
//!
//! let mut macros = Macros::new();
//! macros.insert("sysmon", "sourcetype=sysmon");
//! let expanded = expand("`sysmon` EventCode=1 | stats count by host", &macros).unwrap();
//! let (pipeline, diagnostics) = parse(&expanded);
//! assert!(diagnostics.is_empty());
//! let pipeline = pipeline.unwrap();
//! assert_eq!(pipeline.commands.len(), 2);
//! assert!(matches!(pipeline.commands[1].kind, CommandKind::Stats(_)));
//! ```

pub mod ast;
mod expand;
mod lexer;
mod macros;
mod parser;

use rulecheck_core::Diagnostic;

pub use ast::Pipeline;
pub use expand::{
    Expanded, FILTER_MACRO_PASSES, MACRO_ARGUMENTS, MACRO_CYCLE, UNKNOWN_MACRO, expand,
};
pub use macros::{FileDiagnostic, MACRO_FILE, MacroDef, MacroOrigin, Macros};
pub use parser::SYNTAX;

/// Parse an expanded query. The pipeline is `None` when there is an error;
/// the diagnostics' spans point into the original query (at the macro call
/// when the problem is in a macro's expansion). Spans inside the pipeline
/// are offsets into [`Expanded::text`]; map them with
/// [`Expanded::original_span`].
pub fn parse(expanded: &Expanded) -> (Option<Pipeline>, Vec<Diagnostic>) {
    let (pipeline, mut diagnostics) = parser::parse_text(&expanded.text);
    for diagnostic in &mut diagnostics {
        let Some(span) = diagnostic.span else {
            continue;
        };
        diagnostic.span = Some(expanded.original_span(span));
        if let Some(name) = expanded.macro_at(span.start as usize) {
            let snippet = snippet(&expanded.text, span);
            let note = format!("the problem is in the expansion of macro `{name}`, at `{snippet}`");
            diagnostic.help = Some(match diagnostic.help.take() {
                Some(help) => format!("{help}; {note}"),
                None => note,
            });
        }
    }
    (pipeline, diagnostics)
}

/// Parse SPL that contains no macro calls (backquoted text is read as is).
pub fn parse_str(text: &str) -> (Option<Pipeline>, Vec<Diagnostic>) {
    parse(&Expanded::verbatim(text))
}

/// Up to 40 characters of `text` around `span`.
fn snippet(text: &str, span: rulecheck_core::Span) -> String {
    let start = (span.start as usize).min(text.len());
    let end = (span.end as usize).clamp(start, text.len());
    let mut from = start.saturating_sub(15);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = (end + 15).max(start + 25).min(text.len());
    while !text.is_char_boundary(to) {
        to += 1;
    }
    text[from..to].trim().to_owned()
}
