//! The repository's own Sigma rules compile, and fire on the events they
//! describe.

use rulecheck_sigma::{CompileOptions, Event, LogsourceMap, compile_str};
use serde_json::json;

fn repo_file(path: &str) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../");
    std::fs::read_to_string(format!("{root}{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn cmstp_execution() {
    let text = repo_file("rules/sigma/windows/sysmon/cmstp_execution.yml");
    let opts = CompileOptions {
        logsource: Some(LogsourceMap::windows()),
        ..CompileOptions::default()
    };
    let rule = compile_str(&text, &opts).unwrap_or_else(|d| panic!("{d:?}"));
    let sysmon = "Microsoft-Windows-Sysmon/Operational";
    let cases = [
        (
            json!({"EventID": 1, "Channel": sysmon, "ParentImage": "C:\\Windows\\System32\\cmstp.exe"}),
            true,
        ),
        (
            json!({"EventID": 12, "Channel": sysmon, "TargetObject": "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\App Paths\\CMMGR32.EXE"}),
            true,
        ),
        (
            json!({"EventID": 10, "Channel": sysmon, "CallTrace": "C:\\Windows\\system32\\cmlua.dll+6a4d"}),
            true,
        ),
        (
            json!({"EventID": 1, "Channel": sysmon, "ParentImage": "C:\\Windows\\explorer.exe"}),
            false,
        ),
        (
            json!({"EventID": 1, "Channel": "Security", "ParentImage": "C:\\Windows\\System32\\cmstp.exe"}),
            false,
        ),
        (
            json!({"EventID": 10, "Channel": sysmon, "TargetObject": "x\\cmmgr32.exe"}),
            false,
        ),
    ];
    for (event, want) in cases {
        let e = Event::from_json(event.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rule.matches(&e), want, "{event}");
    }
}
