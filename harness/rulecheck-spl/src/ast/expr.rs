//! The expression language of `eval`, `where` and `stats … eval(…)`.

use rulecheck_core::Span;

use super::Word;

/// An `eval` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A field reference: a bare name or a single-quoted `'name'`.
    Field(Word),
    /// A double-quoted string literal, escapes resolved.
    String(String, Span),
    /// A number literal, as written.
    Number(String, Span),
    /// A function call such as `match(process, "x")`; the name is as written.
    Call {
        /// The function name.
        name: Word,
        /// The arguments.
        args: Vec<Expr>,
        /// The whole call.
        span: Span,
    },
    /// `expr IN (a, b, …)`.
    In {
        /// The tested value.
        expr: Box<Expr>,
        /// The candidates.
        list: Vec<Expr>,
        /// The whole expression.
        span: Span,
    },
    /// A prefix operator.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        expr: Box<Expr>,
        /// The whole expression.
        span: Span,
    },
    /// An infix operator.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// The left operand.
        lhs: Box<Expr>,
        /// The right operand.
        rhs: Box<Expr>,
        /// The whole expression.
        span: Span,
    },
}

impl Expr {
    /// Where the expression was written.
    pub fn span(&self) -> Span {
        match self {
            Expr::Field(word) => word.span,
            Expr::String(_, span)
            | Expr::Number(_, span)
            | Expr::Call { span, .. }
            | Expr::In { span, .. }
            | Expr::Unary { span, .. }
            | Expr::Binary { span, .. } => *span,
        }
    }
}

/// A prefix operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `NOT`.
    Not,
    /// `-`.
    Neg,
    /// `+`.
    Plus,
}

/// An infix operator, from the loosest binding to the tightest:
/// `XOR`, `OR`, `AND`, comparisons and `LIKE`, `+ - .`, `* / %`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `XOR`.
    Xor,
    /// `OR`.
    Or,
    /// `AND`.
    And,
    /// `=` or `==`.
    Eq,
    /// `!=` or `<>`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `LIKE` (SQL pattern: `%` and `_`).
    Like,
    /// `+` (numbers add, strings concatenate).
    Add,
    /// `-`.
    Sub,
    /// `.` (string concatenation).
    Concat,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
}
