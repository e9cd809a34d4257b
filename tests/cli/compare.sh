#!/bin/bash
# CLI tests of `concbench compare` and `concbench baseline`: exit codes
# 0/1/2, the summary line, the formats, and malformed inputs that must exit 2
# with one line naming the file (never a crash or a sanitizer report).
set -u
. "$(dirname "$0")/common.bash"
DATA=$SRC/tests/data/compare

# --- verdicts and exit codes
expect 0 "$CB" compare "$DATA/base.json" "$DATA/rerun.json"
head -1 "$tmp/out" | grep -q '^concbench compare: 0 regressed, 0 improved, 0 noisy, 4 unchanged' ||
	fail "summary line first: $(head -1 "$tmp/out")"
contains out "Holm"

expect 1 "$CB" compare "$DATA/base.json" "$DATA/slow10.json"
contains out "4 REGRESSED"

# A run's folder stands for its results.json, as in every command that reads one.
mkdir -p "$tmp/run-base" "$tmp/run-new" "$tmp/no-run"
cp "$DATA/base.json" "$tmp/run-base/results.json"
cp "$DATA/slow10.json" "$tmp/run-new/results.json"
expect 1 "$CB" compare "$tmp/run-base" "$tmp/run-new"
contains out "4 REGRESSED"
expect 2 "$CB" compare "$tmp/no-run" "$tmp/run-new"
one_line_error "no-run: a folder without results.json"

expect 0 "$CB" compare "$DATA/slow10.json" "$DATA/base.json"
contains out "4 IMPROVED"
expect 1 "$CB" compare --fail-on any "$DATA/slow10.json" "$DATA/base.json"
expect 0 "$CB" compare --threshold 15 "$DATA/base.json" "$DATA/slow10.json"
expect 1 "$CB" compare --metric throughput "$DATA/base.json" "$DATA/slow10.json"
expect 1 "$CB" compare --metric cpu "$DATA/base.json" "$DATA/slow10.json"

expect 1 "$CB" compare --format md "$DATA/base.json" "$DATA/slow10.json"
contains out "| **regressed** |"
expect 1 "$CB" compare --format json "$DATA/base.json" "$DATA/slow10.json"
contains out '"schema": "concbench.compare/1"'
contains out '"correction": "holm"'

expect 0 "$CB" compare "$DATA/base.json" "$DATA/other-host.json"
contains out "WARNING: different machines: host 'ci-runner-1' in BASE, 'ci-runner-7' in NEW"
contains out "only in BASE: synth.lock"
expect 0 "$CB" compare --format md "$DATA/base.json" "$DATA/other-host.json"
contains err "concbench: warning: different machines"

expect 1 "$CB" compare --fail-on any "$DATA/base.json" "$DATA/other-host.json"
expect 2 "$CB" compare "$DATA/base.json" "$DATA/gbench-base.json"
one_line_error "needs the same kind on both sides"

expect 1 "$CB" compare "$DATA/gbench-base.json" "$DATA/gbench-slow.json"
expect 0 "$CB" compare "$DATA/gbench-base.json" "$DATA/gbench-base.json"

# the same inputs give the same report (seeded bootstrap)
"$CB" compare "$DATA/base.json" "$DATA/slow10.json" >"$tmp/a" 2>&1
"$CB" compare "$DATA/base.json" "$DATA/slow10.json" >"$tmp/b" 2>&1
cmp -s "$tmp/a" "$tmp/b" || fail "reports differ between two identical runs"

# --- usage errors
expect 2 "$CB" compare
one_line_error "two files"
expect 2 "$CB" compare "$DATA/base.json"
one_line_error
expect 2 "$CB" compare --metric latency "$DATA/base.json" "$DATA/rerun.json"
one_line_error "valid: time, throughput, cpu"
expect 2 "$CB" compare --threshold abc "$DATA/base.json" "$DATA/rerun.json"
one_line_error "--threshold"
expect 2 "$CB" compare --alpha 2 "$DATA/base.json" "$DATA/rerun.json"
one_line_error "--alpha"
expect 2 "$CB" compare --format html "$DATA/base.json" "$DATA/rerun.json"
one_line_error "valid: text, md, json"
expect 2 "$CB" compare --fail-on never "$DATA/base.json" "$DATA/rerun.json"
one_line_error "valid: regressed, any"
expect 2 "$CB" compare --bogus "$DATA/base.json" "$DATA/rerun.json"
one_line_error "--bogus"
expect 0 "$CB" compare --help
contains out "usage: concbench compare"

# --- malformed inputs: exit 2, one line naming the file
good="$DATA/base.json"
head -c 500 "$good" >"$tmp/truncated.json"
: >"$tmp/empty.json"
mkdir "$tmp/dir.json"
head -c 4096 "$CB" >"$tmp/binary.json"
printf '{"schema": "concbench.results/7", "cells": []}' >"$tmp/schema.json"
printf '{"schema": "concbench.results/1"}' >"$tmp/nocells.json"
printf '{"schema": "concbench.results/1", "cells": [{"workload": "w", "strategy": "serial", "workers": 1, "reps": [{"wall_s": "fast"}]}]}' >"$tmp/types.json"
printf '{"schema": "concbench.results/1", "cells": [{"strategy": "serial", "workers": 1, "reps": []}]}' >"$tmp/missing.json"
printf '[]' >"$tmp/array.json"
printf '{"benchmarks": [{"name": "x", "run_type": "aggregate"}]}' >"$tmp/aggregates.json"
for f in truncated empty dir binary schema nocells types missing array aggregates; do
	expect 2 "$CB" compare "$good" "$tmp/$f.json"
	one_line_error "$tmp/$f.json"
	expect 2 "$CB" compare "$tmp/$f.json" "$good"
	one_line_error "$tmp/$f.json"
done
expect 2 "$CB" compare "$good" "$tmp/does-not-exist.json"
one_line_error "does-not-exist.json"

# --- baselines, kept under results/baselines/ of the working directory
cd "$tmp"
expect 0 "$CB" baseline save main "$DATA/base.json"
[ -f results/baselines/main.json ] || fail "baseline not written"
cmp -s results/baselines/main.json "$DATA/base.json" || fail "baseline is not a copy"
expect 1 "$CB" compare --baseline main "$DATA/slow10.json"
expect 0 "$CB" compare "$DATA/rerun.json" --baseline main
expect 0 "$CB" baseline list
contains out "main"
expect 2 "$CB" compare --baseline nope "$DATA/slow10.json"
one_line_error "no baseline 'nope'"
contains err "saved: main"
expect 2 "$CB" baseline save ../escape "$DATA/base.json"
one_line_error "invalid baseline name"
expect 2 "$CB" baseline save bad "$tmp/truncated.json"
one_line_error "truncated.json"
[ ! -e results/baselines/bad.json ] || fail "a malformed file was saved as a baseline"
expect 2 "$CB" baseline save latest
one_line_error "results/latest/results.json"
expect 2 "$CB" baseline frobnicate
one_line_error "valid: save, list"

# --- the ratio chart
if command -v gnuplot >/dev/null; then
	expect 1 "$CB" compare --chart "$tmp/ratios.png" "$DATA/base.json" "$DATA/slow10.json"
	[ -s "$tmp/ratios.png" ] && [ -s "$tmp/ratios.dat" ] || fail "chart not drawn"
	head -c 8 "$tmp/ratios.png" | grep -q PNG || fail "chart is not a PNG"
else
	echo "SKIP: chart (no gnuplot)"
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all compare CLI tests passed"
