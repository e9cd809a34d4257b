#!/usr/bin/env bash
# Before the first repetition, run says how big the plan is and how long
# it will take; past 10 minutes it warns and names the cells that make most
# of it. io.sleep declares its wait (tasks x latency), which the serial
# reference run skips: 100 tasks of 30 s are 50 min a serial repetition and
# 25 min over 2 threads. --timeout 1s keeps the run itself short.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$bin" run --size tiny -w cpu.primes -s serial,threads -n 1,2 -r 2 --rounds 2 -o "$tmp/short" >/dev/null 2>"$tmp/short.err" ||
  fail "short plan exited $?: $(cat "$tmp/short.err")"
grep -qE '^concbench: 3 cells x 2 rounds x \(1 warmup \+ 2 repetitions\): (under a second|about [0-9]+ s), estimated from the serial reference runs$' \
  "$tmp/short.err" || fail "short plan: no estimate line: $(cat "$tmp/short.err")"
grep -q 'warning: this plan runs' "$tmp/short.err" && fail "short plan: warned of its length"

"$bin" run -q --size tiny -w cpu.primes -s serial -r 1 -o "$tmp/quiet" >/dev/null 2>"$tmp/quiet.err" || fail "quiet exited $?"
[ ! -s "$tmp/quiet.err" ] || fail "-q printed: $(cat "$tmp/quiet.err")"

start=$(date +%s)
"$bin" run --size tiny -w io.sleep -s serial,threads -n 2 --param tasks=100 --param latency=30s -r 1 --warmup 0 \
  --timeout 1s -o "$tmp/long" >/dev/null 2>"$tmp/long.err"
rc=$?
[ "$rc" -eq 1 ] || fail "long plan under --timeout 1s exited $rc: $(cat "$tmp/long.err")"
[ $(( $(date +%s) - start )) -lt 30 ] || fail "long plan under --timeout 1s took $(( $(date +%s) - start )) s"
grep -qE '^concbench: 2 cells x 1 round x \(0 warmup \+ 1 repetition\): about 1 h 15 min, estimated from the serial reference runs$' \
  "$tmp/long.err" || fail "long plan: estimate line: $(cat "$tmp/long.err")"
grep -qF 'concbench: warning: this plan runs for about 1 h 15 min, most of it in io.sleep/serial/n1/compact/dynamic:1 (about 50 min) and io.sleep/threads/n2/compact/dynamic:1 (about 25 min)' \
  "$tmp/long.err" || fail "long plan: no warning naming the cells: $(cat "$tmp/long.err")"
# Both lines come before anything is measured: the first line of the file.
head -n 1 "$tmp/long.err" | grep -q '^concbench: 2 cells' || fail "long plan: the estimate is not the first line: $(cat "$tmp/long.err")"

[ "$fails" -eq 0 ] || exit 1
echo "estimate ok"
