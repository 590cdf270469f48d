//! The report model: what a run found, per rule and per tier, in the shape
//! every renderer consumes and `schemas/report.json` describes.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostic::Severity;
use crate::rule::RuleFormat;

/// The version of the JSON report layout.
pub const REPORT_VERSION: u32 = 1;

/// The result of a tier (validation, unit, integration) for one rule.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Everything checked held.
    Pass,
    /// The rule is wrong: a check did not hold.
    Fail,
    /// The tier could not run: the file is unreadable, or the harness failed.
    Error,
    /// The rule uses a construct rulecheck does not evaluate; never a pass.
    Unsupported,
    /// The rule lacks what the tier needs (e.g. fixtures).
    Untested,
    /// The tier was not run.
    Skipped,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 6] = [
        Status::Pass,
        Status::Fail,
        Status::Error,
        Status::Unsupported,
        Status::Untested,
        Status::Skipped,
    ];

    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Unsupported => "unsupported",
            Status::Untested => "untested",
            Status::Skipped => "skipped",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Layout version, currently 1.
    pub version: u32,
    /// One entry per rule (per YAML document for multi-document files),
    /// sorted by path then document.
    pub rules: Vec<RuleReport>,
    /// YAML files found that are not rules but are recognized (macro
    /// definitions, lookups, stories, data sources).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_files: Vec<OtherFile>,
    /// Counts and the gate decision.
    pub summary: Summary,
}

/// A recognized YAML file that is not a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OtherFile {
    /// Path as given or found.
    pub path: String,
    /// What it is, e.g. `escu-macro`.
    pub kind: String,
}

/// Everything found about one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleReport {
    /// Path of the rule file as given or found.
    pub path: String,
    /// Index of the YAML document in a multi-document file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<usize>,
    /// The rule's `id`.
    pub id: Option<String>,
    /// The rule's title.
    pub title: Option<String>,
    /// The rule format; null when the file could not be read far enough to tell.
    pub format: Option<RuleFormat>,
    /// Languages of the rule's queries (`sigma`, `spl`, …).
    pub languages: Vec<String>,
    /// ATT&CK technique IDs the rule declares, normalized.
    #[serde(default)]
    pub techniques: Vec<String>,
    /// The validation tier.
    pub validation: ValidationReport,
    /// The unit tier (fixtures).
    pub unit: TierReport,
    /// The integration tier (raw datasets).
    pub integration: TierReport,
    /// A gate exception covering the rule: why, and until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
}

/// The validation tier of one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidationReport {
    /// `pass` (no error), `fail` (errors in the rule) or `error` (unreadable).
    pub status: Status,
    /// Every problem found, in file order.
    pub diagnostics: Vec<ReportDiagnostic>,
}

/// A diagnostic with its position resolved to line and column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportDiagnostic {
    /// How serious it is.
    pub severity: Severity,
    /// Stable kebab-case code.
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// 1-based line, when the problem has a position.
    pub line: Option<u32>,
    /// 1-based column in characters.
    pub column: Option<u32>,
    /// 1-based line where the problem's span ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    /// 1-based column where the problem's span ends (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
    /// How to fix it.
    pub help: Option<String>,
}

/// The unit or integration tier of one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TierReport {
    /// The tier's status.
    pub status: Status,
    /// Why the tier has this status, when that is not evident from the cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// One entry per scenario run.
    pub cases: Vec<CaseReport>,
}

impl TierReport {
    /// A tier that did not run, and why.
    pub fn skipped(reason: impl Into<String>) -> Self {
        TierReport {
            status: Status::Skipped,
            reason: Some(reason.into()),
            cases: Vec::new(),
        }
    }
}

/// One scenario of a tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseReport {
    /// The scenario's name (its fixture path).
    pub name: String,
    /// What the scenario expects.
    pub kind: CaseKind,
    /// Its result.
    pub status: Status,
    /// How many alerts (result rows) the rule produced on the scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<usize>,
    /// What happened, for anything but a pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Expected against actual alerts, as a unified diff, when they differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// The evaluation trace of the decisive event: why the rule fired in a
    /// false-positive scenario, or why it did not in a true-positive one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// What a scenario expects of the rule.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// The rule must alert (at least once, or as `expected.yml` pins).
    TruePositive,
    /// The rule must not alert.
    FalsePositive,
}

impl CaseKind {
    /// The folder name of the kind (`true_positive`).
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::TruePositive => "true_positive",
            CaseKind::FalsePositive => "false_positive",
        }
    }
}

/// Counts over the whole run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Number of rules.
    pub rules: usize,
    /// Whether the gate passed.
    pub gate: GateResult,
    /// Rules per validation status.
    pub validation: StatusCounts,
    /// Rules per unit status.
    pub unit: StatusCounts,
    /// Rules per integration status.
    pub integration: StatusCounts,
    /// Diagnostics per severity.
    pub diagnostics: SeverityCounts,
    /// Recognized non-rule YAML files.
    pub other_files: usize,
}

/// The gate decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GateResult {
    /// Exit code 0.
    #[default]
    Pass,
    /// Exit code 1.
    Fail,
}

/// How many rules have each status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct StatusCounts {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub unsupported: usize,
    pub untested: usize,
    pub skipped: usize,
}

impl StatusCounts {
    /// Count one more `status`.
    pub fn add(&mut self, status: Status) {
        *self.get_mut(status) += 1;
    }

    /// The count of `status`.
    pub fn get(&self, status: Status) -> usize {
        match status {
            Status::Pass => self.pass,
            Status::Fail => self.fail,
            Status::Error => self.error,
            Status::Unsupported => self.unsupported,
            Status::Untested => self.untested,
            Status::Skipped => self.skipped,
        }
    }

    fn get_mut(&mut self, status: Status) -> &mut usize {
        match status {
            Status::Pass => &mut self.pass,
            Status::Fail => &mut self.fail,
            Status::Error => &mut self.error,
            Status::Unsupported => &mut self.unsupported,
            Status::Untested => &mut self.untested,
            Status::Skipped => &mut self.skipped,
        }
    }
}

/// How many diagnostics of each severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SeverityCounts {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

impl SeverityCounts {
    /// Count one more diagnostic of `severity`.
    pub fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Error => self.error += 1,
            Severity::Warning => self.warning += 1,
            Severity::Info => self.info += 1,
        }
    }
}
