#!/usr/bin/env bash
# merge folds runs of one plan into one file, rounds in order, adds the
# cells of workloads run on their own, and compare --paired tests the
# pairs; a cell with other parameters than before is refused.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
run() { "$bin" run -q --size tiny -w cpu.primes -s serial,threads -n 2 -r 2 --rounds 1 --seed "$2" -o "$tmp/$1" "${@:3}" &&
        readlink -f "$tmp/$1/latest/results.json"; }
a1=$(run a 1) && b1=$(run b 1) && b2=$(run b 2) && a2=$(run a 2) && a3=$(run a 3) && b3=$(run b 3) || fail "runs failed"
"$bin" merge -o "$tmp/a.json" "$a1" "$a2" "$a3" || fail "merge exited $?"
"$bin" merge -o "$tmp/b.json" "$b1" "$b2" "$b3" || fail "merge exited $?"
jq -e '.config.rounds == 3 and (.merged_from | length) == 3 and
       ([.cells[] | (.rounds | length) == 3 and ([.reps[].round] == [0,0,1,1,2,2])] | all)' "$tmp/a.json" >/dev/null ||
  fail "merged file lacks its rounds: $(jq -c '[.cells[] | {id, rounds, r: [.reps[].round]}]' "$tmp/a.json")"
jq -e --slurpfile one "$a2" '.cells[0].rounds[1] == $one[0].cells[0].rounds[0]' "$tmp/a.json" >/dev/null ||
  fail "round 2 of the merge is not the second input's"
"$bin" compare --paired --format json "$tmp/a.json" "$tmp/b.json" > "$tmp/cmp.json"
rc=$?
[ "$rc" -le 1 ] || fail "compare --paired exited $rc"
jq -e '[.cells[] | .test == "moderated paired t on log round ratios" and .unit == "rounds"] | all' "$tmp/cmp.json" >/dev/null ||
  fail "compare did not pair the rounds: $(jq -c '[.cells[] | .test]' "$tmp/cmp.json")"
# another workload's run adds its cells
other=$("$bin" run -q --size tiny -w synth.amdahl -s serial -n 1 -r 1 -o "$tmp/c" && readlink -f "$tmp/c/latest/results.json")
"$bin" merge -o "$tmp/u.json" "$a1" "$other" || fail "merging two workloads exited $?"
jq -e '[.cells[].workload] | sort == ["cpu.primes", "cpu.primes", "synth.amdahl"]' "$tmp/u.json" >/dev/null ||
  fail "the union lacks a workload's cells"
# each run's steps in the machine's speed, with the run they happened in
jq '.machine_changes = [{"workload": "cpu.primes", "at_s": 3, "ratio": 0.7, "cells": 2, "agree": 2}]' "$a1" > "$tmp/m1.json"
jq '.machine_changes = []' "$a2" > "$tmp/m2.json"
jq '.machine_changes = [{"workload": "cpu.primes", "at_s": 1, "ratio": 1.2, "cells": 2, "agree": 2}]' "$a3" > "$tmp/m3.json"
"$bin" merge -o "$tmp/m.json" "$tmp/m1.json" "$tmp/m2.json" "$tmp/m3.json" || fail "merging runs with machine changes exited $?"
jq -e '[.machine_changes[] | [.from, .ratio]] == [[0, 0.7], [2, 1.2]]' "$tmp/m.json" >/dev/null ||
  fail "the merge does not keep each run's machine changes: $(jq -c '.machine_changes' "$tmp/m.json")"
"$bin" merge -o "$tmp/m0.json" "$tmp/m2.json" "$a2" || fail "merging runs without machine changes exited $?"
jq -e '.machine_changes == []' "$tmp/m0.json" >/dev/null || fail "a merge of steady runs lists machine changes"
# the same cell with other parameters is refused, naming the file
bad=$("$bin" run -q --size tiny -w cpu.primes -s serial,threads -n 2 -r 1 --param n=30000 -o "$tmp/d" &&
      readlink -f "$tmp/d/latest/results.json")
"$bin" merge -o "$tmp/x.json" "$a1" "$bad" 2> "$tmp/err"
[ $? -eq 2 ] || fail "merging a cell with other parameters should exit 2"
grep -q "other parameters" "$tmp/err" || fail "error does not say why: $(cat "$tmp/err")"
[ ! -e "$tmp/x.json" ] || fail "a refused merge wrote its output"
"$bin" merge "$a1" 2> "$tmp/err"; [ $? -eq 2 ] || fail "merge without -o should exit 2"
echo "merge ok"
