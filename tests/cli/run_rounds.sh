#!/usr/bin/env bash
# --rounds K: K fresh processes merged into one run folder, each cell with
# one median per round and every repetition of every round; the same under
# the abbreviation --round, and in an -o path that a shell would split.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" run -q --size tiny -w cpu.primes -s serial,threads -n 2 -r 2 --warmup 0 --rounds 3 -o "$tmp/res" || { echo "FAIL: run exited $?"; exit 1; }
f="$tmp/res/latest/results.json"
[ -f "$f" ] || { echo "FAIL: no results.json"; exit 1; }
[ -z "$(ls -A "$tmp/res" | grep rounds)" ] || { echo "FAIL: round folders left behind"; exit 1; }
n_rounds=$(grep -c '"rounds"' "$f")
# two cells with a rounds array each, plus config.rounds
[ "$n_rounds" -eq 3 ] || { echo "FAIL: expected 3 'rounds' keys, got $n_rounds"; exit 1; }
grep -q '"--rounds"' "$f" || { echo "FAIL: command line not recorded"; exit 1; }
# Repetitions set aside at reduced capacity (reps_set_aside) are apart.
reps=$(jq '[.cells[].reps | length] | add' "$f")
[ "$reps" -eq 12 ] || { echo "FAIL: expected 12 repetitions (2 cells x 2 reps x 3 rounds), got $reps"; exit 1; }
# 3 rounds: the machine's floor measured before the first cell, and shown by
# the report's machine table.
jq -e '.machine.noise.sd_log > 0 and .machine.noise.timings >= 10 and (.machine.noise.pus | length) >= 1' "$f" >/dev/null ||
  { echo "FAIL: no machine.noise in a 3-round run: $(jq -c '.machine.noise' "$f")"; exit 1; }
"$bin" report "$f" -o "$tmp/rep" >/dev/null 2>&1
grep -q "| timing noise | [0-9.]*% (sd of log time" "$tmp/rep/report.md" ||
  { echo "FAIL: the report's machine table lacks the timing noise"; exit 1; }
echo "rounds ok"

# Work sized in time (graph.deps, io.sleep's CPU part) comes from one rate
# of the spin chain for the whole run: every round's measuring process and
# every cell the same, so that rounds and cells do the same work; a rate
# the user sets in CB_SPIN_RATE is the one used.
env -u CB_SPIN_RATE "$bin" run -q --no-report --size tiny -w graph.deps,io.sleep -s serial,threads -n 2 -r 1 --warmup 0 \
	--rounds 3 -o "$tmp/rate" || { echo "FAIL: run of graph.deps, io.sleep exited $?"; exit 1; }
rates=$(jq -r '[.cells[].measured_params.rate] | unique | length' "$tmp/rate/latest/results.json")
[ "$rates" = 1 ] || { echo "FAIL: the cells' spin rates differ: $(jq -c '[.cells[].measured_params.rate]' "$tmp/rate/latest/results.json")"; exit 1; }
CB_SPIN_RATE=5e8 "$bin" run -q --no-report --size tiny -w graph.deps -s serial -r 1 --warmup 0 -o "$tmp/rate_set" ||
	{ echo "FAIL: run with CB_SPIN_RATE exited $?"; exit 1; }
jq -e '[.cells[].measured_params.rate | tonumber] | all(. == 5e8)' "$tmp/rate_set/latest/results.json" >/dev/null ||
	{ echo "FAIL: CB_SPIN_RATE=5e8 not used: $(jq -c '[.cells[].measured_params.rate]' "$tmp/rate_set/latest/results.json")"; exit 1; }
echo "spin rate ok"

# --round 2, an abbreviation getopt accepts: one run folder holding both
# rounds, nothing nested, no second run started from inside the first.
timeout 120 "$bin" run -q --size tiny -w cpu.primes -s serial -r 1 --warmup 0 --round 2 -o "$tmp/abbr" ||
  { echo "FAIL: --round 2 exited $?"; exit 1; }
runs=$(find "$tmp/abbr" -mindepth 1 -maxdepth 1 -type d | wc -l)
[ "$runs" -eq 1 ] || { echo "FAIL: --round 2 made $runs run folders: $(ls -A "$tmp/abbr")"; exit 1; }
[ -z "$(find "$tmp/abbr" -mindepth 2 -type d)" ] || { echo "FAIL: --round 2 left nested folders: $(find "$tmp/abbr" -mindepth 2 -type d)"; exit 1; }
jq -e '.config.rounds == 2 and ([.cells[].rounds | length] | all(. == 2)) and (.machine | has("noise") | not)' "$tmp/abbr/latest/results.json" >/dev/null ||
  { echo "FAIL: --round 2 did not run 2 rounds: $(jq -c '.config.rounds' "$tmp/abbr/latest/results.json")"; exit 1; }

# An -o path with a single quote and a space: the run lands there and
# nothing is left beside it (no path reaches a shell).
odd="$tmp/it's a dir/res"
"$bin" run -q --size tiny -w cpu.primes -s serial -r 1 --warmup 0 --rounds 2 -o "$odd" ||
  { echo "FAIL: -o \"$odd\" exited $?"; exit 1; }
jq -e '.config.rounds == 2' "$odd/latest/results.json" >/dev/null || { echo "FAIL: no results under \"$odd\""; exit 1; }
[ "$(ls -A "$odd" | grep -vc '^latest$')" -eq 1 ] || { echo "FAIL: left under \"$odd\": $(ls -A "$odd")"; exit 1; }
[ "$(ls -A "$tmp/it's a dir")" = res ] || { echo "FAIL: left beside \"$odd\": $(ls -A "$tmp/it's a dir")"; exit 1; }
src=${CB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
shell=$(grep -rnE '\b(system|popen)\(' "$src/harness" "$src/workloads")
[ -z "$shell" ] || { echo "FAIL: a command line goes through a shell: $shell"; exit 1; }
echo "rounds abbreviation and odd paths ok"
