//! Throughput of the SPL engine: every security_content detection that
//! compiles, run over a JSON-lines file of events, against the floor of
//! reading and parsing the same file with serde_json.
//!
//! ```text
//! spl_bench --events FILE [--corpora DIR] [--batch N] [--threads N] [--no-prefilter]
//!           [--rule TEXT] [--per-rule N] [--runs N]
//! ```
//!
//! `--no-prefilter` runs the rules without their compile-time prefilters
//! (`Search::without_prefilters`), to measure what the prefilters save.
//! `--rule TEXT` keeps only the detections whose name contains TEXT;
//! `--per-rule N` first times each rule alone on one thread and prints the
//! N slowest, with its own time apart from what it built for the batch
//! that later rules reuse.
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
//! parse floor uses the same threads and batches but runs no rule, and is
//! the fastest of three runs. The scan is the fastest of `--runs N`
//! (default 3): the machine is shared, and both are measured alike. Each
//! scan run after the first compiles the rules again, so that no run
//! starts with the key filter decisions of an earlier one (lookup tables
//! and their indexes are loaded once per process, as in `rulecheck`).
//!
//! Prints `result <key> <value>` lines that `bench/spl/run.sh` reads:
//! `ratio` counts the reading of the file in both times (as the floor's
//! definition says), `ratio_parse` leaves it out of both.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rayon::prelude::*;
#[path = "../tests/support/security_content.rs"]
mod security_content;

use rulecheck_spl::{Batch, Context, Event};
use security_content::compile_detections;

/// The allocator of the `rulecheck` binary (with the same `no_thp`
/// build), so that the figures match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const NOW: i64 = 1_773_500_000;

struct Args {
    events: PathBuf,
    corpora: PathBuf,
    batch: usize,
    threads: usize,
    prefilter: bool,
    per_rule: usize,
    only: Option<String>,
    runs: usize,
}

fn args() -> Args {
    let mut events = None;
    let mut corpora = std::env::var_os("RULECHECK_CORPORA").map(PathBuf::from);
    let mut batch = 4096;
    let mut threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut prefilter = true;
    let mut per_rule = 0;
    let mut only = None;
    let mut runs = 3;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().expect("option value");
        match a.as_str() {
            "--events" => events = Some(PathBuf::from(value())),
            "--corpora" => corpora = Some(PathBuf::from(value())),
            "--batch" => batch = value().parse().expect("--batch N"),
            "--threads" => threads = value().parse().expect("--threads N"),
            "--no-prefilter" => prefilter = false,
            "--rule" => only = Some(value()),
            "--per-rule" => per_rule = value().parse().expect("--per-rule N"),
            "--runs" => runs = value().parse::<usize>().expect("--runs N").max(1),
            other => panic!("unknown option {other}"),
        }
    }
    Args {
        events: events.expect("--events FILE"),
        corpora: corpora.expect("--corpora DIR or RULECHECK_CORPORA"),
        batch,
        threads,
        prefilter,
        per_rule,
        only,
        runs,
    }
}

/// The compiled detections of `root` that `args` selects, and how many
/// detections there are.
fn compile(
    root: &Path,
    ctx: &Context,
    args: &Args,
) -> (Vec<(String, rulecheck_spl::Search)>, usize) {
    let (mut rules, total) = compile_detections(root, ctx);
    if !args.prefilter {
        rules = rules
            .into_iter()
            .map(|(name, search)| (name, search.without_prefilters()))
            .collect();
    }
    if let Some(only) = &args.only {
        rules.retain(|(name, _)| name.contains(only.as_str()));
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
    let (mut rules, total) = compile(&root, &ctx, &args);
    let compile_s = t.elapsed().as_secs_f64();
    println!(
        "compiled {} of {total} detections in {compile_s:.2} s",
        rules.len()
    );
    println!("result rules {}", rules.len());

    // Lines are read into memory first so that both measurements parse
    // from memory; the read time is reported and added to both.
    // Read twice and count the faster: the first read may wait on the disk.
    let t = Instant::now();
    let batches = read_batches(&args.events, args.batch);
    let mut read_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    drop(read_batches(&args.events, args.batch));
    read_s = read_s.min(t.elapsed().as_secs_f64());
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

    // Floor: parse every batch, run nothing. The machine is shared, so the
    // floor is the fastest of three runs (and so is the scan below).
    let mut floor_s = f64::INFINITY;
    let mut fields = 0;
    for _ in 0..3 {
        let t = Instant::now();
        fields = pool.install(|| {
            batches
                .par_iter()
                .map(|b| parse_batch(b).iter().map(Event::len).sum::<usize>())
                .sum()
        });
        floor_s = floor_s.min(t.elapsed().as_secs_f64() + read_s);
    }
    println!("floor: parsed {n} events ({fields} fields) in {floor_s:.2} s");

    if args.per_rule > 0 {
        per_rule_times(&rules, &batches, &ctx, args.per_rule);
    }

    // Scan: parse every batch and run every rule on it. Like the floor,
    // the fastest of `--runs` runs; each run after the first compiles the
    // rules again, so that it starts without the key filter decisions of
    // an earlier run.
    let mut hits: Vec<AtomicUsize> = Vec::new();
    let mut scan_s = f64::INFINITY;
    for run in 0..args.runs {
        if run > 0 {
            rules = compile(&root, &ctx, &args).0;
        }
        let run_hits: Vec<AtomicUsize> = rules.iter().map(|_| AtomicUsize::new(0)).collect();
        let t = Instant::now();
        pool.install(|| {
            batches.par_iter().for_each(|b| {
                let events = parse_batch(b);
                let batch = Batch::new(&events);
                for ((_, search), hit) in rules.iter().zip(&run_hits) {
                    let rows = search.run_batch(&batch, &ctx).expect("a non-empty search");
                    if !rows.is_empty() {
                        hit.fetch_add(rows.len(), Ordering::Relaxed);
                    }
                }
            });
        });
        let run_s = t.elapsed().as_secs_f64() + read_s;
        println!("scan run {}: {run_s:.2} s", run + 1);
        scan_s = scan_s.min(run_s);
        hits = run_hits;
    }
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
    println!("result read {read_s:.2}");
    println!(
        "result ratio_parse {:.2}",
        (scan_s - read_s) / (floor_s - read_s)
    );
    println!("result firing {}", firing.len());
}

/// Time each rule over every batch on one thread and print the `top`
/// slowest with their share of the total. Each rule runs twice on each
/// batch: the second run is the rule's own cost, and what the first run
/// took more is what it built for the batch (views, indexes, text
/// columns) that later rules reuse.
fn per_rule_times(
    rules: &[(String, rulecheck_spl::Search)],
    batches: &[Vec<String>],
    ctx: &Context,
    top: usize,
) {
    let mut own = vec![0.0_f64; rules.len()];
    let mut built = vec![0.0_f64; rules.len()];
    for b in batches {
        let events = parse_batch(b);
        let batch = Batch::new(&events);
        for (i, (_, search)) in rules.iter().enumerate() {
            let t = Instant::now();
            let _ = search.run_batch(&batch, ctx).expect("a non-empty search");
            let first = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let _ = search.run_batch(&batch, ctx).expect("a non-empty search");
            let second = t.elapsed().as_secs_f64();
            own[i] += second;
            built[i] += (first - second).max(0.0);
        }
    }
    let total: f64 = own.iter().sum();
    let total_built: f64 = built.iter().sum();
    let mut order: Vec<usize> = (0..rules.len()).collect();
    order.sort_by(|a, b| (own[*b] + built[*b]).total_cmp(&(own[*a] + built[*a])));
    println!("per rule: {total:.2} s own, {total_built:.2} s building shared batch data");
    println!("  own (s)  share  built (s)  rule");
    for i in order.into_iter().take(top) {
        println!(
            "  {:7.3} {:5.1}%  {:8.3}  {}",
            own[i],
            100.0 * own[i] / total,
            built[i],
            rules[i].0
        );
    }
}
