//! The unit tier: each rule against its true- and false-positive
//! fixtures.
//!
//! - [`pairing`] finds a rule's scenarios: `fixtures/<path>/<name>/true_positive/*`
//!   and `…/false_positive/*`, mirroring `rules/<path>/<name>.yml`, plus the
//!   local files an ESCU rule names in its `tests:`.
//! - [`fixture`] reads a scenario's events (JSON object, array, JSON lines, YAML).
//! - [`expect`] reads the optional `<scenario>.expected.yml` and compares.
//! - [`engine`] evaluates a rule on events, whatever its language.
//! - [`diff`] renders expected against actual alerts.

pub mod diff;
pub mod engine;
pub mod expect;
pub mod fixture;
pub mod pairing;
mod tier;

pub use tier::{UnitContext, run_unit};
