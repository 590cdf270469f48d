//! The parsed form of a Sigma document: what the YAML says, checked for
//! shape, with spans, before anything is compiled.

use rulecheck_core::Span;

use crate::modifier::Modifier;

/// A parsed Sigma document: a detection rule, a correlation or a filter.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "a file holds a handful of documents; boxing would only add noise at match sites"
)]
pub enum ParsedDocument {
    /// A detection rule.
    Rule(ParsedRule),
    /// A correlation rule (`correlation:`).
    Correlation(crate::correlation::ParsedCorrelation),
    /// A filter (`filter:`).
    Filter(crate::filter::ParsedFilter),
}

/// Metadata every Sigma document carries.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// `id`, if present.
    pub id: Option<String>,
    /// `name`, if present (how correlations and filters refer to rules).
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `level`, if present.
    pub level: Option<String>,
    /// Span of the whole document.
    pub span: Span,
}

/// A parsed detection rule.
#[derive(Debug, Clone)]
pub struct ParsedRule {
    /// Id, title, level.
    pub meta: Meta,
    /// `logsource`.
    pub logsource: LogSource,
    /// The search identifiers, in source order.
    pub selections: Vec<Selection>,
    /// The condition (several conditions in a list are joined with `or`).
    pub condition: Condition,
}

/// The `logsource` of a rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSource {
    /// `product`.
    pub product: Option<String>,
    /// `category`.
    pub category: Option<String>,
    /// `service`.
    pub service: Option<String>,
    /// Where the `logsource` block is.
    pub span: Span,
}

/// One search identifier of `detection`.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Its name.
    pub name: String,
    /// Where the name is.
    pub name_span: Span,
    /// What it holds.
    pub body: SelectionBody,
}

/// The body of a search identifier.
#[derive(Debug, Clone)]
pub enum SelectionBody {
    /// A map or a list of maps: OR of groups, each group an AND of items.
    Groups(Vec<Group>),
    /// Field-less values (keywords), with the modifiers of a `'|mod'` key.
    Keywords(Item),
}

/// A map of `field|modifiers: values` items, joined with AND.
#[derive(Debug, Clone)]
pub struct Group {
    /// The items.
    pub items: Vec<Item>,
    /// Where the map is.
    pub span: Span,
}

/// One `field|mod|mod: value(s)` entry (field is None for keywords).
#[derive(Debug, Clone)]
pub struct Item {
    /// The field name, None for keywords.
    pub field: Option<String>,
    /// The modifiers in the order written.
    pub modifiers: Vec<Modifier>,
    /// The values (a list is OR, or AND with `all`).
    pub values: Vec<RawValue>,
    /// Where the key (or the keyword list) is.
    pub span: Span,
}

/// A value as written in the rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RawValue {
    /// The scalar.
    pub kind: RawKind,
    /// Where it is.
    pub span: Span,
}

/// The scalar kinds a detection value can have.
#[derive(Debug, Clone, PartialEq)]
pub enum RawKind {
    /// A string (with Sigma wildcards and escapes still in it).
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// `null`.
    Null,
}

impl RawKind {
    /// The text of the value (`1` for an integer).
    pub fn text(&self) -> String {
        match self {
            RawKind::Str(s) => s.clone(),
            RawKind::Int(i) => i.to_string(),
            RawKind::Float(f) => f.to_string(),
            RawKind::Bool(b) => b.to_string(),
            RawKind::Null => "null".to_owned(),
        }
    }
}

/// A parsed condition expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The expression.
    pub expr: CondExpr,
    /// Where it is in the rule file.
    pub span: Span,
}

/// How many selections of an `x of` must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// `N of` (at least N; `1 of` in practice).
    AtLeast(u32),
    /// `all of`.
    All,
}

/// What an `x of` ranges over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfTarget {
    /// `them`: every identifier not starting with `_`.
    Them,
    /// A pattern with `*` wildcards.
    Pattern(String),
}

/// A condition expression node.
#[derive(Debug, Clone, PartialEq)]
pub enum CondExpr {
    /// A search identifier.
    Ident(String, Span),
    /// `not e`.
    Not(Box<CondExpr>),
    /// `a and b and …`.
    And(Vec<CondExpr>),
    /// `a or b or …`.
    Or(Vec<CondExpr>),
    /// `1 of x*`, `all of them`.
    Of(Quantifier, OfTarget, Span),
}
