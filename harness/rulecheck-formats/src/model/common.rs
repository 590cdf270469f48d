//! Shapes shared by several formats.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A single value or a list of values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// One value.
    One(T),
    /// A list of values.
    Many(Vec<T>),
}
