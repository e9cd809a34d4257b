#!/usr/bin/env bash
# concbench granularity: one ordinary run per task duration (every
# checksum verified), efficiency per series and duration, METG at 50% and
# 90% in granularity.json; bad input exits 2 and names what is valid.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$bin" granularity -q -s threads,processpool -n 1 --from 100us --to 1ms --per-decade 1 --work 2ms -r 2 \
	-o "$tmp" 2>"$tmp/err" || fail "granularity exited $?: $(cat "$tmp/err")"
g=$(ls -d "$tmp"/granularity-*)
f="$g/granularity.json"
jq -e '.schema == "concbench.granularity/1" and (.series | length) == 2
	and ([.series[] | .points | length == 2] | all)
	and ([.series[] | .metg50.where] | all(. == "found" or . == "below the shortest task" or . == "above the longest task"))
	and ([.series[].points[] | .task_s > 0 and .efficiency > 0] | all)' "$f" >/dev/null ||
	fail "granularity.json: $(jq -c . "$f")"
jq -e '.schedule == "dynamic:1"' "$f" >/dev/null || fail "granularity.json does not record its runs' schedule"
[ "$(ls -d "$g"/tasks-* | wc -l)" -eq 2 ] || fail "expected one run per duration: $(ls "$g")"
for r in "$g"/tasks-*/latest/results.json; do
	jq -e '([.cells[].checksum_ok] | all) and (.cells | length) == 3' "$r" >/dev/null || fail "a run's cells: $r"
done
# Two task counts: 20 tasks of 100 us, 2 of 1 ms.
jq -e '[.cells[] | select(.strategy == "serial") | .ntasks] == [20]' "$g/tasks-20/latest/results.json" >/dev/null ||
	fail "the 100 us step did not run 20 tasks"
# The sweep's report: "The smallest task each model runs efficiently", in
# its folder, and again from `concbench report DIR`.
for r in "$g/report.md" "$g/report.html"; do
	grep -q "The smallest task each model runs efficiently" "$r" || fail "$r has no granularity section"
	grep -q "METG(50%)" "$r" && grep -q "METG(90%)" "$r" || fail "$r has no METG columns"
	grep -q "threads/n1" "$r" && grep -q "processpool/n1" "$r" || fail "$r lacks a series"
done
grep -q "no price list was given\|No price list was given" "$g/report.md" || fail "report.md does not say it had no price list"
if [ -f "$g/granularity.svg" ]; then
	grep -q "<svg" "$g/report.html" || fail "report.html does not inline granularity.svg"
	grep -q "(granularity.png)" "$g/report.md" || fail "report.md does not link granularity.png"
fi
"$bin" report "$g" -o "$tmp/rep" >"$tmp/rep.out" 2>"$tmp/rep.err" || fail "report DIR exited $?: $(cat "$tmp/rep.err")"
grep -q "^threads/n1: METG(50%) .* \[.*\], METG(90%) " "$tmp/rep.out" || fail "report's answer: $(cat "$tmp/rep.out")"
grep -q "The smallest task each model runs efficiently" "$tmp/rep/report.md" || fail "report -o DIR"
"$bin" report "$g/granularity.json" -o "$tmp/rep2" >/dev/null 2>&1 || fail "report granularity.json exited $?"
# With a price list's estimates (as --price leaves them): each estimate and
# ratio, and a call-out where the two are more than 2x apart.
cp -r "$g" "$tmp/priced"
jq '.series[0].metg50 += {task_s: 1e-4, lo_s: 8e-5, hi_s: 1.2e-4, where: "found", lo_where: "found", hi_where: "found",
	price_list_s: 2e-5}
	| .series[1].metg50 += {task_s: 1e-4, lo_s: 8e-5, hi_s: 1.2e-4, where: "found", lo_where: "found", hi_where: "found",
	price_list_s: 8e-5}' "$g/granularity.json" >"$tmp/priced/granularity.json"
"$bin" report "$tmp/priced" >/dev/null 2>"$tmp/rep.err" || fail "report of a priced sweep exited $?: $(cat "$tmp/rep.err")"
md="$tmp/priced/report.md"
grep -q "price list's METG(50%)" "$md" && grep -q "measured / estimate" "$md" || fail "no estimate columns: $(cat "$md")"
grep -q "5.00x (more than 2x apart)" "$md" || fail "no 5x ratio called out"
grep -q "1.25x" "$md" || fail "no 1.25x ratio"
grep -q "More than 2x from the price list" "$md" || fail "no call-out section"
grep -q "threads/n1: METG(50%) measured 100 us, the price list predicts 20 us: 5.00x" "$md" || fail "call-out: $(grep -A3 "More than 2x" "$md")"
grep -q "processpool/n1: METG(50%) measured" "$md" && fail "a ratio within 2x called out"
# A task graph's sweep: its report says how each strategy met the dependencies.
"$bin" granularity -q -s threads,coroutines -n 1 --pattern stencil --from 100us --to 1ms --per-decade 1 --work 2ms -r 1 \
	-o "$tmp/graph" 2>"$tmp/err" || fail "a --pattern sweep exited $?: $(cat "$tmp/err")"
gr=$(ls -d "$tmp"/graph/granularity-*)
grep -q "Dependencies: how each strategy met them" "$gr/report.md" && grep -q "| coroutines | a flag per task" "$gr/report.md" ||
	fail "the graph sweep's report has no dependencies"
jq -e '.pattern.sync == "inputs"' "$gr/granularity.json" >/dev/null || fail "the graph sweep does not record its sync"
# --sync step: each task waits for the whole step before, recorded and said.
"$bin" granularity -q -s threads -n 1 --pattern stencil --sync step --from 100us --to 1ms --per-decade 1 --work 2ms -r 1 \
	-o "$tmp/step" 2>"$tmp/err" || fail "a --sync step sweep exited $?: $(cat "$tmp/err")"
gs=$(ls -d "$tmp"/step/granularity-*)
jq -e '.pattern.sync == "step"' "$gs/granularity.json" >/dev/null || fail "--sync step not recorded"
grep -q "every task of the step before" "$gs/report.md" || fail "the --sync step report does not say how tasks waited"
"$bin" granularity --sync step -o "$tmp" 2>"$tmp/bad"
[ $? -eq 2 ] && grep -q "\-\-sync goes with --pattern" "$tmp/bad" || fail "--sync without --pattern: $(cat "$tmp/bad")"
"$bin" granularity --width 8 -o "$tmp" 2>"$tmp/bad"
[ $? -eq 2 ] && grep -q "\-\-width goes with --pattern" "$tmp/bad" || fail "--width without --pattern: $(cat "$tmp/bad")"
"$bin" granularity --pattern stencil --sync barrier -o "$tmp" 2>"$tmp/bad"
[ $? -eq 2 ] && grep -q "\-\-sync 'barrier' is not inputs or step" "$tmp/bad" || fail "--sync barrier: $(cat "$tmp/bad")"
mkdir -p "$tmp/empty"
"$bin" report "$tmp/empty" 2>"$tmp/bad"
[ $? -eq 2 ] && grep -q "a folder without granularity.json or results.json (valid: a results.json file, the folder of a run or of a granularity sweep)" \
	"$tmp/bad" || fail "report of a folder that is no sweep: $(cat "$tmp/bad")"
"$bin" granularity --from 1ms --to 10us -o "$tmp" 2>"$tmp/bad"
[ $? -eq 2 ] || fail "--to shorter than --from did not exit 2"
grep -q "\-\-to must be longer than --from" "$tmp/bad" || fail "message: $(cat "$tmp/bad")"
"$bin" granularity --from 1 -o "$tmp" 2>"$tmp/bad"
[ $? -eq 2 ] || fail "a bare --from 1 (1 s) above the default --to did not exit 2"
"$bin" granularity --per-decade 0 -o "$tmp" 2>"$tmp/bad"
[ $? -eq 2 ] && grep -q "per-decade '0' must be a whole number from 1 to 10" "$tmp/bad" || fail "--per-decade 0: $(cat "$tmp/bad")"
echo "granularity ok"
