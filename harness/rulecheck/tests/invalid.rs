//! Bad input gets a clear diagnostic with line and column, and the run goes
//! on: every file under `tests/invalid` is checked in one run, and the
//! rendered diagnostics of each are snapshotted.

// Helpers of tests: a panic is a failing test with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use rulecheck_core::report::{Report, Status};
use rulecheck_report::human::{Style, render_rule};
use rulecheck_runner::config::Limits;
use rulecheck_runner::{Config, RunOptions, Tiers, run};

fn run_invalid_folder() -> Report {
    let config = Config {
        limits: Limits {
            max_file_size: 4096,
            ..Limits::default()
        },
        ..Config::default()
    };
    let options = RunOptions::new(vec![PathBuf::from("tests/invalid")], Tiers::Validation);
    run(&config, &options).expect("the run itself succeeds")
}

#[test]
fn every_invalid_file_is_reported_with_positions() {
    let report = run_invalid_folder();
    let files = std::fs::read_dir("tests/invalid").unwrap().count();
    let mut seen: Vec<&str> = report.rules.iter().map(|r| r.path.as_str()).collect();
    seen.dedup();
    assert_eq!(seen.len(), files, "every file appears in the report");
    for rule in &report.rules {
        if rule.path.ends_with("duplicate-id-a.yml") {
            // The first user of an id is fine; the second one is reported.
            continue;
        }
        assert_ne!(
            rule.validation.status,
            Status::Pass,
            "{} should not pass",
            rule.path
        );
        assert!(
            !rule.validation.diagnostics.is_empty(),
            "{} has no diagnostic",
            rule.path
        );
        for d in &rule.validation.diagnostics {
            let whole_file = matches!(d.code.as_str(), "empty-file" | "file-too-large");
            assert!(
                whole_file || d.line.is_some(),
                "{}: `{}` has no line",
                rule.path,
                d.code
            );
        }
    }
}

#[test]
fn rendered_diagnostics() {
    let report = run_invalid_folder();
    let mut by_file: Vec<(String, String)> = Vec::new();
    for rule in &report.rules {
        let source = std::fs::read(&rule.path)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        let text = render_rule(rule, source.as_deref(), &Style::plain());
        match by_file.last_mut() {
            Some((path, rendered)) if *path == rule.path => rendered.push_str(&text),
            _ => by_file.push((rule.path.clone(), text)),
        }
    }
    for (path, rendered) in by_file {
        let name = path
            .trim_start_matches("tests/invalid/")
            .trim_end_matches(".yml");
        insta::assert_snapshot!(name, rendered);
    }
}
