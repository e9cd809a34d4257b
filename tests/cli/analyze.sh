#!/usr/bin/env bash
# `concbench analyze`: the fits on known data (text and JSON), results.json
# input with filters, and one clear line with exit 2 for every bad input.
set -u
: "${CONCBENCH:?set CONCBENCH to the concbench binary}"
SRC=${CB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
FIXTURE=$SRC/tests/data/results-synthetic.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_error NAME EXIT PATTERN ARGS...: exit code, one stderr line matching PATTERN
expect_error() {
	local name=$1 want=$2 pattern=$3
	shift 3
	"$CONCBENCH" analyze "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	[ "$rc" -eq "$want" ] || fail "$name: exit $rc, want $want ($(cat "$tmp/err"))"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$name: want one line on stderr, got: $(cat "$tmp/err")"
	grep -q -- "$pattern" "$tmp/err" || fail "$name: stderr '$(cat "$tmp/err")' lacks '$pattern'"
	[ ! -s "$tmp/out" ] || fail "$name: wrote to stdout on error"
}

printf 'N,X\n1,1\n2,1.8868\n4,3.0769\n6,3.5294\n8,3.5398\n10,3.3557\n' >"$tmp/usl.csv"

# The R usl package's synthetic set: alpha = beta = 0.02, gamma = 1.00.
"$CONCBENCH" analyze --format json "$tmp/usl.csv" >"$tmp/usl.json" || fail "usl csv: exit $?"
for q in '.usl.alpha*1000|round == 20' '.usl.beta*1000|round == 20' '.usl.gamma*100|round == 100' \
         '.usl.r2 > 0.9999' '.usl.peak_n*10|round == 70' '(.points|length) == 6' \
         '.points[1].karp_flatt != null' '.amdahl.serial_fraction > 0' \
         '.usl.alpha_se != null' '.points[0].speedup == 1'; do
	jq -e "$q" "$tmp/usl.json" >/dev/null || fail "usl csv json: $q"
done
"$CONCBENCH" analyze "$tmp/usl.csv" >"$tmp/usl.txt" || fail "usl csv text: exit $?"
grep -q 'alpha = 0.02' "$tmp/usl.txt" || fail "usl text lacks alpha = 0.02: $(cat "$tmp/usl.txt")"
grep -q 'peak at N\* = 7' "$tmp/usl.txt" || fail "usl text lacks the peak at 7"

# Amdahl f = 0.05 from a headerless CSV with a comment and blank lines.
printf '# f = 0.05\n1,1\n2,1.904762\n\n4,3.478261\n8,5.925926\n16,9.142857\n32,12.54902\n64,15.421687\n' >"$tmp/amdahl.csv"
"$CONCBENCH" analyze --format=json "$tmp/amdahl.csv" >"$tmp/amdahl.json" || fail "amdahl csv: exit $?"
jq -e '(.amdahl.serial_fraction*1e4|round) == 500' "$tmp/amdahl.json" >/dev/null || fail "amdahl fit != 0.05"
jq -e '[.points[1:][] | .karp_flatt*1e4|round] | all(. == 500)' "$tmp/amdahl.json" >/dev/null ||
	fail "karp-flatt != 0.05"

# results.json: all series, and one selected by workload and strategy.
"$CONCBENCH" analyze "$FIXTURE" >"$tmp/all.txt" || fail "fixture: exit $?"
grep -q '^cpu.primes/threads' "$tmp/all.txt" || fail "fixture text lacks cpu.primes/threads"
grep -q '^io.sleep/coroutines/w1' "$tmp/all.txt" || fail "fixture text lacks io.sleep/coroutines/w1"
"$CONCBENCH" analyze "$FIXTURE" --format json --workload synth.amdahl --strategy threads >"$tmp/one.json" ||
	fail "fixture json: exit $?"
jq -e '.workload == "synth.amdahl" and .strategy == "threads" and .usl.beta > 0 and
       .amdahl.measured == 0.1 and (.points|length) == 3' "$tmp/one.json" >/dev/null ||
	fail "fixture json one series: $(cat "$tmp/one.json")"
"$CONCBENCH" analyze "$FIXTURE" --format json >"$tmp/many.json" || fail "fixture json all: exit $?"
jq -e '(.series|length) > 3' "$tmp/many.json" >/dev/null || fail "fixture json lacks series[]"

# Bad input: exit 2 and one line naming what was wrong.
printf 'N,X\n1,1\n2,1.9\n' >"$tmp/two.csv"
expect_error "two points" 2 'fewer than 3\|at least 3' "$tmp/two.csv"
printf 'N,X\n1,1\n2,abc\n4,3\n' >"$tmp/nan.csv"
expect_error "non-numeric" 2 "nan.csv:3: field 2 (X) 'abc' is not a number" "$tmp/nan.csv"
printf '1,1\nfour,3\n8,5\n' >"$tmp/nan1.csv"
expect_error "non-numeric N" 2 "nan1.csv:2: field 1 (N) 'four'" "$tmp/nan1.csv"
printf 'N,X\n1,1\n0,1.9\n4,3\n' >"$tmp/zero.csv"
expect_error "N = 0" 2 'zero.csv:3: N = 0 must be > 0' "$tmp/zero.csv"
printf 'N,X\n1,1\n-2,1.9\n4,3\n' >"$tmp/neg.csv"
expect_error "N < 0" 2 'neg.csv:3: N = -2 must be > 0' "$tmp/neg.csv"
printf 'N,X\n1,1\n2,1.9\n2,2.0\n4,3\n' >"$tmp/dup.csv"
expect_error "duplicate N" 2 'dup.csv:4: duplicate N = 2 (first on line 3)' "$tmp/dup.csv"
printf 'N,X\n1,1,7\n2,2\n4,3\n' >"$tmp/wide.csv"
expect_error "three fields" 2 'expected 2 fields' "$tmp/wide.csv"
expect_error "missing file" 2 "$tmp/nope.csv: cannot open" "$tmp/nope.csv"
expect_error "directory" 2 "a folder without results.json (valid: a results.json file, or the folder of a run)" "$tmp"
head -c 2000 "$FIXTURE" >"$tmp/trunc.json"
expect_error "truncated json" 2 'not valid JSON' "$tmp/trunc.json"
printf '{"schema": "other/2", "cells": []}' >"$tmp/schema.json"
expect_error "wrong schema" 2 "schema 'other/2' (valid: concbench.results/1)" "$tmp/schema.json"
printf '{"cells": []}' >"$tmp/noschema.json"
expect_error "no schema" 2 'not a concbench results file' "$tmp/noschema.json"
jq '.cells[3].workers = "four"' "$FIXTURE" >"$tmp/badcell.json"
expect_error "bad cell" 2 "cells\[3\] 'cpu.primes\[n=200000\]/threads/n4/compact/static': 'workers'" "$tmp/badcell.json"
expect_error "unknown workload" 2 "unknown workload 'cpu.prime' (known: cpu.primes, synth.amdahl, io.sleep)" \
	"$FIXTURE" --workload cpu.prime
expect_error "unknown strategy" 2 "unknown strategy 'thread' (known: serial, threads, processes)" \
	"$FIXTURE" --workload cpu.primes --strategy thread
expect_error "serial only" 2 'fewer than 3' "$FIXTURE" --strategy serial
expect_error "bad format" 2 "unknown format 'xml' (valid: text, json)" --format xml "$FIXTURE"
expect_error "no file" 2 'expected one FILE' --format json
expect_error "bad option" 2 "unknown option" --frobnicate "$FIXTURE"

"$CONCBENCH" analyze --help | grep -q '^usage: concbench analyze' || fail "--help"

[ "$fails" -eq 0 ] && echo "analyze: all passed"
exit $((fails > 0))
