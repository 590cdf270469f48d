//! Renderers of a [`Report`]: one small module per output format.
//!
//! - [`human`]: for people at a terminal, with source snippets under each
//!   diagnostic, colour when wanted, and a summary.
//! - [`json`]: the stable, documented layout of `schemas/report.json`.
//!
//! ```
//! use rulecheck_core::report::{Report, Summary, REPORT_VERSION};
//! use rulecheck_report::{Format, render};
//!
//! let report = Report { version: REPORT_VERSION, rules: vec![], other_files: vec![], summary: Summary::default() };
//! let text = render(&report, Format::Json, &rulecheck_report::human::Style::plain());
//! assert!(text.starts_with("{\n  \"version\": 1"));
//! ```

pub mod human;
pub mod json;

use rulecheck_core::report::Report;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// For people.
    Human,
    /// `schemas/report.json`.
    Json,
}

/// Render `report` in `format`.
pub fn render(report: &Report, format: Format, style: &human::Style) -> String {
    match format {
        Format::Human => human::render(report, style),
        Format::Json => json::render(report),
    }
}
