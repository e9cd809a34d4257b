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
[ "$(ls -d "$g"/tasks-* | wc -l)" -eq 2 ] || fail "expected one run per duration: $(ls "$g")"
for r in "$g"/tasks-*/latest/results.json; do
	jq -e '([.cells[].checksum_ok] | all) and (.cells | length) == 3' "$r" >/dev/null || fail "a run's cells: $r"
done
# Two task counts: 20 tasks of 100 us, 2 of 1 ms.
jq -e '[.cells[] | select(.strategy == "serial") | .ntasks] == [20]' "$g/tasks-20/latest/results.json" >/dev/null ||
	fail "the 100 us step did not run 20 tasks"
"$bin" granularity --from 1ms --to 10us -o "$tmp" 2>"$tmp/bad"
[ $? -eq 2 ] || fail "--to shorter than --from did not exit 2"
grep -q "\-\-to must be longer than --from" "$tmp/bad" || fail "message: $(cat "$tmp/bad")"
"$bin" granularity --from 1 -o "$tmp" 2>"$tmp/bad"
[ $? -eq 2 ] || fail "a bare --from 1 (1 s) above the default --to did not exit 2"
"$bin" granularity --per-decade 0 -o "$tmp" 2>"$tmp/bad"
[ $? -eq 2 ] && grep -q "per-decade '0' must be a whole number from 1 to 10" "$tmp/bad" || fail "--per-decade 0: $(cat "$tmp/bad")"
echo "granularity ok"
