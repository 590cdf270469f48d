//! Splunk security_content (ESCU) detections and macro definitions.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An ESCU detection: metadata around an SPL `search`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Splunk security_content (ESCU) detection",
    description = "A detection in the Splunk security_content repository format: an SPL `search` with its metadata."
)]
pub struct EscuDetection {
    /// The detection's name, also the base of its `<name>_filter` macro.
    pub name: String,
    /// A UUID.
    #[schemars(extend("format" = "uuid"))]
    pub id: String,
    /// Version number, raised on each change.
    #[schemars(range(min = 1))]
    pub version: u32,
    /// Date of the last change, `YYYY-MM-DD`.
    #[schemars(regex(pattern = r"^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub date: String,
    /// Authors.
    pub author: String,
    /// Lifecycle status.
    pub status: EscuStatus,
    /// Analytic type.
    #[serde(rename = "type")]
    pub kind: EscuType,
    /// What the detection finds and why it matters.
    pub description: String,
    /// Data sources the search runs on, by name (`Sysmon EventID 1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_source: Option<Vec<String>>,
    /// CIM data models the search uses (older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datamodel: Option<Vec<String>>,
    /// The SPL search.
    #[schemars(length(min = 1))]
    pub search: String,
    /// How to collect the data the search needs.
    pub how_to_implement: String,
    /// Known false positives.
    pub known_false_positives: String,
    /// References.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Vec<String>>,
    /// Searches an analyst runs from a result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drilldown_searches: Option<Vec<Drilldown>>,
    /// Risk-based alerting settings (newer files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rba: Option<serde_json::Map<String, serde_json::Value>>,
    /// Annotations.
    pub tags: EscuTags,
    /// Tests: attack datasets the detection must fire on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests: Option<Vec<EscuTest>>,
}

/// Lifecycle status of an ESCU detection.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum EscuStatus {
    Production,
    Experimental,
    Validation,
    Deprecated,
}

/// Analytic type of an ESCU detection.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[allow(missing_docs)]
pub enum EscuType {
    #[serde(rename = "TTP")]
    Ttp,
    Anomaly,
    Hunting,
    Correlation,
}

/// A drilldown search.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Drilldown {
    pub name: String,
    pub search: String,
    pub earliest_offset: String,
    pub latest_offset: String,
}

/// The `tags` of an ESCU detection.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EscuTags {
    /// Analytic stories the detection belongs to.
    pub analytic_story: Vec<String>,
    /// The kind of asset the detection watches.
    pub asset_type: String,
    /// Confidence, 0–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub confidence: Option<u32>,
    /// Impact, 0–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub impact: Option<u32>,
    /// Risk score (impact × confidence / 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub risk_score: Option<f64>,
    /// The risk message, with `$field$` placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// ATT&CK technique IDs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitre_attack_id: Option<Vec<TechniqueId>>,
    /// Observables of a result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observable: Option<Vec<Observable>>,
    /// Splunk products the detection runs on.
    pub product: Vec<String>,
    /// Fields the search needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_fields: Option<Vec<String>>,
    /// Security domain.
    pub security_domain: SecurityDomain,
    /// CVE identifiers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cve: Option<Vec<String>>,
    /// Atomic Red Team test GUIDs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atomic_guid: Option<Vec<String>>,
    /// Why the detection is tested by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_test: Option<String>,
    /// Other annotations.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// An ATT&CK technique ID, `T1234` or `T1234.001`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct TechniqueId(#[schemars(regex(pattern = r"^T\d{4}(\.\d{3})?$"))] pub String);

/// Security domain of an ESCU detection.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum SecurityDomain {
    Endpoint,
    Network,
    Threat,
    Identity,
    Access,
    Audit,
    Cloud,
}

/// An observable of a result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Observable {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub role: Vec<String>,
}

/// A test of an ESCU detection.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EscuTest {
    /// The test's name.
    pub name: String,
    /// The datasets to replay.
    pub attack_data: Vec<AttackData>,
}

/// A dataset an ESCU test replays.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttackData {
    /// Location of the dataset (URL or path).
    pub data: String,
    /// Splunk `source` of the events.
    pub source: String,
    /// Splunk `sourcetype` of the events.
    pub sourcetype: String,
    /// Whether timestamps are moved to the replay time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<bool>,
}

/// An ESCU macro definition file (`macros/<name>.yml`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EscuMacro {
    /// The macro's name (with `(n)` arity suffix omitted).
    pub name: String,
    /// The SPL it expands to; `$arg$` stands for an argument.
    pub definition: String,
    /// What it is for.
    pub description: String,
    /// Argument names, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Vec<String>>,
}
