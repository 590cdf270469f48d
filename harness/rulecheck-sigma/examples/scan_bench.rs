//! Scan throughput: compile every Sigma rule under the given folders (or
//! listed in a file), then scan a JSON-lines event file with 1 and more
//! threads, and compare with a serde_json-only parse of the same file (the
//! floor).
//!
//! ```text
//! cargo run --release -p rulecheck-sigma --example scan_bench -- \
//!     --rules RULES_DIR [--rules DIR...] [--rule-list FILE] --events events.jsonl \
//!     [--no-logsource] [--verify N] [--threads 1,2] [--skip-list FILE] \
//!     [--failed-out FILE] [--load-only]
//! ```
//!
//! `--verify N` first checks, on the first N events, that the indexed and
//! prefiltered scan finds exactly what evaluating every rule directly finds.
//! `--rule-list FILE` names rule files (one path a line) instead of or in
//! addition to folders; `--skip-list FILE` names rule files to leave out;
//! `--failed-out FILE` writes the rule files that fail to parse or compile;
//! `--load-only` stops after loading the rules.
//! Besides the human-readable report, each measurement is printed once as
//! `result NAME EVENTS_PER_SECOND` for scripts.

#![allow(
    clippy::cast_precision_loss,
    reason = "event counts stay far below 2^52"
)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rulecheck_sigma::{CompileOptions, Event, Hits, LogsourceMap, Resolver, RuleSet, parse_str};

/// Bytes read per block; each block is split at its last newline.
const BLOCK: usize = 16 << 20;

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

fn lines(path: &Path) -> impl Iterator<Item = String> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    BufReader::with_capacity(1 << 20, file)
        .lines()
        .map_while(Result::ok)
}

/// Call `f` on consecutive blocks of whole lines of `path`, with the record
/// number of each block's first line.
fn blocks(path: &Path, mut f: impl FnMut(&str, u64)) {
    let mut file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut buf: Vec<u8> = Vec::with_capacity(BLOCK + (1 << 20));
    let mut record = 1u64;
    loop {
        let filled = buf.len();
        buf.resize(filled + BLOCK, 0);
        let n = file.read(&mut buf[filled..]).unwrap_or(0);
        buf.truncate(filled + n);
        let end = if n == 0 {
            buf.len()
        } else {
            match memchr_last_newline(&buf) {
                Some(i) => i + 1,
                None => continue,
            }
        };
        if end == 0 {
            break;
        }
        let text = std::str::from_utf8(&buf[..end]).unwrap_or("");
        f(text, record);
        record += text.lines().count() as u64;
        buf.drain(..end);
        if n == 0 {
            break;
        }
    }
}

fn memchr_last_newline(buf: &[u8]) -> Option<usize> {
    buf.iter().rposition(|&b| b == b'\n')
}

struct Args {
    rule_dirs: Vec<PathBuf>,
    rule_lists: Vec<PathBuf>,
    skip_lists: Vec<PathBuf>,
    events: PathBuf,
    logsource: bool,
    verify: Option<usize>,
    threads: Vec<usize>,
    failed_out: Option<PathBuf>,
    load_only: bool,
}

fn args() -> Args {
    let mut a = Args {
        rule_dirs: Vec::new(),
        rule_lists: Vec::new(),
        skip_lists: Vec::new(),
        events: PathBuf::new(),
        logsource: true,
        verify: None,
        threads: vec![1, 2],
        failed_out: None,
        load_only: false,
    };
    let mut events = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--rules" => a.rule_dirs.extend(it.next().map(PathBuf::from)),
            "--rule-list" => a.rule_lists.extend(it.next().map(PathBuf::from)),
            "--skip-list" => a.skip_lists.extend(it.next().map(PathBuf::from)),
            "--events" => events = it.next().map(PathBuf::from),
            "--no-logsource" => a.logsource = false,
            "--failed-out" => a.failed_out = it.next().map(PathBuf::from),
            "--load-only" => a.load_only = true,
            "--verify" => a.verify = it.next().and_then(|n| n.parse().ok()),
            "--threads" => {
                a.threads = it
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|n| n.trim().parse().ok())
                    .collect();
            }
            other => panic!("unknown argument {other}"),
        }
    }
    a.events = events.unwrap_or_else(|| panic!("--events FILE is required"));
    a
}

fn list_file(path: &Path) -> Vec<PathBuf> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect()
}

fn load_rules(args: &Args) -> RuleSet {
    let start = Instant::now();
    let mut files = Vec::new();
    for d in &args.rule_dirs {
        yml_files(d, &mut files);
    }
    for l in &args.rule_lists {
        files.extend(list_file(l));
    }
    let skip: HashSet<PathBuf> = args.skip_lists.iter().flat_map(|l| list_file(l)).collect();
    files.retain(|f| !skip.contains(f));
    files.sort();
    files.dedup();
    let mut docs = Vec::new();
    let mut doc_file = Vec::new();
    let mut failed: Vec<&Path> = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let (mut parsed, diags) = parse_str(&text);
        if !diags.is_empty() {
            failed.push(f);
        }
        doc_file.extend(std::iter::repeat_n(f.as_path(), parsed.len()));
        docs.append(&mut parsed);
    }
    let parse_failures = failed.len();
    let opts = CompileOptions {
        logsource: args.logsource.then(LogsourceMap::windows),
        ..CompileOptions::default()
    };
    let (set, errors) = RuleSet::build(&docs, &opts);
    println!(
        "rules: {} files ({} skipped), {} compiled, {parse_failures} parse failures, \
         {} compile failures, {:.2?} to load; {} rules without a literal prefilter, \
         {} of them tried on every event",
        files.len(),
        skip.len(),
        set.len(),
        errors.len(),
        start.elapsed(),
        set.unfiltered_rules(),
        set.unindexed_rules()
    );
    for e in &errors {
        failed.push(doc_file[e.index]);
        for d in &e.diagnostics {
            println!(
                "  compile failure: {}: {}",
                doc_file[e.index].display(),
                d.message
            );
        }
    }
    if let Some(out) = &args.failed_out {
        let mut list = String::new();
        for f in &failed {
            list.push_str(&f.display().to_string());
            list.push('\n');
        }
        std::fs::write(out, list).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    }
    set
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Read and parse every line with serde_json, nothing else, in parallel
/// over the lines of each block like the scan.
fn floor(path: &Path, threads: usize) -> (u64, Duration) {
    let pool = pool(threads);
    let start = Instant::now();
    let mut n = 0u64;
    blocks(path, |text, _| {
        let lines: Vec<&str> = text.lines().collect();
        n += pool.install(|| {
            lines
                .par_chunks(512)
                .map(|chunk| {
                    chunk
                        .iter()
                        .map(|line| {
                            let v: serde_json::Value =
                                serde_json::from_str(line).unwrap_or(serde_json::Value::Null);
                            u64::from(v.is_object())
                        })
                        .sum::<u64>()
                })
                .sum::<u64>()
        });
    });
    (n, start.elapsed())
}

/// Parse and match every line with [`RuleSet::scan_json_lines`].
fn scan(set: &RuleSet, path: &Path, threads: usize) -> (Duration, Vec<u64>, u64, u64) {
    let pool = pool(threads);
    let start = Instant::now();
    let mut per_rule = vec![0u64; set.len()];
    let mut with_alert = 0u64;
    let mut events = 0u64;
    blocks(path, |text, first| {
        let found = pool.install(|| set.scan_json_lines(text, first));
        events += found.events;
        let mut last = 0;
        for (record, rule) in found.hits {
            with_alert += u64::from(record != last);
            last = record;
            per_rule[rule as usize] += 1;
        }
    });
    (start.elapsed(), per_rule, with_alert, events)
}

fn main() {
    let args = args();
    let set = load_rules(&args);
    if args.load_only {
        return;
    }
    if let Some(limit) = args.verify {
        verify_against_direct(&set, &args.events, limit);
    }
    let rate = |n: u64, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    // A first pass warms the page cache for every measurement.
    let (n, _) = floor(&args.events, 1);
    println!("events: {n}");
    let mut report = None;
    for &threads in &args.threads {
        let (_, floor_time) = floor(&args.events, threads);
        let (scan_time, per_rule, with_alert, scanned) = scan(&set, &args.events, threads);
        assert_eq!(scanned, n, "the scan saw every event");
        println!(
            "{threads} thread(s): floor (serde_json parse only) {floor_time:.2?} {:.0} events/s; \
             scan (parse + match) {scan_time:.2?} {:.0} events/s; floor/scan {:.2}",
            rate(n, floor_time),
            rate(n, scan_time),
            scan_time.as_secs_f64() / floor_time.as_secs_f64().max(1e-9),
        );
        println!("result floor_{threads}t {:.0}", rate(n, floor_time));
        println!("result scan_{threads}t {:.0}", rate(n, scan_time));
        if let Some((p, w)) = &report {
            assert_eq!(
                (p, w),
                (&per_rule, &with_alert),
                "same alerts on any thread count"
            );
        }
        report = Some((per_rule, with_alert));
    }
    let Some((per_rule, with_alert)) = report else {
        return;
    };
    println!(
        "alerts: {}; events with at least one alert: {with_alert} ({:.2}%)",
        per_rule.iter().sum::<u64>(),
        with_alert as f64 * 100.0 / n.max(1) as f64
    );
    println!("result alerts {}", per_rule.iter().sum::<u64>());
    let mut top: Vec<(u64, &str)> = per_rule
        .iter()
        .zip(set.rules())
        .filter(|(c, _)| **c > 0)
        .map(|(c, r)| (*c, r.title.as_str()))
        .collect();
    top.sort_unstable_by(|a, b| b.cmp(a));
    for (c, title) in top.iter().take(10) {
        println!("  {c:>8}  {title}");
    }
}

/// The rule set's answer (index + prefilter + resolved slots) equals every
/// rule's own `matches` on each event.
fn verify_against_direct(set: &RuleSet, events: &Path, limit: usize) {
    let rules: Vec<_> = set.rules().collect();
    let mut resolver = Resolver::default();
    let mut hits = Hits::default();
    let mut expected: Vec<(u64, u32)> = Vec::new();
    let mut checked = 0u64;
    let mut candidates = 0u64;
    let mut text = String::new();
    for (record, line) in (1u64..).zip(lines(events).take(limit)) {
        text.push_str(&line);
        text.push('\n');
        let Ok(Ok(event)) = serde_json::from_str(&line).map(Event::from_json) else {
            continue;
        };
        let slots = resolver.resolve(set.table(), &event);
        set.matching(&slots, &mut hits);
        resolver.recycle(slots);
        candidates += hits.candidates().len() as u64;
        let direct: Vec<u32> = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.matches(&event))
            .map(|(i, _)| i as u32)
            .collect();
        assert_eq!(hits.rules(), direct.as_slice(), "event {line}");
        expected.extend(direct.iter().map(|&r| (record, r)));
        checked += 1;
    }
    // The parallel JSON-lines scan finds the same, in the same order.
    let parallel = pool(2).install(|| set.scan_json_lines(&text, 1));
    assert_eq!(parallel.hits, expected, "parallel scan");
    println!(
        "verify: indexed scan (serial and on 2 threads) agrees with direct evaluation on \
         {checked} events; {:.1} candidate rules evaluated per event",
        candidates as f64 / checked.max(1) as f64
    );
}
