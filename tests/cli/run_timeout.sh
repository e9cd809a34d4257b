#!/usr/bin/env bash
# A repetition that makes no progress within --timeout fails its cell with
# "timed out", its processes are killed and reaped, and the run goes on
# with the next cell. A blocking task (io.sleep waiting 60 s) under every
# in-process and forking strategy, and a stopped pool worker (SIGSTOP).
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
start=$(date +%s)
"$bin" run -q --size tiny -w io.sleep -s serial,threads,threadpool,processes,processpool,coroutines,hybrid -n 2 \
  -r 1 --warmup 0 --param latency=60 --timeout 1s -o "$tmp/res"
rc=$?
took=$(( $(date +%s) - start ))
[ "$rc" -eq 1 ] || fail "run with hung cells exited $rc, expected 1"
[ "$took" -lt 40 ] || fail "7 hung cells took $took s with --timeout 1s"
f="$tmp/res/latest/results.json"
n=$(jq '[.cells[] | select(.error != null and (.error | test("timed out")))] | length' "$f")
[ "$n" -eq 7 ] || fail "expected 7 cells timed out, got $n: $(jq -c '[.cells[] | {id, error}]' "$f")"
jq -e '.complete == true' "$f" >/dev/null || fail "the run did not go on to the end"
# Each names the worker and the task it was stuck on (the task of worker 0
# of serial is the first one).
jq -e '[.cells[].error | test("^timed out: worker [0-9]+ \\(pid [0-9]+\\) on task [0-9]+.* made no progress in 1 s \\(round 1, repetition 1, --timeout\\)")] | all' \
  "$f" >/dev/null || fail "a timed-out cell does not name its worker and task: $(jq -c '[.cells[] | {id, error}]' "$f")"
jq -e '[.cells[] | select(.strategy == "serial") | .error | test("^timed out: worker 0 \\(pid [0-9]+\\) on task 0 made")] == [true]' \
  "$f" >/dev/null || fail "the serial cell does not say worker 0 on task 0: $(jq -c '[.cells[] | {id, error}]' "$f")"
left=$(pgrep -f "$tmp/res" | wc -l)
[ "$left" -eq 0 ] || fail "$left processes left behind"

# A killed measuring process never runs its workload's teardown: io.file's
# directory of files, made in TMPDIR by the measuring process, is removed
# by the runner (cb_temp_dir names it after that process). 20,000 files
# take 0.3-0.5 s a repetition here (0.3 s let a fast one finish); the
# limit kills the process partway.
export TMPDIR=$tmp/t
mkdir -p "$TMPDIR"
"$bin" run -q --size tiny -w io.file -s serial,processes -n 1 --param io.file:files=20000 \
  --param io.file:size=4k --param io.file:block=4k -r 1 --warmup 0 --timeout 0.1s -o "$tmp/file"
rc=$?
[ "$rc" -eq 1 ] || fail "io.file past its limit exited $rc, expected 1"
jq -e '[.cells[] | .error // "" | test("timed out")] == [true, true]' "$tmp/file/latest/results.json" >/dev/null ||
  fail "io.file's cells did not time out: $(jq -c '[.cells[] | {id, error}]' "$tmp/file/latest/results.json")"
[ -z "$(ls -A "$TMPDIR")" ] || fail "killed io.file cells left in TMPDIR: $(ls -A "$TMPDIR")"
unset TMPDIR

# A stopped worker of each strategy whose workers outlive a job (the pools
# and hybrid's processes): the cell fails within the limit naming it, the
# others run. (A stopped fork-per-job worker looks to the parent like the
# blocked task above, and faults.sh kills one.)
for st in processpool hybrid; do
  # Two rounds: whatever the order of the first, the threads cell runs
  # again after the stopped one has timed out.
  "$bin" run -q --size quick -w synth.amdahl -s $st,threads -n 2 -r 25 --rounds 2 --warmup 0 --timeout 2s \
    --param synth.amdahl:iters=2e7 -o "$tmp/stop-$st" &
  pid=$!
  worker=""
  for _ in $(seq 1 100); do
    for kid in $(pgrep -P "$pid"); do
      worker=$(pgrep -P "$kid" | head -1)
      [ -n "$worker" ] && break
    done
    [ -n "$worker" ] && break
    sleep 0.05
  done
  [ -n "$worker" ] || { kill "$pid"; fail "$st: no worker process found"; }
  kill -STOP "$worker"
  # The run's pipes, sockets and other non-file descriptors: as many while
  # the next cell runs as while this one ran (its pipe to the measuring
  # process); a cell that timed out leaves none behind. Files are left out
  # (the parent briefly holds one while it rewrites results), and so are
  # moments: the parent holds both ends of the next cell's pipe while it
  # forks, so the count compared is the one most samples see.
  fds() { find /proc/"$1"/fd -mindepth 1 -printf '%l\n' 2>/dev/null | { grep -vc '^/' || true; }; }
  ref=$(fds "$pid")
  : >"$tmp/fds-$st"
  while kill -0 "$pid" 2>/dev/null; do
    kill -0 "$worker" 2>/dev/null || fds "$pid" >>"$tmp/fds-$st"
    sleep 0.02
  done
  wait "$pid"; rc=$?
  later=$(sort "$tmp/fds-$st" | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
  [ -n "$later" ] || fail "$st: the run ended before the next cell could be watched"
  [ -z "$later" ] || [ "$later" -le "$ref" ] ||
    fail "$st: the run held $ref descriptors during the cell and $later during the next: one left behind"
  [ "$rc" -eq 1 ] || fail "$st: run with a stopped worker exited $rc, expected 1"
  g="$tmp/stop-$st/latest/results.json"
  # It names the stopped worker, unless the worker was stopped between two
  # tasks (then no worker is inside one, and the message says that).
  jq -e --arg st "$st" --arg pid "$worker" '[.cells[] | select(.strategy == $st) | .error |
      test("timed out: (worker [0-9]+ \\(pid " + $pid + "\\) on task [0-9]+|round [0-9]+, repetition [0-9]+) made no progress")] | all' "$g" >/dev/null ||
    fail "$st: the stopped worker's cell did not time out naming worker $worker: $(jq -c '[.cells[] | {id, error}]' "$g")"
  jq -e '[.cells[] | select(.strategy == "threads") | .error == null and (.reps | length) == 50] | all' "$g" >/dev/null ||
    fail "$st: the other cell did not run to the end"
  kill -0 "$worker" 2>/dev/null && fail "$st: the stopped worker $worker is still there"
done
echo "timeout ok"
