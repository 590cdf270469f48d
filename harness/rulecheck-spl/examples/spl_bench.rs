//! Throughput of the SPL engine: every security_content detection that
//! compiles, run over a JSON-lines file of events, against the floor of
//! reading and parsing the same file with serde_json.
//!
//! ```text
//! spl_bench --events FILE [--corpora DIR] [--batch N] [--threads N] [--no-prefilter]
//! ```
//!
//! `--no-prefilter` runs the rules without their compile-time prefilters
//! (`Search::without_prefilters`), to measure what the prefilters save.
//!
//! The detections are read from `DIR/security_content/detections` (DIR
//! defaults to `$RULECHECK_CORPORA`), with the macros of
//! `security_content/macros`, undefined `*_filter` macros passing, and the
//! same extra macros as the corpus tests; each is compiled once.
//!
//! The events are read and parsed into batches of `N` events (default
//! 4096). Every rule runs on every batch (`Search::run_batch`, which
//! computes each data model view of the batch once for all `tstats`
//! rules), so a rule's aggregation (`stats`, `dedup`, ...) spans one batch. Batches
//! are spread over `--threads` worker threads (default: all cores); the
//! parse floor uses the same threads and batches but runs no rule.
//!
//! Prints `result <key> <value>` lines that `bench/spl/run.sh` reads.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rayon::prelude::*;
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

struct Args {
    events: PathBuf,
    corpora: PathBuf,
    batch: usize,
    threads: usize,
    prefilter: bool,
}

fn args() -> Args {
    let mut events = None;
    let mut corpora = std::env::var_os("RULECHECK_CORPORA").map(PathBuf::from);
    let mut batch = 4096;
    let mut threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut prefilter = true;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().expect("option value");
        match a.as_str() {
            "--events" => events = Some(PathBuf::from(value())),
            "--corpora" => corpora = Some(PathBuf::from(value())),
            "--batch" => batch = value().parse().expect("--batch N"),
            "--threads" => threads = value().parse().expect("--threads N"),
            "--no-prefilter" => prefilter = false,
            other => panic!("unknown option {other}"),
        }
    }
    Args {
        events: events.expect("--events FILE"),
        corpora: corpora.expect("--corpora DIR or RULECHECK_CORPORA"),
        batch,
        threads,
        prefilter,
    }
}

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

fn compile_rules(root: &Path, ctx: &Context) -> (Vec<(String, Search)>, usize) {
    let (macros, _) = Macros::from_escu_dir(&root.join("macros")).unwrap();
    let mut macros = macros.with_undefined_filters_passing(true);
    for (name, args, definition) in ESCU_EXTRA_MACROS {
        let args = args.iter().map(|a| (*a).to_owned()).collect();
        macros.insert_with_arguments(*name, args, *definition);
    }
    let mut files = Vec::new();
    yaml_files(&root.join("detections"), &mut files);
    let mut rules = Vec::new();
    let mut total = 0;
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
        total += 1;
        if let Ok(search) = compile_str(query, &macros, ctx) {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            rules.push((name, search));
        }
    }
    (rules, total)
}

/// The events of `path`, parsed, in batches of `batch`.
fn read_batches(path: &Path, batch: usize) -> Vec<Vec<String>> {
    let file = std::fs::File::open(path).unwrap();
    let mut batches = Vec::new();
    let mut current = Vec::with_capacity(batch);
    for line in BufReader::with_capacity(1 << 20, file).lines() {
        let line = line.unwrap();
        if line.trim().is_empty() {
            continue;
        }
        current.push(line);
        if current.len() == batch {
            batches.push(std::mem::replace(&mut current, Vec::with_capacity(batch)));
        }
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

fn parse_batch(lines: &[String]) -> Vec<Event> {
    lines
        .iter()
        .map(|l| serde_json::from_str::<Event>(l).expect("a JSON object per line"))
        .collect()
}

fn main() {
    let args = args();
    let mut ctx = Context::new(NOW);
    let root = args.corpora.join("security_content");
    ctx.lookups_dir = Some(root.join("lookups"));

    let t = Instant::now();
    let (mut rules, total) = compile_rules(&root, &ctx);
    if !args.prefilter {
        rules = rules
            .into_iter()
            .map(|(name, search)| (name, search.without_prefilters()))
            .collect();
    }
    let compile_s = t.elapsed().as_secs_f64();
    println!(
        "compiled {} of {total} detections in {compile_s:.2} s",
        rules.len()
    );
    println!("result rules {}", rules.len());

    // Lines are read into memory first so that both measurements parse
    // from memory; the read time is reported and added to both.
    let t = Instant::now();
    let batches = read_batches(&args.events, args.batch);
    let read_s = t.elapsed().as_secs_f64();
    let n: usize = batches.iter().map(Vec::len).sum();
    println!(
        "read {n} events in {} batches of {} in {read_s:.2} s",
        batches.len(),
        args.batch
    );

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .unwrap();

    // Floor: parse every batch, run nothing.
    let t = Instant::now();
    let fields: usize = pool.install(|| {
        batches
            .par_iter()
            .map(|b| {
                parse_batch(b)
                    .iter()
                    .map(serde_json::Map::len)
                    .sum::<usize>()
            })
            .sum()
    });
    let floor_s = t.elapsed().as_secs_f64() + read_s;
    println!("floor: parsed {n} events ({fields} fields) in {floor_s:.2} s");

    // Scan: parse every batch and run every rule on it.
    let hits: Vec<AtomicUsize> = rules.iter().map(|_| AtomicUsize::new(0)).collect();
    let t = Instant::now();
    pool.install(|| {
        batches.par_iter().for_each(|b| {
            let events = parse_batch(b);
            let batch = Batch::new(&events);
            for ((_, search), hit) in rules.iter().zip(&hits) {
                let rows = search.run_batch(&batch, &ctx).expect("a non-empty search");
                if !rows.is_empty() {
                    hit.fetch_add(rows.len(), Ordering::Relaxed);
                }
            }
        });
    });
    let scan_s = t.elapsed().as_secs_f64() + read_s;
    let firing: Vec<(&str, usize)> = rules
        .iter()
        .zip(&hits)
        .map(|((name, _), h)| (name.as_str(), h.load(Ordering::Relaxed)))
        .filter(|(_, h)| *h > 0)
        .collect();
    let rows: usize = firing.iter().map(|(_, h)| h).sum();
    println!(
        "scan: {} rules over {n} events in {scan_s:.2} s; {} rules returned {rows} rows",
        rules.len(),
        firing.len()
    );
    for (name, h) in firing.iter().take(40) {
        println!("  {h:8}  {name}");
    }
    #[allow(clippy::cast_precision_loss)]
    let n = n as f64;
    println!("result threads {}", args.threads);
    println!("result floor {:.0}", n / floor_s);
    println!("result scan {:.0}", n / scan_s);
    println!("result ratio {:.2}", scan_s / floor_s);
    println!("result firing {}", firing.len());
}
