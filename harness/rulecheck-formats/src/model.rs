//! Typed models of each rule-file format, deriving `serde` and `schemars`.
//!
//! These types are the source of the JSON Schemas in `schemas/`
//! (`rulecheck schema --write schemas/`); validation runs those schemas on
//! the YAML of each rule.

pub mod armory;
pub mod common;
pub mod escu;
pub mod sigma;
