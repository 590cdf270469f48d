//! The explain trace: why a rule did or did not match an event, test by
//! test, with spans back into the rule file.

use std::fmt::{self, Write as _};

use rulecheck_core::{LineIndex, Span};
use serde_json::Value;

/// The evaluation tree of one rule on one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The rule's title.
    pub title: String,
    /// The rule's id.
    pub id: Option<String>,
    /// The final result.
    pub matched: bool,
    /// The logsource alternatives (empty when no mapping was applied).
    pub sources: Vec<SourceTrace>,
    /// The mapping in force does not cover the rule's logsource.
    pub unmapped: bool,
    /// Every search identifier.
    pub selections: Vec<SelectionTrace>,
    /// The condition's result.
    pub condition: bool,
    /// Where the condition is.
    pub condition_span: Span,
}

/// One logsource alternative.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceTrace {
    /// `sysmon 1`, `security 4688`.
    pub label: String,
    /// Its tests.
    pub tests: Vec<FieldTrace>,
}

impl SourceTrace {
    /// Whether the event belongs to this source.
    pub fn matched(&self) -> bool {
        self.tests.iter().all(|t| t.matched)
    }
}

/// One search identifier.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectionTrace {
    /// Its name.
    pub name: String,
    /// Where it is defined.
    pub span: Span,
    /// Its result.
    pub matched: bool,
    /// The field tests of each map (OR of ANDs).
    pub groups: Vec<Vec<FieldTrace>>,
    /// The result of a keyword search, for keyword identifiers.
    pub keywords: Option<bool>,
}

/// One field test.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldTrace {
    /// The field.
    pub field: String,
    /// What was tested, in words.
    pub test: String,
    /// The event's value (None: missing).
    pub value: Option<Value>,
    /// The result.
    pub matched: bool,
    /// Where the test is in the rule.
    pub span: Span,
}

/// A [`Trace`] rendered as text with `file:line` positions.
pub struct Rendered<'a> {
    trace: &'a Trace,
    file: &'a str,
    text: &'a str,
    index: &'a LineIndex,
}

impl Trace {
    /// Render with positions in `file`, whose contents are `text` and
    /// line index `index`.
    pub fn render<'a>(
        &'a self,
        file: &'a str,
        text: &'a str,
        index: &'a LineIndex,
    ) -> Rendered<'a> {
        Rendered {
            trace: self,
            file,
            text,
            index,
        }
    }
}

fn mark(b: bool) -> &'static str {
    if b { "✓" } else { "✗" }
}

impl Rendered<'_> {
    fn pos(&self, span: Span) -> String {
        let lc = self.index.line_col(self.text, span.start);
        format!("{}:{}", self.file, lc.line)
    }

    fn field(&self, out: &mut String, indent: &str, t: &FieldTrace) -> fmt::Result {
        let value = match &t.value {
            Some(v) => v.to_string(),
            None => "(missing)".to_owned(),
        };
        writeln!(
            out,
            "{indent}{} {} {}  value: {value}  [{}]",
            mark(t.matched),
            t.field,
            t.test,
            self.pos(t.span)
        )
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.trace;
        let mut out = String::new();
        writeln!(
            out,
            "{} {} ({})",
            if t.matched { "MATCH" } else { "NO MATCH" },
            t.title,
            t.id.as_deref().unwrap_or("no id")
        )?;
        if t.unmapped {
            writeln!(out, "  ✗ logsource: not covered by the logsource mapping")?;
        }
        if !t.sources.is_empty() {
            writeln!(out, "  logsource:")?;
            for s in &t.sources {
                writeln!(out, "    {} {}", mark(s.matched()), s.label)?;
                for ft in &s.tests {
                    self.field(&mut out, "      ", ft)?;
                }
            }
        }
        for s in &t.selections {
            writeln!(
                out,
                "  {} {}  [{}]",
                mark(s.matched),
                s.name,
                self.pos(s.span)
            )?;
            if let Some(k) = s.keywords {
                writeln!(out, "    {} keywords", mark(k))?;
            }
            let many = s.groups.len() > 1;
            for (i, g) in s.groups.iter().enumerate() {
                if many {
                    writeln!(
                        out,
                        "    - map {} {}",
                        i + 1,
                        mark(g.iter().all(|x| x.matched))
                    )?;
                }
                for ft in g {
                    self.field(&mut out, if many { "        " } else { "    " }, ft)?;
                }
            }
        }
        writeln!(
            out,
            "  {} condition  [{}]",
            mark(t.condition),
            self.pos(t.condition_span)
        )?;
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::{CompileOptions, Event, LogsourceMap, compile_str};

    use super::*;

    #[test]
    fn explain_renders_each_test_with_its_line() {
        let text = "title: CMSTP
id: r1
logsource: { product: windows, category: process_creation }
detection:
    selection:
        ParentImage|endswith: '\\cmstp.exe'
        CommandLine|contains: [' /s ', ' /ni ']
    filter:
        User: SYSTEM
    condition: selection and not filter
";
        let opts = CompileOptions {
            logsource: Some(LogsourceMap::windows()),
            ..Default::default()
        };
        let rule = compile_str(text, &opts).unwrap_or_else(|d| panic!("{d:?}"));
        let event = Event::from_json(json!({
            "EventID": 1,
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "ParentImage": "C:\\Windows\\System32\\cmstp.exe",
            "CommandLine": "x.exe /q",
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let trace = rule.explain(&event);
        assert!(!trace.matched);
        assert!(!trace.selections[0].matched);
        assert!(trace.selections[0].groups[0][0].matched);
        assert!(!trace.selections[0].groups[0][1].matched);
        assert_eq!(trace.selections[1].groups[0][0].value, None);
        let index = LineIndex::new(text);
        let out = trace.render("rules/cmstp.yml", text, &index).to_string();
        assert!(out.starts_with("NO MATCH CMSTP (r1)"), "{out}");
        assert!(out.contains("✓ sysmon 1"), "{out}");
        assert!(out.contains("✗ security 4688"), "{out}");
        assert!(out.contains("✓ ParentImage endswith '\\cmstp.exe'  value: \"C:\\\\Windows\\\\System32\\\\cmstp.exe\"  [rules/cmstp.yml:6]"), "{out}");
        assert!(out.contains("✗ CommandLine"), "{out}");
        assert!(out.contains("[rules/cmstp.yml:7]"), "{out}");
        assert!(
            out.contains("value: (missing)  [rules/cmstp.yml:9]"),
            "{out}"
        );
        assert!(out.contains("✗ condition  [rules/cmstp.yml:10]"), "{out}");
    }
}
