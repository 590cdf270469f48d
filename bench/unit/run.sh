#!/usr/bin/env bash
# Unit-tier benchmark: a generated repository of RULES rules (default 5,000;
# four fifths Sigma, one fifth ESCU) with four scenarios each; times
# `rulecheck check` on the whole repository and on one rule file (the
# pre-commit case). Targets: under 2 s and under 100 ms on 2 cores.
#
#   bench/unit/run.sh [RULES]
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
count="${1:-5000}"
target="${CARGO_TARGET_DIR:-$root/target}"
repo="$target/bench/unit-repo-$count"
if [[ ! -f "$repo/rulecheck.toml" ]]; then
    echo "generating $count rules into $repo"
    python3 "$root/bench/unit/gen_repo.py" --rules "$count" --out "$repo"
fi
cargo build --release --quiet -p rulecheck --manifest-path "$root/Cargo.toml"
bin="$target/release/rulecheck"
one="rules/sigma/group_00/rule_00000.yml"

python3 - "$bin" "$repo" "$one" <<'PY'
import json, statistics, subprocess, sys, time
binary, repo, one = sys.argv[1:4]
def timed(args, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run([binary, *args], cwd=repo, capture_output=True)
        times.append(time.perf_counter() - start)
    return times, out
whole, out = timed(["check", "--format", "json", "--no-progress"], 5)
report = json.loads(out.stdout)
s = report["summary"]
cases = sum(len(r["unit"]["cases"]) for r in report["rules"])
single, _ = timed(["check", one, "--no-progress"], 20)
print(f"rules: {s['rules']}  scenarios: {cases}  unit: {s['unit']}  gate: {s['gate']}")
print(f"whole repository: median {statistics.median(whole):.3f}s  min {min(whole):.3f}s  (target < 2 s)")
print(f"one rule file:    median {statistics.median(single)*1000:.1f}ms  min {min(single)*1000:.1f}ms  (target < 100 ms)")
PY
