//! Semantic checks beyond the schema, each a diagnostic with a stable code.
//!
//! | code | what |
//! | --- | --- |
//! | `attack-unknown-technique` | a technique ID that ATT&CK does not have |
//! | `attack-revoked-technique` | a revoked technique; the help names its replacement |
//! | `attack-deprecated-technique` | a deprecated technique (no replacement) |
//! | `attack-tactic-mismatch` | a technique under none of the tactics the rule declares |
//! | `attack-unknown-tactic` | a tactic name ATT&CK does not have |
//! | `invalid-date` | a date that is not a calendar date, or `modified` before `date` |
//! | `sigma-unused-search` | a search identifier the condition never uses (see [`sigma`]) |
//! | `duplicate-id` | two rules with the same id (see [`duplicates`]) |

pub mod attack;
pub mod dates;
pub mod duplicates;
pub mod sigma;
