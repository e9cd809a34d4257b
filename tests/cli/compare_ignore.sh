#!/usr/bin/env bash
# compare --ignore-param: two runs that differ in one parameter on purpose
# match cell by cell once that parameter is ignored, and not before.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" run -q -w synth.amdahl -s serial -n 1 --size tiny -r 3 -o "$tmp/a" || exit 1
"$bin" run -q -w synth.amdahl -s serial -n 1 --size tiny -r 3 --param iters=2e7 -o "$tmp/b" || exit 1
a=$tmp/a/latest/results.json b=$tmp/b/latest/results.json
"$bin" compare "$a" "$b" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: differing params matched (exit $rc, expected 2: no cell in common)"; exit 1; }
out=$("$bin" compare --ignore-param iters "$a" "$b" 2>&1); rc=$?
grep -q "of 1 cells" <<<"$out" || { echo "FAIL: --ignore-param did not match the cell: $out"; exit 1; }
echo "ignore-param ok (exit $rc)"
