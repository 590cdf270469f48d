//! Reading the events of a scenario: a JSON object, a JSON array, JSON lines,
//! or YAML (one event, a list of events, or several documents).

use std::path::Path;

use rulecheck_core::LineIndex;
use rulecheck_core::yaml::{self, Value as YamlValue};
use serde_json::{Map, Value};

/// An event of a fixture.
pub type EventMap = Map<String, Value>;

/// Read the events of `path`; the error names the file, line and column.
pub fn read_events(path: &Path) -> Result<Vec<EventMap>, String> {
    if crate::discover::is_yaml(path) {
        return read_yaml(path);
    }
    let reader = rulecheck_ingest::read_file(path).map_err(|e| e.to_string())?;
    reader
        .map(|r| r.map(|r| r.event).map_err(|e| e.to_string()))
        .collect()
}

fn read_yaml(path: &Path) -> Result<Vec<EventMap>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let loaded = yaml::load(&text, &yaml::Limits::default());
    let index = LineIndex::new(&text);
    let at = |offset: u32| {
        let lc = index.line_col(&text, offset);
        format!("{}:{}:{}", path.display(), lc.line, lc.column)
    };
    if let Some(d) = loaded.diagnostics.first() {
        return Err(format!(
            "{}: {}",
            at(d.span.map_or(0, |s| s.start)),
            d.message
        ));
    }
    let mut events = Vec::new();
    for doc in &loaded.documents {
        let items: Vec<&yaml::Node> = match &doc.value {
            YamlValue::Seq(items) => items.iter().collect(),
            YamlValue::Null => Vec::new(),
            _ => vec![doc],
        };
        for item in items {
            match item.to_json() {
                Value::Object(event) => events.push(event),
                _ => {
                    return Err(format!(
                        "{}: an event must be a mapping of fields",
                        at(item.span.start)
                    ));
                }
            }
        }
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn every_fixture_format_reads() {
        for (name, text, count) in [
            ("a.json", "{\"EventID\": 1}\n", 1),
            ("b.json", "[{\"EventID\": 1}, {\"EventID\": 3}]", 2),
            ("c.jsonl", "{\"EventID\": 1}\n{\"EventID\": 3}\n", 2),
            ("d.yml", "EventID: 1\nImage: x\n", 1),
            ("e.yml", "- EventID: 1\n- EventID: 3\n", 2),
            ("f.yaml", "EventID: 1\n---\nEventID: 3\n", 2),
        ] {
            let (_dir, path) = write(name, text);
            assert_eq!(read_events(&path).unwrap().len(), count, "{name}");
        }
    }

    #[test]
    fn errors_name_the_position() {
        let (_dir, path) = write("bad.yml", "- EventID: 1\n- just a string\n");
        let err = read_events(&path).unwrap_err();
        assert!(
            err.ends_with("bad.yml:2:3: an event must be a mapping of fields"),
            "{err}"
        );
        let (_dir, path) = write("bad.jsonl", "{\"a\": 1}\n{\"a\": }\n");
        assert!(read_events(&path).unwrap_err().contains("bad.jsonl:2:"));
    }
}
