//! Helpers shared by the command-line tests.

// A panic in a test helper is a failing test with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run the `rulecheck` binary in `dir` without colour or progress bar.
pub(crate) fn rulecheck(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rulecheck"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CI", "true")
        .output()
        .expect("rulecheck runs")
}

/// This repository's root.
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Write `text` to `path` below `dir`, creating folders.
pub(crate) fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Standard output as JSON.
pub(crate) fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// Each rule's path and the status of one of its tiers in a JSON report.
pub(crate) fn statuses<'r>(report: &'r serde_json::Value, tier: &str) -> Vec<(&'r str, &'r str)> {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap(),
                r[tier]["status"].as_str().unwrap(),
            )
        })
        .collect()
}
