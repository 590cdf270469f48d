//! Running compiled stages over rows.

use std::borrow::Cow;
use std::cmp::Ordering;

use foldhash::{HashMap, HashMapExt};
use serde_json::Value as Json;

use super::Context;

use super::datamodel::{Batch, DatasetPlan, FieldSlots};
use super::expr::ExprEnv;
use super::fields::{self, fill_wildcards, name_matches, wildcard_captures};
use super::key_column::{IRREGULAR, KeyColumn, MISSING};
use super::plan::{ConvKind, JoinKind, SortKey, Stage, TstatsPlan};
use super::predicate::Pred;
use super::prefilter::{Prefilter, candidates};
use super::stats;
use super::time;
use super::value::{Event, EventHasher, Value, json_number, parse_number, sort_order};
use super::views::{ViewColumn, ViewTable};
use crate::ast::StatsFlavor;

/// An event as a result row: a copy with `_time` in epoch seconds when the
/// event has a time.
pub(crate) fn materialize(event: &Event) -> Event {
    let mut row = event.clone();
    if let Some(t) = row_time(event) {
        row.insert("_time".to_owned(), t);
    }
    row
}

/// The `_time` of an event as a result row: `_time` when it is a number,
/// else the event's time in epoch seconds, else `_time` as it is.
pub(crate) fn row_time(event: &Event) -> Option<Json> {
    match (event.get("_time"), fields::event_time(event)) {
        (Some(t @ Json::Number(_)), _) | (Some(t), None) => Some(t.clone()),
        (_, Some(t)) => Some(json_number(t)),
        (None, None) => None,
    }
}

/// [`materialize`] keeping only the fields in `keep` (and `_time`), in
/// the event's order.
fn materialize_only(event: &Event, keep: &foldhash::HashSet<String>) -> Event {
    let mut row = Event::default();
    for (name, value) in event {
        if name == "_time" || keep.contains(name) {
            row.insert(name.clone(), value.clone());
        }
    }
    if let Some(t) = row_time(event) {
        row.insert("_time".to_owned(), t);
    }
    row
}

/// [`materialize_only`] of event `id` of a batch, with `columns` the
/// entry positions of the kept names in the batch's events
/// ([`FieldSlots::positions`]): the kept fields are found by position, in
/// the event's order, without a lookup by name. `positions` is a buffer.
fn materialize_at(event: &Event, id: usize, columns: &[&[u32]], positions: &mut Vec<u32>) -> Event {
    positions.clear();
    positions.extend(
        columns
            .iter()
            .filter_map(|column| column.get(id).copied())
            .filter(|&p| p != FieldSlots::ABSENT),
    );
    positions.sort_unstable();
    positions.dedup();
    let mut row = Event::with_capacity_and_hasher(positions.len() + 1, EventHasher::default());
    for &p in positions.iter() {
        if let Some((name, value)) = event.get_index(p as usize) {
            row.insert(name.clone(), value.clone());
        }
    }
    if let Some(t) = row_time(event) {
        row.insert("_time".to_owned(), t);
    }
    row
}

/// The fields `names` of a row (with `_time` as [`materialize`] gives it):
/// what the later stages read of a row, without copying the rest.
fn project(event: &Event, names: &[String]) -> Event {
    let mut row = Event::default();
    if let Some(t) = row_time(event) {
        row.insert("_time".to_owned(), t);
    }
    for name in names {
        if let Some(value) = fields::get(event, name) {
            row.insert(name.clone(), value.clone());
        }
    }
    row
}

/// Whether a stage takes each row on its own (and so can be traced for one
/// event).
pub(crate) fn is_streaming(stage: &Stage) -> bool {
    matches!(
        stage,
        Stage::Search(_)
            | Stage::Where(_)
            | Stage::Eval(_)
            | Stage::Table(_)
            | Stage::Fields { .. }
            | Stage::Rename(_)
            | Stage::Rex { .. }
            | Stage::Sed { .. }
            | Stage::Regex { .. }
            | Stage::Bin { .. }
            | Stage::Convert { .. }
            | Stage::Lookup(_)
            | Stage::Makemv { .. }
            | Stage::Spath { .. }
            | Stage::Iplocation { .. }
    )
}

/// The rows a generating stage makes from the input events; `None` when the
/// stage does not generate.
pub(crate) fn generate(stage: &Stage, events: &[Event], ctx: &Context) -> Option<Vec<Event>> {
    generate_in(stage, events, ctx, None, None)
}

/// [`generate`] reading the data model views of `batch` (computed once per
/// batch and shared by every search run on it) when given.
pub(crate) fn generate_in(
    stage: &Stage,
    events: &[Event],
    ctx: &Context,
    batch: Option<&Batch<'_>>,
    only: Option<&JoinFilter>,
) -> Option<Vec<Event>> {
    match stage {
        Stage::Search(pred) => Some(search(pred, None, None, events, batch)),
        Stage::Tstats(plan) => Some(match batch {
            Some(batch) => tstats_batch(plan, batch, ctx, only),
            None => tstats(plan, events, ctx),
        }),
        Stage::Inputlookup { rows, filter } => Some(
            rows.iter()
                .filter(|r| filter.as_ref().is_none_or(|f| f.eval(r, &mut None)))
                .cloned()
                .collect(),
        ),
        Stage::FromDatamodel(plan) => Some(match batch {
            Some(batch) => from_datamodel_batch(plan, batch, ctx),
            None => events
                .iter()
                .filter_map(|e| ctx.datamodels.view(&plan.model, &plan.root, e))
                .filter(|v| plan.constraints.iter().all(|c| c.eval(v, &mut None)))
                .map(|v| materialize(&v))
                .collect(),
        }),
        _ => None,
    }
}

/// `from datamodel=X.Y` over a batch: the rows of the batch's view of the
/// dataset (shared with every search of the batch) that meet its
/// constraints, each constraint read from the view's columns unless it
/// reads the raw text of the whole row.
fn from_datamodel_batch(plan: &DatasetPlan, batch: &Batch<'_>, ctx: &Context) -> Vec<Event> {
    let models = &ctx.datamodels;
    let table = batch.view_table(models, &plan.model, &plan.root);
    let mut ids: Vec<usize> = (0..table.len()).filter(|&id| table.contains(id)).collect();
    if ids.is_empty() {
        return Vec::new();
    }
    let by_columns = !plan.constraints.iter().any(Pred::reads_raw);
    if by_columns {
        let mut column = |field: &str| batch.view_column(models, &plan.model, &plan.root, field);
        for part in plan.constraints.iter().flat_map(Pred::conjuncts) {
            if ids.is_empty() {
                break;
            }
            let bound = part.bind_columns(&mut column);
            ids.retain(|&id| bound.eval(&batch.events[id], id, &mut None));
        }
    }
    ids.into_iter()
        .filter_map(|id| table.row(models, id))
        .filter(|v| by_columns || plan.constraints.iter().all(|c| c.eval(v, &mut None)))
        .map(|v| materialize(&v))
        .collect()
}

/// Whether event `id` of the batch meets `pred` (bound to the batch's
/// events), with the batch's raw text of the event when `pred` reads it.
fn eval_in_batch(
    pred: &super::predicate::Bound<'_>,
    reads_raw: bool,
    batch: &Batch<'_>,
    id: usize,
) -> bool {
    let mut raw = reads_raw.then(|| std::borrow::Cow::Borrowed(batch.raw(id)));
    pred.eval(&batch.events[id], id, &mut raw)
}

/// A first search stage: the events that meet `pred` as rows, with only
/// `keep` of their fields when given. Over a batch, `pred` is evaluated
/// only on the events that meet `prefilter` (a necessary condition of it),
/// with the batch's raw texts.
pub(crate) fn search(
    pred: &super::predicate::Pred,
    prefilter: Option<&Prefilter>,
    keep: Option<&foldhash::HashSet<String>>,
    events: &[Event],
    batch: Option<&Batch<'_>>,
) -> Vec<Event> {
    let row = |event: &Event| match keep {
        Some(names) => materialize_only(event, names),
        None => materialize(event),
    };
    let Some(batch) = batch else {
        return events
            .iter()
            .filter(|e| pred.eval(e, &mut None))
            .map(row)
            .collect();
    };
    let reads_raw = pred.reads_raw();
    let ids = match prefilter {
        Some(prefilter) => candidates(
            prefilter,
            |field| batch.event_index(field),
            |field| batch.event_text_column(field),
        ),
        None => (0..batch.events.len()).collect(),
    };
    if ids.is_empty() {
        return Vec::new();
    }
    let slots = batch.event_slots();
    let bound = pred.bind(slots);
    let kept = ids
        .into_iter()
        .filter(|&id| eval_in_batch(&bound, reads_raw, batch, id));
    let Some(names) = keep else {
        return kept.map(|id| materialize(&batch.events[id])).collect();
    };
    let columns: Vec<&[u32]> = names
        .iter()
        .map(String::as_str)
        .chain(["_time"])
        .filter_map(|name| slots.positions(name))
        .collect();
    let mut positions = Vec::new();
    kept.map(|id| materialize_at(&batch.events[id], id, &columns, &mut positions))
        .collect()
}

/// The texts that the `by` fields of a `tstats` (by position) must hold for
/// its groups to matter: those the rows on the other side of a `join` have
/// in the fields the groups' texts reach it in.
pub(crate) type JoinFilter = Vec<(usize, foldhash::HashSet<String>)>;

/// The [`JoinFilter`] of a `tstats` whose `by` fields reach a `join` as
/// `origins` ([`TstatsPlan::join_origins`]), from the rows on the join's
/// other side (the text each holds, as [`join`] reads it); `None` when no
/// `by` field reaches it.
pub(crate) fn join_filter(origins: &[(String, usize)], rows: &[Event]) -> Option<JoinFilter> {
    if origins.is_empty() {
        return None;
    }
    Some(
        origins
            .iter()
            .map(|(field, position)| {
                let texts = rows
                    .iter()
                    .filter_map(|row| fields::value(row, field).texts().into_iter().next())
                    .collect();
                (*position, texts)
            })
            .collect(),
    )
}

fn tstats_batch(
    plan: &TstatsPlan,
    batch: &Batch<'_>,
    ctx: &Context,
    only: Option<&JoinFilter>,
) -> Vec<Event> {
    let Some(d) = &plan.dataset else {
        return tstats(plan, batch.events, ctx);
    };
    let models = &ctx.datamodels;
    let table = batch.view_table(models, &d.model, &d.root);
    let mut ids: Vec<usize> = match &plan.prefilter {
        // No event in the dataset: no row to look for.
        _ if table.dataset_rows() == 0 => Vec::new(),
        Some(prefilter) => candidates(
            prefilter,
            |field| batch.index(models, &d.model, &d.root, field),
            |field| batch.text_column(models, &d.model, &d.root, field),
        ),
        None => (0..table.len()).collect(),
    };
    // Rows whose `by` text the other side of a `join` lacks cannot match
    // (a multivalue may; a missing value is the fill text).
    for (position, texts) in only.into_iter().flatten() {
        let column = batch.key_column(models, &d.model, &d.root, &plan.by[*position]);
        let allowed: foldhash::HashSet<u32> =
            texts.iter().filter_map(|t| column.code_of(t)).collect();
        let fill = plan.fillnull.as_ref().is_some_and(|f| texts.contains(f));
        ids.retain(|&id| match column.code(id) {
            IRREGULAR => true,
            MISSING => fill,
            code => allowed.contains(&code),
        });
    }
    ids.retain(|&id| table.contains(id));
    if !ids.is_empty() {
        let preds: Vec<&Pred> = d.constraints.iter().chain([&plan.filter]).collect();
        if preds.iter().any(|p| p.reads_raw()) {
            // A term reads the raw text of the whole view row.
            ids.retain(|&id| {
                table
                    .row(models, id)
                    .is_some_and(|view| preds.iter().all(|p| p.eval(&view, &mut None)))
            });
        } else {
            let mut column = |field: &str| batch.view_column(models, &d.model, &d.root, field);
            // Fields are read from the view's columns; a time bound reads
            // the event, whose time is its view row's. Each part of an
            // `AND` filters the rows the earlier parts left, and a part
            // reached by no row builds no column.
            for part in preds.iter().flat_map(|p| p.conjuncts()) {
                if ids.is_empty() {
                    break;
                }
                let bound = part.bind_columns(&mut column);
                ids.retain(|&id| bound.eval(&batch.events[id], id, &mut None));
            }
        }
    }
    let copies = ViewCopies::new(plan, &table, batch, ctx);
    if !plan.by.is_empty()
        && let Some(out) = tstats_by_codes(plan, &copies, &ids, batch, ctx)
    {
        return out;
    }
    if let Some(key_filter) = &plan.key_filter
        && !plan.by.is_empty()
    {
        let views: Vec<Cow<'_, Event>> =
            ids.iter().filter_map(|&id| table.row(models, id)).collect();
        let kept: Vec<&Event> = views.iter().map(AsRef::as_ref).collect();
        return tstats_by_key(plan, key_filter, &kept, batch, ctx);
    }
    let rows = ids.iter().filter_map(|&id| copies.copy(id)).collect();
    tstats_rows(plan, rows, batch.events, ctx, Some(batch))
}

/// The copies of a batch's view rows that a `tstats` aggregates
/// ([`project`] or [`materialize`] of the row): read from the view's
/// columns when the later stages read named fields, else copied from the
/// whole row.
struct ViewCopies<'a, 'e> {
    plan: &'a TstatsPlan,
    table: &'a ViewTable<'e>,
    batch: &'a Batch<'e>,
    ctx: &'a Context,
    /// The columns of the named fields the later stages read, fetched on
    /// first use (a search that keeps no row builds none).
    columns: std::cell::OnceCell<Option<Vec<NamedColumn<'a, 'e>>>>,
}

/// A field's name and its column over a view.
type NamedColumn<'a, 'e> = (&'a String, std::rc::Rc<ViewColumn<'e>>);

impl<'a, 'e> ViewCopies<'a, 'e> {
    fn new(
        plan: &'a TstatsPlan,
        table: &'a ViewTable<'e>,
        batch: &'a Batch<'e>,
        ctx: &'a Context,
    ) -> ViewCopies<'a, 'e> {
        ViewCopies {
            plan,
            table,
            batch,
            ctx,
            columns: std::cell::OnceCell::new(),
        }
    }

    /// The columns of the named fields the later stages read (`None` when
    /// they read fields that cannot be named).
    fn columns(&self) -> Option<&[NamedColumn<'a, 'e>]> {
        self.columns
            .get_or_init(|| match (&self.plan.reads, &self.plan.dataset) {
                (Some(names), Some(d)) => Some(
                    names
                        .iter()
                        .map(|name| {
                            let column = self.batch.view_column(
                                &self.ctx.datamodels,
                                &d.model,
                                &d.root,
                                name,
                            );
                            (name, column)
                        })
                        .collect(),
                ),
                _ => None,
            })
            .as_deref()
    }

    /// The copy of view row `id` (`None` outside the dataset).
    fn copy(&self, id: usize) -> Option<Event> {
        if !self.table.contains(id) {
            return None;
        }
        let Some(columns) = self.columns() else {
            let view = self.table.row(&self.ctx.datamodels, id)?;
            return Some(materialize(&view));
        };
        // As `project` of the row.
        let mut row = Event::with_capacity_and_hasher(columns.len() + 1, EventHasher::default());
        if let Some(t) = self.table.row_time(id) {
            row.insert("_time".to_owned(), t.clone());
        }
        for (name, column) in columns {
            if let Some(value) = column.get(id) {
                row.insert((*name).clone(), value.clone());
            }
        }
        Some(row)
    }
}

/// A `by` field of a view row as the aggregation sees it: after the row's
/// copy ([`project`]), `span` binning of `_time` and `fillnull_value`.
fn tstats_by_value<'v>(plan: &TstatsPlan, view: &'v Event, field: &str) -> Option<Cow<'v, Json>> {
    tstats_by_value_unfilled(plan, view, field).or_else(|| {
        plan.fillnull
            .as_ref()
            .map(|fill| Cow::Owned(Json::String(fill.clone())))
    })
}

/// [`tstats_by_value`] before `fillnull_value`.
fn tstats_by_value_unfilled<'v>(
    plan: &TstatsPlan,
    view: &'v Event,
    field: &str,
) -> Option<Cow<'v, Json>> {
    if field != "_time" {
        return fields::get(view, field).map(Cow::Borrowed);
    }
    binned_time(plan, row_time(view).map(Cow::Owned))
}

/// A row's time (as [`row_time`] gives it) as the `by _time` of a
/// `tstats` reads it: binned by `span`, `None` when null.
fn binned_time<'v>(plan: &TstatsPlan, time: Option<Cow<'v, Json>>) -> Option<Cow<'v, Json>> {
    time.map(|t| {
        match plan
            .span
            .and_then(|span| Value::from_json(&t).as_num().map(|v| (v, span)))
        {
            Some((v, span)) => Cow::Owned(json_number((v / span).floor() * span)),
            None => t,
        }
    })
    .filter(|t| !t.is_null())
}

/// `tstats … by` over the view rows `ids` of a batch, grouped by the key
/// columns of the `by` fields ([`KeyColumn`]): rows are grouped by codes,
/// only the groups whose key row survives the key filter are aggregated,
/// and rows are copied only where `span`, `fillnull_value` or a
/// non-numeric `_time` change what the aggregation reads. Gives what
/// [`tstats_by_key`] and [`tstats_rows`] give; `None` (use them) when a
/// row's `by` value is not exactly one text.
fn tstats_by_codes(
    plan: &TstatsPlan,
    copies: &ViewCopies<'_, '_>,
    ids: &[usize],
    batch: &Batch<'_>,
    ctx: &Context,
) -> Option<Vec<Event>> {
    let d = plan.dataset.as_ref()?;
    if ids.is_empty() {
        // No row, no group.
        return Some(Vec::new());
    }
    let models = &ctx.datamodels;
    let table = copies.table;
    // Each `by` field's column, and whether it is indexed by position in
    // `ids` (built for this search: the binned `_time`, or any field when
    // few rows are kept) or by view row (the batch's, shared).
    let few = ids.len() * 8 < table.len();
    let columns: Vec<(std::rc::Rc<KeyColumn>, bool)> = plan
        .by
        .iter()
        .map(|field| {
            if field == "_time" {
                let column = KeyColumn::build(
                    ids.iter()
                        .map(|&id| binned_time(plan, table.row_time(id).map(Cow::Borrowed))),
                );
                (std::rc::Rc::new(column), true)
            } else if few {
                let values = batch.view_column(models, &d.model, &d.root, field);
                let column =
                    KeyColumn::build(ids.iter().map(|&id| values.get(id).map(Cow::Borrowed)));
                (std::rc::Rc::new(column), true)
            } else {
                let column = batch.key_column(models, &d.model, &d.root, field);
                (column, false)
            }
        })
        .collect();
    let fill = plan.fillnull.as_deref();
    let (flat, groups) = code_groups(&columns, fill, ids)?;
    let k = columns.len();
    let text = |i: usize, code: u32| key_text(&columns, fill, i, code);
    let env = ExprEnv { now: ctx.now };
    let direct = direct_reads(plan, copies);
    let mut decisions = stats::Decisions::default();
    let mut out = Vec::new();
    for (at, members) in groups {
        let key: stats::Key<'_> = flat[at..at + k]
            .iter()
            .enumerate()
            .map(|(i, &code)| Cow::Borrowed(text(i, code)))
            .collect();
        // Members are positions in `ids`; a `by` field's type is its
        // first member's.
        let first = members[0];
        let numeric = |field: &str| {
            plan.by.iter().position(|f| f == field).is_some_and(|i| {
                let (column, by_position) = &columns[i];
                column.is_number(if *by_position { first } else { ids[first] })
            })
        };
        let key_filter = plan.key_filter.as_ref();
        let Some(mut row) =
            group_key_row(plan, key_filter, &mut decisions, &key, &numeric, batch, ctx)
        else {
            continue;
        };
        let members: Vec<usize> = members.iter().map(|&pos| ids[pos]).collect();
        let aggregates = match &direct {
            Some(read) => stats::aggregate_fields(&plan.aggs, &members, read),
            None => None,
        };
        let aggregates = aggregates.unwrap_or_else(|| {
            let rows = group_rows(plan, copies, &members);
            let all: Vec<usize> = (0..rows.len()).collect();
            stats::aggregate(&plan.aggs, &rows, &all, &plan.by, &env)
        });
        add_aggregates(plan, &mut row, aggregates);
        out.push(row);
    }
    Some(out)
}

/// How the aggregations of a `tstats` read field `f` of view row `id`
/// without copying the row: as they would read its copy ([`project`],
/// filled as [`prepare_tstats_rows`] fills it). `None` when the copy is
/// binned by `span` or the aggregations read more than named fields.
fn direct_reads<'a>(
    plan: &'a TstatsPlan,
    copies: &'a ViewCopies<'_, '_>,
) -> Option<impl Fn(usize, &str) -> Value + 'a> {
    if plan.span.is_some() {
        return None;
    }
    let table = copies.table;
    let columns = copies.columns()?;
    // The copy holds the row's own `_time` when the aggregations read it,
    // else its time as [`row_time`] gives it.
    let reads_time = columns.iter().any(|(name, _)| *name == "_time");
    Some(move |id: usize, field: &str| {
        if !table.contains(id) {
            return Value::Null;
        }
        let column = columns.iter().find(|(name, _)| *name == field);
        let read = column.and_then(|(_, column)| column.get(id));
        let value = match read {
            Some(json) if field != "_time" || reads_time || json.is_number() => {
                Some(Cow::Borrowed(json))
            }
            _ if field == "_time" => table.row_time(id).map(Cow::Borrowed),
            _ => None,
        };
        match (value, &plan.fillnull) {
            (Some(json), _) if !json.is_null() => Value::from_json(&json),
            (_, Some(fill)) if plan.by.iter().any(|b| b == field) => Value::Str(fill.clone()),
            _ => Value::Null,
        }
    })
}

/// The row of a `tstats` group with `key`: its `by` fields (each a number
/// where `numeric` says the group's first row holds one), or `None` when
/// the key filter drops the group.
fn group_key_row<'k>(
    plan: &TstatsPlan,
    key_filter: Option<&super::pushdown::KeyFilter>,
    decisions: &mut stats::Decisions<'k>,
    key: &stats::Key<'k>,
    numeric: &impl Fn(&str) -> bool,
    batch: &Batch<'_>,
    ctx: &Context,
) -> Option<Event> {
    let mut row = None;
    if let Some(key_filter) = key_filter {
        let reads = key_filter.reads.as_deref();
        let survived = decisions.decide(reads, &plan.by, key, numeric, || {
            // Decided on an earlier batch?
            let earlier = reads.map(|reads| {
                super::pushdown::KeyFilter::decision_key(
                    ctx.now,
                    reads
                        .iter()
                        .map(|&i| (key[i].as_ref(), numeric(&plan.by[i]))),
                )
            });
            if let Some(known) = earlier.as_deref().and_then(|k| key_filter.decided(k)) {
                return known;
            }
            let key_row = stats::decision_row(&plan.by, key, numeric, reads);
            let survived = survives(&key_filter.stages, &key_row, batch.events, ctx, Some(batch));
            match earlier {
                Some(earlier) => key_filter.remember(earlier, survived),
                None => row = Some(key_row),
            }
            survived
        });
        if !survived {
            return None;
        }
    }
    Some(row.unwrap_or_else(|| stats::key_fields_with(&plan.by, key, numeric)))
}

/// Add to a group's `row` its `aggregates`, but for those named as a `by`
/// field.
fn add_aggregates(plan: &TstatsPlan, row: &mut Event, aggregates: Vec<(String, Value)>) {
    for (name, value) in aggregates {
        if plan.by.contains(&name) {
            continue;
        }
        if let Some(json) = value.to_json() {
            row.insert(name, json);
        }
    }
}

/// Every grouped row's codes one after another, and each group's offset
/// in them with its rows.
type CodeGroups = (Vec<u32>, Vec<(usize, Vec<usize>)>);

/// The text of `code` in column `i` of `columns`, `fill` for [`FILL`].
fn key_text<'c>(
    columns: &'c [(std::rc::Rc<KeyColumn>, bool)],
    fill: Option<&'c str>,
    i: usize,
    code: u32,
) -> &'c str {
    if code == FILL {
        fill.unwrap_or_default()
    } else {
        columns[i].0.text(code)
    }
}

/// The rows `ids` grouped by the codes of their `by` values in `columns`
/// (with whether each column is indexed by position in `ids`): every
/// row's codes one after another, and each group's offset in them with its
/// rows (as positions in `ids`), in the order of the key texts. A missing value reads as `fill`
/// (the code of that text where a row has it, else [`FILL`]), or leaves
/// the row out without one. `None` when a row's value is not exactly one
/// text.
fn code_groups(
    columns: &[(std::rc::Rc<KeyColumn>, bool)],
    fill: Option<&str>,
    ids: &[usize],
) -> Option<CodeGroups> {
    let fill_codes: Vec<u32> = columns
        .iter()
        .map(|(c, _)| fill.and_then(|f| c.code_of(f)).unwrap_or(FILL))
        .collect();
    let k = columns.len();
    let mut flat: Vec<u32> = Vec::with_capacity(ids.len() * k);
    let mut keyed: Vec<usize> = Vec::with_capacity(ids.len());
    'row: for (pos, &id) in ids.iter().enumerate() {
        let start = flat.len();
        for ((column, by_position), &fill_code) in columns.iter().zip(&fill_codes) {
            let code = match column.code(if *by_position { pos } else { id }) {
                IRREGULAR => return None,
                MISSING if fill.is_some() => fill_code,
                MISSING => {
                    flat.truncate(start);
                    continue 'row;
                }
                code => code,
            };
            flat.push(code);
        }
        keyed.push(pos);
    }
    let mut index: foldhash::HashMap<&[u32], usize> = foldhash::HashMap::default();
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for (n, (key, &id)) in flat.chunks_exact(k.max(1)).zip(&keyed).enumerate() {
        if let Some(&g) = index.get(key) {
            groups[g].1.push(id);
        } else {
            index.insert(key, groups.len());
            groups.push((n * k, vec![id]));
        }
    }
    let text = |i: usize, code: u32| key_text(columns, fill, i, code);
    if flat.contains(&FILL) {
        groups.sort_unstable_by(|a, b| {
            (0..k)
                .map(|i| text(i, flat[a.0 + i]).cmp(text(i, flat[b.0 + i])))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
    } else {
        // Codes compare as their texts through their ranks: every
        // group's ranks in one vector, groups sorted by their slices.
        let flat = &flat;
        let ranks: Vec<u32> = groups
            .iter()
            .flat_map(|g| (0..k).map(move |i| columns[i].0.rank(flat[g.0 + i])))
            .collect();
        let mut numbered: Vec<(usize, (usize, Vec<usize>))> =
            groups.into_iter().enumerate().collect();
        numbered
            .sort_by(|(a, _), (b, _)| ranks[a * k..(a + 1) * k].cmp(&ranks[b * k..(b + 1) * k]));
        groups = numbered.into_iter().map(|(_, group)| group).collect();
    }
    Some((flat, groups))
}

/// The rows a `tstats` group aggregates: the copies of its view rows,
/// binned and filled.
fn group_rows(plan: &TstatsPlan, copies: &ViewCopies<'_, '_>, members: &[usize]) -> Vec<Event> {
    let rows = members.iter().filter_map(|&id| copies.copy(id)).collect();
    prepare_tstats_rows(plan, rows)
}

/// The code of a missing `by` value read as a `fillnull_value` no row
/// holds.
const FILL: u32 = IRREGULAR - 1;

/// `tstats … by` with a key filter: the view rows are grouped by their
/// `by` values, and only the rows of the groups whose key row survives the
/// filter are copied and aggregated. Gives what [`tstats_rows`] gives.
fn tstats_by_key(
    plan: &TstatsPlan,
    key_filter: &super::pushdown::KeyFilter,
    kept: &[&Event],
    batch: &Batch<'_>,
    ctx: &Context,
) -> Vec<Event> {
    let env = ExprEnv { now: ctx.now };
    let groups = stats::group_by_keys(kept.iter().map(|view| {
        stats::combinations(
            plan.by
                .iter()
                .map(|field| {
                    let mut texts = Vec::new();
                    if let Some(value) = tstats_by_value(plan, view, field) {
                        stats::value_texts(value, &mut texts);
                    }
                    texts
                })
                .collect(),
        )
    }));
    let mut decisions = stats::Decisions::default();
    let mut out = Vec::new();
    for (key, members) in groups {
        let sample = kept[members[0]];
        let numeric =
            |field: &str| tstats_by_value(plan, sample, field).is_some_and(|v| v.is_number());
        let Some(mut row) = group_key_row(
            plan,
            Some(key_filter),
            &mut decisions,
            &key,
            &numeric,
            batch,
            ctx,
        ) else {
            continue;
        };
        let rows = prepare_tstats_rows(
            plan,
            members
                .iter()
                .map(|&i| match &plan.reads {
                    Some(names) => project(kept[i], names),
                    None => materialize(kept[i]),
                })
                .collect(),
        );
        let all: Vec<usize> = (0..rows.len()).collect();
        add_aggregates(
            plan,
            &mut row,
            stats::aggregate(&plan.aggs, &rows, &all, &plan.by, &env),
        );
        out.push(row);
    }
    out
}

fn tstats(plan: &TstatsPlan, events: &[Event], ctx: &Context) -> Vec<Event> {
    let mut rows = Vec::new();
    for event in events {
        let view: Cow<'_, Event> = match &plan.dataset {
            Some(d) => match ctx.datamodels.view(&d.model, &d.root, event) {
                Some(v) if d.constraints.iter().all(|c| c.eval(&v, &mut None)) => v,
                _ => continue,
            },
            None => Cow::Borrowed(event),
        };
        if plan.filter.eval(&view, &mut None) {
            rows.push(materialize(&view));
        }
    }
    tstats_rows(plan, rows, events, ctx, None)
}

/// Whether `row` survives the row-local stages of a key filter.
fn survives(
    key_filter: &[Stage],
    row: &Event,
    events: &[Event],
    ctx: &Context,
    batch: Option<&Batch<'_>>,
) -> bool {
    let mut rows = vec![row.clone()];
    for stage in key_filter {
        rows = apply_in(stage, rows, events, ctx, batch);
        if rows.is_empty() {
            return false;
        }
    }
    true
}

/// Bin `_time` (`span`) and fill missing `by` fields (`fillnull_value`)
/// of the rows that passed a `tstats` filter.
fn prepare_tstats_rows(plan: &TstatsPlan, mut rows: Vec<Event>) -> Vec<Event> {
    if let Some(span) = plan.span {
        for row in &mut rows {
            bin_field(row, "_time", "_time", span);
        }
    }
    if let Some(fill) = &plan.fillnull {
        for row in &mut rows {
            for field in &plan.by {
                if fields::get(row, field).is_none() {
                    row.insert(field.clone(), Json::String(fill.clone()));
                }
            }
        }
    }
    rows
}

/// Bin, fill and aggregate the rows that passed a `tstats` filter.
fn tstats_rows(
    plan: &TstatsPlan,
    rows: Vec<Event>,
    events: &[Event],
    ctx: &Context,
    batch: Option<&Batch<'_>>,
) -> Vec<Event> {
    let rows = prepare_tstats_rows(plan, rows);
    let env = ExprEnv { now: ctx.now };
    let key_filter = plan.key_filter.as_ref();
    stats_groups(
        &plan.aggs, &plan.by, &rows, &env, key_filter, events, ctx, batch,
    )
}

/// `stats` over `rows`, leaving out the groups whose key row fails the key
/// filter.
#[allow(clippy::too_many_arguments)]
fn stats_groups(
    aggs: &[stats::Agg],
    by: &[String],
    rows: &[Event],
    env: &ExprEnv,
    key_filter: Option<&super::pushdown::KeyFilter>,
    events: &[Event],
    ctx: &Context,
    batch: Option<&Batch<'_>>,
) -> Vec<Event> {
    let Some(k) = key_filter else {
        return stats::stats(aggs, by, rows, env, None);
    };
    let test = |row: &Event| survives(&k.stages, row, events, ctx, batch);
    let keep = stats::KeyTest {
        test: &test,
        reads: k.reads.as_deref(),
    };
    stats::stats(aggs, by, rows, env, Some(&keep))
}

fn bin_field(row: &mut Event, field: &str, alias: &str, span: f64) {
    let Some(v) = fields::value(row, field).as_num() else {
        return;
    };
    let binned = (v / span).floor() * span;
    row.insert(alias.to_owned(), json_number(binned));
}

/// Apply a non-generating stage to the rows.
pub(crate) fn apply(
    stage: &Stage,
    rows: Vec<Event>,
    events: &[Event],
    ctx: &Context,
) -> Vec<Event> {
    apply_in(stage, rows, events, ctx, None)
}

/// [`apply`], running subsearches (`join`, `append`) on `batch` when given
/// (sharing its data model views and indexes).
#[allow(clippy::too_many_lines)]
pub(crate) fn apply_in(
    stage: &Stage,
    rows: Vec<Event>,
    events: &[Event],
    ctx: &Context,
    batch: Option<&Batch<'_>>,
) -> Vec<Event> {
    let env = ExprEnv { now: ctx.now };
    match stage {
        Stage::Search(pred) => rows
            .into_iter()
            .filter(|r| pred.eval(r, &mut None))
            .collect(),
        Stage::Where(e) => rows.into_iter().filter(|r| e.holds(r, &env)).collect(),
        Stage::Eval(assignments) => map(rows, |row| {
            for (field, e) in assignments {
                match e.eval(row, &env).to_json() {
                    Some(json) => row.insert(field.clone(), json),
                    None => row.swap_remove(field),
                };
            }
        }),
        Stage::Stats {
            flavor,
            aggs,
            by,
            window,
            current,
            key_filter,
        } => match flavor {
            StatsFlavor::Stats => stats_groups(
                aggs,
                by,
                &rows,
                &env,
                key_filter.as_ref(),
                events,
                ctx,
                batch,
            ),
            StatsFlavor::EventStats => {
                let mut rows = rows;
                stats::eventstats(aggs, by, &mut rows, &env);
                rows
            }
            StatsFlavor::StreamStats => {
                let mut rows = rows;
                stats::streamstats(aggs, by, &mut rows, *window, *current, &env);
                rows
            }
        },
        Stage::Tstats(plan) => {
            let mut out = rows;
            out.extend(tstats(plan, events, ctx));
            out
        }
        Stage::Table(patterns) => map(rows, |row| {
            let mut out = Event::default();
            for pattern in patterns {
                for name in fields::matching_names(row, pattern) {
                    if !out.contains_key(name) {
                        out.insert(name.clone(), row[name].clone());
                    }
                }
            }
            *row = out;
        }),
        Stage::Fields { keep, patterns } => map(rows, |row| {
            row.retain(|name, _| {
                let listed = patterns.iter().any(|p| name_matches(p, name));
                if *keep {
                    listed || name.starts_with('_')
                } else {
                    !listed
                }
            });
        }),
        Stage::Rename(pairs) => {
            let mut renamers: Vec<Renamer<'_>> = pairs
                .iter()
                .map(|(from, to)| Renamer::new(from, to))
                .collect();
            map(rows, |row| {
                for renamer in &mut renamers {
                    renamer.apply(row);
                }
            })
        }
        Stage::Rex { field, re, all } => map(rows, |row| {
            let Some(text) = text_of(row, field) else {
                return;
            };
            let matches = re.named_captures(&text, *all);
            let mut collected: Vec<(String, Vec<Value>)> = Vec::new();
            for m in matches {
                for (name, value) in m {
                    match collected.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, values)) => values.push(Value::Str(value)),
                        None => collected.push((name, vec![Value::Str(value)])),
                    }
                }
            }
            for (name, values) in collected {
                if let Some(json) = Value::multi(values).to_json() {
                    row.insert(name, json);
                }
            }
        }),
        Stage::Sed {
            field,
            re,
            replacement,
            global,
        } => map(rows, |row| {
            let value = fields::value(row, field);
            if value.is_null() {
                return;
            }
            let replaced: Vec<Value> = value
                .texts()
                .iter()
                .map(|t| Value::Str(re.replace(t, replacement, *global)))
                .collect();
            if let Some(json) = Value::multi(replaced).to_json() {
                row.insert(field.clone(), json);
            }
        }),
        Stage::Regex { field, re, negated } => rows
            .into_iter()
            .filter(|row| {
                let hit = if field == "_raw" {
                    re.is_match(&fields::raw(row))
                } else {
                    fields::value(row, field)
                        .texts()
                        .iter()
                        .any(|t| re.is_match(t))
                };
                hit != *negated
            })
            .collect(),
        Stage::Bin { field, alias, span } => map(rows, |row| bin_field(row, field, alias, *span)),
        Stage::Dedup {
            count,
            fields: keys,
            keepempty,
            consecutive,
            sort,
        } => {
            let mut seen: HashMap<Vec<String>, usize> = HashMap::new();
            let mut previous: Option<Vec<String>> = None;
            let mut out = Vec::new();
            for row in rows {
                let key: Option<Vec<String>> = keys
                    .iter()
                    .map(|k| fields::value(&row, k).texts().into_iter().next())
                    .collect();
                let Some(key) = key else {
                    if *keepempty {
                        out.push(row);
                    }
                    continue;
                };
                if *consecutive {
                    if previous.as_ref() != Some(&key) {
                        out.push(row);
                    }
                    previous = Some(key);
                    continue;
                }
                let n = seen.entry(key).or_insert(0);
                *n += 1;
                if *n <= *count {
                    out.push(row);
                }
            }
            if !sort.is_empty() {
                sort_rows(&mut out, sort);
            }
            out
        }
        Stage::Sort { limit, keys } => {
            let mut rows = rows;
            sort_rows(&mut rows, keys);
            if *limit > 0 {
                rows.truncate(*limit);
            }
            rows
        }
        Stage::Head(n) => rows.into_iter().take(*n).collect(),
        Stage::Tail(n) => {
            let skip = rows.len().saturating_sub(*n);
            rows.into_iter().skip(skip).rev().collect()
        }
        Stage::Fillnull {
            value,
            fields: list,
        } => {
            let names: Vec<String> = if list.is_empty() {
                let mut names: Vec<String> = Vec::new();
                let mut seen: foldhash::HashSet<&str> = foldhash::HashSet::default();
                for row in &rows {
                    for k in row.keys() {
                        if seen.insert(k) {
                            names.push(k.clone());
                        }
                    }
                }
                names
            } else {
                list.clone()
            };
            let fill = match parse_number(value) {
                Some(n) => json_number(n),
                None => Json::String(value.clone()),
            };
            map(rows, |row| {
                for name in &names {
                    let empty = match row.get(name) {
                        None | Some(Json::Null) => true,
                        Some(Json::String(s)) => s.is_empty(),
                        _ => false,
                    };
                    if empty {
                        row.insert(name.clone(), fill.clone());
                    }
                }
            })
        }
        Stage::Convert {
            format,
            conversions,
        } => map(rows, |row| {
            for c in conversions {
                let names: Vec<String> = fields::matching_names(row, &c.field)
                    .into_iter()
                    .cloned()
                    .collect();
                for name in names {
                    let value = fields::value(row, &name);
                    let converted: Vec<Value> = value
                        .items()
                        .iter()
                        .map(|v| match c.kind {
                            ConvKind::Ctime => v.as_num().map_or_else(
                                || v.clone(),
                                |t| Value::Str(time::strftime(t, format)),
                            ),
                            ConvKind::Mktime => v
                                .as_text()
                                .and_then(|t| time::strptime(&t, format))
                                .map_or_else(|| v.clone(), Value::Num),
                            ConvKind::Num => v.as_num().map_or_else(|| v.clone(), Value::Num),
                            ConvKind::None => v.clone(),
                        })
                        .collect();
                    let target = c.alias.clone().unwrap_or(name);
                    if let Some(json) = Value::multi(converted).to_json() {
                        row.insert(target, json);
                    }
                }
            }
        }),
        Stage::Lookup(plan) => map(rows, |row| {
            let hits = plan.table.matches(row, &plan.inputs, plan.indexed);
            if let Some((min, default)) = &plan.table.default_match
                && hits.len() < *min
            {
                for (_, field) in &plan.outputs {
                    if !(plan.only_new && fields::get(row, field).is_some()) {
                        row.insert(field.clone(), Json::String(default.clone()));
                    }
                }
                return;
            }
            if hits.is_empty() {
                return;
            }
            for (column, field) in &plan.outputs {
                if plan.only_new && fields::get(row, field).is_some() {
                    continue;
                }
                if let Some(json) = plan.table.output(&hits, *column).to_json() {
                    row.insert(field.clone(), json);
                }
            }
        }),
        Stage::Inputlookup { .. } | Stage::FromDatamodel(_) => {
            let mut out = rows;
            out.extend(generate(stage, events, ctx).unwrap_or_default());
            out
        }
        Stage::Makemv {
            field,
            delim,
            tokenizer,
        } => map(rows, |row| {
            let Some(text) = text_of(row, field) else {
                return;
            };
            let parts: Vec<Value> = match tokenizer {
                Some(re) => re.find_all(&text).into_iter().map(Value::Str).collect(),
                None => text
                    .split(delim.as_str())
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::Str(s.to_owned()))
                    .collect(),
            };
            if let Some(json) = Value::multi(parts).to_json() {
                row.insert(field.clone(), json);
            }
        }),
        Stage::Mvexpand { field, limit } => {
            let mut out = Vec::new();
            for row in rows {
                match row.get(field) {
                    Some(Json::Array(items)) => {
                        for item in items.iter().take(*limit) {
                            let mut copy = row.clone();
                            copy.insert(field.clone(), item.clone());
                            out.push(copy);
                        }
                    }
                    Some(_) => out.push(row),
                    None => {}
                }
            }
            out
        }
        Stage::Spath {
            input,
            output,
            path,
        } => map(rows, |row| {
            spath(row, input, output.as_deref(), path.as_deref());
        }),
        Stage::Join {
            kind,
            fields: keys,
            max,
            sub,
        } => {
            if rows.is_empty() {
                // Nothing to join: the subsearch cannot add rows.
                return rows;
            }
            let right = sub
                .run_filtered(events, ctx, batch, |origins| join_filter(origins, &rows))
                .unwrap_or_default();
            join(*kind, keys, *max, rows, &right)
        }
        Stage::Iplocation {
            field,
            prefix,
            table,
        } => {
            let Some(table) = table else {
                return rows;
            };
            let Some(cidr) = table.column("cidr") else {
                return rows;
            };
            map(rows, |row| {
                let Some(ip) = fields::value(row, field).texts().into_iter().next() else {
                    return;
                };
                let hit = table.rows.iter().position(|r| {
                    r.get(cidr)
                        .is_some_and(|c| super::functions::cidr_match(c, &ip))
                });
                let Some(hit) = hit else {
                    return;
                };
                for (column, name) in table.header.iter().enumerate() {
                    if column == cidr {
                        continue;
                    }
                    if let Some(json) = table.output(&[hit], column).to_json() {
                        row.insert(format!("{prefix}{name}"), json);
                    }
                }
            })
        }
        Stage::Append(sub) => {
            let mut out = rows;
            out.extend(sub.run_in(events, ctx, batch).unwrap_or_default());
            out
        }
    }
}

/// `join`: each row with the fields of the `right` rows that have the
/// same first value of every key field (at most `max` of them; all when
/// `max` is 0); a row without a match is dropped, or kept as it is for a
/// left join.
pub(crate) fn join(
    kind: JoinKind,
    keys: &[String],
    max: usize,
    rows: Vec<Event>,
    right: &[Event],
) -> Vec<Event> {
    let key_of = |row: &Event| -> Option<Vec<String>> {
        keys.iter()
            .map(|k| fields::value(row, k).texts().into_iter().next())
            .collect()
    };
    let mut by_key: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
    for (i, r) in right.iter().enumerate() {
        if let Some(key) = key_of(r) {
            by_key.entry(key).or_default().push(i);
        }
    }
    let limit = if max == 0 { usize::MAX } else { max };
    let mut out = Vec::new();
    for row in rows {
        let matches = key_of(&row).and_then(|key| by_key.get(&key));
        let Some(matches) = matches else {
            if kind == JoinKind::Left {
                out.push(row);
            }
            continue;
        };
        for &m in matches.iter().take(limit) {
            let mut joined = row.clone();
            for (k, v) in &right[m] {
                joined.insert(k.clone(), v.clone());
            }
            out.push(joined);
        }
    }
    out
}

fn map(mut rows: Vec<Event>, mut f: impl FnMut(&mut Event)) -> Vec<Event> {
    for row in &mut rows {
        f(row);
    }
    rows
}

fn text_of(row: &Event, field: &str) -> Option<String> {
    if field == "_raw" {
        return Some(fields::raw(row).into_owned());
    }
    fields::value(row, field).texts().into_iter().next()
}

/// `rename from AS to`, with `*` wildcards.
pub(crate) fn rename(row: &mut Event, from: &str, to: &str) {
    Renamer::new(from, to).apply(row);
}

/// `rename from AS to` over many rows. With wildcards, the new names of a
/// row's fields are worked out once for each run of rows that have the
/// same names in the same order (the rows of a `tstats` or `stats`).
struct Renamer<'p> {
    from: &'p str,
    to: &'p str,
    /// The names of the last row renamed, their new names, and whether
    /// no new name is an existing field or another field's new name.
    names: Vec<String>,
    targets: Vec<Option<String>>,
    simple: bool,
    /// A buffer for the renamed fields of a row.
    renamed: Vec<(String, Json)>,
}

impl<'p> Renamer<'p> {
    fn new(from: &'p str, to: &'p str) -> Renamer<'p> {
        Renamer {
            from,
            to,
            names: Vec::new(),
            targets: Vec::new(),
            simple: false,
            renamed: Vec::new(),
        }
    }

    fn apply(&mut self, row: &mut Event) {
        let (from, to) = (self.from, self.to);
        if !from.contains('*') {
            if let Some(v) = row.shift_remove(from) {
                row.insert(to.to_owned(), v);
            }
            return;
        }
        let same =
            row.len() == self.names.len() && row.keys().zip(&self.names).all(|(a, b)| a == b);
        if !same {
            self.names = row.keys().cloned().collect();
            self.targets = row.keys().map(|name| renamed(from, to, name)).collect();
            let mut seen: foldhash::HashSet<&str> = foldhash::HashSet::default();
            self.simple = self
                .targets
                .iter()
                .flatten()
                .all(|t| !row.contains_key(t) && seen.insert(t.as_str()));
        }
        // Each field the pattern matches is removed and its value inserted
        // under the new name, in field order: a new name is appended, an
        // existing one keeps its place. When no new name is an existing
        // field or another field's new name, that is the unmatched fields
        // in order, then the renamed ones: built in one pass.
        if self.simple {
            let old = std::mem::take(row);
            row.reserve(old.len());
            let mut renamed = std::mem::take(&mut self.renamed);
            for ((mut name, value), target) in old.into_iter().zip(&self.targets) {
                match target {
                    Some(target) => {
                        // The old name's buffer takes the new name.
                        name.clear();
                        name.push_str(target);
                        renamed.push((name, value));
                    }
                    None => {
                        row.insert(name, value);
                    }
                }
            }
            row.extend(renamed.drain(..));
            self.renamed = renamed;
            return;
        }
        for (name, target) in self.names.iter().zip(&self.targets) {
            if let Some(target) = target
                && let Some(v) = row.shift_remove(name)
            {
                row.insert(target.clone(), v);
            }
        }
    }
}

/// The new name of `name` under `rename from AS to` (with wildcards), or
/// `None` when `from` does not match it.
fn renamed(from: &str, to: &str, name: &str) -> Option<String> {
    // One `*` on each side (`Processes.* AS *`): no captures to collect.
    if let (Some((fp, fs)), Some((tp, ts))) = (from.split_once('*'), to.split_once('*'))
        && !fs.contains('*')
        && !ts.contains('*')
    {
        let middle = name.strip_prefix(fp)?.strip_suffix(fs)?;
        return Some(format!("{tp}{middle}{ts}"));
    }
    wildcard_captures(from, name).map(|c| fill_wildcards(to, &c))
}

fn sort_rows(rows: &mut [Event], keys: &[SortKey]) {
    rows.sort_by(|a, b| {
        for key in keys {
            let (x, y) = (
                fields::value(a, &key.field).texts().into_iter().next(),
                fields::value(b, &key.field).texts().into_iter().next(),
            );
            let ordering = match (x, y) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => match key.numeric {
                    Some(true) => parse_number(&x)
                        .unwrap_or(f64::NAN)
                        .total_cmp(&parse_number(&y).unwrap_or(f64::NAN)),
                    Some(false) => x.cmp(&y),
                    None => sort_order(&x, &y),
                },
            };
            let ordering = if key.descending {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    });
}

/// `spath`: parse the JSON in `input`; with a path, put the value there
/// into `output` (default: the path); without, flatten every leaf into
/// dotted fields (`a.b`, arrays as `a{}`).
fn spath(row: &mut Event, input: &str, output: Option<&str>, path: Option<&str>) {
    let Some(text) = text_of(row, input) else {
        return;
    };
    let Ok(json) = serde_json::from_str::<Json>(&text) else {
        return;
    };
    if let Some(path) = path {
        let mut current = vec![&json];
        for part in path.split('.') {
            let (name, array) = match part.strip_suffix("{}") {
                Some(n) => (n, true),
                None => (part, false),
            };
            current = current
                .into_iter()
                .filter_map(|j| {
                    if name.is_empty() {
                        Some(j)
                    } else {
                        j.get(name)
                    }
                })
                .flat_map(|j| match (array, j) {
                    (true, Json::Array(items)) => items.iter().collect(),
                    _ => vec![j],
                })
                .collect();
        }
        let values: Vec<Value> = current.into_iter().map(Value::from_json).collect();
        if let Some(out) = Value::multi(values).to_json() {
            row.insert(output.unwrap_or(path).to_owned(), out);
        }
    } else {
        let mut leaves: Vec<(String, Json)> = Vec::new();
        flatten("", &json, &mut leaves);
        for (k, v) in leaves {
            match row.get_mut(&k) {
                Some(Json::Array(items)) => items.push(v),
                Some(existing) => {
                    let old = existing.take();
                    *existing = Json::Array(vec![old, v]);
                }
                None => {
                    row.insert(k, v);
                }
            }
        }
    }
}

fn flatten(prefix: &str, json: &Json, out: &mut Vec<(String, Json)>) {
    match json {
        Json::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Json::Array(items) => {
            let key = format!("{prefix}{{}}");
            for item in items {
                flatten(&key, item, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}
