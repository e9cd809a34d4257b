#!/usr/bin/env bash
# `concbench micro` at the CLI: bad filters and options exit 2 naming the
# families and leave no results behind; a small filter runs quickly and
# writes results.json with kind-micro cells; `list micro` shows the table.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails+1)); }

expect_usage() {  # expect_usage PATTERN -- args...
  local pattern=$1; shift 2
  local out rc
  out=$("$bin" micro -o "$tmp/res" "$@" 2>&1 >/dev/null); rc=$?
  if [ "$rc" -ne 2 ]; then bad "micro $* exited $rc, expected 2: $out"; return; fi
  if ! grep -qE -- "$pattern" <<<"$out"; then bad "micro $*: '$out' does not match /$pattern/"; return; fi
  if [ "$(wc -l <<<"$out")" -ne 1 ]; then bad "micro $*: expected one line, got: $out"; return; fi
  if [ -n "$(find "$tmp/res" -name 'results.*' 2>/dev/null)" ]; then bad "micro $*: left results behind"; return; fi
  ok "micro $* -> 2"
}

expect_usage "unknown micro family 'nope' \(families: shim, start, .*sync.*timers" -- nope
expect_usage "no micro benchmark matches 'start/nothing\*' \(families: shim, start" -- 'start/nothing*'
expect_usage "-r/--reps '0'" -- start -r 0
expect_usage "--min-time 'soon'" -- start --min-time soon
expect_usage "unknown option '--frobnicate'" -- --frobnicate
expect_usage "one FILTER at most" -- start sync
expect_usage "unknown pin policy 'sideways'" -- start --pin sideways

out=$("$bin" list micro 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "pingpong" <<<"$out" && grep -q "handover" <<<"$out"; then ok "list micro"; else
  bad "list micro exited $rc: $out"; fi
out=$("$bin" list micro -v 2>&1)
if grep -q "start/thread_create_join$" <<<"$out"; then ok "list micro -v names benchmarks"; else
  bad "list micro -v: $out"; fi

# A small filter: runs in a moment, writes kind-micro cells.
start=$(date +%s)
out=$("$bin" micro 'start/thread*' -r 2 --min-time 0.01 -o "$tmp/ok" 2>&1); rc=$?
took=$(( $(date +%s) - start ))
json="$tmp/ok/latest/results.json"
if [ $rc -ne 0 ] || [ ! -f "$json" ]; then bad "micro start/thread* exited $rc: $out"; else
  if python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "concbench.results/1" and r["complete"] is True, r.get("schema")
cells = r["cells"]
assert [c["id"] for c in cells] == ["start/thread_create_join"], [c["id"] for c in cells]
c = cells[0]
assert c["kind"] == "micro" and c["family"] == "start" and c["model"] == "threads", c
assert c["ns_per_op"] > 0 and c["ops_per_s"] > 0, c
assert len(c["reps"]) == 2 and all(x["ns_per_op"] > 0 for x in c["reps"]), c["reps"]
assert c["stats"]["median_s"] > 0 and c["error"] is None and c["skipped"] is None, c
assert r["config"]["reps"] == 2
PY
  then ok "micro start/thread* wrote kind-micro cells in ${took}s"; else bad "results.json content"; fi
  [ -f "$tmp/ok/latest/results.csv" ] && [ -f "$tmp/ok/latest/micro_price.dat" ] && ok "csv and .dat written" ||
    bad "results.csv or micro_price.dat missing"
fi

# Latency benchmarks carry p50/p99; without gnuplot the results stay.
out=$(PATH=/nonexistent "$bin" micro 'handover/spsc_ring/8B/roundtrip' -r 1 --min-time 0.01 -o "$tmp/lat" 2>&1); rc=$?
json="$tmp/lat/latest/results.json"
if [ $rc -eq 0 ] && grep -q "no price-list chart: cannot run 'gnuplot'" <<<"$out" &&
   python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["cells"][0]; assert 0 < c["latency"]["p50_s"] <= c["latency"]["p99_s"], c' "$json"; then
  ok "roundtrip latency recorded, missing gnuplot only warns"
else bad "latency/no-gnuplot run exited $rc: $out"; fi

[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "all micro CLI checks ok"
