#!/usr/bin/env bash
# Python workloads end to end: the example file runs and verifies under
# every strategy at 1 and 2 workers (mpi where built), list -v -w shows its
# parameters and interpreter, results record the file, its SHA-256, the
# interpreter and its GIL, py.primes gives cpu.primes's checksum, waits in
# time.sleep run under threads at 4 workers, and broken files are exit 2
# with one line naming the Python exception. A task's exception fails its
# cell with one line naming its type, message and line under every
# strategy; each thread keeps its thread state across tasks; async def
# tasks run on asyncio under every strategy, checked; py.threadpool and
# py.processpool are cells of Python workloads only; py.sleep agrees with
# io.sleep. In a build without Python a py: item is exit 3 naming the
# package, and the rest is skipped.
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

strategies=serial,threads,threadpool,processes,processpool,coroutines,hybrid,py.threadpool,py.processpool
ncells=17
if [ -x "$(dirname "$bin")/concbench-mpi" ]; then strategies=$strategies,mpi; ncells=19; fi
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

# A task that raises: one line naming the exception, its text and its line
# in the file, under every strategy (the reference run, in the process
# that loaded the file, passes; every cell fails).
all=serial,threads,threadpool,processes,processpool,coroutines,hybrid,py.threadpool,py.processpool
cat >"$tmp/raises.py" <<'PY'
import os
LOADED_IN = os.getpid()


def setup(params):
    return 16


def task(i):
    if i == 7 and os.getpid() != LOADED_IN:
        # line 12 raises
        raise ValueError(f"bad {i}")
    return i
PY
sed -e 's/^def task/async def task/' "$tmp/raises.py" >"$tmp/araises.py"
for f in raises araises; do
  "$bin" run -o "$tmp/$f" -w "py:$tmp/$f.py" -s $all -n 2 -c 4 -r 1 --warmup 0 -q >/dev/null 2>&1; rc=$?
  [ $rc -eq 1 ] || fail "$f.py: exit $rc, expected 1"
  jq -r '.cells[] | "\(.strategy)\t\(.error)"' "$tmp"/$f/2*/results.json >"$tmp/$f.errors"
  [ "$(wc -l <"$tmp/$f.errors")" -eq 9 ] || fail "$f.py: $(wc -l <"$tmp/$f.errors") cells, expected 9"
  while IFS=$'\t' read -r st e; do
    grep -qE "^task 7 raised ValueError: bad 7 \(at $f\.py line 12\)$" <<<"$e" ||
      fail "$f.py under $st: error '$e'"
  done <"$tmp/$f.errors"
done
# In the reference run too, and a result that is not an int.
printf 'def setup(p):\n  return 4\ndef task(i):\n  return {}.get("x") or 1 // (i - 2)\n' >"$tmp/zero.py"
out=$("$bin" run -o "$tmp/zero" -w "py:$tmp/zero.py" -s serial -r 1 --warmup 0 -q 2>&1); rc=$?
jq -r '.cells[0].error' "$tmp"/zero/2*/results.json | grep -qE "task 2 raised ZeroDivisionError: integer division or modulo by zero \(at zero\.py line 4\)" ||
  fail "a raising reference run: $(jq -r '.cells[0].error' "$tmp"/zero/2*/results.json)"
printf 'def setup(p):\n  return 4\ndef task(i):\n  return "x"\n' >"$tmp/str.py"
"$bin" run -o "$tmp/str" -w "py:$tmp/str.py" -s serial -r 1 --warmup 0 -q >/dev/null 2>&1
jq -r '.cells[0].error' "$tmp"/str/2*/results.json | grep -q "task 0 returned str, not an int" ||
  fail "a task returning a str: $(jq -r '.cells[0].error' "$tmp"/str/2*/results.json)"

# Each thread keeps its thread state across tasks: a threading.local set by
# one task is still there in the next on that thread. post() fails the
# checksum (a random answer) when more tasks than threads found it empty.
cat >"$tmp/kept.py" <<'PY'
import random, threading
here = threading.local()
fresh = 0
def setup(params):
    return 64
def task(i):
    global fresh
    if not hasattr(here, "seen"):
        here.seen = True
        fresh += 1
    return i
def post(partials):
    global fresh
    ok, fresh = fresh <= 4, 0
    return sum(partials) if ok else random.getrandbits(64)   # never the reference's
PY
out=$("$bin" run -o "$tmp/kept" -w "py:$tmp/kept.py" -s serial,threads,threadpool -n 2 -r 2 -q 2>&1); rc=$?
[ $rc -eq 0 ] || fail "thread states are not kept across tasks (exit $rc): $(jq -c '[.cells[] | [.strategy, .checksum_ok]]' "$tmp"/kept/2*/results.json)"

# async def tasks: asyncio under every strategy, checked; coroutines run
# them on a loop per scheduler thread and say so; the runtime names it.
cat >"$tmp/asleep.py" <<'PY'
import asyncio
KIND = "io"
def setup(params):
    return 40
async def task(i):
    await asyncio.sleep(0.002)
    return i * i
PY
out=$("$bin" run -o "$tmp/async" -w "py:$tmp/asleep.py" -s $all -n 1,2 -c 20 -r 1 --warmup 0 -q 2>&1); rc=$?
[ $rc -eq 0 ] || fail "async def tasks exited $rc: $out"
res=$(ls "$tmp"/async/2*/results.json 2>/dev/null | head -1)
if [ -n "$res" ]; then
  got=$(jq '[.cells[] | select(.checksum_ok == true)] | length' "$res")
  [ "$got" = 17 ] || fail "async: $got of 17 cells verified: $(jq -c '[.cells[] | [.id, .checksum_ok, .error]]' "$res")"
  jq -e '[.cells[] | select(.strategy == "coroutines") | .strategy_note | test("^loop=asyncio")] | all and length == 2' "$res" >/dev/null ||
    fail "coroutines cells do not record the asyncio loop: $(jq -c '[.cells[] | .strategy_note]' "$res")"
  jq -e '.cells[0].workload_source.runtime | test("^CPython 3.*, asyncio$")' "$res" >/dev/null ||
    fail "the runtime does not name asyncio: $(jq -c '.cells[0].workload_source' "$res")"
fi
if ! python3 -c 'import uvloop' 2>/dev/null; then
  printf 'LOOP = "uvloop"\ndef setup(p):\n  return 1\nasync def task(i):\n  return i\n' >"$tmp/wantsuv.py"
  expect "$tmp/wantsuv.py" "LOOP = 'uvloop', but uvloop cannot be imported"
fi
printf 'LOOP = "trio"\ndef setup(p):\n  return 1\nasync def task(i):\n  return i\n' >"$tmp/trio.py"
expect "$tmp/trio.py" "LOOP 'trio' \(valid: asyncio, uvloop\)"

# Python's own pools: Python workloads only.
out=$("$bin" run -o "$tmp/none" -w cpu.primes -s py.threadpool --size tiny 2>&1); rc=$?
{ [ $rc -eq 2 ] && grep -q "py.threadpool runs Python workloads only" <<<"$out"; } ||
  fail "py.threadpool with a C workload: exit $rc: $out"
out=$("$bin" run -o "$tmp/mixed" -w cpu.primes,py.primes -s serial,py.processpool -n 2 --size tiny -r 1 --warmup 0 2>&1); rc=$?
[ $rc -eq 0 ] || fail "py.processpool beside a C workload exited $rc: $out"
grep -q "no py.processpool cells for cpu.primes" <<<"$out" || fail "no note for cpu.primes under py.processpool: $out"
[ "$(jq '[.cells[] | select(.strategy == "py.processpool")] | length' "$tmp"/mixed/2*/results.json)" = 1 ] ||
  fail "py.processpool cells: $(jq -c '[.cells[] | .id]' "$tmp"/mixed/2*/results.json)"

# py.sleep: io.sleep's checksum given the same rate; its own rate recorded.
out=$("$bin" run -o "$tmp/sleep" -w py.sleep,io.sleep --param rate=2e6 -s serial,threads,coroutines -n 2 --size tiny -r 1 --warmup 0 -q 2>&1); rc=$?
[ $rc -eq 0 ] || fail "py.sleep,io.sleep exited $rc: $out"
[ "$(jq '[.cells[].checksum] | unique | length' "$tmp"/sleep/2*/results.json)" = 1 ] ||
  fail "py.sleep and io.sleep disagree: $(jq -c '[.cells[] | [.workload, .checksum]]' "$tmp"/sleep/2*/results.json)"
"$bin" run -o "$tmp/sleep2" -w py.sleep -s serial --size tiny -r 1 --warmup 0 -q >/dev/null 2>&1
jq -e '.cells[0].measured_params.rate | tonumber > 0' "$tmp"/sleep2/2*/results.json >/dev/null ||
  fail "py.sleep records no measured rate: $(jq -c '.cells[0].measured_params' "$tmp"/sleep2/2*/results.json)"

[ $fails -eq 0 ] && echo "python: all ok"
exit $((fails > 0))
