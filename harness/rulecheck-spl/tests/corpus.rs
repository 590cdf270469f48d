//! Every SPL query of the public corpora, macro-expanded and parsed.
//! Runs only when `RULECHECK_CORPORA` names the corpora folder (with
//! `security_content/` and `armory/`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

#[path = "support/security_content.rs"]
mod security_content;

use rulecheck_core::yaml;
use rulecheck_spl::{Context, Macros, compile_str, expand, parse};
use security_content::{ESCU_EXTRA_MACROS, escu_macros, yaml_files};

/// Macros the armory rules call that the armory does not define. Offline
/// each data-set macro selects every event (`index=*`); the helpers that
/// post-process results (called after a command, without a `|`) are read as
/// a no-op `| search *`; `add_fields_eoi` is a field list of `table`.
const ARMORY_MACROS: &[(&str, &str)] = &[
    ("get_endpoint_data", "index=*"),
    ("get_endpoint_data_winevent", "index=*"),
    ("get_endpoint_data_edr", "index=*"),
    ("get_endpoint_data_sysmon", "index=*"),
    ("get_endpoint_data_powershell", "index=*"),
    ("get_endpoint_data_unix", "index=*"),
    ("get_endpoint_data_windows", "index=*"),
    ("get_cloud_data", "index=*"),
    ("get_cloud_data_aws", "index=*"),
    ("get_cloud_data_o365", "index=*"),
    ("get_cloud_data_iam", "index=*"),
    ("get_cloud_data_azure", "index=*"),
    ("get_cloud_data_gcp", "index=*"),
    ("get_cloud_data_gsuite", "index=*"),
    ("get_cloud_data_storage", "index=*"),
    ("get_authentication_data", "index=*"),
    ("get_authentication_data_auth0", "index=*"),
    ("get_web_data", "index=*"),
    ("get_web_data_waf", "index=*"),
    ("get_web_data_proxy", "index=*"),
    ("get_web_data_access_logs", "index=*"),
    ("get_application_data", "index=*"),
    ("get_application_data_api", "index=*"),
    ("get_network_data", "index=*"),
    ("get_network_data_fw", "index=*"),
    ("get_email_data", "index=*"),
    ("get_email_data_malicious", "index=*"),
    ("fltr_bl_ip_address", "index=*"),
    ("add_fields_eoi", "_time host"),
    ("hec_collect", "| search *"),
];

/// Armory helpers called as a command after `|`.
const ARMORY_COMMAND_MACROS: &[(&str, usize)] = &[("ut_shannon", 1), ("ut_parse_extended", 2)];

/// Armory post-processing helpers with arguments, read as a no-op.
const ARMORY_MACROS_WITH_ARGUMENTS: &[(&str, usize)] = &[
    ("group_events", 1),
    ("group_events", 2),
    ("apply_al", 1),
    ("add_enrichment_rule", 1),
];

fn corpora() -> Option<PathBuf> {
    std::env::var_os("RULECHECK_CORPORA").map(PathBuf::from)
}

/// Every (path, query) of `dir` whose YAML has `key` (and passes `keep`).
fn queries(dir: &Path, key: &str, keep: fn(&yaml::Node) -> bool) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    yaml_files(dir, &mut files);
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let loaded = yaml::load(&text, &yaml::Limits::default());
        let Some(doc) = loaded.documents.first() else {
            continue;
        };
        if !keep(doc) {
            continue;
        }
        if let Some(query) = doc.get(key).and_then(|n| n.as_str()) {
            out.push((path, query.to_owned()));
        }
    }
    out
}

/// Armory rules whose Splunk logic is not valid SPL; Splunk rejects them
/// too. Each is reported with an `spl-syntax` or macro diagnostic.
const ARMORY_INVALID: &[&str] = &[
    // Unbalanced parentheses.
    "certificate_enumeration-windows-splunk-edr",
    "certificate_enumeration-windows-splunk-sysmon",
    "clear_windows_event_logs-splunk-powershell",
    "defender_registry_values_modified-splunk-powershell",
    "domain_trust_discovery_commands-windows-splunk-sysmon",
    "iso_image_mounted-windows-splunk-powershell",
    "possible_credential_dumping_via_windows_network_providers-splunk-sysmon",
    "potential_cve-2023-2640_or_cve-2023-32629-overlay-splunk-unix",
    "remote_wmic_query-splunk-sysmon",
    "suspicious_cupsd_child_process-nix-splunk-edr",
    "visual_studio_code_tunnel_execution-splunk-powershell",
    "potential_lightwire_web_shell-splunk-waf",
    // A missing space glues the operator to a function (`ANDmatch(`).
    "create_add_local_domain_user-splunk-edr",
    "create_add_local_domain_user-splunk-winevent",
    "powershell_smbexec_script-splunk-powershell",
    "reverseshell_upgrade_from_webshell-splunk-waf",
    // `where process contains "x"`: `contains` is not an SPL operator.
    "password_validation_check_via_dscl_from_uncommon_process-macos-splunk-edr",
    // A macro call that is not closed: `apply_al(AVL_R76907` and
    // `group_events("host,1)`.
    "suspicious_recaptcha_command_line-splunk-sysmon",
    "wuauclt_network_connection-splunk-sysmon",
    "wuauclt_network_connection-splunk-winevent",
    // The logic starts with a `"` that is never closed.
    "windows_firewall_rule_creation-splunk-sysmon",
];

/// Parse every query; print each failure; return the file stems that
/// failed.
fn parse_all(queries: &[(PathBuf, String)], macros: &Macros) -> Vec<String> {
    let mut failed = Vec::new();
    for (path, query) in queries {
        let diagnostics = match expand(query, macros) {
            Ok(expanded) => {
                let (pipeline, diagnostics) = parse(&expanded);
                if pipeline.is_some() {
                    continue;
                }
                diagnostics
            }
            Err(diagnostics) => diagnostics,
        };
        failed.push(path.file_stem().unwrap().to_string_lossy().into_owned());
        for d in diagnostics {
            let at = d.span.map(|s| {
                let start = (s.start as usize).min(query.len());
                let end = (start + 60).min(query.len());
                query.get(start..end).unwrap_or("").to_owned()
            });
            println!(
                "FAIL {}: {} {} at {:?}",
                path.display(),
                d.code,
                d.message,
                at
            );
        }
    }
    failed
}

#[test]
fn every_security_content_search_parses() {
    let Some(root) = corpora() else {
        return;
    };
    let root = root.join("security_content");
    let (macros, problems) = Macros::from_escu_dir(&root.join("macros")).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let mut macros = macros.with_undefined_filters_passing(true);
    for (name, args, definition) in ESCU_EXTRA_MACROS {
        let args = args.iter().map(|a| (*a).to_owned()).collect();
        macros.insert_with_arguments(*name, args, *definition);
    }
    let queries = queries(&root.join("detections"), "search", |_| true);
    assert_eq!(queries.len(), 1711);
    let failed = parse_all(&queries, &macros);
    println!(
        "security_content: {} of {} parsed",
        queries.len() - failed.len(),
        queries.len()
    );
    assert_eq!(failed, Vec::<String>::new());
}

/// The macros the armory rules call, as this repository's `rulecheck.toml`
/// defines them: data-set macros and hooks that pass every event.
fn armory_macros() -> Macros {
    let mut macros = Macros::new();
    for (name, definition) in ARMORY_MACROS {
        macros.insert(*name, *definition);
    }
    for (name, arity) in ARMORY_MACROS_WITH_ARGUMENTS {
        let args = (0..*arity).map(|i| format!("arg{i}")).collect();
        macros.insert_with_arguments(*name, args, "| search *");
    }
    for (name, arity) in ARMORY_COMMAND_MACROS {
        let args = (0..*arity).map(|i| format!("arg{i}")).collect();
        macros.insert_with_arguments(*name, args, "search *");
    }
    macros
}

#[test]
fn every_armory_splunk_logic_parses() {
    let Some(root) = corpora() else {
        return;
    };
    let macros = armory_macros();
    let queries = queries(&root.join("armory/detections"), "logic", |doc| {
        doc.get("logic_format").and_then(|n| n.as_str()) == Some("Splunk")
    });
    assert_eq!(queries.len(), 1466);
    let mut failed = parse_all(&queries, &macros);
    println!(
        "armory: {} of {} parsed",
        queries.len() - failed.len(),
        queries.len()
    );
    failed.sort();
    let mut invalid: Vec<String> = ARMORY_INVALID.iter().map(|s| (*s).to_owned()).collect();
    invalid.sort();
    assert_eq!(failed, invalid);
    assert_eq!(queries.len() - failed.len(), 1445);
}

/// Compile every query that parses; print the first diagnostic of each
/// failure and a tally of the unsupported constructs; return how many
/// compiled.
fn compile_all(queries: &[(PathBuf, String)], macros: &Macros, ctx: &Context) -> usize {
    let mut compiled = 0;
    let mut tally: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for (path, query) in queries {
        match compile_str(query, macros, ctx) {
            Ok(_) => compiled += 1,
            Err(diagnostics) => {
                let mut seen = std::collections::BTreeSet::new();
                for d in &diagnostics {
                    let key = format!("{} {}", d.code, d.message);
                    if seen.insert(key.clone()) {
                        *tally.entry(key).or_default() += 1;
                    }
                }
                println!(
                    "NOT COMPILED {}: {}",
                    path.file_stem().unwrap().to_string_lossy(),
                    diagnostics[0].message
                );
            }
        }
    }
    let mut tally: Vec<_> = tally.into_iter().collect();
    tally.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (what, n) in tally {
        println!("{n:5}  {what}");
    }
    compiled
}

#[test]
fn security_content_searches_compile() {
    let Some(root) = corpora() else {
        return;
    };
    let root = root.join("security_content");
    let macros = escu_macros(&root);
    let mut ctx = Context::new(1_773_479_523);
    ctx.lookups_dir = Some(root.join("lookups"));
    let queries = queries(&root.join("detections"), "search", |_| true);
    let compiled = compile_all(&queries, &macros, &ctx);
    println!("security_content: {compiled} of {} compiled", queries.len());
    assert!(compiled >= SECURITY_CONTENT_COMPILED, "{compiled}");
}

#[test]
fn armory_splunk_logic_compiles() {
    let Some(root) = corpora() else {
        return;
    };
    let macros = armory_macros();
    let ctx = Context::new(1_773_479_523);
    let queries = queries(&root.join("armory/detections"), "logic", |doc| {
        doc.get("logic_format").and_then(|n| n.as_str()) == Some("Splunk")
    });
    let compiled = compile_all(&queries, &macros, &ctx);
    println!("armory: {compiled} of {} compiled", queries.len());
    assert!(compiled >= ARMORY_COMPILED, "{compiled}");
}

/// The compile counts the corpus tests guard (they may rise, never fall).
const SECURITY_CONTENT_COMPILED: usize = 1559;
const ARMORY_COMPILED: usize = 1420;
