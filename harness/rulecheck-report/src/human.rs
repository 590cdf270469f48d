//! The human report: one line per rule with its three tier statuses, each
//! diagnostic with the source line it points at, and a summary.

use std::collections::HashMap;
use std::fmt::Write as _;

use rulecheck_core::Severity;
use rulecheck_core::report::{
    GateResult, Report, ReportDiagnostic, RuleReport, Status, StatusCounts, TierReport,
};

/// How to decorate the output.
#[derive(Debug, Clone, Default)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
    /// Show rules that pass with nothing to say (otherwise only a count).
    pub verbose: bool,
    /// Source texts by report path, for snippets; files are read from disk
    /// when missing here.
    pub sources: HashMap<String, String>,
}

impl Style {
    /// No colour, every rule listed.
    pub fn plain() -> Self {
        Style {
            color: false,
            verbose: true,
            sources: HashMap::new(),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

const RED: &str = "1;31";
const YELLOW: &str = "1;33";
const GREEN: &str = "32";
const BLUE: &str = "1;34";
const DIM: &str = "2";
const BOLD: &str = "1";

fn status_color(status: Status) -> &'static str {
    match status {
        Status::Pass => GREEN,
        Status::Fail | Status::Error => RED,
        Status::Unsupported | Status::Untested => YELLOW,
        Status::Skipped => DIM,
    }
}

/// Render the report for people.
pub fn render(report: &Report, style: &Style) -> String {
    let mut out = String::new();
    let mut cache: HashMap<String, Option<String>> = HashMap::new();
    for rule in &report.rules {
        let quiet = rule.validation.diagnostics.is_empty()
            && [
                rule.validation.status,
                rule.unit.status,
                rule.integration.status,
            ]
            .iter()
            .all(|s| matches!(s, Status::Pass | Status::Skipped));
        if quiet && !style.verbose {
            continue;
        }
        let source = cache.entry(rule.path.clone()).or_insert_with(|| {
            style
                .sources
                .get(&rule.path)
                .cloned()
                .or_else(|| read_lossy(&rule.path))
        });
        out.push_str(&render_rule(rule, source.as_deref(), style));
    }
    summary(&mut out, report, style);
    out
}

/// One rule: its status line and each diagnostic with the line of `source`
/// it points at.
pub fn render_rule(rule: &RuleReport, source: Option<&str>, style: &Style) -> String {
    let mut out = String::new();
    rule_line(&mut out, rule, style);
    if let Some(exception) = &rule.exception {
        let _ = writeln!(out, "  {} {exception}", style.paint(YELLOW, "exception:"));
    }
    for d in &rule.validation.diagnostics {
        diagnostic(&mut out, &rule.path, d, source, style);
    }
    for (name, tier) in [("unit", &rule.unit), ("integration", &rule.integration)] {
        tier_details(&mut out, name, tier, style);
    }
    out
}

/// The reason of a tier that did not pass, and each failed case with its
/// diff and trace.
fn tier_details(out: &mut String, name: &str, tier: &TierReport, style: &Style) {
    if matches!(tier.status, Status::Pass | Status::Skipped) {
        return;
    }
    if let Some(reason) = &tier.reason {
        let _ = writeln!(
            out,
            "  {} {reason}",
            style.paint(
                status_color(tier.status),
                &format!("{name} {}:", tier.status)
            )
        );
    }
    for case in tier
        .cases
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Error))
    {
        let _ = writeln!(
            out,
            "  {} {} ({})",
            style.paint(
                status_color(case.status),
                &format!("{}:", case.status.as_str().to_uppercase())
            ),
            style.paint(BOLD, &case.name),
            case.kind.as_str().replace('_', " ")
        );
        if let Some(message) = &case.message {
            for line in message.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
        if let Some(diff) = &case.diff {
            for line in diff.lines() {
                let color = match line.chars().next() {
                    Some('-') if !line.starts_with("---") => RED,
                    Some('+') if !line.starts_with("+++") => GREEN,
                    _ => DIM,
                };
                let _ = writeln!(out, "    {}", style.paint(color, line));
            }
        }
        if let Some(trace) = &case.trace {
            for line in trace.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out.push('\n');
}

fn read_lossy(path: &str) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn rule_line(out: &mut String, rule: &RuleReport, style: &Style) {
    // The most serious status of the three tiers.
    let rank = |s: &Status| match s {
        Status::Error => 5,
        Status::Fail => 4,
        Status::Unsupported => 3,
        Status::Untested => 2,
        Status::Pass => 1,
        Status::Skipped => 0,
    };
    let overall = [
        rule.validation.status,
        rule.unit.status,
        rule.integration.status,
    ]
    .into_iter()
    .max_by_key(rank)
    .unwrap_or(Status::Skipped);
    let label = format!("{:<11}", overall.as_str().to_uppercase());
    let tiers = [
        ("validation", rule.validation.status),
        ("unit", rule.unit.status),
        ("integration", rule.integration.status),
    ]
    .iter()
    .map(|(tier, s)| format!("{tier} {}", style.paint(status_color(*s), s.as_str())))
    .collect::<Vec<_>>()
    .join(" · ");
    let name = match (&rule.title, &rule.document) {
        (Some(title), Some(doc)) => format!("{title} (document {})", doc + 1),
        (Some(title), None) => title.clone(),
        (None, Some(doc)) => format!("document {}", doc + 1),
        (None, None) => String::new(),
    };
    let format = rule.format.map_or("?", |f| f.as_str());
    let _ = writeln!(
        out,
        "{} {} {}  [{}]  {}",
        style.paint(status_color(overall), &label),
        style.paint(BOLD, &rule.path),
        style.paint(DIM, &format!("({format})")),
        tiers,
        name
    );
}

fn diagnostic(
    out: &mut String,
    path: &str,
    d: &ReportDiagnostic,
    source: Option<&str>,
    style: &Style,
) {
    let color = match d.severity {
        Severity::Error => RED,
        Severity::Warning => YELLOW,
        Severity::Info => BLUE,
    };
    let _ = writeln!(
        out,
        "{}: {}",
        style.paint(color, &format!("{}[{}]", d.severity.as_str(), d.code)),
        style.paint(BOLD, &d.message)
    );
    let location = match (d.line, d.column) {
        (Some(line), Some(column)) => format!("{path}:{line}:{column}"),
        _ => path.to_owned(),
    };
    let (Some(line), Some(column)) = (d.line, d.column) else {
        let _ = writeln!(out, "{} {location}", style.paint(BLUE, "-->"));
        help(out, d, "", style);
        out.push('\n');
        return;
    };
    let width = line.to_string().len();
    let pad = " ".repeat(width);
    let _ = writeln!(out, "{pad}{} {location}", style.paint(BLUE, "-->"));
    if let Some(text) = source.and_then(|s| s.lines().nth(line as usize - 1)) {
        let text = text.trim_end();
        let bar = style.paint(BLUE, "|");
        let _ = writeln!(out, "{pad} {bar}");
        let _ = writeln!(out, "{} {bar} {text}", style.paint(BLUE, &line.to_string()));
        let start = column as usize - 1;
        let available = text.chars().count().saturating_sub(start).max(1);
        let len = match (d.end_line, d.end_column) {
            (Some(end_line), Some(end_column)) if end_line == line => (end_column as usize)
                .saturating_sub(column as usize)
                .clamp(1, available),
            (Some(_), Some(_)) => available,
            _ => 1,
        };
        let underline = format!("{}{}", " ".repeat(start), "^".repeat(len));
        let _ = writeln!(out, "{pad} {bar} {}", style.paint(color, &underline));
    }
    help(out, d, &pad, style);
    out.push('\n');
}

fn help(out: &mut String, d: &ReportDiagnostic, pad: &str, style: &Style) {
    if let Some(help) = &d.help {
        let _ = writeln!(out, "{pad} {} {help}", style.paint(BOLD, "= help:"));
    }
}

fn counts(c: &StatusCounts) -> String {
    let parts: Vec<String> = Status::ALL
        .iter()
        .filter(|s| c.get(**s) > 0)
        .map(|s| format!("{} {}", c.get(*s), s.as_str()))
        .collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

fn summary(out: &mut String, report: &Report, style: &Style) {
    let s = &report.summary;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let _ = writeln!(
        out,
        "{}",
        style.paint(BOLD, &format!("{} checked", plural(s.rules, "rule")))
    );
    let _ = writeln!(out, "  validation   {}", counts(&s.validation));
    let _ = writeln!(out, "  unit         {}", counts(&s.unit));
    let _ = writeln!(out, "  integration  {}", counts(&s.integration));
    let _ = writeln!(
        out,
        "  diagnostics  {}, {}, {}",
        plural(s.diagnostics.error, "error"),
        plural(s.diagnostics.warning, "warning"),
        s.diagnostics.info.to_string() + " info"
    );
    if s.other_files > 0 {
        let _ = writeln!(
            out,
            "  other files  {} (macros, lookups, stories, data sources: not rules)",
            s.other_files
        );
    }
    let gate = match s.gate {
        GateResult::Pass => style.paint(GREEN, "PASS"),
        GateResult::Fail => style.paint(RED, "FAIL"),
    };
    let _ = writeln!(out, "gate: {gate}");
}
