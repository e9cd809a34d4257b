#!/usr/bin/env bash
# Task graphs say how each cell met the dependencies between its tasks:
# results.json's cell field `dependencies` (from the workload's own code:
# a futex on a flag per task for threads and processes, a yield to the
# scheduler for coroutines, index order for serial, OpenMP's depend
# clauses for openmp), none for a bag of
# tasks; run's notes under its table and the report show it.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$bin" run -w graph.deps,graph.pipeline,synth.amdahl -s serial,threads,processpool,coroutines,openmp -n 2 --size tiny -r 1 \
	-o "$tmp" >"$tmp/out" 2>"$tmp/err" || fail "run exited $?: $(cat "$tmp/err")"
r="$tmp/latest/results.json"
jq -e '[.cells[] | select(.workload | startswith("graph.")) | .dependencies | type == "string"] | (all and length == 10)' \
	"$r" >/dev/null || fail "a graph cell without dependencies: $(jq -c '[.cells[] | [.id, .dependencies]]' "$r")"
jq -e '[.cells[] | select(.workload == "synth.amdahl") | has("dependencies")] | (any | not)' "$r" >/dev/null ||
	fail "a bag-of-tasks cell records dependencies"
jq -e '[.cells[] | select(.workload == "graph.deps" and (.strategy == "threads" or .strategy == "processpool"))
	| .dependencies | test("futex")] | all' "$r" >/dev/null || fail "threads/processpool: not a futex"
jq -e '[.cells[] | select(.workload == "graph.deps" and .strategy == "coroutines") | .dependencies
	| test("coroutine scheduler")] | all' "$r" >/dev/null || fail "coroutines: not the scheduler"
jq -e '[.cells[] | select(.workload | startswith("graph.")) | select(.strategy == "openmp") | .checksum_ok
	and (.dependencies | test("depend\\(in\\)")) and (.strategy_note | test("depend clauses"))] | (all and length == 2)' \
	"$r" >/dev/null || fail "openmp: not depend clauses: $(jq -c '[.cells[] | select(.strategy == "openmp") | [.dependencies, .strategy_note]]' "$r")"
# libgomp's threads run where concbench placed its workers: each
# worker's PU in every repetition is the cell's placement's.
jq -e '[.cells[] | select(.strategy == "openmp") | .placement as $p | .reps[] | .cpus == [$p[] | [.]]] | (all and length >= 3)' \
	"$r" >/dev/null || fail "openmp: workers off their PUs: $(jq -c '[.cells[] | select(.strategy == "openmp") | [.placement, [.reps[].cpus]]]' "$r")"
jq -e '[.cells[] | select(.workload == "synth.amdahl" and .strategy == "openmp") | .strategy_note | test("depend") | not] | (all and length == 1)' \
	"$r" >/dev/null || fail "openmp on a bag of tasks: depend clauses"
jq -e '[.cells[] | select(.workload == "synth.amdahl" and .strategy == "openmp") | .strategy_note | test("worksharing loop")] | (all and length == 1)' \
	"$r" >/dev/null || fail "openmp on a bag of tasks: not a worksharing loop"
jq -e '[.cells[] | select(.workload == "graph.deps" and .strategy == "serial") | .dependencies | test("index order")] | all' \
	"$r" >/dev/null || fail "serial: not index order"
grep -q "^dependencies of graph.deps under threads, processpool: a flag per task" "$tmp/out" ||
	fail "run's notes: $(grep dependencies "$tmp/out")"
grep -q "^dependencies of graph.deps under coroutines: " "$tmp/out" || fail "run's notes lack coroutines"
grep -q "^dependencies of synth.amdahl" "$tmp/out" && fail "run's notes name a bag of tasks"
grep -q "Dependencies: how each strategy met them" "$tmp/latest/report.md" || fail "report.md has no dependencies table"
[ "$(grep -c "Dependencies: how each strategy met them" "$tmp/latest/report.md")" -eq 2 ] ||
	fail "report.md: one dependencies table per graph workload expected"
# The pattern without dependencies says so.
"$bin" run -q -w graph.deps -s threads -n 2 --size tiny -r 1 --param graph.deps:pattern=trivial -o "$tmp/t" 2>/dev/null ||
	fail "trivial pattern run"
jq -e '[.cells[] | .dependencies | test("^none")] | all' "$tmp/t/latest/results.json" >/dev/null ||
	fail "pattern trivial: $(jq -c '[.cells[].dependencies]' "$tmp/t/latest/results.json")"
# sync step: each task waits for the whole step before, and says so.
"$bin" run -q -w graph.deps -s threads,openmp -n 2 --size tiny -r 1 --param graph.deps:sync=step -o "$tmp/s" 2>/dev/null ||
	fail "sync step run"
jq -e '[.cells[] | .checksum_ok and (.dependencies | test("every task of the step before"))] | all' \
	"$tmp/s/latest/results.json" >/dev/null || fail "sync step: $(jq -c '[.cells[] | [.checksum_ok, .dependencies]]' "$tmp/s/latest/results.json")"
echo "dependencies ok"
