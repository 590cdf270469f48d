//! The `tstats` prefilters computed at compile time never change results:
//! every security_content detection that compiles returns the same rows
//! from `Search::run_batch` with and without them, over generated events
//! (`bench/spl/gen_events.py`). Runs only when `RULECHECK_CORPORA` names
//! the corpora folder (with `security_content/`) and `python3` is found.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use rulecheck_core::yaml;
use rulecheck_spl::{Batch, Context, Event, Macros, Search, compile_str};

/// Macros security_content calls but does not ship (as in `tests/corpus.rs`).
const ESCU_EXTRA_MACROS: &[(&str, &[&str], &str)] = &[
    ("drop_dm_object_name", &["object"], "rename $object$.* AS *"),
    (
        "cim_corporate_web_domain_search",
        &["domain"],
        "search NOT $domain$=\"*corp.example\"",
    ),
    (
        "get_asset",
        &["field"],
        "lookup asset_lookup_by_str key as $field$",
    ),
];

const NOW: i64 = 1_773_500_000;

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml") {
            out.push(path);
        }
    }
}

fn compile_rules(root: &Path, ctx: &Context) -> Vec<(String, Search)> {
    let (macros, _) = Macros::from_escu_dir(&root.join("macros")).unwrap();
    let mut macros = macros.with_undefined_filters_passing(true);
    for (name, args, definition) in ESCU_EXTRA_MACROS {
        let args = args.iter().map(|a| (*a).to_owned()).collect();
        macros.insert_with_arguments(*name, args, *definition);
    }
    let mut files = Vec::new();
    yaml_files(&root.join("detections"), &mut files);
    let mut rules = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let loaded = yaml::load(&text, &yaml::Limits::default());
        let Some(query) = loaded
            .documents
            .first()
            .and_then(|d| d.get("search"))
            .and_then(|n| n.as_str())
        else {
            continue;
        };
        if let Ok(search) = compile_str(query, &macros, ctx) {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            rules.push((name, search));
        }
    }
    rules
}

/// `count` events from the benchmark generator, with many malicious ones.
fn generated_events(count: usize) -> Option<Vec<Event>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/spl/gen_events.py");
    let out =
        std::env::temp_dir().join(format!("rulecheck_prefilter_{}.jsonl", std::process::id()));
    let status = std::process::Command::new("python3")
        .arg(&script)
        .args(["--count", &count.to_string(), "--bad-rate", "0.3", "--out"])
        .arg(&out)
        .status()
        .ok()?;
    assert!(status.success(), "{} failed", script.display());
    let text = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    )
}

#[test]
fn prefilters_do_not_change_rows() {
    let Some(corpora) = std::env::var_os("RULECHECK_CORPORA").map(PathBuf::from) else {
        eprintln!("RULECHECK_CORPORA is not set; skipping");
        return;
    };
    let Some(events) = generated_events(400) else {
        eprintln!("python3 is not available; skipping");
        return;
    };
    let root = corpora.join("security_content");
    let mut ctx = Context::new(NOW);
    ctx.lookups_dir = Some(root.join("lookups"));
    let rules = compile_rules(&root, &ctx);
    assert!(
        rules.len() > 1000,
        "only {} detections compiled",
        rules.len()
    );

    let (mut prefiltered, mut firing) = (0, 0);
    // Two batches, so that rules also run on a batch whose index exists.
    let (a, b) = events.split_at(events.len() / 2);
    let (batch_a, batch_b) = (Batch::new(a), Batch::new(b));
    let (plain_a, plain_b) = (Batch::new(a), Batch::new(b));
    for (name, search) in &rules {
        if search.has_prefilter() {
            prefiltered += 1;
        }
        let plain = search.clone().without_prefilters();
        assert!(!plain.has_prefilter());
        for (with, without) in [(&batch_a, &plain_a), (&batch_b, &plain_b)] {
            let got = search.run_batch(with, &ctx).unwrap();
            let want = plain.run_batch(without, &ctx).unwrap();
            assert_eq!(got, want, "{name}: the prefilter changed the rows");
            if !want.is_empty() {
                firing += 1;
            }
        }
    }
    eprintln!(
        "{} detections, {prefiltered} with a prefilter, {firing} (rule, batch) pairs with rows",
        rules.len()
    );
    assert!(
        prefiltered > 100,
        "only {prefiltered} rules have a prefilter"
    );
    assert!(
        firing > 10,
        "only {firing} (rule, batch) pairs returned rows"
    );
}
