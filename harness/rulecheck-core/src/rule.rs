//! [`Rule`]: the one shape every rule format is normalized into.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::span::Span;

/// The file format a rule was written in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RuleFormat {
    /// A Sigma detection rule (`detection` + `logsource`).
    Sigma,
    /// A Sigma correlation rule (`correlation`).
    SigmaCorrelation,
    /// A Sigma filter (`filter`), applied to the rules it names.
    SigmaFilter,
    /// A Splunk security_content (ESCU) detection (`search` in SPL).
    Escu,
    /// An Anvilogic armory rule (`logic` + `logic_format`).
    Armory,
}

impl RuleFormat {
    /// Every format, in report order.
    pub const ALL: [RuleFormat; 5] = [
        RuleFormat::Sigma,
        RuleFormat::SigmaCorrelation,
        RuleFormat::SigmaFilter,
        RuleFormat::Escu,
        RuleFormat::Armory,
    ];

    /// The name used in reports and `rulecheck.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleFormat::Sigma => "sigma",
            RuleFormat::SigmaCorrelation => "sigma-correlation",
            RuleFormat::SigmaFilter => "sigma-filter",
            RuleFormat::Escu => "escu",
            RuleFormat::Armory => "armory",
        }
    }

    /// The format named `name` (as in [`RuleFormat::as_str`]).
    pub fn from_name(name: &str) -> Option<Self> {
        RuleFormat::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

impl fmt::Display for RuleFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value with the span it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// `value` read from `span`.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

/// The query language of a [`Query`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Language {
    /// Sigma detection logic (selections and a condition).
    Sigma,
    /// Sigma correlation logic over the rules it names.
    SigmaCorrelation,
    /// Splunk's Search Processing Language.
    Spl,
    /// A language rulecheck does not evaluate, by the name the rule gives it.
    Other(String),
}

impl Language {
    /// The name used in reports.
    pub fn as_str(&self) -> &str {
        match self {
            Language::Sigma => "sigma",
            Language::SigmaCorrelation => "sigma-correlation",
            Language::Spl => "spl",
            Language::Other(name) => name,
        }
    }
}

/// One query of a rule, with the span of its text in the rule file.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Its language.
    pub language: Language,
    /// The query text (for Sigma, the YAML source of the detection block).
    pub text: String,
    /// Where the query is in the rule file.
    pub span: Span,
}

/// What data a rule needs to run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataRequirement {
    /// A Sigma `logsource`.
    Logsource {
        /// `product`, e.g. `windows`.
        product: Option<String>,
        /// `category`, e.g. `process_creation`.
        category: Option<String>,
        /// `service`, e.g. `sysmon`.
        service: Option<String>,
    },
    /// A Splunk CIM data model node, e.g. `Endpoint.Processes`.
    DataModel(String),
    /// A named data source, e.g. `Sysmon EventID 1`.
    DataSource(String),
}

impl fmt::Display for DataRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataRequirement::Logsource {
                product,
                category,
                service,
            } => {
                let parts: Vec<String> = [
                    ("product", product),
                    ("category", category),
                    ("service", service),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
                .collect();
                write!(f, "logsource({})", parts.join(", "))
            }
            DataRequirement::DataModel(name) => write!(f, "datamodel={name}"),
            DataRequirement::DataSource(name) => write!(f, "data source {name}"),
        }
    }
}

/// A rule of any format, normalized.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The format it was written in.
    pub format: RuleFormat,
    /// Index of the YAML document in its file (0 for single-document files).
    pub document: usize,
    /// Its identifier (`id`).
    pub id: Option<Spanned<String>>,
    /// Its title (Sigma `title`, ESCU `name`, armory `title`).
    pub title: Option<Spanned<String>>,
    /// Lifecycle status (`stable`, `production`, …) as written.
    pub status: Option<String>,
    /// Severity (Sigma `level`) as written.
    pub level: Option<String>,
    /// ATT&CK technique IDs, normalized to upper case (`T1218.003`), each
    /// with the span of the tag or list item it came from.
    pub techniques: Vec<Spanned<String>>,
    /// ATT&CK tactic short names (`defense-evasion`) the rule declares.
    pub tactics: Vec<Spanned<String>>,
    /// What data the rule needs.
    pub data: Vec<DataRequirement>,
    /// The rule's queries.
    pub queries: Vec<Query>,
}

impl Rule {
    /// The distinct languages of the rule's queries, in order.
    pub fn languages(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for q in &self.queries {
            let name = q.language.as_str();
            if !out.iter().any(|l| l == name) {
                out.push(name.to_owned());
            }
        }
        out
    }
}
