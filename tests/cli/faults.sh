#!/usr/bin/env bash
# A worker killed outright (SIGKILL) under each forking strategy fails its
# cell at once with a reason naming the signal, and the run goes on with
# the next cell; after each fault no process of the run, no /dev/shm entry
# and no temp file is left. The victim is the one worker that outlives the
# others: an io.sleep task of 30 s among tiny cpu.primes cells.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp/t
mkdir -p "$TMPDIR"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# What concbench itself names in /dev/shm (others may come and go).
shm() { ls -A /dev/shm 2>/dev/null | grep -i concbench | sort; }
shm_before=$(shm)

# The first grandchild of the run (a worker of a measuring process) that
# has lived 2 s; empty after 20 s without one.
long_worker() {
  local run=$1
  for _ in $(seq 1 200); do
    for kid in $(pgrep -P "$run"); do
      for w in $(pgrep -P "$kid"); do
        [ "$(ps -o etimes= -p "$w" 2>/dev/null | tr -d ' ')" -ge 2 ] 2>/dev/null && { echo "$w"; return; }
      done
    done
    sleep 0.1
  done
}

for s in processes processpool hybrid; do
  out=$tmp/$s
  "$bin" run --size tiny -w io.sleep,cpu.primes -s "$s" -n 2 -r 1 --warmup 0 --timeout 60s --seed 3 \
    --param io.sleep:tasks=2 --param io.sleep:latency=30s --benchmark_filter=-serial \
    -o "$out" >"$tmp/$s.out" 2>"$tmp/$s.err" &
  run=$!
  victim=$(long_worker "$run")
  if [ -z "$victim" ]; then
    kill "$run"; wait "$run"
    fail "$s: no long-lived worker found"
    continue
  fi
  killed_at=$(date +%s)
  kill -KILL "$victim"
  wait "$run"; rc=$?
  took=$(( $(date +%s) - killed_at ))
  [ "$rc" -eq 1 ] || fail "$s: a run with a killed worker exited $rc, expected 1: $(cat "$tmp/$s.err")"
  [ "$took" -lt 15 ] || fail "$s: the run took $took s after the worker was killed (its task had 28 s to go)"
  f=$out/latest/results.json
  jq -e --arg s "$s" '[.cells[] | select(.workload == "io.sleep" and .strategy == $s) | .error // "" | test("signal 9 \\(Killed\\)")] == [true]' \
    "$f" >/dev/null || fail "$s: the killed worker's cell does not name the signal: $(jq -c '[.cells[] | {id, error}]' "$f")"
  jq -e --arg s "$s" '[.cells[] | select(.workload == "cpu.primes" and .strategy == $s) | .error == null and (.reps | length) == 1 and .checksum_ok] == [true]' \
    "$f" >/dev/null || fail "$s: the run did not go on with the next cell: $(jq -c '[.cells[] | {id, error}]' "$f")"
  jq -e '.complete == true' "$f" >/dev/null || fail "$s: the run did not finish"
  for _ in $(seq 1 20); do
    [ -z "$(pgrep -f -- "$out")" ] && break
    sleep 0.1
  done
  [ -z "$(pgrep -f -- "$out")" ] || fail "$s: processes left: $(ps -o pid,stat,args -p "$(pgrep -d, -f -- "$out")")"
  [ "$(shm)" = "$shm_before" ] || fail "$s: /dev/shm entries left: $(shm)"
  [ -z "$(ls -A "$TMPDIR")" ] || fail "$s: left in TMPDIR: $(ls -A "$TMPDIR")"
  [ -z "$(find "$out" -name '*.tmp.*')" ] || fail "$s: temp files left: $(find "$out" -name '*.tmp.*')"
  if grep -qE 'Sanitizer|runtime error' "$tmp/$s.err"; then fail "$s: sanitizer report"; cat "$tmp/$s.err"; fi
  echo "ok: $s worker killed: $(jq -r --arg s "$s" '.cells[] | select(.workload == "io.sleep" and .strategy == $s) | .error' "$f")"
done

[ "$fails" -eq 0 ] || exit 1
echo "faults ok"
