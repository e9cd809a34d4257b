#!/usr/bin/env bash
# Python workloads end to end: the example file runs and verifies under
# every strategy at 1 and 2 workers (mpi where built), list -v -w shows its
# parameters and interpreter, results record the file, its SHA-256, the
# interpreter and its GIL, py.primes gives cpu.primes's checksum, waits in
# time.sleep run under threads at 4 workers, and broken files are exit 2
# with one line naming the Python exception. In a build without Python a
# py: item is exit 3 naming the package, and the rest is skipped.
# Speed is reported, never asserted (docs/python.md has the figures).
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
src=${CB_SOURCE_DIR:?CB_SOURCE_DIR must point at the source tree}
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
example="$src/examples/python/primes.py"

if ! "$bin" list workloads | grep -q "Python: -w py:FILE.py, CPython"; then
  out=$("$bin" run -o "$tmp/none" -w "py:$example" -s serial --size tiny 2>&1); rc=$?
  { [ $rc -eq 3 ] && grep -q "libpython3-dev" <<<"$out"; } || { echo "FAIL: without Python: exit $rc: $out"; exit 1; }
  echo "skipped: Python workloads not built"; exit 0
fi

out=$("$bin" list -v -w "py:$example" 2>&1); rc=$?
[ $rc -eq 0 ] || fail "list -v -w exited $rc: $out"
for want in "example.pyprimes" "^ *n .*count primes" "^ *tasks " "python: $example" \
            "sha256: [0-9a-f]{64}" "runtime: CPython 3"; do
  grep -qE -- "$want" <<<"$out" || fail "list -v -w does not show /$want/: $out"
done

strategies=serial,threads,threadpool,processes,processpool,coroutines,hybrid
ncells=13
if [ -x "$(dirname "$bin")/concbench-mpi" ]; then strategies=$strategies,mpi; ncells=15; fi
out=$("$bin" run -o "$tmp/res" -w "py:$example" -s $strategies -n 1,2 --size tiny -r 1 --warmup 0 -q 2>&1); rc=$?
[ $rc -eq 0 ] || fail "run under $strategies exited $rc: $out"
res=$(ls "$tmp"/res/2*/results.json 2>/dev/null | head -1)
if [ -z "$res" ]; then
  fail "no results.json"
else
  got=$(jq '[.cells[] | select(.checksum_ok == true)] | length' "$res")
  [ "$got" = "$ncells" ] || fail "$got of $ncells cells verified: $(jq -c '[.cells[] | [.id, .checksum_ok, .error]]' "$res")"
  sha=$(sha256sum "$example" | cut -d' ' -f1)
  bad=$(jq --arg p "$(realpath "$example")" --arg h "$sha" '[.cells[] | .workload_source |
        select(.type != "python" or .path != $p or .sha256 != $h or (.runtime | test("^CPython 3")) != true
               or (.gil | type) != "boolean")] | length' "$res")
  [ "$bad" = 0 ] || fail "cells do not record the file, hash, runtime and GIL: $(jq -c '.cells[0].workload_source' "$res")"
fi

# The twin: py.primes and cpu.primes agree bit for bit.
out=$("$bin" run -o "$tmp/twin" -w py.primes,cpu.primes -s serial --size tiny -r 1 --warmup 0 -q 2>&1); rc=$?
[ $rc -eq 0 ] || fail "py.primes,cpu.primes exited $rc: $out"
n=$(jq '[.cells[].checksum] | unique | length' "$tmp"/twin/2*/results.json)
[ "$n" = 1 ] || fail "py.primes and cpu.primes disagree: $(jq -c '[.cells[] | [.workload, .checksum]]' "$tmp"/twin/2*/results.json)"

# Waits: time.sleep releases the GIL; threads at 4 workers overlap them.
cat >"$tmp/waits.py" <<'PY'
import time
def setup(params):
    return 16
def task(i):
    time.sleep(0.005)
    return sum(range(i * 1000))
PY
out=$("$bin" run -o "$tmp/waits" -w "py:$tmp/waits.py" -s serial,threads -n 4 -r 2 --warmup 0 -q 2>&1); rc=$?
[ $rc -eq 0 ] || fail "a sleeping workload under threads exited $rc: $out"
echo "waits: threads at 4 workers, speedup $(jq -r '.cells[] | select(.strategy == "threads") | .speedup' "$tmp"/waits/2*/results.json) (reported, not asserted)"

# Broken files: exit 2 and one line naming what is wrong.
expect() {  # expect FILE PATTERN
  local out rc
  out=$("$bin" run -o "$tmp/none" -w "py:$1" -s serial --size tiny 2>&1 >/dev/null); rc=$?
  [ $rc -eq 2 ] || { fail "py:$1 exited $rc, expected 2: $out"; return; }
  grep -qE -- "$2" <<<"$out" || fail "py:$1: '$out' does not match /$2/"
  [ "$(wc -l <<<"$out")" -eq 1 ] || fail "py:$1: expected one line, got: $out"
  echo "ok: py:$(basename "$1") -> 2"
}
printf 'def setup(p):\n  return 1\ndef task(i) return 1\n' >"$tmp/syntax.py"
expect "$tmp/syntax.py" "SyntaxError: .*line 3"
printf 'def setup(p):\n  return 1\n' >"$tmp/notask.py"
expect "$tmp/notask.py" "defines no task\\(i\\)"
printf 'import no_such_module_here\n' >"$tmp/import.py"
expect "$tmp/import.py" "ModuleNotFoundError: No module named 'no_such_module_here'"
printf 'def setup(p):\n  raise ValueError("bad n")\ndef task(i):\n  return i\n' >"$tmp/setup.py"
expect "$tmp/setup.py" "ValueError: bad n"
expect "$tmp/missing.py" "cannot open py:.*No such file"

# A post() that raises never passes: the reference and the cells disagree.
printf 'def setup(p):\n  return 4\ndef task(i):\n  return i\ndef post(p):\n  raise ValueError("x")\n' >"$tmp/post.py"
"$bin" run -o "$tmp/post" -w "py:$tmp/post.py" -s serial,threads -n 1,2 --size tiny -r 1 --warmup 0 -q >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || fail "a raising post(): exit $rc, expected 1 (wrong checksum)"
jq -e '[.cells[] | .checksum_ok] | all | not' "$tmp"/post/2*/results.json >/dev/null ||
  fail "a raising post(): a cell passed its checksum"

[ $fails -eq 0 ] && echo "python: all ok"
exit $((fails > 0))
