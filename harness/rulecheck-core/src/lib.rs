//! Types every rulecheck crate shares.
//!
//! - [`Span`] and [`LineIndex`]: byte ranges into a file the user wrote, turned
//!   into `line:column` only when printed.
//! - [`Diagnostic`]: a problem in a user's rule or fixture, with a stable code,
//!   a span and help text.
//! - [`yaml`]: a YAML loader that keeps the position of every node and refuses
//!   hostile input (alias bombs, deep nesting, duplicate keys) with diagnostics.
//! - [`Rule`]: the one normalized shape every rule format is loaded into.
//! - [`report`]: the report model every renderer consumes.
//!
//! ```
//! use rulecheck_core::yaml;
//!
//! let loaded = yaml::load("title: CMSTP Execution\nlevel: high\n", &yaml::Limits::default());
//! assert!(loaded.diagnostics.is_empty());
//! let doc = &loaded.documents[0];
//! let level = doc.get("level").unwrap();
//! assert_eq!(level.as_str(), Some("high"));
//! assert_eq!(level.span.start, 30);
//! ```

pub mod diagnostic;
pub mod report;
pub mod rule;
pub mod span;
pub mod yaml;

pub use diagnostic::{Diagnostic, Severity};
pub use rule::{Query, Rule, RuleFormat, Spanned};
pub use span::{LineCol, LineIndex, Span};
