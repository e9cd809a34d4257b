#!/usr/bin/env bash
# A run that found the machine changing speed under one workload
# (machine_changes) does not make that workload's cells regressed in a
# comparison: they are noisy, with the reason, and a warning names the
# workload, the step and when. The same files without the record call them
# regressed, so the record is what changes the verdict.
set -u
source "$(dirname "$0")/common.bash"
expect 0 "$CB" run -q -w cpu.primes,synth.amdahl -s serial,threads,threadpool -n 1 --size tiny --rounds 4 -r 1 -o "$tmp/base"
base=$tmp/base/latest/results.json
jq -e '.machine_changes | type == "array"' "$base" >/dev/null || fail "results.json lacks machine_changes"
jq -e '[.cells[].reps[].at_s | type == "number" and . >= 0] | all' "$base" >/dev/null ||
	fail "a repetition lacks at_s: $(jq -c '[.cells[].reps[].at_s]' "$base")"
# The record is this test's to set: none in BASE; and so are the times
# (a busy machine must not decide the verdicts): each cell's 4 rounds
# within 1% of its median. NEW: the same, cpu.primes 1.5x slower.
steady='.cells[] |= (.stats.median_s as $m | [$m, $m * 1.01, $m * 0.99, $m * 1.005] as $v | .rounds = $v |
	.reps |= [range(0; length) as $i | .[$i] | .wall_s = $v[$i % 4]])'
jq ".machine_changes = [] | $steady" "$base" >"$tmp/base.json"
base=$tmp/base.json
slow='(.cells[] | select(.workload == "cpu.primes")) |= (.reps[].wall_s *= 1.5 | .rounds[] *= 1.5 | .stats.median_s *= 1.5)'
jq "$slow" "$base" >"$tmp/new.json"
expect 1 "$CB" compare "$base" "$tmp/new.json"
regressed=$(grep -c '^regressed .*cpu\.primes/' "$tmp/out")
[ "$regressed" -eq 3 ] || fail "without machine_changes, $regressed cpu.primes cells regressed, want 3: $(cat "$tmp/out")"
jq "$slow"' | .machine_changes = [{"workload": "cpu.primes", "at_s": 1.5, "ratio": 1.5, "cells": 3, "agree": 3}]' \
	"$base" >"$tmp/changed.json"
expect 0 "$CB" compare "$base" "$tmp/changed.json"
lacks out "regressed  "
[ "$(grep -c '^noisy .*cpu\.primes/' "$tmp/out")" -eq 3 ] ||
	fail "with machine_changes, the cpu.primes cells are not noisy: $(cat "$tmp/out")"
contains out "the machine changed speed during NEW: cpu.primes 1.50x slower from 2 s"
expect 0 "$CB" compare --format json "$base" "$tmp/changed.json"
jq -e --argjson k "$regressed" '[.cells[] | select(.cell | startswith("cpu.primes/")) | .why |
	select(. == "the machine changed speed during NEW (every cell of the workload at once)")] | length == $k' \
	"$tmp/out" >/dev/null ||
	fail "the JSON rows do not give the reason: $(jq -c '[.cells[] | {cell, verdict, why}]' "$tmp/out")"
[ "$failures" -eq 0 ] && echo "machine changes: the workload's cells noisy, with the reason"
exit $((failures > 0))
