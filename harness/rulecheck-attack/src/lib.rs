//! MITRE ATT&CK facts: technique and tactic IDs, names, tactics of each
//! technique, sub-technique parents, revocations and deprecations.
//!
//! The facts come from a compact table (`data/techniques.tsv`,
//! `data/tactics.tsv`) that `scripts/attack-table.py` derives from an ATT&CK
//! STIX bundle. The table of ATT&CK Enterprise v18.1 is embedded; a newer one
//! can be loaded with [`AttackData::from_tsv`].
//!
//! ```
//! use rulecheck_attack::{AttackData, Lookup};
//!
//! let attack = AttackData::embedded();
//! match attack.lookup("T1191") {
//!     Lookup::Revoked { replacement, .. } => assert_eq!(replacement.unwrap().id, "T1218.003"),
//!     other => panic!("{other:?}"),
//! }
//! assert!(matches!(attack.lookup("t1218.003"), Lookup::Active(t) if t.name == "CMSTP"));
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

const TECHNIQUES_TSV: &str = include_str!("../data/techniques.tsv");
const TACTICS_TSV: &str = include_str!("../data/tactics.tsv");

/// One ATT&CK technique or sub-technique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Technique {
    /// `T1218` or `T1218.003`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Tactic short names (`defense-evasion`), in matrix order.
    pub tactics: Vec<String>,
    /// The parent technique of a sub-technique.
    pub parent: Option<String>,
    /// The technique that directly replaced this one, if it was revoked.
    pub revoked_by: Option<String>,
    /// Whether the technique is deprecated (retired without a replacement).
    pub deprecated: bool,
}

/// One ATT&CK tactic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tactic {
    /// `TA0005`.
    pub id: String,
    /// `defense-evasion`.
    pub shortname: String,
    /// `Defense Evasion`.
    pub name: String,
}

/// What an ID stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// A current technique.
    Active(&'a Technique),
    /// A revoked technique; `replacement` is the end of its `revoked-by`
    /// chain (None if the chain is broken or loops).
    Revoked {
        /// The revoked technique.
        technique: &'a Technique,
        /// The current technique that replaces it.
        replacement: Option<&'a Technique>,
    },
    /// A deprecated technique (no replacement).
    Deprecated(&'a Technique),
    /// Not an ATT&CK technique ID.
    Unknown,
}

/// An error in a facts table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableError {
    /// 1-based line of the table.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for TableError {}

/// The ATT&CK facts rulecheck needs.
#[derive(Debug, Clone)]
pub struct AttackData {
    version: String,
    techniques: Vec<Technique>,
    by_id: HashMap<String, usize>,
    tactics: Vec<Tactic>,
}

impl AttackData {
    /// The embedded ATT&CK Enterprise v18.1 table.
    pub fn embedded() -> &'static AttackData {
        static DATA: OnceLock<AttackData> = OnceLock::new();
        DATA.get_or_init(|| {
            // The embedded table is generated and checked by the test suite.
            AttackData::from_tsv(TECHNIQUES_TSV, TACTICS_TSV)
                .unwrap_or_else(|e| unreachable!("the embedded ATT&CK table is invalid: {e}"))
        })
    }

    /// Load tables in the format `scripts/attack-table.py` writes.
    pub fn from_tsv(techniques: &str, tactics: &str) -> Result<AttackData, TableError> {
        let version = techniques
            .lines()
            .take_while(|l| l.starts_with('#'))
            .find_map(|l| {
                l.split_whitespace().find(|w| {
                    w.starts_with('v') && w[1..].starts_with(|c: char| c.is_ascii_digit())
                })
            })
            .map_or_else(
                || "(unknown version)".to_owned(),
                |v| {
                    v.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                        .to_owned()
                },
            );
        let mut data = AttackData {
            version,
            techniques: Vec::new(),
            by_id: HashMap::new(),
            tactics: Vec::new(),
        };
        for (_, cells) in rows(tactics, 3)? {
            data.tactics.push(Tactic {
                id: cells[0].to_owned(),
                shortname: cells[1].to_owned(),
                name: cells[2].to_owned(),
            });
        }
        for (line, cells) in rows(techniques, 6)? {
            let optional = |s: &str| (!s.is_empty()).then(|| s.to_owned());
            let technique = Technique {
                id: cells[0].to_owned(),
                name: cells[1].to_owned(),
                tactics: cells[2]
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                parent: optional(cells[3]),
                revoked_by: optional(cells[4]),
                deprecated: match cells[5] {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(TableError {
                            line,
                            message: format!("`deprecated` must be true or false, not `{other}`"),
                        });
                    }
                },
            };
            if data.by_id.contains_key(&technique.id) {
                return Err(TableError {
                    line,
                    message: format!("duplicate technique {}", technique.id),
                });
            }
            data.by_id
                .insert(technique.id.clone(), data.techniques.len());
            data.techniques.push(technique);
        }
        Ok(data)
    }

    /// The ATT&CK release the table was made from (`v18.1`), as its header
    /// comment names it.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The technique with `id` (any case), whatever its state.
    pub fn technique(&self, id: &str) -> Option<&Technique> {
        let id = id.to_ascii_uppercase();
        self.by_id.get(&id).map(|&i| &self.techniques[i])
    }

    /// Every technique, sorted by ID.
    pub fn techniques(&self) -> &[Technique] {
        &self.techniques
    }

    /// The tactics in matrix order.
    pub fn tactics(&self) -> &[Tactic] {
        &self.tactics
    }

    /// The tactic with this short name (`defense-evasion`; `defense_evasion`
    /// and any case are accepted too).
    pub fn tactic(&self, name: &str) -> Option<&Tactic> {
        let name = name.to_ascii_lowercase().replace(['_', ' '], "-");
        self.tactics.iter().find(|t| t.shortname == name)
    }

    /// What `id` stands for, following `revoked-by` chains to the current
    /// technique.
    pub fn lookup(&self, id: &str) -> Lookup<'_> {
        let Some(technique) = self.technique(id) else {
            return Lookup::Unknown;
        };
        if technique.revoked_by.is_some() {
            let mut current = technique;
            let mut hops = 0;
            while let Some(next) = current.revoked_by.as_deref() {
                hops += 1;
                match self.technique(next) {
                    Some(next) if hops <= self.techniques.len() => current = next,
                    _ => {
                        return Lookup::Revoked {
                            technique,
                            replacement: None,
                        };
                    }
                }
            }
            let replacement = (!current.deprecated).then_some(current);
            return Lookup::Revoked {
                technique,
                replacement,
            };
        }
        if technique.deprecated {
            Lookup::Deprecated(technique)
        } else {
            Lookup::Active(technique)
        }
    }
}

/// The data rows of a table: comment lines (`#`) skipped, the header checked.
fn rows(text: &str, columns: usize) -> Result<Vec<(usize, Vec<&str>)>, TableError> {
    let mut out = Vec::new();
    let mut header_seen = false;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        if cells.len() != columns {
            return Err(TableError {
                line: line_no,
                message: format!(
                    "expected {columns} tab-separated columns, found {}",
                    cells.len()
                ),
            });
        }
        if !header_seen {
            header_seen = true;
            if cells[0] != "id" {
                return Err(TableError {
                    line: line_no,
                    message: "the first row must be the header starting with `id`".into(),
                });
            }
            continue;
        }
        out.push((line_no, cells));
    }
    if !header_seen {
        return Err(TableError {
            line: 1,
            message: "the table has no header".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_has_every_attack_pattern_and_tactic() {
        let data = AttackData::embedded();
        assert_eq!(data.techniques().len(), 835);
        assert_eq!(data.tactics().len(), 14);
        assert_eq!(data.tactics()[0].shortname, "reconnaissance");
        assert_eq!(data.version(), "v18.1");
        let revoked = data
            .techniques()
            .iter()
            .filter(|t| t.revoked_by.is_some())
            .count();
        assert_eq!(revoked, 132);
    }

    #[test]
    fn revoked_chains_are_followed_to_the_current_technique() {
        let data = AttackData::embedded();
        for (old, new) in [
            ("T1191", "T1218.003"),
            ("T1150", "T1647"),
            ("T1073", "T1574.001"),
        ] {
            match data.lookup(old) {
                Lookup::Revoked {
                    replacement: Some(r),
                    ..
                } => assert_eq!(r.id, new, "{old}"),
                other => panic!("{old}: {other:?}"),
            }
        }
    }

    #[test]
    fn deprecated_and_unknown_ids_are_told_apart() {
        let data = AttackData::embedded();
        assert!(matches!(data.lookup("T1053.004"), Lookup::Deprecated(_)));
        assert_eq!(data.lookup("T9999"), Lookup::Unknown);
    }

    #[test]
    fn tactic_names_accept_underscores() {
        let data = AttackData::embedded();
        assert_eq!(data.tactic("defense_evasion").unwrap().id, "TA0005");
        assert!(data.tactic("g0069").is_none());
    }

    #[test]
    fn malformed_tables_are_errors_with_a_line() {
        let err = AttackData::from_tsv("id\tname\n", "id\tshortname\tname\n").unwrap_err();
        assert_eq!(err.line, 1);
        let err = AttackData::from_tsv(
            "# c\nid\tname\ttactics\tparent\trevoked_by\tdeprecated\nT1\tx\t\t\t\tmaybe\n",
            "id\tshortname\tname\n",
        )
        .unwrap_err();
        assert_eq!(err.line, 3);
    }
}
