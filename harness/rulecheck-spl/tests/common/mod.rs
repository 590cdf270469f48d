//! Compact printers of the syntax tree for table-driven tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use rulecheck_spl::ast::{
    AggArg, Aggregation, BinaryOp, CommandKind, CompareOp, Directive, Expr, Pipeline, SearchExpr,
    SearchValue, UnaryOp,
};
use rulecheck_spl::parse_str;

/// Parse `text` (no macros), panicking with the diagnostics on error.
pub fn pipeline(text: &str) -> Pipeline {
    let (pipeline, diagnostics) = parse_str(text);
    assert!(diagnostics.is_empty(), "{text}: {diagnostics:#?}");
    pipeline.unwrap()
}

/// The only command of `text`.
pub fn command(text: &str) -> CommandKind {
    let mut p = pipeline(text);
    assert_eq!(p.commands.len(), 1, "{text}");
    p.commands.remove(0).kind
}

pub fn value(v: &SearchValue) -> String {
    let text = if v.quoted {
        format!("{:?}", v.text)
    } else {
        v.text.clone()
    };
    match v.directive {
        Some(Directive::Term) => format!("TERM({text})"),
        Some(Directive::Case) => format!("CASE({text})"),
        None => text,
    }
}

pub fn search(e: &SearchExpr) -> String {
    let list = |parts: &[SearchExpr]| parts.iter().map(search).collect::<Vec<_>>().join(" ");
    match e {
        SearchExpr::And(parts, _) => format!("(and {})", list(parts)),
        SearchExpr::Or(parts, _) => format!("(or {})", list(parts)),
        SearchExpr::Not(inner, _) => format!("(not {})", search(inner)),
        SearchExpr::Term(v) => value(v),
        SearchExpr::Compare {
            field,
            op,
            value: v,
            ..
        } => {
            let op = match op {
                CompareOp::Eq => "=",
                CompareOp::Ne => "!=",
                CompareOp::Lt => "<",
                CompareOp::Le => "<=",
                CompareOp::Gt => ">",
                CompareOp::Ge => ">=",
            };
            format!("{}{op}{}", field.text, value(v))
        }
        SearchExpr::In { field, values, .. } => format!(
            "{} in [{}]",
            field.text,
            values.iter().map(value).collect::<Vec<_>>().join(" ")
        ),
        SearchExpr::Subsearch(p, _) => format!("[{} commands]", p.commands.len()),
    }
}

/// The base search of `text` as an s-expression.
pub fn base_search(text: &str) -> String {
    match command(text) {
        CommandKind::Search(Some(e)) => search(&e),
        other => panic!("{text}: {other:?}"),
    }
}

pub fn expr(e: &Expr) -> String {
    match e {
        Expr::Field(w) => w.text.clone(),
        Expr::String(s, _) => format!("{s:?}"),
        Expr::Number(n, _) => n.clone(),
        Expr::Call { name, args, .. } => format!(
            "{}({})",
            name.text,
            args.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        Expr::In { expr: e, list, .. } => format!(
            "(in {} [{}])",
            expr(e),
            list.iter().map(expr).collect::<Vec<_>>().join(" ")
        ),
        Expr::Unary { op, expr: e, .. } => {
            let op = match op {
                UnaryOp::Not => "not",
                UnaryOp::Neg => "neg",
                UnaryOp::Plus => "plus",
            };
            format!("({op} {})", expr(e))
        }
        Expr::Binary { op, lhs, rhs, .. } => {
            let op = match op {
                BinaryOp::Xor => "xor",
                BinaryOp::Or => "or",
                BinaryOp::And => "and",
                BinaryOp::Eq => "=",
                BinaryOp::Ne => "!=",
                BinaryOp::Lt => "<",
                BinaryOp::Le => "<=",
                BinaryOp::Gt => ">",
                BinaryOp::Ge => ">=",
                BinaryOp::Like => "like",
                BinaryOp::Add => "+",
                BinaryOp::Sub => "-",
                BinaryOp::Concat => ".",
                BinaryOp::Mul => "*",
                BinaryOp::Div => "/",
                BinaryOp::Mod => "%",
            };
            format!("({op} {} {})", expr(lhs), expr(rhs))
        }
    }
}

/// The expression of `| where <text>`.
pub fn where_expr(text: &str) -> String {
    match command(&format!("| where {text}")) {
        CommandKind::Where(e) => expr(&e),
        other => panic!("{text}: {other:?}"),
    }
}

pub fn aggregation(a: &Aggregation) -> String {
    let mut out = a.function.text.clone();
    match &a.arg {
        Some(AggArg::Field(f)) => out = format!("{out}({})", f.text),
        Some(AggArg::Eval(e)) => out = format!("{out}(eval {})", expr(e)),
        None => {}
    }
    if let Some(alias) = &a.alias {
        out = format!("{out} as {}", alias.text);
    }
    out
}
