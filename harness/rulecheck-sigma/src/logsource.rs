//! Logsource mapping as data: which events a rule's `logsource`
//! (product / category / service) applies to, and how a source's native
//! field names map to Sigma's. The default map is
//! `mappings/sigma/windows.yml`, embedded; another can be loaded from a
//! file.

use rulecheck_core::yaml::{self, Node, Value};
use rulecheck_core::{Diagnostic, Span};

use crate::ast::LogSource;
use crate::compile::{CompiledSource, FieldTest};
use crate::matcher::{Needle, StrMatcher};
use crate::value::ValueTest;

/// The embedded default mapping.
pub const DEFAULT_WINDOWS: &str = include_str!("../../../mappings/sigma/windows.yml");

/// A loaded logsource mapping.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogsourceMap {
    entries: Vec<MapEntry>,
}

#[derive(Debug, Clone, PartialEq)]
struct MapEntry {
    keys: Vec<(String, String)>,
    sources: Vec<SourceSpec>,
}

#[derive(Debug, Clone, PartialEq)]
struct SourceSpec {
    label: String,
    conditions: Vec<(String, Vec<Scalar>)>,
    fields: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Int(i64),
    Str(String),
}

impl LogsourceMap {
    /// The embedded Windows mapping.
    pub fn windows() -> LogsourceMap {
        // The embedded file is tested to load without diagnostics.
        LogsourceMap::from_yaml(DEFAULT_WINDOWS).unwrap_or_default()
    }

    /// Load a mapping from YAML text (the format of
    /// `mappings/sigma/windows.yml`).
    pub fn from_yaml(text: &str) -> Result<LogsourceMap, Vec<Diagnostic>> {
        let loaded = yaml::load(text, &yaml::Limits::default());
        if !loaded.diagnostics.is_empty() {
            return Err(loaded.diagnostics);
        }
        let mut diags = Vec::new();
        let mut entries = Vec::new();
        let root = loaded.documents.first();
        let Some(list) = root.and_then(|r| r.get("mappings")).and_then(Node::as_seq) else {
            return Err(vec![Diagnostic::error(
                "sigma-bad-mapping",
                "a logsource mapping needs a `mappings:` list",
            )]);
        };
        for item in list {
            match entry(item) {
                Ok(e) => entries.push(e),
                Err(d) => diags.push(d),
            }
        }
        if diags.is_empty() {
            Ok(LogsourceMap { entries })
        } else {
            Err(diags)
        }
    }

    /// Load a mapping file.
    pub fn from_file(path: &std::path::Path) -> Result<LogsourceMap, Vec<Diagnostic>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![Diagnostic::error(
                "sigma-bad-mapping",
                format!("cannot read {}: {e}", path.display()),
            )]
        })?;
        LogsourceMap::from_yaml(&text)
    }

    /// Whether some entry applies to `ls`.
    pub fn is_mapped(&self, ls: &LogSource) -> bool {
        !self.best(ls).is_empty()
    }

    fn best(&self, ls: &LogSource) -> Vec<&MapEntry> {
        let value = |k: &str| match k {
            "product" => ls.product.as_deref(),
            "category" => ls.category.as_deref(),
            "service" => ls.service.as_deref(),
            _ => None,
        };
        let applies = |e: &&MapEntry| {
            e.keys
                .iter()
                .all(|(k, v)| value(k).is_some_and(|x| x.eq_ignore_ascii_case(v)))
        };
        let max = self
            .entries
            .iter()
            .filter(applies)
            .map(|e| e.keys.len())
            .max()
            .unwrap_or(0);
        self.entries
            .iter()
            .filter(applies)
            .filter(|e| e.keys.len() == max)
            .collect()
    }

    /// The sources of `ls`, compiled with `intern` giving field indices.
    pub(crate) fn compile_sources(
        &self,
        ls: &LogSource,
        intern: &mut dyn FnMut(&str) -> u32,
    ) -> Vec<CompiledSource> {
        let mut out = Vec::new();
        for e in self.best(ls) {
            for s in &e.sources {
                let mut event_ids = Vec::new();
                let tests = s
                    .conditions
                    .iter()
                    .map(|(field, values)| {
                        if field == "EventID" {
                            event_ids.extend(values.iter().filter_map(|v| match v {
                                Scalar::Int(i) => Some(*i),
                                Scalar::Str(_) => None,
                            }));
                        }
                        FieldTest {
                            field: intern(field),
                            all: false,
                            negate: false,
                            values: values.iter().map(scalar_test).collect(),
                            span: Span::default(),
                        }
                    })
                    .collect();
                let mut alias = Vec::new();
                for (sigma, native) in &s.fields {
                    let from = intern(sigma) as usize;
                    let to = intern(native);
                    if alias.len() <= from {
                        alias.resize(from + 1, u32::MAX);
                    }
                    alias[from] = to;
                }
                out.push(CompiledSource {
                    label: s.label.clone(),
                    tests,
                    alias,
                    event_ids,
                });
            }
        }
        out
    }
}

fn scalar_test(v: &Scalar) -> ValueTest {
    match v {
        Scalar::Int(i) => ValueTest::Num {
            value: *i as f64,
            text: i.to_string(),
        },
        Scalar::Str(s) => ValueTest::Str(StrMatcher::Exact(Needle {
            text: s.clone(),
            cased: false,
        })),
    }
}

fn bad(msg: &str, span: Span) -> Diagnostic {
    Diagnostic::error("sigma-bad-mapping", msg).with_span(span)
}

fn scalar(n: &Node) -> Result<Scalar, Diagnostic> {
    match &n.value {
        Value::Int(i) => Ok(Scalar::Int(*i)),
        Value::String(s) => Ok(Scalar::Str(s.clone())),
        _ => Err(bad(
            "a condition value must be a string or an integer",
            n.span,
        )),
    }
}

fn entry(item: &Node) -> Result<MapEntry, Diagnostic> {
    let keys = item
        .get("match")
        .and_then(Node::as_map)
        .ok_or_else(|| bad("a mapping entry needs a `match:` map", item.span))?
        .iter()
        .map(|e| {
            e.value
                .scalar_text()
                .map(|v| (e.key.clone(), v))
                .ok_or_else(|| bad("`match` values must be strings", e.value.span))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut sources = Vec::new();
    for s in item
        .get("sources")
        .and_then(Node::as_seq)
        .ok_or_else(|| bad("a mapping entry needs a `sources:` list", item.span))?
    {
        let label = s
            .get("label")
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        let mut conditions = Vec::new();
        for c in s
            .get("conditions")
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            let values = c
                .value
                .items()
                .iter()
                .map(scalar)
                .collect::<Result<Vec<_>, _>>()?;
            conditions.push((c.key.clone(), values));
        }
        let mut fields = Vec::new();
        for f in s.get("fields").and_then(Node::as_map).unwrap_or_default() {
            let native = f
                .value
                .scalar_text()
                .ok_or_else(|| bad("a field mapping must be a string", f.value.span))?;
            fields.push((f.key.clone(), native));
        }
        sources.push(SourceSpec {
            label,
            conditions,
            fields,
        });
    }
    Ok(MapEntry { keys, sources })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::{CompileOptions, Event, compile_str};

    use super::*;

    fn rule(logsource: &str, detection: &str) -> String {
        format!("title: t\nlogsource: {logsource}\ndetection:\n{detection}\n")
    }

    fn check(logsource: &str, detection: &str, cases: &[(serde_json::Value, bool)]) {
        let opts = CompileOptions {
            logsource: Some(LogsourceMap::windows()),
            ..Default::default()
        };
        let r = compile_str(&rule(logsource, detection), &opts).unwrap_or_else(|d| panic!("{d:?}"));
        for (ev, want) in cases {
            let e = Event::from_json(ev.clone()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.matches(&e), *want, "{logsource} {ev}");
        }
    }

    const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

    #[test]
    fn embedded_map_loads() {
        let map = LogsourceMap::from_yaml(DEFAULT_WINDOWS);
        assert!(map.as_ref().is_ok_and(|m| m.entries.len() > 30), "{map:?}");
    }

    #[test]
    fn process_creation_is_sysmon_1_or_security_4688() {
        check(
            "{ product: windows, category: process_creation }",
            "    sel:\n        Image|endswith: '\\evil.exe'\n        User: bob\n    condition: sel",
            &[
                (
                    json!({"EventID": 1, "Channel": SYSMON, "Image": "C:\\evil.exe", "User": "bob"}),
                    true,
                ),
                (
                    json!({"EventID": "1", "Channel": SYSMON, "Image": "C:\\evil.exe", "User": "bob"}),
                    true,
                ),
                (
                    json!({"EventID": 3, "Channel": SYSMON, "Image": "C:\\evil.exe", "User": "bob"}),
                    false,
                ),
                (
                    json!({"EventID": 1, "Channel": "Security", "Image": "C:\\evil.exe", "User": "bob"}),
                    false,
                ),
                (
                    json!({"EventID": 4688, "Channel": "Security", "NewProcessName": "C:\\evil.exe", "SubjectUserName": "bob"}),
                    true,
                ),
                (
                    json!({"EventID": 4688, "Channel": "Security", "NewProcessName": "C:\\good.exe", "SubjectUserName": "bob"}),
                    false,
                ),
                (json!({"Image": "C:\\evil.exe", "User": "bob"}), false),
            ],
        );
    }

    #[test]
    fn categories_and_services() {
        let sel = "    sel:\n        TargetObject|contains: run\n    condition: sel";
        let reg = |id: i64| json!({"EventID": id, "Channel": SYSMON, "TargetObject": "HKLM\\Run"});
        check(
            "{ product: windows, category: registry_event }",
            sel,
            &[
                (reg(12), true),
                (reg(13), true),
                (reg(14), true),
                (reg(11), false),
            ],
        );
        check(
            "{ product: windows, category: registry_set }",
            sel,
            &[(reg(13), true), (reg(12), false)],
        );
        let any = "    sel:\n        EventID: 4624\n    condition: sel";
        check(
            "{ product: windows, service: security }",
            any,
            &[
                (json!({"EventID": 4624, "Channel": "Security"}), true),
                (json!({"EventID": 4624, "Channel": "System"}), false),
            ],
        );
        let ps = "    sel:\n        ScriptBlockText|contains: Invoke-Mimikatz\n    condition: sel";
        check(
            "{ product: windows, category: ps_script }",
            ps,
            &[
                (
                    json!({"EventID": 4104, "Channel": "Microsoft-Windows-PowerShell/Operational", "ScriptBlockText": "invoke-mimikatz"}),
                    true,
                ),
                (
                    json!({"EventID": 4103, "Channel": "Microsoft-Windows-PowerShell/Operational", "ScriptBlockText": "invoke-mimikatz"}),
                    false,
                ),
            ],
        );
        // A logsource the mapping does not cover matches nothing under it.
        check(
            "{ product: linux, category: process_creation }",
            any,
            &[(json!({"EventID": 4624}), false)],
        );
    }

    #[test]
    fn the_mapping_is_optional_and_replaceable() {
        let text = rule(
            "{ product: windows, category: process_creation }",
            "    sel:\n        Image: x\n    condition: sel",
        );
        let e = Event::from_json(json!({"Image": "x"})).unwrap_or_else(|e| panic!("{e}"));
        let off =
            compile_str(&text, &CompileOptions::default()).unwrap_or_else(|d| panic!("{d:?}"));
        assert!(off.matches(&e), "no mapping: fixtures already filtered");
        let custom = LogsourceMap::from_yaml(
            "mappings:\n  - match: { category: process_creation }\n    sources:\n      - { label: edr, conditions: { type: proc } }\n",
        )
        .unwrap_or_else(|d| panic!("{d:?}"));
        let opts = CompileOptions {
            logsource: Some(custom),
            ..Default::default()
        };
        let r = compile_str(&text, &opts).unwrap_or_else(|d| panic!("{d:?}"));
        assert!(!r.matches(&e));
        let e2 = Event::from_json(json!({"Image": "x", "type": "PROC"}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(r.matches(&e2));
        assert!(LogsourceMap::from_yaml("nope: 1").is_err());
    }
}
