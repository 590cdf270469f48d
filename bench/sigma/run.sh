#!/usr/bin/env bash
# Benchmark the Sigma engine: generate realistic Windows events (JSON lines),
# compile the SigmaHQ rules, and time a scan against a serde_json-only parse
# of the same file.
#
#   bench/sigma/run.sh [EVENTS] [RULES_DIR...]
#
# EVENTS defaults to 1,000,000; RULES_DIR to $RULECHECK_CORPORA/sigma/rules
# (or ../shared/corpora/sigma/rules). The events file is kept in
# target/bench/ and reused when its size matches.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
count="${1:-1000000}"
shift || true
corpora="${RULECHECK_CORPORA:-$root/../shared/corpora}"
rules=("${@:-$corpora/sigma/rules}")

out="$root/target/bench"
events="$out/sigma_events_${count}.jsonl"
mkdir -p "$out"
if [[ ! -s "$events" ]]; then
    echo "generating $count events into $events"
    python3 "$root/bench/sigma/gen_events.py" --count "$count" --out "$events"
fi

cargo build --release --quiet -p rulecheck-sigma --example scan_bench --manifest-path "$root/Cargo.toml"
rule_args=()
for r in "${rules[@]}"; do
    rule_args+=(--rules "$r")
done
"$root/target/release/examples/scan_bench" "${rule_args[@]}" --events "$events" --verify 20000
