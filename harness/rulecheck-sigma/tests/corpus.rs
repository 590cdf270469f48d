//! Every SigmaHQ rule of the corpus parses and compiles; every rule under
//! `unsupported/` is rejected with a reason. Runs when `RULECHECK_CORPORA`
//! points at the corpora folder; passes without doing anything otherwise.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rulecheck_sigma::{CompileOptions, LogsourceMap, ParsedDocument, compile, parse_str};

fn yml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            out.push(p);
        }
    }
}

/// Every `%name%` in `expand` values gets a value, as a deployment's
/// placeholder map would provide.
fn placeholders(texts: &[String]) -> HashMap<String, Vec<String>> {
    let mut map = HashMap::new();
    for t in texts {
        if !t.contains("|expand") {
            continue;
        }
        for line in t.lines() {
            for (i, part) in line.split('%').enumerate() {
                if i % 2 == 1
                    && !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                {
                    map.insert(part.to_owned(), vec![format!("{part}_value*")]);
                }
            }
        }
    }
    map
}

/// Compile every document of `text`; the failure messages.
fn compile_file(text: &str, opts: &CompileOptions) -> Vec<String> {
    let (docs, diags) = parse_str(text);
    let mut failures: Vec<String> = diags
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    for doc in &docs {
        if let ParsedDocument::Rule(rule) = doc
            && let Err(d) = compile(rule, opts)
        {
            failures.extend(d.iter().map(|d| format!("{}: {}", d.code, d.message)));
        }
    }
    failures
}

/// Rules under `unsupported/` that are valid Sigma v2 and do not say why
/// they are there, with the reason.
const ACCEPTED_UNSUPPORTED: &[(&str, &str)] = &[
    (
        "lnx_auditd_omigod_scx_runasprovider_executescript.yml",
        "auditd `cmdline` is not a field of raw auditd records; the rule is valid Sigma",
    ),
    (
        "win_suspicious_werfault_connection_outbound.yml",
        "needs process-level network telemetry few sources have; the rule is valid Sigma",
    ),
    (
        "file_event_executable_and_script_creation_by_office_using_file_ext.yml",
        "`FileMagicBytes` is not a field of any file event source; the rule is valid Sigma",
    ),
    (
        "sysmon_non_priv_program_files_move.yml",
        "`IntegrityLevel` is not a field of Sysmon file events; the rule is valid Sigma",
    ),
];

#[test]
fn sigmahq_corpus() {
    let Some(root) = std::env::var_os("RULECHECK_CORPORA") else {
        return;
    };
    let root = PathBuf::from(root).join("sigma");
    let mut files = Vec::new();
    yml_files(&root, &mut files);
    files.sort();
    assert!(files.len() > 3000, "corpus not found at {}", root.display());
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect();
    let opts = CompileOptions {
        placeholders: placeholders(&texts),
        logsource: Some(LogsourceMap::windows()),
    };
    let bare = CompileOptions::default();
    let mut failures = Vec::new();
    let mut accepted_unsupported = Vec::new();
    let mut wrong_reason = Vec::new();
    let mut explained = Vec::new();
    let mut unresolved_without_map = 0;
    let mut compiled = 0;
    for (file, text) in files.iter().zip(&texts) {
        let rel = file.strip_prefix(&root).unwrap_or(file);
        let unsupported = rel.starts_with("unsupported");
        let errs = compile_file(text, &opts);
        if unsupported {
            if errs.is_empty() {
                // Valid Sigma v2 that SigmaHQ keeps out of the main set for
                // reasons outside the rule language: the rule says so with
                // `status: unsupported`, or its logsource needs an enrichment.
                let explained_by_rule = text.contains("status: unsupported")
                    || text.contains("definition: Works only if");
                if !explained_by_rule && !ACCEPTED_UNSUPPORTED.iter().any(|(p, _)| rel.ends_with(p))
                {
                    accepted_unsupported.push(rel.display().to_string());
                }
            } else if !errs
                .iter()
                .any(|e| e.starts_with("sigma-unsupported") || e.starts_with("sigma-bad-value"))
            {
                wrong_reason.push(format!("{}: {errs:?}", rel.display()));
            }
            continue;
        }
        if errs.is_empty() {
            compiled += 1;
        } else if rel.starts_with("deprecated")
            && errs.iter().all(|e| e.starts_with("sigma-unsupported"))
        {
            // Deprecated rules may still use legacy aggregations; they are
            // rejected as unsupported, like `unsupported/`.
            explained.push(rel.display().to_string());
        } else {
            failures.push(format!("{}: {}", rel.display(), errs.join("; ")));
        }
        if text.contains("|expand") {
            let without = compile_file(text, &bare);
            assert!(
                without
                    .iter()
                    .all(|e| e.starts_with("sigma-unresolved-placeholder"))
                    && !without.is_empty(),
                "{}: without a placeholder map: {without:?}",
                rel.display()
            );
            unresolved_without_map += 1;
        }
    }
    eprintln!(
        "compiled {compiled} rules; {unresolved_without_map} need the placeholder map; \
         {} failures; deprecated and rejected as unsupported: {explained:?}",
        failures.len()
    );
    assert!(
        explained.len() <= 1,
        "more deprecated rules rejected than known: {explained:?}"
    );
    assert!(
        failures.is_empty(),
        "{} rules failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        wrong_reason.is_empty(),
        "unsupported rules rejected for another reason:\n{}",
        wrong_reason.join("\n")
    );
    assert!(
        accepted_unsupported.is_empty(),
        "unsupported rules accepted:\n{}",
        accepted_unsupported.join("\n")
    );
}
