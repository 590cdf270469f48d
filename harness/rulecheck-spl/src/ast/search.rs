//! The boolean search expression of `search`, the base search and `tstats
//! where`.

use rulecheck_core::Span;

use super::{Pipeline, Word};

/// A search expression. Splunk's `search` binds `OR` tighter than `AND`,
/// the reverse of `eval` and `where`; the tree reflects that.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchExpr {
    /// All of the parts (explicit `AND` or juxtaposition).
    And(Vec<SearchExpr>, Span),
    /// Any of the parts.
    Or(Vec<SearchExpr>, Span),
    /// The negation of the part.
    Not(Box<SearchExpr>, Span),
    /// A keyword or quoted phrase matched against `_raw`; `TERM()` and
    /// `CASE()` keep their directive.
    Term(SearchValue),
    /// `field=value`, `field!=value`, `field<value`, …
    Compare {
        /// The field name as written.
        field: Word,
        /// The operator.
        op: CompareOp,
        /// The value.
        value: SearchValue,
        /// The whole comparison.
        span: Span,
    },
    /// `field IN (value, …)`.
    In {
        /// The field name as written.
        field: Word,
        /// The values.
        values: Vec<SearchValue>,
        /// The whole expression.
        span: Span,
    },
    /// A subsearch `[ … ]` whose results become search terms.
    Subsearch(Box<Pipeline>, Span),
}

impl SearchExpr {
    /// Where the expression was written.
    pub fn span(&self) -> Span {
        match self {
            SearchExpr::And(_, span)
            | SearchExpr::Or(_, span)
            | SearchExpr::Not(_, span)
            | SearchExpr::Subsearch(_, span)
            | SearchExpr::Compare { span, .. }
            | SearchExpr::In { span, .. } => *span,
            SearchExpr::Term(value) => value.span,
        }
    }
}

/// A comparison operator of the search language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `=` (or `==`).
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// How a value must match, when a directive says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    /// `TERM(x)`: match `x` as one indexed term, breakers included.
    Term,
    /// `CASE(x)`: match case-sensitively.
    Case,
}

/// A value of the search language: a keyword, a quoted phrase or a field
/// value. `*` in the text is a wildcard (Splunk has no escape for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchValue {
    /// The text, quotes removed and `\\` / `\"` resolved.
    pub text: String,
    /// Whether it was written in double quotes.
    pub quoted: bool,
    /// The directive around it, if any.
    pub directive: Option<Directive>,
    /// Where it was written, directive included.
    pub span: Span,
}

impl SearchValue {
    /// Whether the text contains the wildcard `*`.
    pub fn has_wildcard(&self) -> bool {
        self.text.contains('*')
    }
}
