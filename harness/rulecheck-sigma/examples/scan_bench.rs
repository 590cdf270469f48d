//! Scan throughput: compile every Sigma rule under the given folders, then
//! scan a JSON-lines event file, and compare with a serde_json-only parse
//! of the same file (the floor).
//!
//! ```text
//! cargo run --release -p rulecheck-sigma --example scan_bench -- \
//!     --rules RULES_DIR [--rules DIR...] --events events.jsonl \
//!     [--no-logsource] [--verify N]
//! ```
//!
//! `--verify N` first checks, on the first N events, that the indexed and
//! prefiltered scan finds exactly what evaluating every rule directly finds.

#![allow(
    clippy::cast_precision_loss,
    reason = "event counts stay far below 2^52"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rulecheck_sigma::{CompileOptions, Event, Hits, LogsourceMap, Resolver, RuleSet, parse_str};

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

struct Args {
    rule_dirs: Vec<PathBuf>,
    events: PathBuf,
    logsource: bool,
    verify: Option<usize>,
}

fn args() -> Args {
    let mut rule_dirs = Vec::new();
    let mut events = None;
    let mut logsource = true;
    let mut verify = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rules" => rule_dirs.extend(it.next().map(PathBuf::from)),
            "--events" => events = it.next().map(PathBuf::from),
            "--no-logsource" => logsource = false,
            "--verify" => verify = it.next().and_then(|n| n.parse().ok()),
            other => panic!("unknown argument {other}"),
        }
    }
    Args {
        rule_dirs,
        events: events.unwrap_or_else(|| panic!("--events FILE is required")),
        logsource,
        verify,
    }
}

fn load_rules(args: &Args) -> RuleSet {
    let start = Instant::now();
    let mut files = Vec::new();
    for d in &args.rule_dirs {
        yml_files(d, &mut files);
    }
    files.sort();
    let mut docs = Vec::new();
    let mut parse_failures = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let (mut parsed, diags) = parse_str(&text);
        parse_failures += usize::from(!diags.is_empty());
        docs.append(&mut parsed);
    }
    let opts = CompileOptions {
        logsource: args.logsource.then(LogsourceMap::windows),
        ..CompileOptions::default()
    };
    let (set, errors) = RuleSet::build(&docs, &opts);
    println!(
        "rules: {} files, {} compiled, {parse_failures} parse failures, {} compile failures, \
         {:.2?} to load; {} rules without a literal prefilter",
        files.len(),
        set.len(),
        errors.len(),
        start.elapsed(),
        set.unfiltered_rules()
    );
    set
}

/// Read and parse every line with serde_json, nothing else.
fn floor(path: &Path) -> (u64, Duration) {
    let start = Instant::now();
    let mut n = 0u64;
    for line in lines(path) {
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or(serde_json::Value::Null);
        n += u64::from(v.is_object());
    }
    (n, start.elapsed())
}

/// Parse, resolve once against the field table, match the indexed rules.
fn scan(set: &RuleSet, path: &Path) -> (Duration, Vec<u64>, u64) {
    let start = Instant::now();
    let mut resolver = Resolver::default();
    let mut hits = Hits::default();
    let mut per_rule = vec![0u64; set.len()];
    let mut with_alert = 0u64;
    for line in lines(path) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let Ok(event) = Event::from_json(value) else {
            continue;
        };
        let slots = resolver.resolve(set.table(), &event);
        set.matching(&slots, &mut hits);
        resolver.recycle(slots);
        with_alert += u64::from(!hits.rules().is_empty());
        for &h in hits.rules() {
            per_rule[h as usize] += 1;
        }
    }
    (start.elapsed(), per_rule, with_alert)
}

fn main() {
    let args = args();
    let set = load_rules(&args);
    if let Some(limit) = args.verify {
        verify_against_direct(&set, &args.events, limit);
    }
    // The floor runs twice so that both measurements read a warm page cache.
    let _ = floor(&args.events);
    let (n, floor_time) = floor(&args.events);
    let (scan_time, per_rule, with_alert) = scan(&set, &args.events);
    let rate = |d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    let matching = scan_time.saturating_sub(floor_time);
    println!("events: {n}");
    println!(
        "floor (serde_json parse only): {floor_time:.2?}  {:.0} events/s",
        rate(floor_time)
    );
    println!(
        "scan (parse + match):          {scan_time:.2?}  {:.0} events/s",
        rate(scan_time)
    );
    println!(
        "matching alone (scan - floor): {matching:.2?}  {:.0} events/s",
        rate(matching)
    );
    println!(
        "alerts: {}; events with at least one alert: {with_alert} ({:.2}%)",
        per_rule.iter().sum::<u64>(),
        with_alert as f64 * 100.0 / n.max(1) as f64
    );
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
    let mut checked = 0;
    for line in lines(events).take(limit) {
        let Ok(Ok(event)) = serde_json::from_str(&line).map(Event::from_json) else {
            continue;
        };
        let slots = resolver.resolve(set.table(), &event);
        set.matching(&slots, &mut hits);
        resolver.recycle(slots);
        let direct: Vec<u32> = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.matches(&event))
            .map(|(i, _)| i as u32)
            .collect();
        assert_eq!(hits.rules(), direct.as_slice(), "event {line}");
        checked += 1;
    }
    println!("verify: indexed scan agrees with direct evaluation on {checked} events");
}
