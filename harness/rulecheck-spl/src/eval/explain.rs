//! Explanations: each stage's row count, and the predicates of the base
//! search, `tstats` and `where` on one chosen event.

use std::fmt;

use super::Context;
use super::exec;
use super::expr::{CExpr, ExprEnv};
use super::plan::{Stage, StagePlan};
use super::value::{Event, Value, format_number};
use crate::ast::BinaryOp;

/// One predicate and its result on the chosen event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredicateResult {
    /// The predicate as SPL.
    pub predicate: String,
    /// Whether it held.
    pub result: bool,
}

/// One stage of an explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageTrace {
    /// The command name.
    pub name: String,
    /// How many rows the stage produced.
    pub rows: usize,
    /// The predicates evaluated on the chosen event (or the row it became).
    pub predicates: Vec<PredicateResult>,
    /// Extra information, such as the normalization map used.
    pub note: Option<String>,
}

/// Why a search did or did not produce results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplainTrace {
    /// The index of the chosen event.
    pub event_index: usize,
    /// The stages, in order.
    pub stages: Vec<StageTrace>,
}

impl fmt::Display for ExplainTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, stage) in self.stages.iter().enumerate() {
            writeln!(f, "stage {}: {} → {} row(s)", i + 1, stage.name, stage.rows)?;
            if let Some(note) = &stage.note {
                writeln!(f, "    {note}")?;
            }
            for p in &stage.predicates {
                let mark = if p.result { "true " } else { "false" };
                writeln!(f, "    {mark}  {}", p.predicate)?;
            }
        }
        Ok(())
    }
}

#[allow(clippy::too_many_lines)]
pub(crate) fn explain(
    stages: &[StagePlan],
    events: &[Event],
    ctx: &Context,
    event_index: usize,
) -> ExplainTrace {
    let env = ExprEnv { now: ctx.now };
    let chosen = events.get(event_index);
    // The chosen event as it goes through streaming stages; after a
    // transforming stage, the first result row.
    let mut tracked: Option<Event> = chosen.map(exec::materialize);
    let mut rows: Vec<Event> = Vec::new();
    let mut out = Vec::new();
    for (i, stage) in stages.iter().enumerate() {
        let mut trace = StageTrace {
            name: stage.name.clone(),
            rows: 0,
            predicates: Vec::new(),
            note: None,
        };
        match &stage.stage {
            Stage::Search(pred) => {
                if let Some(row) = &tracked {
                    let mut results = Vec::new();
                    let target = if i == 0 { chosen.unwrap_or(row) } else { row };
                    pred.explain(target, &mut results);
                    trace.predicates = to_results(results);
                }
            }
            Stage::Tstats(plan) => {
                if let Some(event) = chosen {
                    if let Some(d) = &plan.dataset {
                        match ctx.datamodels.view(&d.model, &d.root, event) {
                            Some(view) => {
                                trace.note = Some(
                                    match ctx.datamodels.source_name(&d.model, &d.root, event) {
                                        Some(name) if !std::ptr::eq(view.as_ref(), event) => {
                                            format!(
                                                "event mapped to {}.{} by `{name}`",
                                                d.model, d.root
                                            )
                                        }
                                        _ => format!("event in data-model form ({}.*)", d.root),
                                    },
                                );
                                let mut results = Vec::new();
                                for c in &d.constraints {
                                    c.explain(&view, &mut results);
                                }
                                plan.filter.explain(&view, &mut results);
                                trace.predicates = to_results(results);
                            }
                            None => {
                                trace.note = Some(format!(
                                    "event is not in {}.{}: no {}.* fields and no normalization map applies",
                                    d.model, d.root, d.root
                                ));
                            }
                        }
                    } else {
                        let mut results = Vec::new();
                        plan.filter.explain(event, &mut results);
                        trace.predicates = to_results(results);
                    }
                }
            }
            Stage::Where(e) => {
                if let Some(row) = &tracked {
                    let mut parts = Vec::new();
                    conjuncts(e, &mut parts);
                    trace.predicates = parts
                        .into_iter()
                        .map(|p| PredicateResult {
                            predicate: expr_text(p),
                            result: p.holds(row, &env),
                        })
                        .collect();
                }
            }
            _ => {}
        }
        rows = if i == 0 {
            match exec::generate(&stage.stage, events, ctx) {
                Some(r) => r,
                None => exec::apply(
                    &stage.stage,
                    events.iter().map(exec::materialize).collect(),
                    events,
                    ctx,
                ),
            }
        } else {
            exec::apply(&stage.stage, rows, events, ctx)
        };
        tracked = if exec::is_streaming(&stage.stage)
            && !(i == 0 && matches!(stage.stage, Stage::Tstats(_)))
        {
            tracked.and_then(|row| {
                exec::apply(&stage.stage, vec![row], events, ctx)
                    .into_iter()
                    .next()
            })
        } else {
            if !rows.is_empty() {
                let note = "later predicates are shown on the first result row";
                trace.note = Some(
                    trace
                        .note
                        .map_or_else(|| note.to_owned(), |n| format!("{n}; {note}")),
                );
            }
            rows.first().cloned()
        };
        trace.rows = rows.len();
        out.push(trace);
    }
    ExplainTrace {
        event_index,
        stages: out,
    }
}

fn to_results(results: Vec<(String, bool)>) -> Vec<PredicateResult> {
    results
        .into_iter()
        .map(|(predicate, result)| PredicateResult { predicate, result })
        .collect()
}

fn conjuncts<'a>(e: &'a CExpr, out: &mut Vec<&'a CExpr>) {
    match e {
        CExpr::Binary(BinaryOp::And, a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        other => out.push(other),
    }
}

/// An expression as SPL.
pub(crate) fn expr_text(e: &CExpr) -> String {
    match e {
        CExpr::Field(name) => name.clone(),
        CExpr::Lit(Value::Str(s)) => format!("{s:?}"),
        CExpr::Lit(Value::Num(n)) => format_number(*n),
        CExpr::Lit(Value::Bool(b)) => format!("{b}()"),
        CExpr::Lit(_) => "null()".to_owned(),
        CExpr::Call { func, args, .. } => format!(
            "{}({})",
            format!("{func:?}").to_ascii_lowercase(),
            args.iter().map(expr_text).collect::<Vec<_>>().join(", ")
        ),
        CExpr::In(x, list) => format!(
            "{} IN ({})",
            expr_text(x),
            list.iter().map(expr_text).collect::<Vec<_>>().join(", ")
        ),
        CExpr::Not(x) => format!("NOT {}", expr_text(x)),
        CExpr::Neg(x) => format!("-{}", expr_text(x)),
        CExpr::Binary(op, a, b) => {
            let op = match op {
                BinaryOp::Xor => "XOR",
                BinaryOp::Or => "OR",
                BinaryOp::And => "AND",
                BinaryOp::Eq => "=",
                BinaryOp::Ne => "!=",
                BinaryOp::Lt => "<",
                BinaryOp::Le => "<=",
                BinaryOp::Gt => ">",
                BinaryOp::Ge => ">=",
                BinaryOp::Like => "LIKE",
                BinaryOp::Add => "+",
                BinaryOp::Sub => "-",
                BinaryOp::Concat => ".",
                BinaryOp::Mul => "*",
                BinaryOp::Div => "/",
                BinaryOp::Mod => "%",
            };
            format!("({} {op} {})", expr_text(a), expr_text(b))
        }
    }
}
