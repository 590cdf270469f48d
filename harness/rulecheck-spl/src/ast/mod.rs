//! The SPL syntax tree: a [`Pipeline`] of [`Command`]s, each with its typed
//! arguments.
//!
//! Every node carries the [`Span`] of the text it was parsed from, in the
//! coordinates of the macro-expanded query ([`crate::Expanded::text`]); use
//! [`crate::Expanded::original_span`] to point into the text the user wrote.
//! Names (fields, commands, functions, options) are kept as written, quotes
//! removed and escapes resolved; nothing is lower-cased or resolved here.

mod command;
mod expr;
mod search;

use rulecheck_core::Span;

pub use command::{
    AggArg, Aggregation, Append, Bin, Command, CommandKind, ConversionCall, Convert, Dedup, Eval,
    EvalAssignment, Fields, FieldsMode, Fillnull, From, Head, Inputlookup, Join, Lookup,
    LookupField, Makemv, Mvexpand, Regex, Rename, RenamePair, Rex, RexMode, Sort, SortKey,
    SortOrder, Spath, Stats, StatsFlavor, Table, Tstats, TstatsSource,
};
pub use expr::{BinaryOp, Expr, UnaryOp};
pub use search::{CompareOp, Directive, SearchExpr, SearchValue};

/// A sequence of commands joined by `|`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// The commands, in order. The first is the implicit `search` unless the
    /// query starts with `|`.
    pub commands: Vec<Command>,
    /// The whole pipeline.
    pub span: Span,
}

/// A name or value as written, with quotes removed and escapes resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The text.
    pub text: String,
    /// Whether it was written in double quotes.
    pub quoted: bool,
    /// Where it was written, quotes included.
    pub span: Span,
}

impl Word {
    /// Whether the text is `name`, ignoring ASCII case (for keywords).
    pub fn is_keyword(&self, name: &str) -> bool {
        !self.quoted && self.text.eq_ignore_ascii_case(name)
    }

    /// Whether the text contains the wildcard `*`.
    pub fn has_wildcard(&self) -> bool {
        self.text.contains('*')
    }
}

/// A `key=value` option of a command, such as `span=1h` or `type=outer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOption {
    /// The option name as written.
    pub key: Word,
    /// Its value.
    pub value: Word,
}

/// One argument of a command parsed generically: what it looked like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawArg {
    /// A bare word (operators such as `=` included).
    Word(Word),
    /// A double-quoted string.
    Quoted(Word),
    /// A bracketed part `[ ... ]`, kept as text (without the brackets).
    Bracketed(Word),
    /// A parenthesis, `(` or `)`.
    Paren(Word),
}
