//! Correlation rules: `event_count`, `value_count`, `temporal`,
//! `temporal_ordered`, `value_sum`, `value_avg` and `value_percentile` over
//! the events the referenced rules match, grouped by `group-by` (with
//! `aliases`) within a `timespan`.
//!
//! Time is always the event's own timestamp ([`crate::time::event_time`]),
//! never the wall clock, so results are deterministic. Events are
//! processed in timestamp order.
//!
//! Conditions that can only become true as events arrive (`gt`/`gte` on
//! counts) are checked on a sliding window and fire as soon as they hold;
//! the group's window then starts over. Every other condition (`lt`,
//! `lte`, `eq`, `neq`, and any condition on sums, averages and
//! percentiles) is checked when a group's window closes: at the first event
//! later than the window's start plus `timespan`, or at the end of the
//! stream.

use std::collections::{BTreeMap, BTreeSet};

use rulecheck_core::yaml::Node;
use rulecheck_core::{Diagnostic, Span};
use serde_json::Value;

use crate::ast::Meta;
use crate::compile::CompiledRule;
use crate::event::Event;
use crate::time::event_time;
use crate::value::{CmpOp, with_text};

/// The correlation types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CorrelationType {
    /// Number of events.
    EventCount,
    /// Number of distinct values of a field.
    ValueCount,
    /// All referenced rules matched, any order.
    Temporal,
    /// All referenced rules matched, in the order listed.
    TemporalOrdered,
    /// Sum of a numeric field.
    ValueSum,
    /// Average of a numeric field.
    ValueAvg,
    /// A percentile of a numeric field.
    ValuePercentile,
}

/// One bound of a correlation condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    /// The comparison.
    pub op: BoundOp,
    /// The threshold.
    pub value: f64,
}

/// A bound's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundOp {
    /// `gt`.
    Gt,
    /// `gte`.
    Gte,
    /// `lt`.
    Lt,
    /// `lte`.
    Lte,
    /// `eq`.
    Eq,
    /// `neq`.
    Neq,
}

/// A parsed correlation document.
#[derive(Debug, Clone)]
pub struct ParsedCorrelation {
    /// Id, name, title, level.
    pub meta: Meta,
    /// The type.
    pub kind: CorrelationType,
    /// The referenced rules (ids or names).
    pub rules: Vec<String>,
    /// `group-by` fields (or aliases).
    pub group_by: Vec<String>,
    /// `timespan` in milliseconds.
    pub timespan_ms: i64,
    /// The condition's bounds (AND).
    pub bounds: Vec<Bound>,
    /// `condition.field` for value_* types.
    pub field: Option<String>,
    /// `condition.percentile` for `value_percentile` (0–100).
    pub percentile: Option<f64>,
    /// `aliases`: alias → (rule name → field).
    pub aliases: Vec<(String, Vec<(String, String)>)>,
    /// `generate`: the referenced rules also alert on their own.
    pub generate: bool,
}

fn bad(code: &'static str, msg: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error(code, msg).with_span(span)
}

/// Parse `30s`, `5m`, `1h`, `2d`, `1w` into milliseconds.
pub fn parse_timespan(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let n: i64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    let ms = match unit {
        's' => 1000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 7 * 86_400_000,
        _ => return None,
    };
    (n > 0).then(|| n.checked_mul(ms)).flatten()
}

pub(crate) fn parse_correlation(
    doc: &Node,
    meta: Meta,
    diags: &mut Vec<Diagnostic>,
) -> Option<ParsedCorrelation> {
    let c = doc.get("correlation")?;
    let before = diags.len();
    let kind = match c.get("type").and_then(Node::as_str) {
        Some("event_count") => CorrelationType::EventCount,
        Some("value_count") => CorrelationType::ValueCount,
        Some("temporal") => CorrelationType::Temporal,
        Some("temporal_ordered") => CorrelationType::TemporalOrdered,
        Some("value_sum") => CorrelationType::ValueSum,
        Some("value_avg") => CorrelationType::ValueAvg,
        Some("value_percentile") => CorrelationType::ValuePercentile,
        other => {
            diags.push(bad(
                "sigma-bad-correlation",
                format!("unknown correlation type {other:?}"),
                c.get("type").map_or(c.span, |t| t.span),
            ));
            CorrelationType::EventCount
        }
    };
    let list = |key: &str| -> Vec<String> {
        c.get(key)
            .map(|n| n.items().iter().filter_map(Node::scalar_text).collect())
            .unwrap_or_default()
    };
    let rules = list("rules");
    if rules.is_empty() {
        diags.push(bad(
            "sigma-missing-field",
            "a correlation needs `rules:`",
            c.span,
        ));
    }
    let group_by = list("group-by");
    let timespan_ms = parse_timespan_node(c, diags);
    let (mut bounds, field, percentile) = parse_bounds(c, diags);
    let temporal = matches!(
        kind,
        CorrelationType::Temporal | CorrelationType::TemporalOrdered
    );
    if bounds.is_empty() {
        if temporal {
            bounds.push(Bound {
                op: BoundOp::Gte,
                value: rules.len() as f64,
            });
        } else {
            diags.push(bad(
                "sigma-missing-field",
                "this correlation type needs a `condition`",
                c.span,
            ));
        }
    }
    let needs_field = matches!(
        kind,
        CorrelationType::ValueCount
            | CorrelationType::ValueSum
            | CorrelationType::ValueAvg
            | CorrelationType::ValuePercentile
    );
    if needs_field && field.is_none() {
        diags.push(bad(
            "sigma-missing-field",
            "this correlation type needs `condition.field`",
            c.span,
        ));
    }
    if kind == CorrelationType::ValuePercentile && percentile.is_none() {
        diags.push(bad(
            "sigma-missing-field",
            "`value_percentile` needs `condition.percentile` (0–100)",
            c.span,
        ));
    }
    let aliases = parse_aliases(c);
    let generate = matches!(
        c.get("generate")
            .or_else(|| doc.get("generate"))
            .map(|n| &n.value),
        Some(rulecheck_core::yaml::Value::Bool(true))
    );
    (diags.len() == before).then_some(ParsedCorrelation {
        meta,
        kind,
        rules,
        group_by,
        timespan_ms,
        bounds,
        field,
        percentile,
        aliases,
        generate,
    })
}

/// `timespan`, in milliseconds (0 after a diagnostic).
fn parse_timespan_node(c: &Node, diags: &mut Vec<Diagnostic>) -> i64 {
    if let Some(t) = c.get("timespan") {
        t.scalar_text()
            .and_then(|s| parse_timespan(&s))
            .unwrap_or_else(|| {
                diags.push(
                    bad(
                        "sigma-bad-correlation",
                        "`timespan` must be a number and a unit (s, m, h, d)",
                        t.span,
                    )
                    .with_help("for example `timespan: 90m`"),
                );
                0
            })
    } else {
        diags.push(bad(
            "sigma-missing-field",
            "a correlation needs `timespan:`",
            c.span,
        ));
        0
    }
}

/// The `condition` map: bounds (AND), `field` and `percentile`.
fn parse_bounds(
    c: &Node,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<Bound>, Option<String>, Option<f64>) {
    let mut bounds = Vec::new();
    let mut field = None;
    let mut percentile = None;
    if let Some(cond) = c.get("condition") {
        for e in cond.as_map().unwrap_or_default() {
            let num = || match &e.value.value {
                rulecheck_core::yaml::Value::Int(i) => Some(*i as f64),
                rulecheck_core::yaml::Value::Float(f) => Some(*f),
                _ => None,
            };
            let op = match e.key.as_str() {
                "gt" => BoundOp::Gt,
                "gte" => BoundOp::Gte,
                "lt" => BoundOp::Lt,
                "lte" => BoundOp::Lte,
                "eq" => BoundOp::Eq,
                "neq" => BoundOp::Neq,
                "field" => {
                    field = e.value.scalar_text();
                    continue;
                }
                "percentile" => {
                    percentile = num();
                    continue;
                }
                other => {
                    diags.push(bad(
                        "sigma-bad-correlation",
                        format!("unknown condition key `{other}`"),
                        e.key_span,
                    ));
                    continue;
                }
            };
            match num() {
                Some(value) => bounds.push(Bound { op, value }),
                None => diags.push(bad(
                    "sigma-bad-correlation",
                    "a condition bound must be a number",
                    e.value.span,
                )),
            }
        }
    }
    (bounds, field, percentile)
}

/// `aliases`: alias → (rule name → field).
fn parse_aliases(c: &Node) -> Vec<(String, Vec<(String, String)>)> {
    let mut aliases = Vec::new();
    for a in c.get("aliases").and_then(Node::as_map).unwrap_or_default() {
        let map = a
            .value
            .as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.value.scalar_text().map(|v| (e.key.clone(), v)))
            .collect();
        aliases.push((a.key.clone(), map));
    }
    aliases
}

/// A correlation with its rule references resolved.
#[derive(Debug, Clone)]
pub struct CompiledCorrelation {
    /// The parsed document.
    pub parsed: ParsedCorrelation,
    /// Indices of the referenced rules in the slice given to
    /// [`ParsedCorrelation::compile`], in the order listed.
    pub rule_indices: Vec<usize>,
    /// For each referenced rule, for each group-by entry: the field to read.
    group_fields: Vec<Vec<String>>,
}

/// A correlation alert.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationAlert {
    /// The correlation's id.
    pub id: Option<String>,
    /// The correlation's title.
    pub title: String,
    /// The group-by values.
    pub group: Vec<(String, String)>,
    /// The aggregate that met the condition.
    pub value: f64,
    /// Positions (0-based, in the input) of the events that contributed.
    pub events: Vec<usize>,
    /// Timestamp (ms) of the first and last contributing events.
    pub window: (i64, i64),
}

impl ParsedCorrelation {
    /// Resolve the referenced rules (by id or name) among `rules`.
    pub fn compile(&self, rules: &[CompiledRule]) -> Result<CompiledCorrelation, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let mut rule_indices = Vec::new();
        for r in &self.rules {
            match rules.iter().position(|x| {
                x.id.as_deref() == Some(r.as_str()) || x.name.as_deref() == Some(r.as_str())
            }) {
                Some(i) => rule_indices.push(i),
                None => diags.push(
                    Diagnostic::error(
                        "sigma-undefined-rule",
                        format!(
                            "the correlation refers to `{r}`, which is not among the loaded rules"
                        ),
                    )
                    .with_span(self.meta.span)
                    .with_help("load the referenced rule, or fix the id/name"),
                ),
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let group_fields = rule_indices
            .iter()
            .map(|&i| {
                let rule = &rules[i];
                self.group_by
                    .iter()
                    .map(|g| {
                        self.aliases
                            .iter()
                            .find(|(a, _)| a == g)
                            .and_then(|(_, m)| {
                                m.iter()
                                    .find(|(r, _)| {
                                        rule.name.as_deref() == Some(r.as_str())
                                            || rule.id.as_deref() == Some(r.as_str())
                                    })
                                    .map(|(_, f)| f.clone())
                            })
                            .unwrap_or_else(|| g.clone())
                    })
                    .collect()
            })
            .collect();
        Ok(CompiledCorrelation {
            parsed: self.clone(),
            rule_indices,
            group_fields,
        })
    }
}

fn holds(bounds: &[Bound], v: f64) -> bool {
    bounds.iter().all(|b| match b.op {
        BoundOp::Gt => v > b.value,
        BoundOp::Gte => v >= b.value,
        BoundOp::Lt => v < b.value,
        BoundOp::Lte => v <= b.value,
        BoundOp::Eq => CmpOp::Eq.apply(v, b.value),
        BoundOp::Neq => !CmpOp::Eq.apply(v, b.value),
    })
}

#[derive(Debug, Clone)]
struct Hit {
    time: i64,
    pos: usize,
    rule: usize,
    value: Option<Value>,
}

impl CompiledCorrelation {
    fn monotonic(&self) -> bool {
        matches!(
            self.parsed.kind,
            CorrelationType::EventCount
                | CorrelationType::ValueCount
                | CorrelationType::Temporal
                | CorrelationType::TemporalOrdered
        ) && self
            .parsed
            .bounds
            .iter()
            .all(|b| matches!(b.op, BoundOp::Gt | BoundOp::Gte))
    }

    fn aggregate(&self, hits: &[Hit]) -> f64 {
        let nums = || -> Vec<f64> {
            hits.iter()
                .filter_map(|h| match &h.value {
                    Some(Value::Number(n)) => n.as_f64(),
                    Some(Value::String(s)) => s.trim().parse().ok(),
                    _ => None,
                })
                .collect()
        };
        match self.parsed.kind {
            CorrelationType::EventCount => hits.len() as f64,
            CorrelationType::ValueCount => hits
                .iter()
                .filter_map(|h| h.value.as_ref().and_then(|v| with_text(v, str::to_owned)))
                .collect::<BTreeSet<_>>()
                .len() as f64,
            CorrelationType::Temporal => {
                hits.iter().map(|h| h.rule).collect::<BTreeSet<_>>().len() as f64
            }
            CorrelationType::TemporalOrdered => {
                // The longest prefix of the listed rules found in order.
                let mut next = 0;
                for h in hits {
                    if h.rule == next {
                        next += 1;
                    }
                }
                next as f64
            }
            CorrelationType::ValueSum => nums().iter().sum(),
            CorrelationType::ValueAvg => {
                let n = nums();
                if n.is_empty() {
                    0.0
                } else {
                    n.iter().sum::<f64>() / n.len() as f64
                }
            }
            CorrelationType::ValuePercentile => {
                let mut n = nums();
                if n.is_empty() {
                    return 0.0;
                }
                n.sort_by(f64::total_cmp);
                let p = self.parsed.percentile.unwrap_or(50.0).clamp(0.0, 100.0);
                #[allow(clippy::cast_sign_loss, reason = "the rank is clamped to at least 1")]
                let rank = ((p / 100.0) * n.len() as f64).ceil().max(1.0) as usize;
                n[rank.min(n.len()) - 1]
            }
        }
    }

    /// Evaluate over `events`; `matched[i]` lists, for event `i`, which of
    /// this correlation's referenced rules (positions in `rule_indices`)
    /// matched it. Events without a timestamp are ignored.
    pub fn evaluate(&self, events: &[Event], matched: &[Vec<usize>]) -> Vec<CorrelationAlert> {
        let mut order: Vec<(i64, usize)> = events
            .iter()
            .enumerate()
            .filter(|(i, _)| matched.get(*i).is_some_and(|m| !m.is_empty()))
            .filter_map(|(i, e)| event_time(e).map(|t| (t, i)))
            .collect();
        order.sort_unstable();
        let span = self.parsed.timespan_ms;
        let monotonic = self.monotonic();
        let mut groups: BTreeMap<Vec<String>, Vec<Hit>> = BTreeMap::new();
        let mut alerts = Vec::new();
        for (time, pos) in order {
            for &r in &matched[pos] {
                let Some(key) = self.group_key(&events[pos], r) else {
                    continue;
                };
                let value = self
                    .parsed
                    .field
                    .as_deref()
                    .and_then(|f| events[pos].get(f).cloned());
                let hits = groups.entry(key.clone()).or_default();
                if monotonic {
                    hits.retain(|h| time - h.time <= span);
                } else if hits.first().is_some_and(|h| time - h.time > span) {
                    let closed = std::mem::take(hits);
                    self.check(&key, &closed, &mut alerts);
                }
                hits.push(Hit {
                    time,
                    pos,
                    rule: r,
                    value,
                });
                if monotonic {
                    let snapshot = hits.clone();
                    if self.check(&key, &snapshot, &mut alerts) {
                        hits.clear();
                    }
                }
            }
        }
        if !monotonic {
            for (key, hits) in groups {
                if !hits.is_empty() {
                    self.check(&key, &hits, &mut alerts);
                }
            }
        }
        alerts.sort_by(|a, b| a.window.cmp(&b.window).then_with(|| a.group.cmp(&b.group)));
        alerts
    }

    fn check(&self, key: &[String], hits: &[Hit], alerts: &mut Vec<CorrelationAlert>) -> bool {
        let v = self.aggregate(hits);
        if !holds(&self.parsed.bounds, v) {
            return false;
        }
        alerts.push(CorrelationAlert {
            id: self.parsed.meta.id.clone(),
            title: self.parsed.meta.title.clone(),
            group: self
                .parsed
                .group_by
                .iter()
                .cloned()
                .zip(key.iter().cloned())
                .collect(),
            value: v,
            events: hits.iter().map(|h| h.pos).collect(),
            window: (
                hits.first().map_or(0, |h| h.time),
                hits.last().map_or(0, |h| h.time),
            ),
        });
        true
    }

    fn group_key(&self, event: &Event, r: usize) -> Option<Vec<String>> {
        self.group_fields
            .get(r)?
            .iter()
            .map(|f| {
                Some(
                    event
                        .get(f)
                        .and_then(|v| with_text(v, str::to_owned))
                        .unwrap_or_default(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
