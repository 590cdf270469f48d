//! JSON Schemas of the rule formats: generated from the [`crate::model`]
//! types, and run on each rule's YAML with errors mapped back to the YAML
//! line and column.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use rulecheck_core::RuleFormat;
use rulecheck_core::yaml::Node;
use rulecheck_core::{Diagnostic, Span};
use schemars::JsonSchema;
use serde_json::Value;

use crate::model::{armory, escu, sigma};

/// The JSON Schema of `T`, as rulecheck writes it to `schemas/`.
pub fn schema_of<T: JsonSchema>() -> Value {
    schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}

/// The JSON Schema of a file format users write, `T`: optional keys may be
/// left out but not set to `null` unless the field allows it.
pub fn input_schema_of<T: JsonSchema>() -> Value {
    schemars::generate::SchemaSettings::draft2020_12()
        .with_transform(optional_is_not_null)
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}

/// The marker a field's schema carries when `null` is a meaningful value of
/// an optional key (`#[schemars(extend("x-nullable" = true))]`).
const NULLABLE: &str = "x-nullable";

/// Optional keys may be left out, but not written as `null` (an empty
/// `date:` is a mistake) unless the field says otherwise with [`NULLABLE`].
fn optional_is_not_null(schema: &mut schemars::Schema) {
    schemars::transform::transform_subschemas(&mut optional_is_not_null, schema);
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let required: Vec<String> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let Some(Value::Object(properties)) = object.get_mut("properties") else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        let Value::Object(property) = property else {
            continue;
        };
        if property.remove(NULLABLE).is_some() || required.contains(name) {
            continue;
        }
        if let Some(Value::Array(types)) = property.get_mut("type") {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                let only = types.remove(0);
                property.insert("type".into(), only);
            }
        }
        if let Some(Value::Array(branches)) = property.get("anyOf") {
            let kept: Vec<Value> = branches
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                .cloned()
                .collect();
            if kept.len() == 1 && branches.len() == 2 {
                property.remove("anyOf");
                if let Value::Object(inner) = &kept[0] {
                    for (k, v) in inner {
                        property.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
    }
}

/// The file name of a format's schema in `schemas/`.
pub fn schema_file_name(format: RuleFormat) -> &'static str {
    match format {
        RuleFormat::Sigma => "sigma-rule.json",
        RuleFormat::SigmaCorrelation => "sigma-correlation.json",
        RuleFormat::SigmaFilter => "sigma-filter.json",
        RuleFormat::Escu => "escu-detection.json",
        RuleFormat::Armory => "armory-rule.json",
    }
}

/// The JSON Schema of a rule format.
pub fn format_schema(format: RuleFormat) -> Value {
    match format {
        RuleFormat::Sigma => input_schema_of::<sigma::SigmaRule>(),
        RuleFormat::SigmaCorrelation => input_schema_of::<sigma::SigmaCorrelation>(),
        RuleFormat::SigmaFilter => input_schema_of::<sigma::SigmaFilter>(),
        RuleFormat::Escu => input_schema_of::<escu::EscuDetection>(),
        RuleFormat::Armory => input_schema_of::<armory::ArmoryRule>(),
    }
}

fn validator(format: RuleFormat) -> Option<&'static (Value, Validator)> {
    static CELLS: [OnceLock<Option<(Value, Validator)>>; 5] = [const { OnceLock::new() }; 5];
    let index = RuleFormat::ALL.iter().position(|f| *f == format)?;
    CELLS[index]
        .get_or_init(|| {
            let schema = format_schema(format);
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .ok()?;
            Some((schema, validator))
        })
        .as_ref()
}

/// Validate a rule document against its format's schema.
pub fn validate(format: RuleFormat, root: &Node) -> Vec<Diagnostic> {
    let Some((schema, validator)) = validator(format) else {
        return vec![Diagnostic::error(
            "internal",
            format!("the {format} schema failed to compile"),
        )];
    };
    let instance = root.to_json();
    let mut out = Vec::new();
    for error in validator.iter_errors(&instance) {
        describe(&error, root, schema, format, &mut out);
    }
    out.sort_by_key(|d| d.span.map(|s| s.start));
    out.dedup();
    out
}

/// What a validation error is about: the value, where it is, and the schema.
struct Site<'a> {
    node: &'a Node,
    place: String,
    schema: &'a Value,
    schema_path: &'a str,
}

fn describe(
    error: &ValidationError<'_>,
    root: &Node,
    schema: &Value,
    format: RuleFormat,
    out: &mut Vec<Diagnostic>,
) {
    let pointer = error.instance_path().as_str();
    let site = Site {
        node: root.pointer(pointer).unwrap_or(root),
        place: place_name(pointer),
        schema,
        schema_path: error.schema_path().as_str(),
    };
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            unknown_keys(&site, unexpected, format, out);
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            if let Some(options) = const_options(schema, site.schema_path) {
                out.push(
                    Diagnostic::error(
                        "schema-invalid-value",
                        format!(
                            "{} is not a valid value{}",
                            show(site.node),
                            in_place(&site.place)
                        ),
                    )
                    .with_span(site.node.span)
                    .with_help(format!("expected one of: {}", options.join(", "))),
                );
            } else if let Some(types) = only_type_errors(context) {
                out.push(
                    Diagnostic::error(
                        "schema-wrong-type",
                        format!(
                            "{}{} should be {}, not {}",
                            show(site.node),
                            in_place(&site.place),
                            types,
                            site.node.type_name()
                        ),
                    )
                    .with_span(site.node.span),
                );
            } else if let Some(best) = deepest_branch(context) {
                for e in best {
                    describe(e, root, schema, format, out);
                }
            } else {
                out.push(
                    Diagnostic::error(
                        "schema-invalid-value",
                        format!(
                            "{}{} has an invalid shape",
                            show(site.node),
                            in_place(&site.place)
                        ),
                    )
                    .with_span(site.node.span),
                );
            }
        }
        kind => out.push(single(&site, kind, error)),
    }
}

fn unknown_keys(
    site: &Site<'_>,
    unexpected: &[String],
    format: RuleFormat,
    out: &mut Vec<Diagnostic>,
) {
    let known = sibling_properties(site.schema, site.schema_path);
    for key in unexpected {
        let span = site.node.entry(key).map_or(site.node.span, |e| e.key_span);
        let d = Diagnostic::error(
            "schema-unknown-key",
            format!(
                "unknown key `{key}`{} in a {format} rule",
                in_place(&site.place)
            ),
        )
        .with_span(span);
        out.push(match closest(key, &known) {
            Some(suggestion) => d.with_help(format!("did you mean `{suggestion}`?")),
            None => d.with_help(format!("allowed keys here: {}", known.join(", "))),
        });
    }
}

/// A diagnostic for an error about one value.
fn single(site: &Site<'_>, kind: &ValidationErrorKind, error: &ValidationError<'_>) -> Diagnostic {
    let (node, place) = (site.node, in_place(&site.place));
    let value = show(node);
    match kind {
        ValidationErrorKind::Required { property } => {
            let key = property.as_str().unwrap_or_default();
            let span = node
                .as_map()
                .and_then(|m| m.first())
                .map_or(Span::at(node.span.start as usize), |e| e.key_span);
            let help = property_description(site.schema, site.schema_path, key)
                .map_or_else(|| format!("add `{key}`"), |d| format!("add `{key}`: {d}"));
            Diagnostic::error(
                "schema-missing-key",
                format!("missing required key `{key}`{place}"),
            )
            .with_span(span)
            .with_help(help)
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            Diagnostic::error(
                "schema-wrong-type",
                format!(
                    "{value}{place} should be {}, not {}",
                    article(&expected),
                    node.type_name()
                ),
            )
            .with_span(node.span)
        }
        ValidationErrorKind::Pattern { pattern } => {
            let help = match pattern.as_str() {
                p if p.contains(r"\d{4}-(0[1-9]") => {
                    "write the date as YYYY-MM-DD, e.g. 2024-01-31".to_owned()
                }
                p if p.contains("^T") => {
                    "write ATT&CK technique IDs as T1234 or T1234.001".to_owned()
                }
                p if p.contains("a-z0-9_-]+\\.") => {
                    "tags are `namespace.name` in lower case, e.g. attack.t1218.003".to_owned()
                }
                p => format!("the value must match the pattern {p}"),
            };
            Diagnostic::error(
                "schema-invalid-value",
                format!("{value}{place} does not have the expected form"),
            )
            .with_span(node.span)
            .with_help(help)
        }
        ValidationErrorKind::Format { format } => {
            let help = if format == "uuid" {
                "use a UUID such as 929a690e-bef0-4204-a928-ef5e620d6fcc (e.g. from `uuidgen`)"
                    .to_owned()
            } else {
                format!("use a valid {format}")
            };
            Diagnostic::error(
                "schema-invalid-value",
                format!("{value}{place} is not a valid {format}"),
            )
            .with_span(node.span)
            .with_help(help)
        }
        ValidationErrorKind::UniqueItems => Diagnostic::warning(
            "schema-duplicate-item",
            format!(
                "{} contains the same item twice",
                place_or_value(&site.place)
            ),
        )
        .with_span(node.span)
        .with_help("remove the repeated item"),
        _ => {
            let d = Diagnostic::error("schema-invalid-value", format!("{value}{place}: {error}"))
                .with_span(node.span);
            match schema_description(site.schema, site.schema_path) {
                Some(description) => d.with_help(description),
                None => d,
            }
        }
    }
}

/// When every branch of an `anyOf`/`oneOf` failed only on the value's type,
/// the types it could have had (`a string or an array`).
fn only_type_errors(context: &[Vec<ValidationError<'static>>]) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    for branch in context {
        let [error] = branch.as_slice() else {
            return None;
        };
        let ValidationErrorKind::Type { kind } = error.kind() else {
            return None;
        };
        match kind {
            TypeKind::Single(t) => names.push(t.to_string()),
            TypeKind::Multiple(set) => names.extend(set.iter().map(|t| t.to_string())),
        }
    }
    names.dedup();
    names.sort_by_key(|n| n == "null");
    (!names.is_empty()).then(|| {
        names
            .iter()
            .map(|n| article(n))
            .collect::<Vec<_>>()
            .join(" or ")
    })
}

/// The branch of an `anyOf`/`oneOf` whose errors went deepest into the value:
/// the shape the author most likely meant.
fn deepest_branch<'a>(
    context: &'a [Vec<ValidationError<'static>>],
) -> Option<&'a [ValidationError<'static>]> {
    context
        .iter()
        .filter(|branch| !branch.is_empty())
        .max_by_key(|branch| {
            let depth = branch
                .iter()
                .map(|e| e.instance_path().as_str().matches('/').count())
                .max()
                .unwrap_or(0);
            let not_type = branch
                .iter()
                .all(|e| !matches!(e.kind(), ValidationErrorKind::Type { .. }));
            (depth, not_type)
        })
        .map(Vec::as_slice)
}

fn place_name(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .replace('/', ".")
        .replace("~1", "/")
        .replace("~0", "~")
}

fn in_place(place: &str) -> String {
    if place.is_empty() {
        String::new()
    } else {
        format!(" at `{place}`")
    }
}

fn place_or_value(place: &str) -> String {
    if place.is_empty() {
        "the rule".to_owned()
    } else {
        format!("`{place}`")
    }
}

fn article(expected: &str) -> String {
    let first = expected.chars().next().unwrap_or('x');
    if "aeiou".contains(first) {
        format!("an {expected}")
    } else {
        format!("a {expected}")
    }
}

/// A short rendering of a node's value for messages.
fn show(node: &Node) -> String {
    match node.scalar_text() {
        Some(text) if text.chars().count() <= 40 => format!("`{text}`"),
        Some(_) => "the value".to_owned(),
        None => match node.type_name() {
            "object" => "the mapping".to_owned(),
            "array" => "the list".to_owned(),
            _ => "`null`".to_owned(),
        },
    }
}

/// The schema object a schema path points into, resolving `$ref`s to `$defs`.
fn schema_at<'a>(schema: &'a Value, path: &str) -> Option<&'a Value> {
    let mut node = schema;
    for segment in path
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
    {
        if segment == "$ref" {
            continue;
        }
        node = resolve(schema, node);
        node = match node {
            Value::Object(map) => map.get(segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(resolve(schema, node))
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    let mut node = node;
    for _ in 0..16 {
        match node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#"))
        {
            Some(pointer) => match root.pointer(pointer) {
                Some(target) => node = target,
                None => break,
            },
            None => break,
        }
    }
    node
}

fn parent_path(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(parent, _)| parent)
}

fn sibling_properties(schema: &Value, schema_path: &str) -> Vec<String> {
    schema_at(schema, parent_path(schema_path))
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

fn property_description(schema: &Value, schema_path: &str, key: &str) -> Option<String> {
    let object = schema_at(schema, parent_path(schema_path))?;
    let property = resolve(schema, object.get("properties")?.get(key)?);
    property
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn schema_description(schema: &Value, schema_path: &str) -> Option<String> {
    schema_at(schema, parent_path(schema_path))?
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The allowed values when a `oneOf`/`anyOf` lists constants (enums).
fn const_options(schema: &Value, schema_path: &str) -> Option<Vec<String>> {
    let branches = schema_at(schema, schema_path)?.as_array()?;
    branches
        .iter()
        .map(|b| {
            let b = resolve(schema, b);
            b.get("const")
                .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_owned))
                .or_else(|| {
                    b.get("enum").and_then(Value::as_array).map(|e| {
                        e.iter()
                            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                })
        })
        .collect()
}

/// The known key closest to `key`, if it is close enough to be a typo.
fn closest(key: &str, known: &[String]) -> Option<String> {
    known
        .iter()
        .map(|k| (edit_distance(&key.to_lowercase(), &k.to_lowercase()), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.clone())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests;
