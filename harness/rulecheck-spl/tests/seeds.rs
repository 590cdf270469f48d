//! The repository's own SPL rules (rules/armory, rules/escu), expanded with
//! the repository's macros and parsed into the expected shape.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{aggregation, search};
use rulecheck_core::yaml;
use rulecheck_spl::ast::{CommandKind, Pipeline, TstatsSource};
use rulecheck_spl::{Macros, expand, parse};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The repository's macros: `macros/escu` plus the `[spl.macros]` entries of
/// rulecheck.toml.
fn macros() -> Macros {
    let (mut macros, problems) = Macros::from_escu_dir(&repo().join("macros/escu")).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let config = std::fs::read_to_string(repo().join("rulecheck.toml")).unwrap();
    let section = config.split("[spl.macros]").nth(1).unwrap();
    for line in section.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            break;
        }
        if let Some((name, value)) = line.split_once(" = ") {
            let value = value.trim();
            macros.insert(name.trim(), &value[1..value.len() - 1]);
        }
    }
    macros.with_undefined_filters_passing(true)
}

fn rule(path: &str, key: &str) -> Pipeline {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    let loaded = yaml::load(&text, &yaml::Limits::default());
    let query = loaded.documents[0]
        .get(key)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    let expanded = expand(&query, &macros()).unwrap();
    let (pipeline, diagnostics) = parse(&expanded);
    assert!(diagnostics.is_empty(), "{path}: {diagnostics:#?}");
    pipeline.unwrap()
}

fn names(p: &Pipeline) -> Vec<String> {
    p.commands
        .iter()
        .map(|c| {
            c.name
                .as_ref()
                .map_or("(search)".to_owned(), |n| n.text.clone())
        })
        .collect()
}

#[test]
fn cmstp_execution() {
    let p = rule(
        "rules/armory/endpoint/cmstp_execution/cmstp_execution-splunk-winevent.yml",
        "logic",
    );
    assert_eq!(names(&p), ["(search)", "regex", "table", "bin", "stats"]);
    let CommandKind::Search(Some(e)) = &p.commands[0].kind else {
        panic!()
    };
    // OR binds tighter than the implied AND: the last four groups form one OR.
    assert_eq!(
        search(e),
        "(and index=* sourcetype in [\"XmlWinEventLog\" \"WinEventLog\" \"xmlwineventlog\" \"wineventlog\"] \
         (or TERM(EventCode=4688) \"<EventID>4688<\" Type=Process) \
         (or \"cmstp.exe\" (and \"/s\" \"/.inf\") \"/ni\" \"/ns\"))"
    );
    let CommandKind::Regex(r) = &p.commands[1].kind else {
        panic!()
    };
    assert_eq!(r.field.as_ref().unwrap().text, "process");
    assert_eq!(
        r.pattern.text,
        r"(?i)cmstp|\s+\/s\s+.+\.inf|\s+\/ni\s+.{4,}|\s+\/ns\s+.{4,}"
    );
    let CommandKind::Stats(s) = &p.commands[4].kind else {
        panic!()
    };
    assert_eq!(aggregation(&s.aggregations[0]), "values(*) as *");
}

#[test]
fn remote_admin_tools() {
    let p = rule(
        "rules/armory/endpoint/remote_admin_tools/remote_admin_tools-splunk-edr.yml",
        "logic",
    );
    assert_eq!(names(&p), ["(search)", "regex", "table", "bin", "stats"]);
    let CommandKind::Search(Some(e)) = &p.commands[0].kind else {
        panic!()
    };
    let text = search(e);
    assert!(text.ends_with(
        "(or event_type in [\"childproc\" \"netconn\" \"proc\"] (or TERM(ProcessRollup2) Type=Process) \
         TERM(DeviceProcessEvents)) \".exe\" \"\\\\\\\\\")"
    ), "{text}");
    let CommandKind::Regex(r) = &p.commands[1].kind else {
        panic!()
    };
    assert_eq!(
        r.pattern.text,
        r#"(?i)((\.exe(")?(\s+|\s+\/c)\s+)|(psexec.{1,}))("{1,})?\x5c\x5c.{2,}"#
    );
}

fn check_tstats(p: &Pipeline, filter: &str) {
    assert_eq!(
        names(p),
        ["tstats", "rename", "convert", "convert", "search"]
    );
    let CommandKind::Tstats(t) = &p.commands[0].kind else {
        panic!()
    };
    let options: Vec<_> = t.options.iter().map(|o| o.key.text.as_str()).collect();
    assert_eq!(
        options,
        ["summariesonly", "allow_old_summaries", "fillnull_value"]
    );
    let aggs: Vec<_> = t.aggregations.iter().map(aggregation).collect();
    assert_eq!(
        aggs,
        ["count", "min(_time) as firstTime", "max(_time) as lastTime"]
    );
    assert!(
        matches!(&t.from, Some(TstatsSource::Datamodel { model, dataset: Some(d) })
        if model.text == "Endpoint" && d.text == "Processes")
    );
    assert_eq!(search(t.filter.as_ref().unwrap()), filter);
    assert_eq!(t.by[0].text, "Processes.dest");
    let CommandKind::Rename(r) = &p.commands[1].kind else {
        panic!()
    };
    assert_eq!(
        (r.pairs[0].from.text.as_str(), r.pairs[0].to.text.as_str()),
        ("Processes.*", "*")
    );
    let CommandKind::Convert(c) = &p.commands[2].kind else {
        panic!()
    };
    assert_eq!(c.conversions[0].field.text, "firstTime");
}

#[test]
fn windows_msiexec_spawn_discovery_command() {
    let p = rule(
        "rules/escu/endpoint/windows_msiexec_spawn_discovery_command.yml",
        "search",
    );
    check_tstats(
        &p,
        "(and Processes.parent_process_name=msiexec.exe Processes.process_name in \
         [\"powershell.exe\" \"cmd.exe\" \"nltest.exe\" \"ipconfig.exe\" \"systeminfo.exe\"])",
    );
}

#[test]
fn windows_mof_event_triggered_execution_via_wmi() {
    let p = rule(
        "rules/escu/endpoint/windows_mof_event_triggered_execution_via_wmi.yml",
        "search",
    );
    check_tstats(
        &p,
        "(or (and Processes.parent_process_name in [\"cmd.exe\" \"powershell.exe\"] \
         Processes.process_name=mofcomp.exe) (and Processes.process_name=mofcomp.exe \
         Processes.process in [\"*\\\\AppData\\\\Local\\\\*\" \"*\\\\Users\\\\Public\\\\*\"]))",
    );
}
