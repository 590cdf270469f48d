//! CSV lookup tables in the `security_content` `lookups/` layout: a table
//! `name` is `name.yml` (with `filename:`, `match_type: WILDCARD(field)`,
//! `case_sensitive_match:`) next to its CSV file, or a bare `name.csv`.

use std::path::Path;

use serde_json::Value as Json;

use super::fields;
use super::pattern::Glob;
use super::value::{Event, Value};

/// A loaded lookup table.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) header: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
    wildcard: Vec<String>,
    case_sensitive: bool,
}

/// The value of `key:` in a flat YAML file, unquoted.
fn yaml_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        Some(rest.trim().trim_matches(['\'', '"']).to_owned())
    })
}

/// The built-in external lookup `dnslookup` (DNS resolution), which
/// resolves nothing offline unless a `dnslookup.csv` table gives the
/// answers.
pub(crate) fn dnslookup() -> Table {
    Table {
        header: vec!["clienthost".to_owned(), "clientip".to_owned()],
        rows: Vec::new(),
        wildcard: Vec::new(),
        case_sensitive: false,
    }
}

/// Load the table `name` from `dir`; the error is a message.
pub(crate) fn load(dir: &Path, name: &str) -> Result<Table, String> {
    let stem = name.strip_suffix(".csv").unwrap_or(name);
    let mut file = dir.join(format!("{stem}.csv"));
    let mut wildcard = Vec::new();
    let mut case_sensitive = true;
    if let Ok(meta) = std::fs::read_to_string(dir.join(format!("{stem}.yml"))) {
        if let Some(filename) = yaml_value(&meta, "filename") {
            if !Path::new(&filename)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
            {
                return Err(format!("lookup `{name}` is not a CSV file ({filename})"));
            }
            file = dir.join(filename);
        } else if yaml_value(&meta, "collection").is_some() {
            return Err(format!("lookup `{name}` is a KV store collection"));
        }
        if let Some(types) = yaml_value(&meta, "match_type") {
            for part in types.split(')') {
                if let Some(fields) = part
                    .trim_start_matches([',', ' '])
                    .strip_prefix("WILDCARD(")
                {
                    wildcard.extend(fields.split(',').map(|f| f.trim().to_owned()));
                }
            }
        }
        if let Some(case) = yaml_value(&meta, "case_sensitive_match") {
            case_sensitive = !case.eq_ignore_ascii_case("false");
        }
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(&file)
        .map_err(|e| format!("cannot read lookup `{name}` ({}): {e}", file.display()))?;
    let header = reader
        .headers()
        .map_err(|e| format!("lookup `{name}`: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("lookup `{name}`: {e}"))?;
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok(Table {
        header,
        rows,
        wildcard,
        case_sensitive,
    })
}

impl Table {
    pub(crate) fn column(&self, field: &str) -> Option<usize> {
        self.header.iter().position(|h| h == field)
    }

    /// The rows as events (empty cells left out).
    pub(crate) fn events(&self) -> Vec<Event> {
        self.rows
            .iter()
            .map(|row| {
                self.header
                    .iter()
                    .zip(row)
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(h, v)| (h.clone(), Json::String(v.clone())))
                    .collect()
            })
            .collect()
    }

    fn cell_matches(&self, column: usize, cell: &str, value: &str) -> bool {
        if self.wildcard.iter().any(|w| Some(column) == self.column(w)) {
            return Glob::new(cell, self.case_sensitive).matches(value);
        }
        if self.case_sensitive {
            cell == value
        } else {
            cell.eq_ignore_ascii_case(value)
        }
    }

    /// The rows matching the event on every input (`column`, event field).
    pub(crate) fn matches(&self, event: &Event, inputs: &[(usize, String)]) -> Vec<usize> {
        let values: Vec<Vec<String>> = inputs
            .iter()
            .map(|(_, field)| fields::value(event, field).texts())
            .collect();
        if values.iter().any(Vec::is_empty) {
            return Vec::new();
        }
        (0..self.rows.len())
            .filter(|&r| {
                inputs
                    .iter()
                    .zip(&values)
                    .all(|((column, _), event_values)| {
                        let cell = self.rows[r].get(*column).map_or("", String::as_str);
                        event_values
                            .iter()
                            .any(|v| self.cell_matches(*column, cell, v))
                    })
            })
            .collect()
    }

    /// The values of `column` in `rows` (empty cells left out).
    pub(crate) fn output(&self, rows: &[usize], column: usize) -> Value {
        Value::multi(
            rows.iter()
                .filter_map(|&r| self.rows[r].get(column))
                .filter(|v| !v.is_empty())
                .map(|v| Value::Str(v.clone()))
                .collect(),
        )
    }
}
