#!/usr/bin/env bash
# Benchmark the Sigma engine against the serde_json parse floor and rsigma:
# generate realistic Windows events (JSON lines), then scan them with the
# SigmaHQ Windows rules with rulecheck (1 and 2 threads), parse them with
# serde_json alone (the floor), and evaluate them with rsigma 0.23.0, on the
# same rules and the same events. Prints one summary table.
#
#   bench/sigma/run.sh [EVENTS] [RULES_DIR...]
#
# EVENTS defaults to 1,000,000; RULES_DIR to $RULECHECK_CORPORA/sigma/rules/windows
# (or ../shared/corpora/sigma/rules/windows). The events file is kept in
# target/bench/ and reused when it exists. rsigma is installed into
# target/bench/tools/ when missing (RSIGMA=/path/to/rsigma uses another
# build). Rules that either engine cannot load are left out for both.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
count="${1:-1000000}"
shift || true
corpora="${RULECHECK_CORPORA:-$root/../shared/corpora}"
rules=("${@:-$corpora/sigma/rules/windows}")

out="$root/target/bench"
events="$out/sigma_events_${count}.jsonl"
mkdir -p "$out"
if [[ ! -s "$events" ]]; then
    echo "generating $count events into $events"
    python3 "$root/bench/sigma/gen_events.py" --count "$count" --out "$events"
fi

rsigma_version=0.23.0
tools="$out/tools"
rsigma="${RSIGMA:-$tools/bin/rsigma}"
if [[ ! -x "$rsigma" ]] || ! "$rsigma" --version 2>/dev/null | grep -q "$rsigma_version"; then
    echo "installing rsigma $rsigma_version into $tools"
    cargo install rsigma --version "$rsigma_version" --locked --root "$tools" --quiet
    rsigma="$tools/bin/rsigma"
fi

cargo build --release --quiet -p rulecheck-sigma --example scan_bench --manifest-path "$root/Cargo.toml"
bench="$root/target/release/examples/scan_bench"

# The rule files, sorted.
all="$out/sigma_rules_all.txt"
find "${rules[@]}" -type f \( -name '*.yml' -o -name '*.yaml' \) | sort > "$all"

# Rules rulecheck cannot load.
rc_failed="$out/sigma_rules_rulecheck_failed.txt"
"$bench" --rule-list "$all" --events /dev/null --load-only --failed-out "$rc_failed" > /dev/null

# Rules rsigma cannot load: `rule validate` counts them; when there are any,
# each file is checked on its own to name them.
rs_failed="$out/sigma_rules_rsigma_failed.txt"
: > "$rs_failed"
rs_check="$out/rsigma_check"
rm -rf "$rs_check"
mkdir -p "$rs_check"
one_event='{"EventID": 1}'
rs_ok() {
    local report
    report=$("$rsigma" rule validate "$1" 2>&1 || true)
    grep -qE "Parse errors: +0$" <<< "$report" && grep -qE "Compile errors: +0$" <<< "$report"
}
all_ok=1
for d in "${rules[@]}"; do
    rs_ok "$d" || all_ok=0
done
if [[ $all_ok == 0 ]]; then
    while read -r f; do
        ln -sf "$f" "$rs_check/rule.yml"
        rs_ok "$rs_check" || echo "$f" >> "$rs_failed"
    done < "$all"
fi

# The common rules, as a list for rulecheck and a folder of links for rsigma.
skip="$out/sigma_rules_skipped.txt"
sort -u "$rc_failed" "$rs_failed" > "$skip"
common="$out/sigma_rules_common"
rm -rf "$common"
mkdir -p "$common"
n=0
while read -r f; do
    if ! grep -qxF "$f" "$skip"; then
        n=$((n + 1))
        ln -s "$f" "$common/$(printf '%05d' "$n")_$(basename "$f")"
    fi
done < "$all"
echo "rules: $(wc -l < "$all") files; rulecheck cannot load $(wc -l < "$rc_failed"), rsigma cannot load $(wc -l < "$rs_failed"); $n used by both"
if [[ -s "$skip" ]]; then
    echo "left out for both engines (see $skip):"
    sed 's/^/  /' "$skip"
fi

# rulecheck: floor and scan, 1 and 2 threads.
rc_log="$out/sigma_rulecheck.log"
"$bench" --rule-list "$all" --skip-list "$skip" --events "$events" --verify 20000 --threads 1,2 | tee "$rc_log"
result() { awk -v k="$1" '$1 == "result" && $2 == k { print $3 }' "$rc_log"; }

# rsigma: the whole run, minus the time it takes to load the rules (a run
# on a single event).
seconds() { date +%s.%N; }
t0=$(seconds)
"$rsigma" engine eval -r "$common" -e "$one_event" > /dev/null 2>&1
t1=$(seconds)
"$rsigma" engine eval -r "$common" -e "@$events" > "$out/sigma_rsigma_matches.jsonl" 2> "$out/sigma_rsigma.log"
cat "$out/sigma_rsigma.log"
t2=$(seconds)
events_n=$(wc -l < "$events")
rs_matches=$(wc -l < "$out/sigma_rsigma_matches.jsonl")

python3 - "$events_n" "$t0" "$t1" "$t2" "$rs_matches" \
    "$(result floor_1t)" "$(result floor_2t)" "$(result scan_1t)" "$(result scan_2t)" \
    "$(result alerts)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF'
import sys
n, t0, t1, t2 = int(sys.argv[1]), *map(float, sys.argv[2:5])
rs_matches = int(sys.argv[5])
floor1, floor2, scan1, scan2 = map(float, sys.argv[6:10])
alerts, cores, load = sys.argv[10], sys.argv[11], sys.argv[12]
load_s, run_s = t1 - t0, t2 - t1
rsigma = n / max(run_s - load_s, 1e-9)
print()
print(f"{n:,} events, {cores} cores, load average {load} (after the run)")
print()
print("| engine | events/s |")
print("| --- | ---: |")
print(f"| floor: serde_json parse, 1 thread | {floor1:,.0f} |")
print(f"| floor: serde_json parse, 2 threads | {floor2:,.0f} |")
print(f"| rulecheck, 1 thread | {scan1:,.0f} |")
print(f"| rulecheck, 2 threads | {scan2:,.0f} |")
print(f"| rsigma {'0.23.0'} (rule load of {load_s:.1f} s taken out) | {rsigma:,.0f} |")
print()
print(f"rulecheck / rsigma: {scan1 / rsigma:.2f}x (1 thread), {scan2 / rsigma:.2f}x (2 threads)")
print(f"floor / rulecheck:  {floor1 / scan1:.2f}x (1 thread), {floor2 / scan2:.2f}x (2 threads), "
      f"{floor1 / scan2:.2f}x (1-thread floor vs 2-thread scan)")
print(f"alerts: rulecheck {alerts}, rsigma {rs_matches} output lines")
EOF
