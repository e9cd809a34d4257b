#!/usr/bin/env bash
# An interrupted run keeps the cells it finished: exit 1, results.json
# written with "complete": false, and no temp file, child or server left.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp/t
mkdir -p "$TMPDIR"
"$bin" run -q -w io.file,synth.amdahl,io.tcp -s serial,threads,processpool -n 1,2 --size quick -r 200 -o "$tmp/res" &
pid=$!
# Interrupt once the run has started measuring (its results file exists).
for _ in $(seq 1 300); do
  [ -f "$tmp/res/latest/results.json" ] && break
  sleep 0.1
done
sleep 1
kill -INT "$pid"
wait "$pid"; rc=$?
fails=0
[ "$rc" -eq 1 ] || { echo "FAIL: interrupted run exited $rc, expected 1"; fails=$((fails+1)); }
grep -q '"complete": false' "$tmp/res/latest/results.json" || { echo "FAIL: results not marked incomplete"; fails=$((fails+1)); }
left=$(ls -A "$TMPDIR")
[ -z "$left" ] || { echo "FAIL: left in TMPDIR: $left"; fails=$((fails+1)); }
kids=$(pgrep -P "$pid" 2>/dev/null | wc -l)
[ "$kids" -eq 0 ] || { echo "FAIL: $kids child processes left"; fails=$((fails+1)); }

# Interrupted while the jobs are set up (here: primes' serial reference
# run, seconds long, after io.file's job made its directory): every job is
# torn down, nothing is measured, no run folder is made, and TMPDIR is empty.
"$bin" run -q -w io.file,cpu.primes -s serial --size tiny --param cpu.primes:n=1e7 -r 1 -o "$tmp/early" \
  2>"$tmp/early.err" &
pid=$!
for _ in $(seq 1 300); do
  [ -n "$(ls -A "$TMPDIR")" ] && break
  sleep 0.02
done
[ -n "$(ls -A "$TMPDIR")" ] || { echo "FAIL: io.file's job made no directory"; fails=$((fails+1)); }
kill -TERM "$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL: a run interrupted during setup exited $rc, expected 1"; fails=$((fails+1)); }
grep -q 'interrupted while the jobs were set up: nothing was measured' "$tmp/early.err" ||
  { echo "FAIL: no message: $(cat "$tmp/early.err")"; fails=$((fails+1)); }
[ ! -e "$tmp/early" ] || [ -z "$(ls -A "$tmp/early")" ] ||
  { echo "FAIL: a run folder was made: $(ls -A "$tmp/early")"; fails=$((fails+1)); }
left=$(ls -A "$TMPDIR")
[ -z "$left" ] || { echo "FAIL: left in TMPDIR after an interrupt during setup: $left"; fails=$((fails+1)); }

# A second interrupt stops at once: the repetition at hand (a 2-minute
# sleep) is abandoned and its process killed, without waiting out the
# grace the first interrupt gives it; the cell, which measured nothing,
# is not recorded (not as a cell whose checksum failed).
"$bin" run -w io.sleep -s serial --param io.sleep:tasks=2 --param io.sleep:latency=60s -r 1 -o "$tmp/twice" \
  >/dev/null 2>"$tmp/twice.err" &
pid=$!
# The first interrupt must find the measuring process inside its warmup:
# one that comes while that process still sets its job up makes it skip
# the warmup and end at once, and there is nothing left for a second one
# to stop (a fresh-clone CI run hit that window once). So wait for the
# process, then a second for its setup (a 2-task io.sleep job: a few ms).
for _ in $(seq 1 300); do
  [ -f "$tmp/twice/latest/results.json" ] && pgrep -P "$pid" >/dev/null && break
  sleep 0.1
done
sleep 1
kill -INT "$pid"
sleep 0.5
kill -INT "$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL: a run interrupted twice exited $rc, expected 1"; fails=$((fails+1)); }
grep -q "interrupt again to stop at once" "$tmp/twice.err" ||
  { echo "FAIL: the first interrupt did not say how to stop at once: $(cat "$tmp/twice.err")"; fails=$((fails+1)); }
grep -q "interrupted again: io.sleep/serial/n1/compact/dynamic:1's repetition at hand is abandoned" "$tmp/twice.err" ||
  { echo "FAIL: the second interrupt did not abandon the repetition: $(cat "$tmp/twice.err")"; fails=$((fails+1)); }
jq -e '.complete == false and (.cells | length) == 0' "$tmp/twice/latest/results.json" >/dev/null ||
  { echo "FAIL: an interrupted cell with no repetition was recorded: $(jq -c '[.cells[] | {id, checksum_ok, reps: (.reps | length)}]' "$tmp/twice/latest/results.json")"; fails=$((fails+1)); }
kids=$(pgrep -P "$pid" 2>/dev/null | wc -l)
[ "$kids" -eq 0 ] || { echo "FAIL: $kids child processes left after a second interrupt"; fails=$((fails+1)); }
left=$(ls -A "$TMPDIR")
[ -z "$left" ] || { echo "FAIL: left in TMPDIR after a second interrupt: $left"; fails=$((fails+1)); }

[ "$fails" -eq 0 ] || exit 1
echo "interrupt ok"
