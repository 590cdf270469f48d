//! From paths on disk to a [`Report`]: configuration (`rulecheck.toml`),
//! discovery of rule files, loading with limits, the validation tier, and
//! the gate decision.
//!
//! ```no_run
//! use rulecheck_runner::{Config, RunOptions, Tiers, run};
//!
//! let config = Config::default();
//! let options = RunOptions::new(vec!["rules".into()], Tiers::Validation);
//! let report = run(&config, &options).unwrap();
//! println!("{} rules, gate {:?}", report.summary.rules, report.summary.gate);
//! ```

pub mod config;
pub mod discover;
pub mod explain;
pub mod gate;
pub mod load;
pub mod run;
pub mod scaffold;
pub mod scan;
pub mod schemas;
pub mod sigma;
pub mod spl;
pub mod unit;

pub use config::Config;
pub use rulecheck_core::report::Report;
pub use run::{RuleFilter, RunOptions, Tiers, run, run_observed};

use std::path::PathBuf;

/// A failure of the harness itself (not a problem in a rule): bad paths,
/// unreadable configuration, I/O on outputs.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A path given on the command line does not exist.
    MissingPath(PathBuf),
    /// `rulecheck.toml` could not be read or parsed.
    Config {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong, with line and column when known.
        message: String,
    },
    /// The ATT&CK table given with `--attack-data` could not be read.
    AttackData {
        /// The table file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An I/O error.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::MissingPath(path) => write!(f, "{}: no such file or directory", path.display()),
            Error::Config { path, message } => write!(f, "{}: {message}", path.display()),
            Error::AttackData { path, message } => {
                write!(f, "{}: invalid ATT&CK table: {message}", path.display())
            }
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // The I/O error is part of the message already.
        None
    }
}
