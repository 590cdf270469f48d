//! The compiled expression language of `eval`, `where` and
//! `stats … eval(…)`.

use std::cmp::Ordering;

use rulecheck_core::Diagnostic;

use super::fields;
use super::functions::{self, Func};
use super::pattern::Re;
use super::value::{Event, Value, compare};
use crate::ast::{BinaryOp, Expr, UnaryOp};

/// A compiled expression: function names resolved, literal regular
/// expressions compiled.
#[derive(Debug, Clone)]
pub(crate) enum CExpr {
    /// A field's value.
    Field(String),
    /// A literal.
    Lit(Value),
    /// A function call; `re` is the compiled literal regex argument of
    /// `match`, `replace`, `rex`-like functions.
    Call {
        func: Func,
        args: Vec<CExpr>,
        re: Option<Re>,
    },
    /// `x IN (a, b)`.
    In(Box<CExpr>, Vec<CExpr>),
    /// `NOT x`.
    Not(Box<CExpr>),
    /// `-x`.
    Neg(Box<CExpr>),
    /// An infix operator.
    Binary(BinaryOp, Box<CExpr>, Box<CExpr>),
}

/// What evaluation needs besides the row.
pub(crate) struct ExprEnv {
    /// The pinned "now", epoch seconds.
    pub(crate) now: i64,
}

/// Compile an expression; unknown functions are `spl-unsupported`.
pub(crate) fn compile(expr: &Expr, errors: &mut Vec<Diagnostic>) -> CExpr {
    match expr {
        Expr::Field(word) => CExpr::Field(word.text.clone()),
        Expr::String(text, _) => CExpr::Lit(Value::Str(text.clone())),
        Expr::Number(text, span) => {
            if let Some(n) = super::value::parse_number(text) {
                CExpr::Lit(Value::Num(n))
            } else {
                errors.push(super::diag::invalid(
                    format!("`{text}` is not a number"),
                    *span,
                ));
                CExpr::Lit(Value::Null)
            }
        }
        Expr::Call { name, args, span } => {
            let args: Vec<CExpr> = args.iter().map(|a| compile(a, errors)).collect();
            functions::compile_call(&name.text, args, *span, errors)
        }
        Expr::In { expr, list, .. } => CExpr::In(
            Box::new(compile(expr, errors)),
            list.iter().map(|e| compile(e, errors)).collect(),
        ),
        Expr::Unary { op, expr, .. } => {
            let inner = Box::new(compile(expr, errors));
            match op {
                UnaryOp::Not => CExpr::Not(inner),
                UnaryOp::Neg => CExpr::Neg(inner),
                UnaryOp::Plus => *inner,
            }
        }
        Expr::Binary { op, lhs, rhs, .. } => CExpr::Binary(
            *op,
            Box::new(compile(lhs, errors)),
            Box::new(compile(rhs, errors)),
        ),
    }
}

impl CExpr {
    /// Call `visit` with the name of each field the expression reads, in
    /// order (a field read twice is visited twice).
    pub(crate) fn for_each_field<'x>(&'x self, visit: &mut impl FnMut(&'x str)) {
        match self {
            CExpr::Field(f) => visit(f),
            CExpr::Lit(_) => {}
            CExpr::Call { args, .. } => {
                for a in args {
                    a.for_each_field(visit);
                }
            }
            CExpr::In(x, list) => {
                x.for_each_field(visit);
                for a in list {
                    a.for_each_field(visit);
                }
            }
            CExpr::Not(x) | CExpr::Neg(x) => x.for_each_field(visit),
            CExpr::Binary(_, a, b) => {
                a.for_each_field(visit);
                b.for_each_field(visit);
            }
        }
    }

    /// The value on `row`.
    pub(crate) fn eval(&self, row: &Event, env: &ExprEnv) -> Value {
        match self {
            CExpr::Field(name) => fields::value(row, name),
            CExpr::Lit(value) => value.clone(),
            CExpr::Call { func, args, re } => functions::call(*func, args, re.as_ref(), row, env),
            CExpr::In(expr, list) => {
                let value = expr.eval(row, env);
                if value.is_null() {
                    return Value::Null;
                }
                Value::Bool(
                    list.iter()
                        .any(|candidate| equal(&value, &candidate.eval(row, env))),
                )
            }
            CExpr::Not(inner) => match inner.eval(row, env) {
                Value::Null => Value::Null,
                v => Value::Bool(!v.truthy()),
            },
            CExpr::Neg(inner) => inner
                .eval(row, env)
                .as_num()
                .map_or(Value::Null, |n| Value::Num(-n)),
            CExpr::Binary(op, lhs, rhs) => binary(*op, lhs, rhs, row, env),
        }
    }

    /// Whether the expression holds on `row` (null is false).
    pub(crate) fn holds(&self, row: &Event, env: &ExprEnv) -> bool {
        self.eval(row, env).truthy()
    }
}

/// Whether any single value of `a` equals any of `b` (numerically when both
/// are numbers, otherwise as case-sensitive strings).
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    a.items().iter().any(|x| {
        b.items()
            .iter()
            .any(|y| compare(x, y) == Some(Ordering::Equal))
    })
}

fn binary(op: BinaryOp, lhs: &CExpr, rhs: &CExpr, row: &Event, env: &ExprEnv) -> Value {
    match op {
        BinaryOp::And => {
            let a = lhs.eval(row, env);
            if !a.truthy() {
                return Value::Bool(false);
            }
            Value::Bool(rhs.eval(row, env).truthy())
        }
        BinaryOp::Or => {
            if lhs.eval(row, env).truthy() {
                return Value::Bool(true);
            }
            Value::Bool(rhs.eval(row, env).truthy())
        }
        BinaryOp::Xor => Value::Bool(lhs.eval(row, env).truthy() != rhs.eval(row, env).truthy()),
        _ => {
            let a = lhs.eval(row, env);
            let b = rhs.eval(row, env);
            operate(op, &a, &b)
        }
    }
}

fn operate(op: BinaryOp, a: &Value, b: &Value) -> Value {
    if a.is_null() || b.is_null() {
        return Value::Null;
    }
    let ordered = |test: fn(Ordering) -> bool| {
        Value::Bool(
            a.items()
                .iter()
                .any(|x| b.items().iter().any(|y| compare(x, y).is_some_and(test))),
        )
    };
    match op {
        BinaryOp::Eq => Value::Bool(equal(a, b)),
        BinaryOp::Ne => Value::Bool(!equal(a, b)),
        BinaryOp::Lt => ordered(Ordering::is_lt),
        BinaryOp::Le => ordered(Ordering::is_le),
        BinaryOp::Gt => ordered(Ordering::is_gt),
        BinaryOp::Ge => ordered(Ordering::is_ge),
        BinaryOp::Like => match (a.as_text(), b.as_text()) {
            (Some(text), Some(pattern)) => Value::Bool(functions::like(&text, &pattern)),
            _ => Value::Null,
        },
        BinaryOp::Concat => match (a.as_text(), b.as_text()) {
            (Some(x), Some(y)) => Value::Str(format!("{x}{y}")),
            _ => Value::Null,
        },
        BinaryOp::Add => match (a, b) {
            (Value::Str(x), Value::Str(y))
                if super::value::parse_number(x).is_none()
                    || super::value::parse_number(y).is_none() =>
            {
                Value::Str(format!("{x}{y}"))
            }
            _ => arithmetic(a, b, |x, y| Some(x + y)),
        },
        BinaryOp::Sub => arithmetic(a, b, |x, y| Some(x - y)),
        BinaryOp::Mul => arithmetic(a, b, |x, y| Some(x * y)),
        BinaryOp::Div => arithmetic(a, b, |x, y| (y != 0.0).then(|| x / y)),
        BinaryOp::Mod => arithmetic(a, b, |x, y| (y != 0.0).then(|| x % y)),
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => Value::Null,
    }
}

#[allow(clippy::many_single_char_names)]
fn arithmetic(a: &Value, b: &Value, f: fn(f64, f64) -> Option<f64>) -> Value {
    match (a.as_num(), b.as_num()) {
        (Some(x), Some(y)) => f(x, y).map_or(Value::Null, Value::Num),
        _ => Value::Null,
    }
}
