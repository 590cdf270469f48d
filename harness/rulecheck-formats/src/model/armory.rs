//! Anvilogic armory rules.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An armory rule: `logic` in the language named by `logic_format`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Anvilogic armory rule",
    description = "A detection in the Anvilogic armory format: `logic` in the language named by `logic_format`."
)]
pub struct ArmoryRule {
    /// The rule's identifier (e.g. `13810.20277`).
    #[schemars(length(min = 1))]
    pub id: String,
    /// The rule's title.
    #[schemars(length(min = 1))]
    pub title: String,
    /// What the rule detects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The language of `logic`: `Splunk` (SPL) or another platform's language.
    pub logic_format: String,
    /// The query.
    #[schemars(length(min = 1))]
    pub logic: String,
    /// ATT&CK techniques as `tactic:technique[:sub-technique]` names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub techniques: Option<Vec<String>>,
    /// ATT&CK technique IDs (may be null when there are none).
    #[serde(default)]
    #[schemars(extend("x-nullable" = true))]
    pub technique_id: Option<Vec<TechniqueId>>,
    /// Categories of data the rule needs (may be null).
    #[serde(default)]
    #[schemars(extend("x-nullable" = true))]
    pub data_category: Option<Vec<String>>,
    /// References (may be null).
    #[serde(default)]
    #[schemars(extend("x-nullable" = true))]
    pub references: Option<Vec<String>>,
}

/// An ATT&CK technique ID, `T1234` or `T1234.001`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct TechniqueId(#[schemars(regex(pattern = r"^T\d{4}(\.\d{3})?$"))] pub String);
