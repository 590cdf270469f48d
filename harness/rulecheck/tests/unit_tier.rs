//! The unit tier end to end: statuses, diffs, traces, the gate policy, and
//! `rulecheck new`.

// Helpers of tests: a panic is a failing test with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{json, repo_root, rulecheck, statuses, write};

/// A repository holding this repository's CMSTP Sigma rule (optionally
/// edited) and its fixtures.
fn cmstp_repo(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let rule =
        std::fs::read_to_string(repo_root().join("rules/sigma/windows/sysmon/cmstp_execution.yml"))
            .unwrap();
    write(dir.path(), "rules/sigma/cmstp_execution.yml", &edit(&rule));
    for kind in ["true_positive", "false_positive"] {
        let from = repo_root()
            .join("fixtures/sigma/windows/sysmon/cmstp_execution")
            .join(kind);
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let text = std::fs::read_to_string(entry.path()).unwrap();
            write(
                dir.path(),
                &format!(
                    "fixtures/sigma/cmstp_execution/{kind}/{}",
                    entry.file_name().to_string_lossy()
                ),
                &text,
            );
        }
    }
    write(dir.path(), "rulecheck.toml", "rules = ['rules']\n");
    dir
}

#[test]
fn the_repository_rule_passes_its_fixtures() {
    let dir = cmstp_repo(str::to_owned);
    let out = rulecheck(dir.path(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    let unit = &report["rules"][0]["unit"];
    assert_eq!(unit["status"], "pass");
    let cases = unit["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    assert!(cases.iter().all(|c| c["status"] == "pass"));
    assert_eq!(cases[0]["kind"], "true_positive");
}

#[test]
fn deleting_a_selection_fails_its_true_positive_with_a_diff_and_a_trace() {
    // Without selection4 (the cmlua.dll call trace) the process-access
    // scenario no longer alerts.
    let dir = cmstp_repo(|rule| {
        rule.replace("    # Process Access Call Trace\n    selection4:\n        EventID: 10\n        CallTrace: '*cmlua.dll*'\n", "")
    });
    let out = rulecheck(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL: fixtures/sigma/cmstp_execution/true_positive/cmlua_process_access.json (true positive)"), "{text}");
    assert!(
        text.contains("expected at least one alert, got 0"),
        "{text}"
    );
    assert!(
        text.contains("-(at least one alert)\n    +(no alert)"),
        "{text}"
    );
    assert!(text.contains("NO MATCH CMSTP Execution"), "{text}");
    assert!(text.contains("gate: FAIL"), "{text}");
}

#[test]
fn a_false_positive_that_alerts_shows_why() {
    // A rule that also alerts on cmstp.exe itself fires on the VPN profile install.
    let dir = cmstp_repo(|rule| {
        rule.replace(
            "        ParentImage: '*\\cmstp.exe'",
            "        Image|endswith: '\\cmstp.exe'",
        )
    });
    let out = rulecheck(dir.path(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let failed: Vec<&serde_json::Value> = report["rules"][0]["unit"]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .collect();
    let fp = failed
        .iter()
        .find(|c| c["kind"] == "false_positive")
        .unwrap();
    assert_eq!(fp["message"], "expected no alert, got 1");
    assert!(
        fp["diff"].as_str().unwrap().contains("+{"),
        "{}",
        fp["diff"]
    );
    assert!(
        fp["trace"]
            .as_str()
            .unwrap()
            .contains("MATCH CMSTP Execution")
    );
}

#[test]
fn statuses_and_the_gate_policy() {
    let dir = cmstp_repo(str::to_owned);
    // Untested: no fixtures at all.
    write(
        dir.path(),
        "rules/sigma/untested.yml",
        "title: Untested\nid: 0f3e2d1c-5b4a-4c3d-8e7f-6a5b4c3d2e1f\nlogsource: {product: windows, category: process_creation}\ndetection:\n  selection:\n    Image|endswith: '\\whoami.exe'\n  condition: selection\n",
    );
    // Unsupported: a language rulecheck does not evaluate.
    write(
        dir.path(),
        "rules/armory/snow.yml",
        "id: '1.1'\ntitle: Snowflake rule\nlogic_format: snowflake\nlogic: select 1\n",
    );
    write(
        dir.path(),
        "fixtures/armory/snow/true_positive/a.json",
        "{\"x\": 1}\n",
    );
    write(
        dir.path(),
        "fixtures/armory/snow/false_positive/b.json",
        "{\"x\": 2}\n",
    );
    let out = rulecheck(dir.path(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let statuses = statuses(&report, "unit");
    assert_eq!(
        statuses,
        [
            ("rules/armory/snow.yml", "unsupported"),
            ("rules/sigma/cmstp_execution.yml", "pass"),
            ("rules/sigma/untested.yml", "untested")
        ]
    );
    // The policy can report them without failing the gate.
    write(
        dir.path(),
        "rulecheck.toml",
        "rules = ['rules']\n[gate]\nuntested = 'warn'\nunsupported = 'warn'\n",
    );
    assert_eq!(rulecheck(dir.path(), &["check"]).status.code(), Some(0));
    // Or excuse one rule for a while.
    write(
        dir.path(),
        "rulecheck.toml",
        "rules = ['rules']\n[gate]\nunsupported = 'warn'\n[[gate.exceptions]]\nrule = '0f3e2d1c-5b4a-4c3d-8e7f-6a5b4c3d2e1f'\nreason = 'fixtures being written'\nexpires = '2999-12-31'\n",
    );
    let out = rulecheck(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("exception: fixtures being written (until 2999-12-31)")
    );
}

#[test]
fn expected_files_pin_the_alerts() {
    let dir = cmstp_repo(str::to_owned);
    let tp = "fixtures/sigma/cmstp_execution/true_positive";
    write(
        dir.path(),
        &format!("{tp}/cmmgr32_app_paths_registry.expected.yml"),
        "count: 2\nrows:\n  - {EventID: 12}\n  - {EventID: 13}\n",
    );
    assert_eq!(rulecheck(dir.path(), &["check"]).status.code(), Some(0));
    write(
        dir.path(),
        &format!("{tp}/cmmgr32_app_paths_registry.expected.yml"),
        "rows:\n  - {EventID: 12}\n",
    );
    let out = rulecheck(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("expected 1 alert, got 2"), "{text}");
    assert!(text.contains("+{\"EventID\":\"13\"}"), "{text}");
}

#[test]
fn test_selects_rules_by_id_and_tag() {
    let dir = cmstp_repo(str::to_owned);
    write(
        dir.path(),
        "rules/sigma/other.yml",
        "title: Other\nid: 11111111-2222-4333-8444-555555555555\ntags: [attack.discovery, attack.t1033]\nlogsource: {product: windows, category: process_creation}\ndetection:\n  selection:\n    Image|endswith: '\\whoami.exe'\n  condition: selection\n",
    );
    let paths = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["test", "--format", "json"];
        full.extend_from_slice(args);
        json(&rulecheck(dir.path(), &full))["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["path"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        paths(&["--tag", "attack.t1218"]),
        ["rules/sigma/cmstp_execution.yml"]
    );
    assert_eq!(
        paths(&["--tag", "attack.discovery"]),
        ["rules/sigma/other.yml"]
    );
    assert_eq!(
        paths(&["--rule", "11111111-2222-4333-8444-555555555555"]),
        ["rules/sigma/other.yml"]
    );
    assert_eq!(paths(&[]).len(), 2);
}

#[test]
fn new_scaffolds_fixture_folders_without_touching_existing_files() {
    let dir = cmstp_repo(str::to_owned);
    write(
        dir.path(),
        "rules/sigma/fresh.yml",
        "title: Fresh\nlogsource: {product: windows, category: process_creation}\ndetection:\n  selection:\n    CommandLine|contains|all: [' /s ', '.inf']\n  condition: selection\n",
    );
    let out = rulecheck(dir.path(), &["new", "rules/sigma/fresh.yml"]);
    assert_eq!(out.status.code(), Some(0));
    let template = std::fs::read_to_string(
        dir.path()
            .join("fixtures/sigma/fresh/true_positive/example.yml"),
    )
    .unwrap();
    assert!(
        template.contains("#   CommandLine: selection: contains|all  /s  / .inf"),
        "{template}"
    );
    let again = rulecheck(dir.path(), &["new", "rules/sigma/fresh.yml"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("kept"));
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn spl_rules_run_on_their_fixtures_and_a_broken_search_shows_its_stages() {
    let dir = tempfile::tempdir().unwrap();
    for folder in ["rules", "fixtures", "macros"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        copy_tree(&repo_root().join(folder), &dir.path().join(folder));
    }
    std::fs::copy(
        repo_root().join("rulecheck.toml"),
        dir.path().join("rulecheck.toml"),
    )
    .unwrap();
    let rule = "rules/escu/endpoint/windows_msiexec_spawn_discovery_command.yml";
    let out = rulecheck(dir.path(), &["check", rule, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let cases = json(&out)["rules"][0]["unit"]["cases"].clone();
    let alerts: Vec<u64> = cases
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["alerts"].as_u64().unwrap())
        .collect();
    assert_eq!(
        alerts,
        [1, 2, 0, 0],
        "true positives alert, false positives do not"
    );
    let text = std::fs::read_to_string(dir.path().join(rule)).unwrap();
    write(
        dir.path(),
        rule,
        &text.replace(
            "Processes.parent_process_name=msiexec.exe",
            "Processes.parent_process_name=msiexecc.exe",
        ),
    );
    let out = rulecheck(dir.path(), &["check", rule]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("stage 1: tstats → 0 row(s)"), "{text}");
    assert!(
        text.contains("false  Processes.parent_process_name=msiexecc.exe"),
        "{text}"
    );
}
