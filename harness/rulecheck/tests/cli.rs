//! The command line end to end: exit codes, formats, configuration, schemas.

// Helpers of tests: a panic is a failing test with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{json, repo_root, rulecheck, statuses, write};

const GOOD_SIGMA: &str = "title: Good\nid: 3b8c7e0a-1f2d-4c5b-9a8e-7d6c5b4a3f2e\nstatus: test\ntags: [attack.defense-evasion, attack.t1218.003]\nlogsource: {product: windows, category: process_creation}\ndetection:\n  selection:\n    Image|endswith: '\\cmstp.exe'\n  condition: selection\nlevel: high\n";
const BAD_SIGMA: &str = "title: Bad\nlogsource: {product: windows}\ntags: [attack.t1191]\ndetection:\n  selection:\n    Image|endswith: x\n  condition: selection\nlevel: extreme\n";

#[test]
fn check_passes_on_this_repository() {
    let out = rulecheck(&repo_root(), &["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("5 rules checked"), "{stdout}");
    assert!(stdout.contains("gate: PASS"), "{stdout}");
}

#[test]
fn exit_codes_follow_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules/good.yml", GOOD_SIGMA);
    assert_eq!(
        rulecheck(dir.path(), &["validate", "rules"]).status.code(),
        Some(0)
    );
    write(dir.path(), "rules/bad.yml", BAD_SIGMA);
    let out = rulecheck(dir.path(), &["validate", "rules"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("rules/bad.yml:3:8"), "{stdout}");
    assert!(stdout.contains("use `attack.t1218.003`"), "{stdout}");
    assert_eq!(
        rulecheck(dir.path(), &["validate", "missing"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        rulecheck(dir.path(), &["validate", "--no-such-flag"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        rulecheck(dir.path(), &["frobnicate"]).status.code(),
        Some(2)
    );
}

#[test]
fn json_report_follows_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules/good.yml", GOOD_SIGMA);
    write(dir.path(), "rules/bad.yml", BAD_SIGMA);
    write(dir.path(), "rules/broken.yml", "title: [\n");
    let out = rulecheck(dir.path(), &["validate", "rules", "--format", "json"]);
    let report = json(&out);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schemas/report.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let statuses = statuses(&report, "validation");
    assert_eq!(
        statuses,
        [
            ("rules/bad.yml", "fail"),
            ("rules/broken.yml", "error"),
            ("rules/good.yml", "pass")
        ]
    );
    assert_eq!(report["summary"]["gate"], "fail");
    let bad = &report["rules"][0]["validation"]["diagnostics"];
    assert_eq!(bad[0]["code"], "attack-revoked-technique");
    assert_eq!(
        (bad[0]["line"].as_u64(), bad[0]["column"].as_u64()),
        (Some(3), Some(8))
    );
}

#[test]
fn output_goes_to_a_file_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules/good.yml", GOOD_SIGMA);
    let out = rulecheck(
        dir.path(),
        &[
            "validate",
            "rules",
            "--format",
            "json",
            "--output",
            "report.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    assert!(text.contains("\"gate\": \"pass\""));
}

#[test]
fn reports_are_byte_identical_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..20 {
        write(
            dir.path(),
            &format!("rules/r{i:02}.yml"),
            if i % 3 == 0 { BAD_SIGMA } else { GOOD_SIGMA },
        );
    }
    let first = rulecheck(
        dir.path(),
        &["validate", "rules", "--format", "json", "-j", "2"],
    )
    .stdout;
    let second = rulecheck(
        dir.path(),
        &["validate", "rules", "--format", "json", "-j", "1"],
    )
    .stdout;
    assert_eq!(first, second);
}

#[test]
fn check_uses_the_configuration_and_its_format_pins() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "rulecheck.toml",
        "rules = ['detections']\n[formats]\n'detections/escu' = 'escu'\n",
    );
    // Without the pin this file would be unrecognized; pinned, it is checked as ESCU.
    write(
        dir.path(),
        "detections/escu/partial.yml",
        "name: Partial detection\nsearch: '| tstats count from datamodel=Endpoint.Processes'\n",
    );
    let out = rulecheck(dir.path(), &["check", "--format", "json"]);
    let report = json(&out);
    assert_eq!(report["rules"][0]["format"], "escu");
    let codes: Vec<&str> = report["rules"][0]["validation"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.iter().all(|c| *c == "schema-missing-key"),
        "{codes:?}"
    );
    assert_eq!(out.status.code(), Some(1));
    // From a subfolder, the configuration is found in an ancestor.
    let nested = rulecheck(
        &dir.path().join("detections/escu"),
        &["check", "--format", "json"],
    );
    assert_eq!(
        json(&nested)["rules"][0]["path"],
        "../../detections/escu/partial.yml"
    );
}

#[test]
fn a_bad_configuration_is_a_usage_error_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "rulecheck.toml",
        "rules = ['rules']\n[formats]\n'rules' = 'splunk'\n",
    );
    let out = rulecheck(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rulecheck.toml:3:"), "{stderr}");
}

#[test]
fn attack_data_can_be_replaced() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "rules/bad.yml",
        BAD_SIGMA.replace("level: extreme", "level: high").as_str(),
    );
    write(
        dir.path(),
        "attack/techniques.tsv",
        "# ATT&CK Enterprise v99.0 (test table)\nid\tname\ttactics\tparent\trevoked_by\tdeprecated\nT1191\tCMSTP\tdefense-evasion\t\t\tfalse\n",
    );
    write(
        dir.path(),
        "attack/tactics.tsv",
        "id\tshortname\tname\nTA0005\tdefense-evasion\tDefense Evasion\n",
    );
    assert_eq!(
        rulecheck(dir.path(), &["validate", "rules"]).status.code(),
        Some(1)
    );
    let out = rulecheck(
        dir.path(),
        &[
            "validate",
            "rules",
            "--attack-data",
            "attack/techniques.tsv",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn committed_schemas_are_up_to_date() {
    let out = rulecheck(&repo_root(), &["schema", "--check", "schemas"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn stale_schemas_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        rulecheck(dir.path(), &["schema", "--write", "out"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("out")).unwrap().count(),
        8
    );
    write(dir.path(), "out/sigma-rule.json", "{}\n");
    assert_eq!(
        rulecheck(dir.path(), &["schema", "--check", "out"])
            .status
            .code(),
        Some(1)
    );
}

const CMSTP_RULE: &str = "rules/sigma/windows/sysmon/cmstp_execution.yml";
const CMSTP_FIXTURES: &str = "fixtures/sigma/windows/sysmon/cmstp_execution";

#[test]
fn scan_streams_alerts_as_json_lines() {
    let root = repo_root();
    let tp = format!("{CMSTP_FIXTURES}/true_positive/cmstp_spawns_powershell.jsonl");
    let fp = format!("{CMSTP_FIXTURES}/false_positive/cmstp_installs_vpn_profile.jsonl");
    let out = rulecheck(
        &root,
        &["scan", "--rules", CMSTP_RULE, "--events", &tp, &fp],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    assert_eq!(alert["rule"], "fd0e7c15-07a4-4891-9f03-f93524fdf83c");
    assert_eq!(alert["title"], "CMSTP Execution");
    assert_eq!(alert["path"], CMSTP_RULE);
    assert_eq!(alert["source"], tp.as_str());
    assert_eq!(alert["record"], 2);
    assert_eq!(
        alert["fields"]["ParentImage"],
        "C:\\Windows\\System32\\cmstp.exe"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 rules, 3 events, 1 alerts"), "{stderr}");
}

#[test]
fn scan_reports_unreadable_events_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let rule = repo_root().join(CMSTP_RULE);
    let event = std::fs::read_to_string(
        repo_root()
            .join(CMSTP_FIXTURES)
            .join("true_positive/cmstp_spawns_powershell.jsonl"),
    )
    .unwrap();
    let second = event.lines().nth(1).unwrap();
    write(
        dir.path(),
        "events.jsonl",
        &format!("{{\"EventID\": \n{second}\n"),
    );
    let out = rulecheck(
        dir.path(),
        &[
            "scan",
            "--rules",
            rule.to_str().unwrap(),
            "--events",
            "events.jsonl",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let alerts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        alerts[0]["record"], 2,
        "records keep their numbers in the file"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("events.jsonl:1:"), "{stderr}");
}

#[test]
fn explain_shows_the_decisive_tests_with_rule_lines() {
    let root = repo_root();
    let tp = format!("{CMSTP_FIXTURES}/true_positive/cmstp_spawns_powershell.jsonl:2");
    let out = rulecheck(&root, &["explain", CMSTP_RULE, &tp]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("the rule matches"), "{stdout}");
    assert!(
        stdout.contains(&format!("{CMSTP_RULE}:21")),
        "ParentImage test with its line: {stdout}"
    );
    let fp = format!("{CMSTP_FIXTURES}/false_positive/cmstp_installs_vpn_profile.jsonl");
    let out = rulecheck(&root, &["explain", CMSTP_RULE, &fp]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("C:\\\\Windows\\\\explorer.exe"));
    let out = rulecheck(
        &root,
        &[
            "explain",
            CMSTP_RULE,
            &format!("{CMSTP_FIXTURES}/true_positive/cmstp_spawns_powershell.jsonl:9"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no record 9"));
}

#[test]
fn scan_and_explain_accept_spl_rules() {
    let root = repo_root();
    let rule = "rules/armory/endpoint/cmstp_execution/cmstp_execution-splunk-winevent.yml";
    let fixtures = "fixtures/armory/endpoint/cmstp_execution/cmstp_execution-splunk-winevent";
    let tp = format!("{fixtures}/true_positive/cmstp_silent_inf_install.jsonl");
    let fp = format!("{fixtures}/false_positive/robocopy_no_file_list.jsonl");
    let out = rulecheck(&root, &["scan", "--rules", rule, "--events", &tp, &fp]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["rule"], "13810.20277");
    assert_eq!(alerts[0]["source"], tp.as_str());
    assert!(
        alerts[0]["record"].is_null(),
        "a result row stands for the events it groups"
    );
    assert_eq!(alerts[0]["fields"]["host"], "WS-FIN-042");
    // The false positive passes the base search through "/ni" and is
    // stopped by the regex.
    let out = rulecheck(&root, &["explain", rule, &fp]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("stage 1: search → 1 row(s)"), "{text}");
    assert!(text.contains("true   \"/ni\""), "{text}");
    assert!(text.contains("stage 2: regex → 0 row(s)"), "{text}");
    assert_eq!(
        rulecheck(&root, &["explain", rule, &tp]).status.code(),
        Some(0)
    );
}
