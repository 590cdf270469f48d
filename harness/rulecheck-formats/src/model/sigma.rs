//! Sigma rules (specification v2.1.0): detection rules, correlation rules and
//! filters.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::OneOrMany;

/// A Sigma detection rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "Sigma detection rule",
    description = "A Sigma detection rule (Sigma specification v2.1.0). Keys not listed here are allowed as custom attributes."
)]
pub struct SigmaRule {
    /// A brief title for the rule that should contain what the rule is supposed to detect.
    #[schemars(length(max = 256))]
    pub title: String,
    /// A globally unique identifier for the rule, recommended to be a UUID v4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "uuid"))]
    pub id: Option<String>,
    /// Relationships to other rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<Vec<Related>>,
    /// A unique human-readable name, usable instead of the id in correlation rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub name: Option<String>,
    /// The taxonomy of the field names used in the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub taxonomy: Option<String>,
    /// The maturity of the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SigmaStatus>,
    /// A short description of the rule and the malicious activity it detects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 65535))]
    pub description: Option<String>,
    /// License of the rule, as an SPDX identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Creator of the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// References to the sources the rule was derived from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("uniqueItems" = true))]
    pub references: Option<Vec<String>>,
    /// Creation date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub date: Option<String>,
    /// Date of the last modification, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub modified: Option<String>,
    /// The log source the rule applies to.
    pub logsource: Logsource,
    /// The detection logic: search identifiers and a condition.
    pub detection: Detection,
    /// Fields worth showing to the analyst.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("uniqueItems" = true))]
    pub fields: Option<Vec<String>>,
    /// Known false positives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub falsepositives: Option<OneOrMany<String>>,
    /// The criticality of a match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<SigmaLevel>,
    /// Tags, `namespace.name` in lower case (e.g. `attack.t1218.003`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("uniqueItems" = true))]
    pub tags: Option<Vec<Tag>>,
    /// The intended scope of the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Vec<String>>,
    /// Custom attributes.
    #[serde(flatten)]
    pub custom: BTreeMap<String, serde_json::Value>,
}

/// A Sigma tag: `namespace.name`, lower case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Tag(#[schemars(regex(pattern = r"^[a-z0-9_-]+\.[a-z0-9._-]+$"))] pub String);

/// A relation to another rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Related {
    /// The other rule's id.
    #[schemars(extend("format" = "uuid"))]
    pub id: String,
    /// How the rules relate.
    #[serde(rename = "type")]
    pub kind: RelationType,
}

/// How two rules relate.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RelationType {
    /// Derived from the other rule, which may remain active.
    Derived,
    /// Obsoletes the other rule.
    Obsolete,
    /// Merged from the other rules.
    Merged,
    /// Previously had the other identifier.
    Renamed,
    /// Similar detection content.
    Similar,
}

/// The maturity of a rule.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SigmaStatus {
    /// No obvious false positives in multiple environments over a long time.
    Stable,
    /// No obvious false positives on a limited set of test systems.
    Test,
    /// New, not tested outside of lab environments.
    Experimental,
    /// Replaced by another rule (see `related`).
    Deprecated,
    /// Cannot be used in its current state.
    Unsupported,
}

/// The criticality of a match.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SigmaLevel {
    /// Enrichment only.
    Informational,
    /// Notable, rarely an incident.
    Low,
    /// Should be reviewed.
    Medium,
    /// Should trigger an internal alert.
    High,
    /// Highly relevant; reviewed immediately.
    Critical,
}

/// The log source a rule applies to.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Logsource {
    /// A group of products, like `process_creation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// A product, like `windows`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// A subset of a product's logs, like `sysmon`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// A free-text description of the log source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    /// Custom attributes.
    #[serde(flatten)]
    pub custom: BTreeMap<String, serde_json::Value>,
}

/// Search identifiers and the condition that combines them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Detection {
    /// How the search identifiers combine, e.g. `selection and not filter`.
    pub condition: OneOrMany<String>,
    /// Legacy (Sigma 1.x) time window for aggregations; use correlation rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeframe: Option<String>,
    /// The search identifiers.
    #[serde(flatten)]
    pub searches: BTreeMap<String, SearchIdentifier>,
}

/// A search identifier: a map of field tests (AND), a list of maps (OR), or
/// a list of keywords.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SearchIdentifier {
    /// Field tests, all of which must hold.
    Map(BTreeMap<String, FieldValues>),
    /// Keywords or maps, any of which must hold.
    List(Vec<SearchItem>),
}

/// An item of a search identifier list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SearchItem {
    /// A keyword.
    Value(Scalar),
    /// A map of field tests.
    Map(BTreeMap<String, FieldValues>),
}

/// The value(s) of a field test.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum FieldValues {
    /// One value.
    One(Scalar),
    /// Several values (any of them, or all with `|all`).
    Many(Vec<Scalar>),
}

/// A scalar value in a detection.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Scalar {
    /// A string, with `*`/`?` wildcards unless a modifier says otherwise.
    String(String),
    /// A number.
    Number(serde_json::Number),
    /// A boolean.
    Bool(bool),
    /// `null`: the field is absent or empty.
    Null(()),
}

/// A Sigma correlation rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "Sigma correlation rule",
    description = "A Sigma correlation (meta) rule (Sigma specification v2.1.0)."
)]
pub struct SigmaCorrelation {
    /// A brief title.
    #[schemars(length(max = 256))]
    pub title: String,
    /// A globally unique identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "uuid"))]
    pub id: Option<String>,
    /// A unique human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub name: Option<String>,
    /// The maturity of the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SigmaStatus>,
    /// A short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 65535))]
    pub description: Option<String>,
    /// Creator of the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// References.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("uniqueItems" = true))]
    pub references: Option<Vec<String>>,
    /// Creation date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub date: Option<String>,
    /// Date of the last modification, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub modified: Option<String>,
    /// The correlation.
    pub correlation: Correlation,
    /// Known false positives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub falsepositives: Option<OneOrMany<String>>,
    /// The criticality of a match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<SigmaLevel>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("uniqueItems" = true))]
    pub tags: Option<Vec<Tag>>,
    /// Whether the referred rules also produce alerts of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate: Option<bool>,
    /// Custom attributes.
    #[serde(flatten)]
    pub custom: BTreeMap<String, serde_json::Value>,
}

/// The correlation of a correlation rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Correlation {
    /// The correlation type.
    #[serde(rename = "type")]
    pub kind: CorrelationType,
    /// The rules correlated, by id or name.
    pub rules: OneOrMany<String>,
    /// Field name aliases: alias → (rule → field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aliases: Option<BTreeMap<String, BTreeMap<String, String>>>,
    /// Fields whose values scope the occurrences.
    #[serde(rename = "group-by", default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("uniqueItems" = true))]
    pub group_by: Option<Vec<String>>,
    /// The time window, a number and a unit (`s`, `m`, `h`, `d`, `w`, `M`, `y`).
    #[schemars(regex(pattern = r"^\d+[smhdwMy]$"))]
    pub timespan: String,
    /// When the correlation matches (required by every type but the temporal ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<CorrelationCondition>,
    /// Whether the referred rules also produce alerts of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate: Option<bool>,
}

/// A correlation type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CorrelationType {
    /// Counts events.
    EventCount,
    /// Counts distinct values of a field.
    ValueCount,
    /// All referred rules match within the timespan.
    Temporal,
    /// All referred rules match within the timespan, in order.
    TemporalOrdered,
    /// Sums the values of a field.
    ValueSum,
    /// Averages the values of a field.
    ValueAvg,
    /// A percentile of the values of a field.
    ValuePercentile,
}

/// The condition of a correlation: comparisons (all must hold) and the
/// field they apply to.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CorrelationCondition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gte: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lt: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eq: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neq: Option<f64>,
    /// The field counted, summed or averaged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<OneOrMany<String>>,
    /// The percentile for `value_percentile` (1–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentile: Option<f64>,
}

/// A Sigma filter: detection logic that excludes matches from the rules it
/// names.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "Sigma filter",
    description = "A Sigma filter (Sigma specification v2.1.0), applied to the rules it names."
)]
pub struct SigmaFilter {
    /// A brief title.
    #[schemars(length(max = 256))]
    pub title: String,
    /// A globally unique identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "uuid"))]
    pub id: Option<String>,
    /// A unique human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 65535))]
    pub description: Option<String>,
    /// Creator of the filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Creation date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub date: Option<String>,
    /// Date of the last modification, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub modified: Option<String>,
    /// The log source the filter applies to.
    pub logsource: Logsource,
    /// The filter logic.
    pub filter: Filter,
    /// Custom attributes.
    #[serde(flatten)]
    pub custom: BTreeMap<String, serde_json::Value>,
}

/// The logic of a filter.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Filter {
    /// The rules the filter applies to, by id or name.
    pub rules: OneOrMany<String>,
    /// How the search identifiers combine.
    pub condition: OneOrMany<String>,
    /// The search identifiers.
    #[serde(flatten)]
    pub searches: BTreeMap<String, SearchIdentifier>,
}
