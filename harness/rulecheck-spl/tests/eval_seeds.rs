//! The repository's four seed rules run on events written here, each with a
//! true-positive and a false-positive scenario.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use rulecheck_core::yaml;
use rulecheck_spl::{Context, Event, Macros, compile_str};
use serde_json::json;

const NOW: i64 = 1_773_500_000;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn query(rule: &str, key: &str) -> String {
    let text = std::fs::read_to_string(repo().join(rule)).unwrap();
    let loaded = yaml::load(&text, &yaml::Limits::default());
    let doc = loaded.documents.first().unwrap();
    doc.get(key).and_then(|n| n.as_str()).unwrap().to_owned()
}

fn macros() -> Macros {
    let (mut macros, problems) = Macros::from_escu_dir(&repo().join("macros/escu")).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    // rulecheck.toml [spl.macros]
    macros.insert("get_endpoint_data", "index=*");
    macros.insert(
        "get_endpoint_data_winevent",
        r#"sourcetype IN ("XmlWinEventLog", "WinEventLog", "xmlwineventlog", "wineventlog")"#,
    );
    macros.insert(
        "get_endpoint_data_edr",
        r#"sourcetype IN ("crowdstrike:events:sensor", "carbonblack:*", "bit9:*", "mdatp:*", "ms:defender:*", "XmlWinEventLog")"#,
    );
    macros
}

fn events(values: &[serde_json::Value]) -> Vec<Event> {
    values
        .iter()
        .map(|v| rulecheck_spl::event_from_object(v.as_object().unwrap().clone()))
        .collect()
}

fn run(rule: &str, key: &str, input: &[serde_json::Value]) -> Vec<Event> {
    let ctx = Context::new(NOW);
    let search = compile_str(&query(rule, key), &macros(), &ctx).unwrap();
    search.run(&events(input), &ctx).unwrap()
}

fn sysmon_process(image: &str, command_line: &str, parent: &str) -> serde_json::Value {
    json!({
        "EventID": 1,
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Computer": "WS-FIN-042.corp.example.com",
        "TimeCreated": "2026-03-14T09:12:03.114Z",
        "ProcessId": 6120,
        "Image": image,
        "CommandLine": command_line,
        "User": "CORP\\jdoe",
        "ParentProcessId": 4412,
        "ParentImage": parent,
        "ParentCommandLine": parent,
        "OriginalFileName": image.rsplit('\\').next().unwrap().to_uppercase(),
    })
}

const MSIEXEC: &str = "rules/escu/endpoint/windows_msiexec_spawn_discovery_command.yml";
const MOFCOMP: &str = "rules/escu/endpoint/windows_mof_event_triggered_execution_via_wmi.yml";
const CMSTP: &str = "rules/armory/endpoint/cmstp_execution/cmstp_execution-splunk-winevent.yml";
const PSEXEC: &str = "rules/armory/endpoint/remote_admin_tools/remote_admin_tools-splunk-edr.yml";

#[test]
fn msiexec_spawning_nltest_fires() {
    let rows = run(
        MSIEXEC,
        "search",
        &[sysmon_process(
            "C:\\Windows\\System32\\nltest.exe",
            "nltest.exe /domain_trusts",
            "C:\\Windows\\System32\\msiexec.exe",
        )],
    );
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let row = &rows[0];
    assert_eq!(row["process_name"], "nltest.exe");
    assert_eq!(row["parent_process_name"], "msiexec.exe");
    assert_eq!(row["dest"], "WS-FIN-042.corp.example.com");
    assert_eq!(row["count"], 1);
    assert_eq!(row["firstTime"], "2026-03-14T09:12:03");
}

#[test]
fn msiexec_spawning_msiexec_is_quiet() {
    let rows = run(
        MSIEXEC,
        "search",
        &[sysmon_process(
            "C:\\Windows\\System32\\msiexec.exe",
            "msiexec.exe /V",
            "C:\\Windows\\System32\\msiexec.exe",
        )],
    );
    assert!(rows.is_empty(), "{rows:#?}");
}

#[test]
fn msiexec_rule_reads_data_model_form_events() {
    let event = json!({
        "_time": 1_773_479_523,
        "Processes.dest": "host1",
        "Processes.user": "jdoe",
        "Processes.parent_process_name": "MsiExec.exe",
        "Processes.process_name": "cmd.exe",
        "Processes.original_file_name": "Cmd.Exe",
        "Processes.process": "cmd.exe /c whoami",
        "Processes.process_id": 10,
        "Processes.parent_process_id": 9,
    });
    let rows = run(MSIEXEC, "search", &[event]);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["process"], "cmd.exe /c whoami");
}

#[test]
fn mofcomp_from_cmd_fires() {
    let rows = run(
        MOFCOMP,
        "search",
        &[sysmon_process(
            "C:\\Windows\\System32\\wbem\\mofcomp.exe",
            "mofcomp.exe C:\\Users\\Public\\evil.mof",
            "C:\\Windows\\System32\\cmd.exe",
        )],
    );
    assert_eq!(rows.len(), 1, "{rows:#?}");
}

#[test]
fn mofcomp_from_services_in_wbem_is_quiet() {
    let rows = run(
        MOFCOMP,
        "search",
        &[sysmon_process(
            "C:\\Windows\\System32\\wbem\\mofcomp.exe",
            "mofcomp.exe C:\\Windows\\System32\\wbem\\cimwin32.mof",
            "C:\\Windows\\System32\\services.exe",
        )],
    );
    assert!(rows.is_empty(), "{rows:#?}");
}

#[test]
fn mofcomp_rule_reads_security_4688() {
    let event = json!({
        "EventID": 4688,
        "Channel": "Security",
        "Computer": "dc01",
        "TimeCreated": "2026-03-14T09:12:03Z",
        "NewProcessName": "C:\\Windows\\System32\\wbem\\mofcomp.exe",
        "CommandLine": "mofcomp.exe C:\\Users\\bob\\AppData\\Local\\Temp\\x.mof",
        "ParentProcessName": "C:\\Windows\\explorer.exe",
        "SubjectUserName": "bob",
        "NewProcessId": "0x1a4",
        "ProcessId": "0x10",
    });
    let rows = run(MOFCOMP, "search", &[event]);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["user"], "bob");
}

fn winevent_4688(process: &str) -> serde_json::Value {
    json!({
        "_time": 1_773_479_523,
        "sourcetype": "XmlWinEventLog",
        "host": "ws-fin-042",
        "EventCode": 4688,
        "user": "jdoe",
        "process": process,
        "process_name": process.split(' ').next().unwrap(),
        "parent_process_name": "cmd.exe",
        "signature_id": 4688,
    })
}

#[test]
fn cmstp_with_an_inf_fires() {
    let rows = run(
        CMSTP,
        "logic",
        &[winevent_4688(
            "cmstp.exe /s /ni C:\\Users\\jdoe\\corpvpn.inf",
        )],
    );
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["host"], "ws-fin-042");
    assert_eq!(
        rows[0]["process"],
        "cmstp.exe /s /ni C:\\Users\\jdoe\\corpvpn.inf"
    );
}

#[test]
fn benign_process_is_quiet_for_cmstp() {
    let rows = run(
        CMSTP,
        "logic",
        &[winevent_4688("notepad.exe C:\\report.txt")],
    );
    assert!(rows.is_empty(), "{rows:#?}");
}

fn crowdstrike(command_line: &str) -> serde_json::Value {
    json!({
        "_time": "2026-03-14T09:12:03Z",
        "sourcetype": "crowdstrike:events:sensor",
        "event_simpleName": "ProcessRollup2",
        "host": "ws-fin-042",
        "user": "jdoe",
        "process": command_line,
        "process_name": "PsExec.exe",
        "parent_process": "cmd.exe",
    })
}

#[test]
fn psexec_to_a_remote_host_fires() {
    let rows = run(
        PSEXEC,
        "logic",
        &[crowdstrike("PsExec.exe \\\\fileserver01 -s cmd.exe")],
    );
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["process"], "PsExec.exe \\\\fileserver01 -s cmd.exe");
}

#[test]
fn psexec_without_a_host_is_quiet() {
    let rows = run(
        PSEXEC,
        "logic",
        &[crowdstrike("PsExec.exe -accepteula -s cmd.exe")],
    );
    assert!(rows.is_empty(), "{rows:#?}");
}

#[test]
fn explain_names_stages_and_predicates() {
    let ctx = Context::new(NOW);
    let search = compile_str(&query(MSIEXEC, "search"), &macros(), &ctx).unwrap();
    let events = events(&[sysmon_process(
        "C:\\Windows\\System32\\msiexec.exe",
        "msiexec.exe /V",
        "C:\\Windows\\System32\\msiexec.exe",
    )]);
    let text = search.explain(&events, &ctx, 0).to_string();
    assert!(text.contains("stage 1: tstats → 0 row(s)"), "{text}");
    assert!(text.contains("by `Sysmon EventID 1"), "{text}");
    assert!(
        text.contains("true   Processes.parent_process_name=msiexec.exe"),
        "{text}"
    );
    assert!(text.contains("false  Processes.process_name IN"), "{text}");
}
