//! The engine's optimizations never change results: every security_content
//! detection that compiles returns the same rows from `Search::run_batch`
//! (prefilters served by the batch's indexes, shared data model views,
//! indexed lookups, skipped stages before an empty inner `join`, `tstats`
//! rows cut to the fields they aggregate) as from `Search::run` of
//! `Search::unoptimized`, over generated events (`bench/spl/gen_events.py`).
//! Runs only when `RULECHECK_CORPORA` names the corpora folder (with
//! `security_content/`) and `python3` is found.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

#[path = "support/security_content.rs"]
mod security_content;

use rulecheck_spl::{Batch, Context, Event};
use security_content::compile_detections;

const NOW: i64 = 1_773_500_000;

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
fn optimizations_do_not_change_rows() {
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
    let (rules, _) = compile_detections(&root, &ctx);
    assert!(
        rules.len() > 1000,
        "only {} detections compiled",
        rules.len()
    );

    let (mut prefiltered, mut firing) = (0, Vec::new());
    // Two batches, so that rules also run on a batch whose indexes exist.
    let (a, b) = events.split_at(events.len() / 2);
    let (batch_a, batch_b) = (Batch::new(a), Batch::new(b));
    for (name, search) in &rules {
        if search.has_prefilter() {
            prefiltered += 1;
        }
        let reference = search.clone().unoptimized();
        assert!(!reference.has_prefilter());
        for (batch, events) in [(&batch_a, a), (&batch_b, b)] {
            let got = search.run_batch(batch, &ctx).unwrap();
            let want = reference.run(events, &ctx).unwrap();
            assert_eq!(got, want, "{name}: an optimization changed the rows");
            if !want.is_empty() && !firing.contains(name) {
                firing.push(name.clone());
            }
        }
    }
    eprintln!(
        "{} detections, {prefiltered} with a prefilter, {} returned rows",
        rules.len(),
        firing.len()
    );
    assert!(
        prefiltered > 100,
        "only {prefiltered} rules have a prefilter"
    );
    assert!(
        firing.len() > 10,
        "only {} rules returned rows",
        firing.len()
    );
    // Rules whose rows go through an indexed wildcard lookup, and hunting
    // rules whose groups pass key filters (a lookup and a search; an eval
    // and a search).
    for name in [
        "detect_hosts_connecting_to_dynamic_domain_providers",
        "attacker_tools_on_endpoint",
        "windows_nirsoft_utilities",
        "windows_command_and_scripting_interpreter_hunting_path_traversal",
    ] {
        assert!(firing.iter().any(|f| f == name), "{name} returned no rows");
    }
}
