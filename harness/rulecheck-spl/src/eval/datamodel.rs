//! CIM data models and the normalization maps that put raw events into
//! them, loaded from data files (`mappings/cim/datamodels.toml`,
//! `mappings/cim/normalization.toml`).

use std::borrow::Cow;
use std::path::Path;

use rulecheck_core::{Diagnostic, Span};
use serde::Deserialize;
use serde_json::Value as Json;

use super::diag::INVALID;
use super::expr::{self, CExpr, ExprEnv};
use super::fields;
use super::key_column::KeyColumn;
use super::predicate::{self, Pred, PredEnv};
use super::prefilter::TextColumn;
use super::value::{Event, Value, json_number};
use super::views::{ViewColumn, ViewTable};
use crate::ast::{CommandKind, SearchExpr};

const BUILTIN_MODELS: &str = include_str!("../../../../mappings/cim/datamodels.toml");
const BUILTIN_NORMALIZATION: &str = include_str!("../../../../mappings/cim/normalization.toml");

/// Fields of the raw event `tstats` sees besides the data model's.
pub(crate) const INTERNAL_FIELDS: &[&str] = &["host", "source", "sourcetype", "index"];

/// The CIM data models `tstats` reads, and the normalization maps from raw
/// events into them.
#[derive(Debug, Clone)]
pub struct DataModels {
    models: Vec<Model>,
    pub(crate) sources: Vec<Source>,
}

#[derive(Debug, Clone)]
struct Model {
    name: String,
    datasets: Vec<DatasetDef>,
}

#[derive(Debug, Clone)]
struct DatasetDef {
    name: String,
    parent: Option<String>,
    constraint: Option<SearchExpr>,
    fields: Vec<String>,
}

/// A normalization map: when a raw event is in a root dataset, and how
/// each of the dataset's fields is computed from it.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    name: String,
    pub(crate) model: String,
    pub(crate) root: String,
    pub(crate) when: Pred,
    /// Necessary conditions of `when`, for finding a batch's events in it
    /// from the batch's indexes.
    pub(crate) prefilter: Option<super::prefilter::Prefilter>,
    /// Each field with the root's prefix (`Processes.process_name`) and
    /// its expression.
    pub(crate) fields: Vec<(String, CExpr)>,
    /// For each field, the earlier field with the same expression text,
    /// whose value it copies.
    pub(crate) same_as: Vec<Option<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelsFile {
    model: Vec<ModelFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    name: String,
    dataset: Vec<DatasetFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DatasetFile {
    name: String,
    parent: Option<String>,
    constraint: Option<String>,
    #[serde(default)]
    fields: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NormalizationFile {
    source: Vec<SourceFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    name: String,
    dataset: String,
    when: String,
    fields: toml::Table,
}

/// A resolved `datamodel=Model.Dataset`: the root dataset whose prefix the
/// fields carry, and the constraints of the dataset and its ancestors over
/// prefixed fields.
#[derive(Debug, Clone)]
pub(crate) struct DatasetPlan {
    pub(crate) model: String,
    pub(crate) root: String,
    pub(crate) constraints: Vec<Pred>,
}

fn error(message: String) -> Diagnostic {
    Diagnostic::error(INVALID, message)
}

fn parse_search(text: &str, what: &str) -> Result<Option<SearchExpr>, Diagnostic> {
    let (pipeline, diagnostics) = crate::parse_str(&format!("| search {text}"));
    let pipeline = pipeline.ok_or_else(|| {
        error(format!(
            "{what}: `{text}` is not a search expression: {}",
            diagnostics.first().map_or("", |d| d.message.as_str())
        ))
    })?;
    match pipeline.commands.into_iter().next().map(|c| c.kind) {
        Some(CommandKind::Search(expr)) => Ok(expr),
        _ => Err(error(format!(
            "{what}: `{text}` is not a search expression"
        ))),
    }
}

fn parse_expr(text: &str, what: &str) -> Result<CExpr, Diagnostic> {
    let (pipeline, _) = crate::parse_str(&format!("| eval x={text}"));
    let assignment = pipeline.and_then(|p| match p.commands.into_iter().next().map(|c| c.kind) {
        Some(CommandKind::Eval(eval)) if eval.assignments.len() == 1 => {
            eval.assignments.into_iter().next()
        }
        _ => None,
    });
    let Some(assignment) = assignment else {
        return Err(error(format!("{what}: `{text}` is not an eval expression")));
    };
    let mut errors = Vec::new();
    let compiled = expr::compile(&assignment.expr, &mut errors);
    match errors.into_iter().next() {
        Some(d) => Err(error(format!("{what}: {}", d.message))),
        None => Ok(compiled),
    }
}

/// Put `prefix.` before every field name of a search expression.
#[allow(clippy::items_after_statements)]
fn prefixed(expr: &SearchExpr, prefix: &str) -> SearchExpr {
    let mut expr = expr.clone();
    fn walk(e: &mut SearchExpr, prefix: &str) {
        match e {
            SearchExpr::And(parts, _) | SearchExpr::Or(parts, _) => {
                for p in parts.iter_mut() {
                    walk(p, prefix);
                }
            }
            SearchExpr::Not(inner, _) => walk(inner, prefix),
            SearchExpr::Compare { field, .. } | SearchExpr::In { field, .. } => {
                field.text = format!("{prefix}.{}", field.text);
            }
            SearchExpr::Term(_) | SearchExpr::Subsearch(..) => {}
        }
    }
    walk(&mut expr, prefix);
    expr
}

impl Default for DataModels {
    fn default() -> Self {
        DataModels::builtin()
    }
}

impl DataModels {
    /// The definitions shipped with rulecheck (the repository's
    /// `mappings/cim/`).
    #[must_use]
    pub fn builtin() -> DataModels {
        DataModels::from_toml(BUILTIN_MODELS, BUILTIN_NORMALIZATION).unwrap_or(DataModels {
            models: Vec::new(),
            sources: Vec::new(),
        })
    }

    /// Read `datamodels.toml` and `normalization.toml` from `dir`.
    pub fn load(dir: &Path) -> Result<DataModels, Vec<Diagnostic>> {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name)).map_err(|e| {
                vec![error(format!(
                    "cannot read {}: {e}",
                    dir.join(name).display()
                ))]
            })
        };
        DataModels::from_toml(&read("datamodels.toml")?, &read("normalization.toml")?)
    }

    /// Data model definitions and normalization maps from their TOML texts.
    pub fn from_toml(datamodels: &str, normalization: &str) -> Result<DataModels, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let models_file: ModelsFile =
            toml::from_str(datamodels).map_err(|e| vec![error(format!("datamodels.toml: {e}"))])?;
        let norm_file: NormalizationFile = toml::from_str(normalization)
            .map_err(|e| vec![error(format!("normalization.toml: {e}"))])?;
        let mut models = Vec::new();
        for m in models_file.model {
            let mut datasets = Vec::new();
            for d in m.dataset {
                let what = format!("dataset {}.{}", m.name, d.name);
                let constraint = match d.constraint.as_deref().map(|c| parse_search(c, &what)) {
                    Some(Ok(c)) => c,
                    Some(Err(e)) => {
                        errors.push(e);
                        None
                    }
                    None => None,
                };
                datasets.push(DatasetDef {
                    name: d.name,
                    parent: d.parent,
                    constraint,
                    fields: d.fields,
                });
            }
            models.push(Model {
                name: m.name,
                datasets,
            });
        }
        let mut out = DataModels {
            models,
            sources: Vec::new(),
        };
        for s in norm_file.source {
            let what = format!("normalization `{}`", s.name);
            let Some((model, dataset)) = s.dataset.split_once('.') else {
                errors.push(error(format!(
                    "{what}: dataset `{}` is not Model.Dataset",
                    s.dataset
                )));
                continue;
            };
            let Some(plan) = out.resolve(model, Some(dataset)) else {
                errors.push(error(format!("{what}: unknown dataset `{}`", s.dataset)));
                continue;
            };
            let when = match parse_search(&s.when, &what) {
                Ok(Some(expr)) => {
                    let mut diags = Vec::new();
                    let pred = predicate::compile(&expr, &PredEnv { now: 0 }, &mut diags);
                    errors.extend(diags);
                    pred
                }
                Ok(None) => Pred::All,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let mut source_fields = Vec::new();
            let mut texts: Vec<&str> = Vec::new();
            let mut same_as = Vec::new();
            for (field, value) in &s.fields {
                let Some(text) = value.as_str() else {
                    errors.push(error(format!("{what}: field `{field}` is not a string")));
                    continue;
                };
                match parse_expr(text, &format!("{what}, field `{field}`")) {
                    Ok(e) => {
                        source_fields.push((format!("{}.{field}", plan.root), e));
                        // `random()` is the one function whose value may differ.
                        let copy = !text.contains("random(");
                        same_as.push(texts.iter().position(|t| copy && t.trim() == text.trim()));
                        texts.push(text);
                    }
                    Err(e) => errors.push(e),
                }
            }
            out.sources.push(Source {
                name: s.name,
                model: plan.model,
                root: plan.root,
                prefilter: super::prefilter::Prefilter::of(&when),
                when,
                fields: source_fields,
                same_as,
            });
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The names of the models, and of each model's datasets.
    #[must_use]
    pub fn datasets(&self) -> Vec<(String, Vec<String>)> {
        self.models
            .iter()
            .map(|m| {
                (
                    m.name.clone(),
                    m.datasets.iter().map(|d| d.name.clone()).collect(),
                )
            })
            .collect()
    }

    /// The fields of a dataset (its root's, for a child dataset), without
    /// prefix.
    #[must_use]
    pub fn fields(&self, model: &str, dataset: &str) -> Option<Vec<String>> {
        let plan = self.resolve(model, Some(dataset))?;
        let m = self.models.iter().find(|m| m.name == plan.model)?;
        m.datasets
            .iter()
            .find(|d| d.name == plan.root)
            .map(|d| d.fields.clone())
    }

    /// Resolve `Model` / `Model.Dataset` (a dataset may also be written as
    /// its path from the root, `Authentication.Failed_Authentication`).
    pub(crate) fn resolve(&self, model: &str, dataset: Option<&str>) -> Option<DatasetPlan> {
        let m = self
            .models
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(model))?;
        let name = match dataset {
            Some(path) => path.rsplit('.').next().unwrap_or(path),
            None => &m.datasets.first()?.name,
        };
        let mut current = m
            .datasets
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))?;
        let mut constraints = Vec::new();
        while let Some(parent) = &current.parent {
            let parent_def = m.datasets.iter().find(|d| &d.name == parent)?;
            if let Some(c) = &current.constraint {
                constraints.push(c.clone());
            }
            current = parent_def;
        }
        let root = current.name.clone();
        if let Some(c) = &current.constraint {
            constraints.push(c.clone());
        }
        let mut diags = Vec::new();
        let constraints = constraints
            .iter()
            .map(|c| predicate::compile(&prefixed(c, &root), &PredEnv { now: 0 }, &mut diags))
            .collect();
        Some(DatasetPlan {
            model: m.name.clone(),
            root,
            constraints,
        })
    }

    /// The data-model form of a raw event for the root dataset
    /// `model.root`: the event itself when it already has fields with the
    /// root's prefix, otherwise the fields of the first normalization map
    /// that applies (prefixed, with `_time` and the internal fields `host`,
    /// `source`, `sourcetype`, `index`); `None` when the event is not in the
    /// dataset.
    pub(crate) fn view<'e>(
        &self,
        model: &str,
        root: &str,
        event: &'e Event,
    ) -> Option<Cow<'e, Event>> {
        if in_form(root, event) {
            return Some(Cow::Borrowed(event));
        }
        let source = self
            .sources
            .iter()
            .find(|s| s.model == model && s.root == root && s.when.eval(event, &mut None))?;
        Some(Cow::Owned(normalized(source, event)))
    }

    /// The data-model forms of a raw event: every normalization map that
    /// applies, its fields prefixed by the dataset (`Processes.process_name`),
    /// merged into a copy of the event. Normalizing once and running many
    /// `tstats` searches on the result skips the per-search mapping.
    pub fn normalize(&self, event: &Event) -> Event {
        let mut out = event.clone();
        let env = ExprEnv { now: 0 };
        let mut done: Vec<(&str, &str)> = Vec::new();
        for source in &self.sources {
            if done.contains(&(source.model.as_str(), source.root.as_str()))
                || !source.when.eval(event, &mut None)
            {
                continue;
            }
            done.push((&source.model, &source.root));
            for (field, e) in &source.fields {
                if let Some(json) = field_value(e, event, &env) {
                    out.insert(field.clone(), json);
                }
            }
        }
        if !out.contains_key("_time")
            && let Some(t) = fields::event_time(event)
        {
            out.insert("_time".to_owned(), json_number(t));
        }
        out
    }

    /// The name of the normalization map that applies to an event for a
    /// dataset, for explanations.
    pub(crate) fn source_name(&self, model: &str, root: &str, event: &Event) -> Option<&str> {
        self.sources
            .iter()
            .find(|s| s.model == model && s.root == root && s.when.eval(event, &mut None))
            .map(|s| s.name.as_str())
    }
}

/// Whether an event already has fields with the prefix of the root
/// dataset `root` (`Processes.`): it is then its own view.
pub(crate) fn in_form(root: &str, event: &Event) -> bool {
    let prefix_len = root.len();
    event
        .keys()
        .any(|k| k.as_bytes().get(prefix_len) == Some(&b'.') && k.starts_with(root))
}

/// The view of a raw event through a normalization map: `_time`, the
/// internal fields and the map's fields.
pub(crate) fn normalized(source: &Source, event: &Event) -> Event {
    let env = ExprEnv { now: 0 };
    let mut out = Event::with_capacity_and_hasher(
        source.fields.len() + 1 + INTERNAL_FIELDS.len(),
        super::value::EventHasher::default(),
    );
    if let Some(t) = fields::event_time(event) {
        out.insert("_time".to_owned(), json_number(t));
    }
    for name in INTERNAL_FIELDS {
        if let Some(v) = event.get(*name) {
            out.insert((*name).to_owned(), v.clone());
        }
    }
    // Fields with the same expression (`process_name` and
    // `process_exec`) are computed once.
    let mut values: Vec<Option<Json>> = Vec::with_capacity(source.fields.len());
    for ((_, e), same) in source.fields.iter().zip(&source.same_as) {
        let value = match same {
            Some(j) => values.get(*j).cloned().flatten(),
            None => field_value(e, event, &env),
        };
        values.push(value);
    }
    for ((field, _), value) in source.fields.iter().zip(values) {
        if let Some(json) = value {
            out.insert(field.clone(), json);
        }
    }
    out
}

/// The value of a normalized field: the expression's value as JSON. A
/// plain field holding a string is copied without the round trip through
/// an expression value (which gives the same string).
fn field_value(e: &CExpr, event: &Event, env: &ExprEnv) -> Option<Json> {
    match e {
        CExpr::Field(name) => plain_value(fields::get(event, name)),
        _ => e.eval(event, env).to_json(),
    }
}

/// [`field_value`] of a plain field holding `json` (as [`fields::get`]
/// reads it).
pub(crate) fn plain_value(json: Option<&Json>) -> Option<Json> {
    match json {
        Some(json @ Json::String(_)) => Some(json.clone()),
        Some(json) => Value::from_json(json).to_json(),
        None => None,
    }
}

/// A diagnostic for an unknown data model.
pub(crate) fn unknown(name: &str, span: Span) -> Diagnostic {
    Diagnostic::error(INVALID, format!("unknown data model `{name}`"))
        .with_span(span)
        .with_help("data models are defined in mappings/cim/datamodels.toml")
}

/// Whether a JSON value is present (not null).
#[allow(dead_code)]
pub(crate) fn present(json: Option<&Json>) -> bool {
    json.is_some_and(|j| !j.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_reads_fields_as_fields_get_does() {
        let events: Vec<Event> = [
            serde_json::json!({"a": 1, "b.c": "top", "n": null}),
            serde_json::json!({"b": {"c": "nested"}, "a": "x"}),
            serde_json::json!({"z": [1, 2], "a": null}),
            serde_json::json!({}),
        ]
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
        assert_batch_reads_as_fields_get(
            &events,
            &["a", "b.c", "b", "n", "z", "missing", "b.missing"],
        );
    }

    /// A batch of `events` reads each of `names` in each event as
    /// [`fields::get`] does.
    fn assert_batch_reads_as_fields_get(events: &[Event], names: &[&str]) {
        let batch = Batch::new(events);
        for field in names {
            let read: Vec<Option<&Json>> = batch.event_values(field).collect();
            let expected: Vec<Option<&Json>> =
                events.iter().map(|e| fields::get(e, field)).collect();
            assert_eq!(read, expected, "{field}");
        }
        let dotted: Vec<bool> = events
            .iter()
            .map(|e| e.keys().any(|k| k.contains('.')))
            .collect();
        assert_eq!(batch.event_slots().dotted(), dotted.as_slice());
    }

    #[test]
    fn slots_of_events_with_repeated_and_many_name_lists() {
        // 20 lists of names (more than are remembered), each several
        // times, some in another order: positions must follow each event.
        let events: Vec<Event> = (0..100)
            .map(|i| {
                let kind = i % 20;
                let mut object = serde_json::Map::new();
                if kind % 2 == 0 {
                    object.insert("a".to_owned(), serde_json::json!(i));
                    object.insert(format!("k{kind}"), serde_json::json!("x"));
                } else {
                    object.insert(format!("k{kind}"), serde_json::json!("y"));
                    object.insert("a".to_owned(), serde_json::json!(-i));
                }
                if i % 7 == 0 {
                    object.insert("extra".to_owned(), serde_json::json!(true));
                }
                if i % 9 == 0 {
                    object.insert("Processes.dest".to_owned(), serde_json::json!("d"));
                }
                serde_json::from_value(serde_json::Value::Object(object)).unwrap()
            })
            .collect();
        let mut names: Vec<String> = (0..20).map(|k| format!("k{k}")).collect();
        names.extend(["a", "extra", "missing", "Processes.dest"].map(str::to_owned));
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_batch_reads_as_fields_get(&events, &names);
    }

    #[test]
    fn batch_views_are_the_views_of_each_event() {
        let models = DataModels::builtin();
        let events: Vec<Event> = [
            serde_json::json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                "_time": 100, "host": {"name": "h"}, "index": null, "Image": "C:\\w\\a.exe", "ProcessId": 12,
                "CommandLine": null, "User": "u"}),
            serde_json::json!({"EventID": 4688, "Channel": "Security", "_time": "1970-01-01T00:01:40Z",
                "NewProcessName": "C:\\w\\b.exe", "TargetUserName": "-", "SubjectUserName": "s"}),
            serde_json::json!({"EventID": 3, "Channel": "Microsoft-Windows-Sysmon/Operational"}),
            serde_json::json!({"Processes.process_name": "c.exe", "Processes.dest": "d",
                "_time": "1970-01-01T00:01:40Z"}),
            // The same image as the first event (its computed fields are
            // computed once), then an image that is not a string.
            // Times in the later time fields (`_time` null or missing).
            serde_json::json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Image": "C:\\w\\a.exe", "ParentImage": "C:\\p.exe", "IntegrityLevel": "High",
                "_time": null, "@timestamp": "150"}),
            serde_json::json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Image": 5, "IntegrityLevel": null, "TimeCreated": "1970-01-01T00:03:20Z"}),
        ]
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
        let batch = Batch::new(&events);
        let table = batch.view_table(&models, "Endpoint", "Processes");
        let mut names: Vec<String> = models
            .fields("Endpoint", "Processes")
            .unwrap_or_default()
            .into_iter()
            .map(|f| format!("Processes.{f}"))
            .collect();
        names.extend(
            [
                "_time",
                "host",
                "index",
                "host.name",
                "Processes.missing",
                "Processes",
                "missing",
            ]
            .map(str::to_owned),
        );
        for (id, event) in events.iter().enumerate() {
            let want = models.view("Endpoint", "Processes", event);
            let row = table.row(&models, id);
            assert_eq!(row.as_deref(), want.as_deref(), "event {id}");
            assert_eq!(table.contains(id), want.is_some(), "event {id}");
            assert_eq!(
                table.row_time(id).cloned(),
                want.as_deref().and_then(super::super::exec::row_time),
                "event {id}"
            );
            for name in &names {
                let column = batch.view_column(&models, "Endpoint", "Processes", name);
                let expected = want.as_deref().and_then(|v| fields::get(v, name));
                assert_eq!(column.get(id), expected, "event {id}, {name}");
            }
        }
        assert!(table.contains(0) && table.contains(1) && !table.contains(2));
    }

    #[test]
    fn indexes_find_every_row_of_each_lowercase_text() {
        // Repeated strings in other case, numbers, multivalues, nulls, and
        // more distinct strings than are remembered.
        let values: Vec<Json> = (0..3000)
            .map(|i| match i % 6 {
                0 => serde_json::json!("Same"),
                1 => serde_json::json!("SAME"),
                2 => serde_json::json!(format!("U{i}")),
                3 => serde_json::json!(i % 5),
                4 => serde_json::json!(["same", format!("u{i}")]),
                _ => Json::Null,
            })
            .collect();
        let index = index_values(values.iter().map(Some));
        let mut want: std::collections::BTreeMap<String, Vec<usize>> =
            std::collections::BTreeMap::default();
        for (id, value) in values.iter().enumerate() {
            fields::any_text(value, &mut |s| {
                let rows = want.entry(s.to_lowercase()).or_default();
                if rows.last() != Some(&id) {
                    rows.push(id);
                }
                false
            });
        }
        assert!(index.missing().is_empty());
        for (text, rows) in &want {
            assert_eq!(index.get(text), Some(rows), "{text}");
        }
        assert_eq!(index.get("nope"), None);
    }

    #[test]
    fn indexes_of_shared_values_are_those_of_the_values() {
        // Computed fields of events with the same image share their value.
        let models = DataModels::builtin();
        let events: Vec<Event> = [
            "C:\\w\\A.exe",
            "C:\\v\\a.exe",
            "C:\\w\\A.exe",
            "C:\\w\\A.exe",
        ]
        .iter()
        .map(|image| {
            serde_json::from_value(serde_json::json!({"EventID": 1,
                    "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": image,
                    "Computer": "h", "ProcessId": 7}))
            .unwrap()
        })
        .collect();
        let batch = Batch::new(&events);
        for field in [
            "Processes.process_name",
            "Processes.process_path",
            "Processes.dest",
            "Processes.process_id",
        ] {
            let column = batch.view_column(&models, "Endpoint", "Processes", field);
            if field == "Processes.process_name" {
                assert_eq!(column.shares(), 2, "one value per distinct image");
            }
            let values: Vec<Option<&Json>> = (0..events.len()).map(|id| column.get(id)).collect();
            let index = batch.index(&models, "Endpoint", "Processes", field);
            let want = index_values(values.iter().copied());
            for text in ["a.exe", "c:\\w\\a.exe", "c:\\v\\a.exe", "h", "7"] {
                assert_eq!(index.get(text), want.get(text), "{field} {text}");
            }
            assert_eq!(index.missing(), want.missing(), "{field}");
            let keys = batch.key_column(&models, "Endpoint", "Processes", field);
            let want = KeyColumn::build(values.iter().map(|v| v.map(Cow::Borrowed)));
            for id in 0..events.len() {
                assert_eq!(
                    keys.text(keys.code(id)),
                    want.text(want.code(id)),
                    "{field} {id}"
                );
                assert_eq!(keys.is_number(id), want.is_number(id), "{field} {id}");
            }
            let texts = batch.text_column(&models, "Endpoint", "Processes", field);
            let want = TextColumn::of_values(values.iter().copied());
            for literal in ["a.exe", "\\w\\", "h", "7", "zz"] {
                assert_eq!(
                    texts.rows_with(literal),
                    want.rows_with(literal),
                    "{field} {literal}"
                );
            }
        }
    }

    #[test]
    fn builtin_definitions_load() {
        let loaded = DataModels::from_toml(BUILTIN_MODELS, BUILTIN_NORMALIZATION);
        assert!(loaded.is_ok(), "{:#?}", loaded.err());
    }

    #[test]
    fn sysmon_process_creation_maps_to_processes() {
        let models = DataModels::builtin();
        let event: Event = serde_json::from_str(
            r#"{"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Image": "C:\\Windows\\nltest.exe", "Computer": "h"}"#,
        )
        .unwrap();
        let view = models.view("Endpoint", "Processes", &event);
        assert!(view.is_some(), "{:#?}", models.sources[0].when);
        let view = view.unwrap();
        assert_eq!(view["Processes.process_name"], "nltest.exe");
        assert_eq!(view["Processes.dest"], "h");
    }
}

/// Events to run many searches on, with the data model views of the events
/// computed once (on first use by a `tstats` search) and shared by every
/// search run on the batch.
#[derive(Debug)]
pub struct Batch<'e> {
    pub(crate) events: &'e [Event],
    views: std::cell::RefCell<ViewMap<'e>>,
    indexes: std::cell::RefCell<IndexMap>,
    texts: std::cell::RefCell<TextMap>,
    keys: std::cell::RefCell<KeyMap>,
    /// Where each top-level field is in each event, built on first use.
    slots: std::cell::OnceCell<FieldSlots>,
    /// The raw text of each event, built on first use.
    raws: Vec<std::cell::OnceCell<Cow<'e, str>>>,
}

/// The text columns of a batch's views and events, keyed as [`IndexMap`].
type TextMap = foldhash::HashMap<(String, String, String), std::rc::Rc<TextColumn>>;

/// Where each top-level field name is in each event of a batch: a column
/// of entry positions per name, built in one pass over the events' names,
/// so that reading a field over every event needs no lookup by name.
#[derive(Debug)]
pub(crate) struct FieldSlots {
    /// Per name, each event's entry position ([`FieldSlots::ABSENT`] when
    /// the event lacks it).
    slots: foldhash::HashMap<String, Vec<u32>>,
    /// Per event, whether one of its names has a dot.
    dotted: Vec<bool>,
}

impl FieldSlots {
    /// The slot of a row without the name.
    pub(crate) const ABSENT: u32 = u32::MAX;

    /// Each row's entry position of the top-level name `name`
    /// ([`FieldSlots::ABSENT`] where a row lacks it); `None` when no row
    /// has it.
    pub(crate) fn positions(&self, name: &str) -> Option<&[u32]> {
        self.slots.get(name).map(Vec::as_slice)
    }

    /// The slots of `rows`.
    fn new(rows: &[Event]) -> FieldSlots {
        /// How many distinct lists of names are remembered.
        const SHAPES: usize = 16;
        let len = rows.len();
        let mut names: foldhash::HashMap<&str, usize> = foldhash::HashMap::default();
        let mut columns: Vec<Vec<u32>> = Vec::new();
        // The lists of names seen last, each with its names' columns and
        // whether a name has a dot: a row with the same names in the same
        // order (events of one kind usually have) writes its positions
        // without a lookup by name.
        let mut shapes: Vec<(Vec<&str>, Vec<usize>, bool)> = Vec::new();
        let mut next_shape = 0;
        let mut dotted = Vec::with_capacity(len);
        for (id, row) in rows.iter().enumerate() {
            let known = shapes.iter().position(|(keys, ..)| {
                keys.len() == row.len() && keys.iter().zip(row.keys()).all(|(a, b)| *a == b)
            });
            let shape = known.unwrap_or_else(|| {
                let keys: Vec<&str> = row.keys().map(String::as_str).collect();
                let at: Vec<usize> = keys
                    .iter()
                    .map(|name| {
                        *names.entry(name).or_insert_with(|| {
                            columns.push(vec![Self::ABSENT; len]);
                            columns.len() - 1
                        })
                    })
                    .collect();
                let has_dot = keys.iter().any(|k| k.contains('.'));
                if shapes.len() < SHAPES {
                    shapes.push((keys, at, has_dot));
                    shapes.len() - 1
                } else {
                    next_shape = (next_shape + 1) % SHAPES;
                    shapes[next_shape] = (keys, at, has_dot);
                    next_shape
                }
            });
            for (position, &column) in shapes[shape].1.iter().enumerate() {
                columns[column][id] = u32::try_from(position).unwrap_or(Self::ABSENT);
            }
            dotted.push(shapes[shape].2);
        }
        let slots = names
            .into_iter()
            .map(|(name, column)| (name.to_owned(), std::mem::take(&mut columns[column])))
            .collect();
        FieldSlots { slots, dotted }
    }

    /// Per row, whether one of its names has a dot.
    pub(crate) fn dotted(&self) -> &[bool] {
        &self.dotted
    }

    /// The value of `field` in each of `rows` (the rows the slots were
    /// built from), as [`fields::get`] reads it.
    fn values<'r, 's>(
        &'s self,
        rows: &'r [Event],
        field: &'s str,
    ) -> impl Iterator<Item = Option<&'r Json>> + 's
    where
        'r: 's,
    {
        let column = self.column(field);
        rows.iter()
            .enumerate()
            .map(move |(id, row)| column.get(row, id))
    }

    /// Where each row holds `field`.
    pub(crate) fn column<'s>(&'s self, field: &'s str) -> SlotColumn<'s> {
        SlotColumn {
            slots: self.positions(field),
            field,
            dotted: field.contains('.'),
        }
    }
}

/// One field's entry positions in the rows of a [`FieldSlots`]: reads the
/// field of a row without a lookup by name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlotColumn<'s> {
    slots: Option<&'s [u32]>,
    field: &'s str,
    dotted: bool,
}

impl SlotColumn<'_> {
    /// The field in `row`, row `id` of the slots, as [`fields::get`]
    /// reads it.
    pub(crate) fn get<'r>(&self, row: &'r Event, id: usize) -> Option<&'r Json> {
        match self.entry(row, id) {
            Some(value) => Some(value).filter(|v| !v.is_null()),
            // Not a top-level name of this row: a dotted path into nested
            // objects, or missing.
            None if self.dotted => fields::get(row, self.field),
            None => None,
        }
    }

    /// The row's entry under the field's name, null or not (as
    /// `row.get(name)` reads it).
    pub(crate) fn entry<'r>(&self, row: &'r Event, id: usize) -> Option<&'r Json> {
        let slot = self
            .slots
            .and_then(|slots| slots.get(id))
            .filter(|&&slot| slot != FieldSlots::ABSENT)?;
        row.get_index(*slot as usize).map(|(_, v)| v)
    }
}

/// The key columns of a batch's views, keyed as [`IndexMap`].
type KeyMap = foldhash::HashMap<(String, String, String), std::rc::Rc<KeyColumn>>;

/// The rows of a view by the lowercase text of one field, by (data model,
/// root dataset, field).
type IndexMap = foldhash::HashMap<(String, String, String), std::rc::Rc<RowIndex>>;

/// Row ids by the lowercase text of each value of a field, and the rows
/// without a value (missing or null).
#[derive(Debug, Default)]
pub(crate) struct RowIndex {
    /// The place in `rows` of each lowercase text.
    by_text: foldhash::HashMap<String, usize>,
    /// The rows of each text, ascending.
    rows: Vec<Vec<usize>>,
    missing: Vec<usize>,
}

impl RowIndex {
    /// The rows with a value whose lowercase text is `text`, ascending.
    pub(crate) fn get(&self, text: &str) -> Option<&Vec<usize>> {
        self.by_text.get(text).map(|&at| &self.rows[at])
    }

    /// Add row `id` to the rows of text `at` (rows in ascending order).
    fn add(&mut self, at: usize, id: usize) {
        let ids = &mut self.rows[at];
        if ids.last() != Some(&id) {
            ids.push(id);
        }
    }

    /// The rows without a value, ascending.
    pub(crate) fn missing(&self) -> &[usize] {
        &self.missing
    }
}

/// The views of a batch's events by (data model, root dataset).
type ViewMap<'e> = foldhash::HashMap<(String, String), std::rc::Rc<ViewTable<'e>>>;

impl<'e> Batch<'e> {
    /// A batch over `events`.
    #[must_use]
    pub fn new(events: &'e [Event]) -> Batch<'e> {
        Batch {
            events,
            views: std::cell::RefCell::default(),
            indexes: std::cell::RefCell::default(),
            texts: std::cell::RefCell::default(),
            keys: std::cell::RefCell::default(),
            slots: std::cell::OnceCell::new(),
            raws: events.iter().map(|_| std::cell::OnceCell::new()).collect(),
        }
    }

    /// The events of the batch.
    #[must_use]
    pub fn events(&self) -> &'e [Event] {
        self.events
    }

    /// The views of the events in `model`'s root dataset `root`, built
    /// once per batch.
    pub(crate) fn view_table(
        &self,
        models: &DataModels,
        model: &str,
        root: &str,
    ) -> std::rc::Rc<ViewTable<'e>> {
        let key = (model.to_owned(), root.to_owned());
        if let Some(table) = self.views.borrow().get(&key) {
            return table.clone();
        }
        let slots = self.event_slots();
        let table = std::rc::Rc::new(ViewTable::new(
            models,
            model,
            root,
            self.events,
            slots.dotted(),
            slots,
            |prefilter| {
                super::prefilter::candidates(
                    prefilter,
                    |field| self.event_index(field),
                    |field| self.event_text_column(field),
                )
            },
        ));
        self.views.borrow_mut().insert(key, table.clone());
        table
    }

    /// The value of `field` in each row of the view of `model`'s root
    /// dataset `root`, computed once per batch.
    pub(crate) fn view_column(
        &self,
        models: &DataModels,
        model: &str,
        root: &str,
        field: &str,
    ) -> std::rc::Rc<ViewColumn<'e>> {
        self.view_table(models, model, root)
            .column(models, self.event_slots(), field)
    }

    /// The rows of the view of `model`'s root dataset `root` by the
    /// lowercase text of each value of `field` (as read by
    /// [`super::predicate::Pred`]), computed once per batch.
    pub(crate) fn index(
        &self,
        models: &DataModels,
        model: &str,
        root: &str,
        field: &str,
    ) -> std::rc::Rc<RowIndex> {
        let key = (model.to_owned(), root.to_owned(), field.to_owned());
        cached(&self.indexes, key, || {
            let column = self.view_column(models, model, root, field);
            index_shared_values(column.shared_values(), column.shares())
        })
    }

    /// The text column of `field` over the view of `model`'s root dataset
    /// `root`, computed once per batch.
    pub(crate) fn text_column(
        &self,
        models: &DataModels,
        model: &str,
        root: &str,
        field: &str,
    ) -> std::rc::Rc<TextColumn> {
        let key = (model.to_owned(), root.to_owned(), field.to_owned());
        cached(&self.texts, key, || {
            let column = self.view_column(models, model, root, field);
            TextColumn::of_shared_values(column.shared_values(), column.shares())
        })
    }

    /// The key column of `field` over the view of `model`'s root dataset
    /// `root` (as [`fields::get`] reads it), computed once per batch.
    pub(crate) fn key_column(
        &self,
        models: &DataModels,
        model: &str,
        root: &str,
        field: &str,
    ) -> std::rc::Rc<KeyColumn> {
        let key = (model.to_owned(), root.to_owned(), field.to_owned());
        cached(&self.keys, key, || {
            let column = self.view_column(models, model, root, field);
            KeyColumn::build_shared(column.shared_values(), column.shares())
        })
    }

    /// The value of `field` in each event (as [`fields::get`] reads it),
    /// found through the batch's [`FieldSlots`].
    fn event_values<'s>(&'s self, field: &'s str) -> impl Iterator<Item = Option<&'e Json>> + 's {
        self.event_slots().values(self.events, field)
    }

    /// The [`FieldSlots`] of the events, built once per batch.
    pub(crate) fn event_slots(&self) -> &FieldSlots {
        self.slots.get_or_init(|| FieldSlots::new(self.events))
    }

    /// The raw text of event `id` ([`fields::raw`]), built once per batch.
    pub(crate) fn raw(&self, id: usize) -> &str {
        self.raws[id].get_or_init(|| fields::raw(&self.events[id]))
    }

    /// The text column of `field` over the events, computed once per batch.
    pub(crate) fn event_text_column(&self, field: &str) -> std::rc::Rc<TextColumn> {
        let key = (String::new(), String::new(), field.to_owned());
        cached(&self.texts, key, || {
            if field == super::prefilter::RAW {
                // Each event's raw text is written into one buffer, not
                // kept: a search builds it again for the few events it
                // tests a term on.
                let mut column = TextColumn::default();
                let mut buffer = String::new();
                for (id, event) in self.events.iter().enumerate() {
                    match (self.raws[id].get(), event.get("_raw")) {
                        (Some(raw), _) => column.push(id, raw),
                        (None, Some(Json::String(raw))) => column.push(id, raw),
                        (None, _) => {
                            buffer.clear();
                            fields::write_raw(&mut buffer, event);
                            column.push(id, &buffer)
                        }
                    };
                }
                column
            } else {
                TextColumn::of_values(self.event_values(field))
            }
        })
    }

    /// The events of the batch by the lowercase text of each value of
    /// `field`, computed once per batch.
    pub(crate) fn event_index(&self, field: &str) -> std::rc::Rc<RowIndex> {
        // Data model and dataset names are never empty: the empty pair
        // keys the events themselves.
        let key = (String::new(), String::new(), field.to_owned());
        cached(&self.indexes, key, || {
            index_values(self.event_values(field))
        })
    }
}

/// The value under `key` in a batch's cache, built by `build` and kept on
/// first use.
fn cached<K: std::hash::Hash + Eq, T>(
    cache: &std::cell::RefCell<foldhash::HashMap<K, std::rc::Rc<T>>>,
    key: K,
    build: impl FnOnce() -> T,
) -> std::rc::Rc<T> {
    if let Some(value) = cache.borrow().get(&key) {
        return value.clone();
    }
    let value = std::rc::Rc::new(build());
    cache.borrow_mut().insert(key, value.clone());
    value
}

/// The rows by the lowercase text of each value (`None` for a row without
/// one).
fn index_values<'r>(values: impl Iterator<Item = Option<&'r Json>>) -> RowIndex {
    index_shared_values(values.map(|v| (v, None)), 0)
}

/// [`index_values`] of values some of which are shared: rows whose share
/// (a number below `shares`) is the same have the same value, whose text
/// is looked up once.
fn index_shared_values<'r>(
    values: impl Iterator<Item = (Option<&'r Json>, Option<usize>)>,
    shares: usize,
) -> RowIndex {
    let mut out = RowIndex::default();
    let mut lower = String::new();
    // The text of each share whose value is one string.
    let mut known: Vec<Option<usize>> = vec![None; shares];
    // The text of each string seen, by the string as the row has it: a
    // string seen before is neither copied nor lowercased again.
    let mut strings: foldhash::HashMap<&'r str, usize> = foldhash::HashMap::default();
    let mut trial = super::prefilter::RepeatTrial::new(super::prefilter::DICTIONARY_TRIAL);
    for (id, (json, share)) in values.enumerate() {
        let Some(json) = json else {
            out.missing.push(id);
            continue;
        };
        if let Some(&Some(at)) = share.and_then(|s| known.get(s)) {
            out.add(at, id);
            continue;
        }
        if let Json::String(text) = json
            && trial.on()
            && let Some(&at) = strings.get(text.as_str())
        {
            trial.repeat();
            out.add(at, id);
            continue;
        }
        let mut last = None;
        super::fields::any_text(json, &mut |s| {
            // Lowercased into one buffer: a new String only for a new text.
            lower.clear();
            if s.is_ascii() {
                lower.push_str(s);
                lower.make_ascii_lowercase();
            } else {
                lower.push_str(&s.to_lowercase());
            }
            let at = if let Some(&at) = out.by_text.get(lower.as_str()) {
                at
            } else {
                out.by_text.insert(lower.clone(), out.rows.len());
                out.rows.push(Vec::new());
                out.rows.len() - 1
            };
            out.add(at, id);
            last = Some(at);
            false
        });
        if let (Json::String(text), Some(at)) = (json, last) {
            if trial.on() {
                strings.insert(text, at);
                trial.remembered(strings.len());
            }
            if let Some(slot) = share.and_then(|s| known.get_mut(s)) {
                *slot = Some(at);
            }
        }
    }
    out
}
