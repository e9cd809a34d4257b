#!/usr/bin/env bash
# Bad input to `concbench run`: one clear line naming what was wrong, exit
# code 2, and no results folder left behind.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

expect() {  # expect CODE PATTERN -- args...
  local code=$1 pattern=$2; shift 3
  local out rc
  out=$("$bin" run -o "$tmp/res" "$@" 2>&1 >/dev/null); rc=$?
  if [ "$rc" -ne "$code" ]; then
    echo "FAIL: run $* exited $rc, expected $code: $out"; fails=$((fails+1)); return
  fi
  if ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL: run $*: message '$out' does not match /$pattern/"; fails=$((fails+1)); return
  fi
  if [ "$code" -eq 2 ] && [ "$(wc -l <<<"$out")" -ne 1 ]; then
    echo "FAIL: run $*: expected one line, got: $out"; fails=$((fails+1)); return
  fi
  if [ "$code" -eq 2 ] && [ -n "$(find "$tmp/res" -name 'results.*' 2>/dev/null)" ]; then
    echo "FAIL: run $*: left a results file behind"; fails=$((fails+1)); return
  fi
  echo "ok: run $* -> $rc"
}

expect 2 "unknown workload 'nope' \(known: .*cpu.primes.*synth.amdahl" -- -w nope
expect 2 "unknown strategy 'thread' \(known: serial, threads" -- -s thread
expect 2 "-n/--workers '0'" -- -w cpu.primes -n 0
expect 2 "-n/--workers 'abc'" -- -w cpu.primes -n abc
expect 2 "PU 99 is not available" -- -w cpu.primes --size tiny --pin 99
expect 2 "unknown pin policy 'sideways'" -- -w cpu.primes --pin sideways
expect 2 "-r/--reps '0'" -- -w cpu.primes --reps 0
expect 2 "'serial'.*valid" -- -w synth.amdahl --param serial=2
expect 2 "unknown parameter 'bogus'" -- -w synth.amdahl --size tiny --param bogus=1
expect 2 "is not KEY=VALUE" -- -w synth.amdahl --param serial
expect 2 "'mode' of sync.counter \(valid: mutex\|spin\|atomic\|sharded\)" -- -w sync.counter --size tiny --param mode=nope
expect 2 "'size' of io.tcp \(valid: .*\[1, 16M\]" -- -w io.tcp --size tiny --param size=-1
expect 2 "unknown parameter 'sizee'.*known: conn, size, service, requests, port" -- -w io.tcp --size tiny --param sizee=1k
# OWNER:KEY for a selected workload or strategy is its own parameter, misspelt
# or not, never one for another run.
expect 2 "unknown parameter 'io.tcp:sizee'" -- -w io.tcp --size tiny --param io.tcp:sizee=1k
expect 2 "unknown parameter 'threads:zz'" -- -w cpu.primes -s threads --size tiny --param threads:zz=1
expect 2 "'direct' of io.file \(valid: 0\|1\)" -- -w io.file --size tiny --param direct=yes
expect 2 "invalid schedule 'guided'" -- -w cpu.primes --schedule guided
expect 2 "unknown size 'huge'" -- -w cpu.primes --size huge
expect 2 "unknown suite 'nightly'" -- --suite nightly
expect 2 "unknown option '--frobnicate'" -- --frobnicate
expect 2 "-t/--threads applies" -- -w cpu.primes -s threads -t 2
expect 2 "unknown measurement-engine flag" -- -w cpu.primes --benchmark_nonsense=1

# An unwritable --out: a file where the directory should be.
touch "$tmp/file"
out=$("$bin" run -o "$tmp/file/sub" -w cpu.primes --size tiny 2>&1 >/dev/null); rc=$?
if [ $rc -eq 2 ] && grep -q "not a directory" <<<"$out"; then echo "ok: unwritable --out"; else
  echo "FAIL: unwritable --out exited $rc: $out"; fails=$((fails+1)); fi

# Oversubscription runs, with a warning.
out=$("$bin" run -o "$tmp/over" -w cpu.primes -s threads --size tiny -n 64 -r 1 --warmup 0 2>&1 >/dev/null); rc=$?
if [ $rc -eq 0 ] && grep -q "oversubscribed" <<<"$out"; then echo "ok: oversubscription warns"; else
  echo "FAIL: oversubscription exited $rc: $out"; fails=$((fails+1)); fi

[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "all run error paths ok"
