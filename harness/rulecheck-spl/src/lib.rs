//! Splunk SPL for rulecheck: macro expansion, parsing into a typed syntax
//! tree, compilation into a [`Search`] and evaluation over events.
//!
//! A query goes through these steps, each returning values and diagnostics:
//!
//! 1. [`expand`] replaces macro calls (`` `name` ``, `` `name(a, b)` ``)
//!    with their definitions from [`Macros`] and comments with a space,
//!    keeping a map back to the text the user wrote ([`Expanded`]).
//! 2. [`parse`] reads the expanded text into a [`Pipeline`]; its
//!    diagnostics point into the original query.
//! 3. [`compile`] turns the pipeline into a [`Search`] (names resolved,
//!    regular expressions, wildcards and lookup tables loaded); a command,
//!    function or option it does not evaluate is an [`UNSUPPORTED`]
//!    diagnostic naming it. [`compile_str`] does all three.
//! 4. [`Search::run`] evaluates it over events ([`Event`]s, made from JSON
//!    objects by [`event_from_object`]) with a
//!    [`Context`] (the pinned "now", the lookups folder, the CIM
//!    [`DataModels`]); [`Search::explain`] says why, stage by stage.
//!
//! ```
//! use rulecheck_spl::{Context, Macros, compile_str, event_from_object};
//! use serde_json::json;
//!
//! let ctx = Context::new(1_773_500_000);
//! let search = compile_str(
//!     "EventCode=4688 cmstp.exe | stats count by host",
//!     &Macros::new(),
//!     &ctx,
//! )
//! .unwrap();
//! let event = json!({"EventCode": 4688, "host": "ws1", "Image": "C:\\Windows\\cmstp.exe"});
//! let event = event_from_object(event.as_object().unwrap().clone());
//! let rows = search.run(&[event], &ctx).unwrap();
//! assert_eq!(rows[0]["count"], 1);
//! ```
//!
//! # Semantics and where they are approximated
//!
//! - **Bare terms and phrases** match the raw text case-insensitively where
//!   they start and end at a breaker (Splunk's default major and minor
//!   breakers, single characters only; the `%xx` breakers are not modelled)
//!   or where the term itself begins or ends with one; `*` matches any text.
//!   `TERM(x)` needs major breakers (or `=`) around it, `CASE(x)` is
//!   case-sensitive. This is a substring approximation of Splunk's index
//!   lookup.
//! - **Events without `_raw`** get a raw text of `key=value` pairs separated
//!   by spaces, in field order (nested objects as dotted keys, one pair per
//!   array item, values with white space in double quotes, `_time` left
//!   out).
//! - **`field=value`** is a case-insensitive wildcard match on any value of
//!   the field; `!=` needs the field; `index` and `splunk_server` are taken
//!   to match when an event lacks them (the events given are the index).
//!   `earliest=`/`latest=` are relative to [`Context::now`].
//! - **`_time`** is read from `_time`, `@timestamp`, `TimeCreated` or
//!   `timestamp` (epoch seconds or RFC 3339); times are UTC throughout.
//! - **`where`/`eval`** compare strings case-sensitively and numbers
//!   numerically; a multivalue compares true when any value does.
//! - **`stats`** orders groups by their key texts; `values()` sorts as
//!   strings; a `by` field that is missing drops the row; `*` in
//!   `values(*)` skips fields starting with `_` and the `by` fields.
//! - **`tstats`** reads the data model view of each event: events with
//!   `Dataset.field` keys as they are, other events through the first
//!   matching normalization map of `mappings/cim/normalization.toml`.
//! - **`iplocation`** reads `iplocation.csv` (a `cidr` column and the
//!   output columns) from the lookups folder and adds nothing without it;
//!   the `dnslookup` lookup resolves nothing unless `dnslookup.csv` exists.
//! - **Regular expressions** use `regex`, falling back to `fancy-regex`
//!   (backtracking limit) for look-around and back-references; `\Q…\E`
//!   is supported, other PCRE-only syntax is a compile error.

pub mod ast;
mod eval;
mod expand;
mod lexer;
mod macros;
mod parser;

use rulecheck_core::Diagnostic;

pub use ast::Pipeline;
pub use eval::{
    Batch, Context, DataModels, Event, EventHasher, ExplainTrace, INVALID, PredicateResult,
    RunError, Search, StageTrace, UNSUPPORTED, compile, compile_str, event_from_object,
    event_into_object,
};
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
