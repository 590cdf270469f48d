//! `rulecheck.toml`: where the rules are, which folders hold which format,
//! limits, ATT&CK data and SPL macros. Its JSON Schema is
//! `schemas/config.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rulecheck_core::RuleFormat;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Error;

/// The name of the configuration file.
pub const CONFIG_FILE: &str = "rulecheck.toml";

/// The contents of `rulecheck.toml`. Paths are relative to the file's folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(
    title = "rulecheck configuration",
    description = "The contents of rulecheck.toml. Paths are relative to the folder of the file."
)]
pub struct Config {
    /// Folders (or files) holding the rules checked when no path is given.
    pub rules: Vec<String>,
    /// The folder of the rules' fixtures, mirroring the rules folders.
    pub fixtures: String,
    /// Gitignore-style globs of files never treated as rules.
    pub exclude: Vec<String>,
    /// Folders whose files are all of one format, instead of recognising
    /// each file's format from its content (folder → format).
    pub formats: BTreeMap<String, RuleFormat>,
    /// Limits on rule files.
    pub limits: Limits,
    /// ATT&CK data.
    pub attack: Attack,
    /// Sigma settings.
    pub sigma: Sigma,
    /// SPL settings.
    pub spl: Spl,
    /// What fails the gate.
    pub gate: Gate,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rules: vec!["rules".to_owned()],
            fixtures: "fixtures".to_owned(),
            exclude: Vec::new(),
            formats: BTreeMap::new(),
            limits: Limits::default(),
            attack: Attack::default(),
            sigma: Sigma::default(),
            spl: Spl::default(),
            gate: Gate::default(),
        }
    }
}

/// Limits on rule files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest rule file read, in bytes.
    pub max_file_size: u64,
    /// Most YAML nodes in one file, counting aliases with the size of what
    /// they repeat.
    pub max_yaml_nodes: usize,
    /// Deepest YAML nesting.
    pub max_yaml_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        let yaml = rulecheck_core::yaml::Limits::default();
        Limits {
            max_file_size: 1024 * 1024,
            max_yaml_nodes: yaml.max_nodes,
            max_yaml_depth: yaml.max_depth,
        }
    }
}

/// ATT&CK data settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Attack {
    /// A `techniques.tsv` written by `scripts/attack-table.py` (with its
    /// `tactics.tsv` beside it) to use instead of the embedded ATT&CK v18.1.
    pub data: Option<String>,
}

/// The gate policy: which statuses fail the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Gate {
    /// Whether a rule without both true- and false-positive fixtures fails
    /// the gate (`fail`) or is only reported (`warn`).
    pub untested: Verdict,
    /// Whether a rule rulecheck cannot evaluate fails the gate (`fail`) or
    /// is only reported (`warn`). It never counts as a pass.
    pub unsupported: Verdict,
    /// Whether warnings fail the gate like errors.
    pub warnings_as_errors: bool,
    /// Rules whose failures do not fail the gate until a date.
    pub exceptions: Vec<Exception>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            untested: Verdict::Fail,
            unsupported: Verdict::Fail,
            warnings_as_errors: false,
            exceptions: Vec::new(),
        }
    }
}

/// What a status does to the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// It fails the gate.
    Fail,
    /// It is reported and the gate still passes.
    Warn,
}

/// A rule whose failures do not fail the gate, for a reason, until a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// The rule's id, or its path relative to the configuration's folder.
    pub rule: String,
    /// Why the rule may fail for now (shown in every report).
    pub reason: String,
    /// The last day the exception holds, `YYYY-MM-DD`; after it the rule
    /// counts again.
    #[schemars(regex(pattern = r"^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub expires: String,
}

/// Sigma settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Sigma {
    /// A logsource mapping file (the format of `mappings/sigma/windows.yml`)
    /// to use instead of the built-in Windows mapping.
    pub mapping: Option<String>,
    /// A YAML file of `expand` placeholder values: each key a placeholder
    /// name, each value a string or a list of strings
    /// (`Admins: [adm_*, root]` for `%Admins%`).
    pub placeholders: Option<String>,
}

/// SPL settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Spl {
    /// Folders of macro definition files in the ESCU format (`name`,
    /// `definition`, `description`, `arguments`).
    pub macro_paths: Vec<String>,
    /// Macro definitions by name: `name`, or `name(arg1, arg2)` for a macro
    /// whose definition uses its arguments as `$arg1$`, `$arg2$`; these win
    /// over definition files. Armory's `get_*` data-set macros are
    /// defined here, since their meaning depends on the environment.
    pub macros: BTreeMap<String, String>,
    /// Whether a `<name>_filter` macro that is defined nowhere reads as
    /// `search *` (the empty tuning hook of security_content detections)
    /// instead of an unknown-macro error.
    pub filter_macros_pass: bool,
    /// The folder of CSV lookups (the security_content `lookups/` layout).
    pub lookups: Option<String>,
    /// A folder holding `datamodels.toml` and `normalization.toml` to use
    /// instead of the built-in CIM data models (`mappings/cim/`).
    pub datamodels: Option<String>,
}

impl Default for Spl {
    fn default() -> Self {
        Spl {
            macro_paths: Vec::new(),
            macros: BTreeMap::new(),
            filter_macros_pass: true,
            lookups: None,
            datamodels: None,
        }
    }
}

/// A configuration and the folder it was found in.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// The configuration.
    pub config: Config,
    /// The folder of `rulecheck.toml`, which its paths are relative to
    /// (the current folder when there is no file).
    pub root: PathBuf,
    /// The file, when one was found.
    pub file: Option<PathBuf>,
}

impl Config {
    /// Parse the text of a `rulecheck.toml`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        toml::from_str(text).map_err(|e| {
            let position = e
                .span()
                .map(|span| {
                    let index = rulecheck_core::LineIndex::new(text);
                    let lc = index.line_col(text, span.start as u32);
                    format!(":{}:{}", lc.line, lc.column)
                })
                .unwrap_or_default();
            Error::Config {
                path: PathBuf::from(format!("{}{position}", path.display())),
                message: e.message().to_owned(),
            }
        })
    }

    /// Read `path`.
    pub fn read(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Find `rulecheck.toml` in `start` or its ancestors; the default
    /// configuration rooted at `start` when there is none.
    pub fn discover(start: &Path) -> Result<Located, Error> {
        for dir in start.ancestors() {
            let file = dir.join(CONFIG_FILE);
            if file.is_file() {
                return Ok(Located {
                    config: Config::read(&file)?,
                    root: dir.to_owned(),
                    file: Some(file),
                });
            }
        }
        Ok(Located {
            config: Config::default(),
            root: start.to_owned(),
            file: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_the_default() {
        assert_eq!(
            Config::parse("", Path::new("rulecheck.toml")).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn formats_and_macros_are_read() {
        let config = Config::parse(
            "rules = ['detections']\n[formats]\n'detections/escu' = 'escu'\n[spl.macros]\nget_endpoint_data = 'index=edr'\n",
            Path::new("rulecheck.toml"),
        )
        .unwrap();
        assert_eq!(config.formats["detections/escu"], RuleFormat::Escu);
        assert_eq!(config.spl.macros["get_endpoint_data"], "index=edr");
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let err =
            Config::parse("rules = ['a']\nrulez = 1\n", Path::new("rulecheck.toml")).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("rulecheck.toml:2:1:"), "{text}");
        assert!(text.contains("rulez"), "{text}");
    }
}
