#!/usr/bin/env bash
# Benchmark the SPL engine against the serde_json parse floor: generate
# Splunk-style Sysmon/Security events (JSON lines), then run every
# compilable security_content detection over them in batches, and parse the
# same events with serde_json alone, in the same run (each the fastest of
# three runs). Prints events/s for both and their ratio.
#
#   bench/spl/run.sh [EVENTS] [BATCH] [THREADS]
#
# EVENTS defaults to 1,000,000, BATCH to 4096, THREADS to all cores. The
# corpora are read from $RULECHECK_CORPORA (or ../shared/corpora). The
# events file is kept in target/bench/ and reused while the generator is
# unchanged.
# SPL_BENCH_FLAGS passes more options to spl_bench (`--no-prefilter` runs
# the rules without their compile-time prefilters).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
count="${1:-1000000}"
batch="${2:-4096}"
threads="${3:-$(nproc)}"
corpora="${RULECHECK_CORPORA:-$root/../shared/corpora}"

out="$root/target/bench"
# The generator's hash names the file, so a changed generator makes new events.
version="$(sha1sum "$root/bench/spl/gen_events.py" | cut -c1-8)"
events="$out/spl_events_${count}_${version}.jsonl"
mkdir -p "$out"
if [[ ! -s "$events" ]]; then
    echo "generating $count events into $events"
    python3 "$root/bench/spl/gen_events.py" --count "$count" --out "$events"
fi

cargo build --release --quiet -p rulecheck-spl --example spl_bench --manifest-path "$root/Cargo.toml"
log="$out/spl_bench.log"
"$root/target/release/examples/spl_bench" --events "$events" --corpora "$corpora" \
    --batch "$batch" --threads "$threads" ${SPL_BENCH_FLAGS:-} | tee "$log"
result() { awk -v k="$1" '$1 == "result" && $2 == k { print $3 }' "$log"; }

echo
echo "$count events, $(result rules) rules, batch $batch, $threads threads, $(nproc) cores," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg) (after the run)"
echo
echo "| measurement | events/s |"
echo "| --- | ---: |"
echo "| floor: read + serde_json parse | $(result floor) |"
echo "| all rules (parse + run) | $(result scan) |"
echo
echo "rules / floor time: $(result ratio)x (reading the file, $(result read) s, counted in both as the floor's definition says);"
echo "without the reading: $(result ratio_parse)x"
