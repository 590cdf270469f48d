//! CSV lookup tables in the `security_content` `lookups/` layout: a table
//! `name` is `name.yml` (with `filename:`, `match_type: WILDCARD(field)`,
//! `case_sensitive_match:`, `max_matches:`, `min_matches:` and
//! `default_match:`) next to its CSV file, or a bare `name.csv`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use foldhash::{HashMap, HashMapExt};
use serde_json::Value as Json;

use super::fields;
use super::literals::LiteralIndex;
use super::pattern::Glob;
use super::value::{Event, Value};

/// A loaded lookup table.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) header: Vec<String>,
    pub(crate) rows: Arc<Vec<Vec<String>>>,
    /// Per column: for a `WILDCARD` column, the compiled pattern of each
    /// row's cell; `None` for an exact-match column.
    globs: Arc<Vec<Option<Vec<Glob>>>>,
    case_sensitive: bool,
    /// `max_matches`: at most this many rows match a row, the first in
    /// table order.
    max_matches: Option<usize>,
    /// `min_matches` and `default_match`: a row with fewer matches gets
    /// this value in each output field.
    pub(crate) default_match: Option<(usize, String)>,
    /// Per column, the index of its cells, built on the column's first use
    /// as an input.
    indexes: Arc<Vec<OnceLock<ColumnIndex>>>,
}

/// The rows of a column that can match a value, found without testing
/// every row.
#[derive(Debug)]
enum ColumnIndex {
    /// Exact cells: rows by cell text (ASCII-lowercased for a
    /// case-insensitive table).
    Exact(HashMap<String, Vec<usize>>),
    /// Wildcard cells: an index of each pattern's longest literal (ASCII
    /// case-insensitive for a case-insensitive table), the row of each
    /// literal, and the rows whose pattern has no literal (`*`). A pattern
    /// matches only values that contain its literal, so the rows whose
    /// literal occurs in the value are the only candidates.
    Wildcard {
        literals: LiteralIndex,
        rows: Vec<usize>,
        unconstrained: Vec<usize>,
    },
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
        rows: Arc::default(),
        globs: Arc::default(),
        case_sensitive: false,
        max_matches: None,
        default_match: None,
        indexes: Arc::new(vec![OnceLock::new(), OnceLock::new()]),
    }
}

/// Tables already loaded, by folder and name, with the modification time
/// of their files when loaded: many searches that use one table share it.
type Cache = HashMap<(PathBuf, String), (Option<SystemTime>, Table)>;

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

fn modified(dir: &Path, stem: &str) -> Option<SystemTime> {
    ["csv", "yml"]
        .iter()
        .filter_map(|ext| std::fs::metadata(dir.join(format!("{stem}.{ext}"))).ok())
        .filter_map(|m| m.modified().ok())
        .max()
}

/// Load the table `name` from `dir`; the error is a message. A table is
/// read once and shared while its files are unchanged.
pub(crate) fn load(dir: &Path, name: &str) -> Result<Table, String> {
    let stem = name.strip_suffix(".csv").unwrap_or(name);
    let key = (dir.to_path_buf(), stem.to_owned());
    let stamp = modified(dir, stem);
    if let Ok(cache) = cache().lock()
        && let Some((at, table)) = cache.get(&key)
        && stamp.is_some()
        && *at == stamp
    {
        return Ok(table.clone());
    }
    let table = read(dir, name)?;
    if let Ok(mut cache) = cache().lock() {
        cache.insert(key, (stamp, table.clone()));
    }
    Ok(table)
}

fn read(dir: &Path, name: &str) -> Result<Table, String> {
    let stem = name.strip_suffix(".csv").unwrap_or(name);
    let mut file = dir.join(format!("{stem}.csv"));
    let mut wildcard = Vec::new();
    let mut case_sensitive = true;
    let mut max_matches = None;
    let mut default_match = None;
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
        max_matches = yaml_value(&meta, "max_matches").and_then(|m| m.parse::<usize>().ok());
        let min_matches = yaml_value(&meta, "min_matches")
            .and_then(|m| m.parse::<usize>().ok())
            .unwrap_or(0);
        if min_matches > 0 {
            default_match = yaml_value(&meta, "default_match").map(|d| (min_matches, d));
        }
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(&file)
        .map_err(|e| format!("cannot read lookup `{name}` ({}): {e}", file.display()))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("lookup `{name}`: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("lookup `{name}`: {e}"))?;
        rows.push(record.iter().map(str::to_owned).collect::<Vec<String>>());
    }
    let globs = header
        .iter()
        .enumerate()
        .map(|(column, name)| {
            wildcard.contains(name).then(|| {
                rows.iter()
                    .map(|row| {
                        let cell = row.get(column).map_or("", String::as_str);
                        Glob::new(cell, case_sensitive)
                    })
                    .collect()
            })
        })
        .collect();
    Ok(Table {
        indexes: Arc::new(header.iter().map(|_| OnceLock::new()).collect()),
        header,
        rows: Arc::new(rows),
        globs: Arc::new(globs),
        case_sensitive,
        max_matches,
        default_match,
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

    fn cell_matches(&self, column: usize, row: usize, cell: &str, value: &str) -> bool {
        if let Some(Some(globs)) = self.globs.get(column) {
            return globs[row].matches(value);
        }
        if self.case_sensitive {
            cell == value
        } else {
            cell.eq_ignore_ascii_case(value)
        }
    }

    /// The rows matching the event on every input (`column`, event field),
    /// in table order, at most `max_matches` of them; through the index of the first input's column when
    /// `indexed`, by testing every row otherwise.
    pub(crate) fn matches(
        &self,
        event: &Event,
        inputs: &[(usize, String)],
        indexed: bool,
    ) -> Vec<usize> {
        let values: Vec<Vec<String>> = inputs
            .iter()
            .map(|(_, field)| fields::value(event, field).texts())
            .collect();
        if values.iter().any(Vec::is_empty) {
            return Vec::new();
        }
        let row_matches = |r: usize| {
            inputs
                .iter()
                .zip(&values)
                .all(|((column, _), event_values)| {
                    let cell = self.rows[r].get(*column).map_or("", String::as_str);
                    event_values
                        .iter()
                        .any(|v| self.cell_matches(*column, r, cell, v))
                })
        };
        match inputs.first().zip(values.first()) {
            Some(((column, _), first_values)) if indexed => {
                let mut candidates = Vec::new();
                for v in first_values {
                    if !self.candidates(*column, v, &mut candidates) {
                        return (0..self.rows.len()).filter(|&r| row_matches(r)).collect();
                    }
                }
                candidates.sort_unstable();
                candidates.dedup();
                candidates.retain(|&r| row_matches(r));
                candidates.truncate(self.max_matches.unwrap_or(usize::MAX));
                candidates
            }
            _ => (0..self.rows.len())
                .filter(|&r| row_matches(r))
                .take(self.max_matches.unwrap_or(usize::MAX))
                .collect(),
        }
    }

    /// Add to `out` every row whose cell in `column` can match `value` (a
    /// superset of the matching rows); `false` when the index cannot tell
    /// (a non-ASCII value against a case-insensitive wildcard column,
    /// whose Unicode case folding the automaton does not know).
    fn candidates(&self, column: usize, value: &str, out: &mut Vec<usize>) -> bool {
        let Some(slot) = self.indexes.get(column) else {
            return false;
        };
        match slot.get_or_init(|| self.build_index(column)) {
            ColumnIndex::Exact(cells) => {
                let key = if self.case_sensitive {
                    std::borrow::Cow::Borrowed(value)
                } else {
                    std::borrow::Cow::Owned(value.to_ascii_lowercase())
                };
                if let Some(rows) = cells.get(key.as_ref()) {
                    out.extend_from_slice(rows);
                }
                true
            }
            ColumnIndex::Wildcard {
                literals,
                rows,
                unconstrained,
            } => {
                if !self.case_sensitive && !value.is_ascii() {
                    return false;
                }
                out.extend_from_slice(unconstrained);
                literals.find(value, &mut |id| out.push(rows[id]));
                true
            }
        }
    }

    fn build_index(&self, column: usize) -> ColumnIndex {
        let cell = |r: usize| self.rows[r].get(column).map_or("", String::as_str);
        if let Some(Some(globs)) = self.globs.get(column) {
            let mut literals = Vec::new();
            let mut rows = Vec::new();
            let mut unconstrained = Vec::new();
            for (r, glob) in globs.iter().enumerate() {
                match glob.longest_literal() {
                    Some(literal)
                        if !literal.is_empty() && (self.case_sensitive || literal.is_ascii()) =>
                    {
                        literals.push(literal.to_owned());
                        rows.push(r);
                    }
                    _ => unconstrained.push(r),
                }
            }
            return ColumnIndex::Wildcard {
                literals: LiteralIndex::new(literals, self.case_sensitive),
                rows,
                unconstrained,
            };
        }
        let mut cells: HashMap<String, Vec<usize>> = HashMap::new();
        for r in 0..self.rows.len() {
            let key = if self.case_sensitive {
                cell(r).to_owned()
            } else {
                cell(r).to_ascii_lowercase()
            };
            cells.entry(key).or_default().push(r);
        }
        ColumnIndex::Exact(cells)
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
