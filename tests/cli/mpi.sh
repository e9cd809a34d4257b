#!/usr/bin/env bash
# The mpi strategy end to end: mpirun launched once per cell over
# concbench-mpi, 1 and 2 ranks under static and dynamic schedules giving
# the serial answer, a rank that dies failing its cell and leaving no rank
# behind, a cell past --timeout leaving neither mpirun nor a rank (nor
# Open MPI's session directory or shared-memory segments), and
# host-file checks. Skipped (exit 0) only where MPI is not built.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
if [ ! -x "$(dirname "$bin")/concbench-mpi" ]; then
  out=$("$bin" run -o /tmp/cb-mpi-none -s mpi -w cpu.primes --size tiny -n 1 2>&1); rc=$?
  if [ $rc -ne 3 ] || ! grep -q "not built.*apt-get install libopenmpi-dev openmpi-bin" <<<"$out"; then
    echo "FAIL: without MPI, -s mpi exited $rc: $out"; exit 1
  fi
  echo "skipped: MPI not built"; exit 0
fi
# concbench-mpi is mostly Open MPI, whose exit-time allocations (one from
# a module already unloaded at exit) LeakSanitizer reports without a stack
# to suppress; a rank exiting non-zero then fails the cell. Leak checking
# of the code the ranks share with concbench runs in the cmocka tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

# This test's ranks still running: they inherit a tag in their environment,
# so that ranks of other runs on the machine do not count (zombies have no
# environment left, and do not count either).
export CB_MPI_TEST_TAG="$tmp"
live_ranks() {
  for p in $(pgrep -x concbench-mpi); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qxF "CB_MPI_TEST_TAG=$tmp" && echo "$p"
  done | wc -l
}
before=$(live_ranks)

for sched in static dynamic dynamic:3/messages; do
  queue=${sched#*/}; [ "$queue" = "$sched" ] && queue=rma; sched=${sched%/*}
  out=$("$bin" run -o "$tmp/$sched" -s mpi -n 1,2 --size tiny -w cpu.primes --schedule $sched \
        --param mpi_queue=$queue -r 2 --warmup 1 -q 2>&1); rc=$?
  json="$tmp/$sched/latest/results.json"
  if [ $rc -ne 0 ]; then fail "mpi $sched ($queue) exited $rc: $out"; continue; fi
  [ "$(grep -c '"checksum_ok": true' "$json")" -ge 7 ] || fail "mpi $sched: a repetition or cell missed the serial answer"
  grep -q '"id": "cpu.primes/mpi/n2/compact/'"$sched" "$json" || fail "mpi $sched: no 2-rank cell"
  [ "$(grep -c '"comm_s": [0-9]' "$json")" -eq 4 ] || fail "mpi $sched: comm_s missing from the mpi repetitions"
  grep -q '"binding": "hwloc"' "$json" || fail "mpi $sched: the ranks' record is missing"
  # The ranks count their own migrations and faults (where perf events are
  # allowed: the measuring process's own count says whether they are).
  if jq -e '[.cells[] | select(.strategy == "serial") | .reps[].migrations] | all(. >= 0)' "$json" >/dev/null; then
    jq -e '[.cells[] | select(.strategy == "mpi") | .reps[] | (.migrations | type == "number" and . >= 0) and (.minflt >= 0)] | all' \
      "$json" >/dev/null || fail "mpi $sched: the ranks' migrations or faults are missing: $(jq -c '[.cells[].reps[] | [.migrations, .minflt]]' "$json")"
  fi
  if [ "$(id -u)" -eq 0 ]; then grep -q -- '--allow-run-as-root' "$json" || fail "mpi $sched: root without --allow-run-as-root"; fi
  grep -q -- '"--queue",' "$json" && grep -q -- "\"$queue\"" "$json" || fail "mpi $sched: queue $queue not passed on"
  echo "ok: mpi -n 1,2 $sched ($queue queue)"
done

# A rank that dies fails its cell naming the rank and the signal.
out=$(CONCBENCH_MPI_KILL_RANK=1 "$bin" run -o "$tmp/crash" -s mpi -n 2 --size tiny -w cpu.primes -r 2 -q 2>&1); rc=$?
json="$tmp/crash/latest/results.json"
if [ $rc -eq 1 ] && grep -q '"error": "mpi: a rank died: .*rank 1.*signal 9' "$json"; then echo "ok: a dead rank fails the cell"
else fail "dead rank: exited $rc: $out $(grep '"error"' "$json" 2>/dev/null)"; fi
sleep 0.2
[ "$(live_ranks)" -le "$before" ] && echo "ok: no rank left behind" || fail "ranks left behind: $(ps -eo pid,stat,comm | grep concbench-mpi)"

# A repetition that never answers: --timeout is the limit for mpi cells
# too; the cell fails "timed out" and neither mpirun nor a rank is left
# (mpirun leads its own process group, each rank one of its own).
live_launchers() {
  for p in $(pgrep -x 'mpirun|orterun|prterun|mpiexec'); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qxF "CB_MPI_TEST_TAG=$tmp" && echo "$p"
  done | wc -l
}
launchers=$(live_launchers)
# Open MPI's leftovers when mpirun is killed outright: its session
# directory and the ranks' shared-memory segments. (ctest runs the tests
# that start mpirun one at a time: RESOURCE_LOCK mpi.)
mpi_leftovers() { ls -d /dev/shm/vader_segment.* "${TMPDIR:-/tmp}"/ompi.*/pid.* 2>/dev/null | sort; }
leftovers_before=$(mpi_leftovers)
start=$(date +%s)
out=$("$bin" run -o "$tmp/hang" -s mpi -n 2 --size tiny -w io.sleep --param tasks=2 --param latency=60 -r 1 \
      --warmup 0 --timeout 5s --benchmark_filter=-serial -q 2>&1); rc=$?
took=$(( $(date +%s) - start ))
json="$tmp/hang/latest/results.json"
if [ $rc -eq 1 ] && [ "$took" -lt 30 ] && grep -q '"error": "timed out: .*(--timeout)' "$json"; then echo "ok: --timeout limits an mpi cell"
else fail "hung mpi cell: exited $rc after $took s: $out $(grep '"error"' "$json" 2>/dev/null)"; fi
sleep 0.2
[ "$(live_ranks)" -le "$before" ] && [ "$(live_launchers)" -le "$launchers" ] && echo "ok: no rank or mpirun left after a timeout" ||
  fail "left after a timeout: $(ps -eo pid,stat,comm | grep -E 'concbench-mpi|mpirun|orterun|prterun')"
new_leftovers=$(comm -13 <(echo "$leftovers_before") <(mpi_leftovers))
[ -z "$new_leftovers" ] && echo "ok: no session directory or shared-memory segment left after a timeout" ||
  fail "left after a timeout: $new_leftovers"

# Host files: the slots bound -n (exit 2, one line); within them it runs.
printf '# one machine\nlocalhost slots=2\n' >"$tmp/hosts"
out=$("$bin" run -o "$tmp/h3" -s mpi -n 3 --hosts "$tmp/hosts" --size tiny -w cpu.primes 2>&1 >/dev/null); rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q -- "-n 3 asks for more MPI ranks than the 2 slots" <<<"$out"; then
  echo "ok: -n above the host file's slots"; else fail "-n 3 over 2 slots exited $rc: $out"; fi
out=$("$bin" run -o "$tmp/h2" -s mpi -n 2 --hosts "$tmp/hosts" --size tiny -w cpu.primes -r 1 -q 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '"hosts": "'"$tmp/hosts"'"' "$tmp/h2/latest/results.json" && grep -q -- '"--hostfile"' "$tmp/h2/latest/results.json"; then
  echo "ok: --hosts runs within its slots"; else fail "--hosts with 2 slots exited $rc: $out"; fi
out=$("$bin" run -o "$tmp/h4" -s threads --hosts "$tmp/hosts" --size tiny -w cpu.primes 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q -- "--hosts applies to" <<<"$out" && echo "ok: --hosts without mpi" || fail "--hosts with threads exited $rc: $out"
out=$("$bin" run -o "$tmp/h5" -s mpi --hosts "$tmp/nope" --size tiny -w cpu.primes 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q -- "--hosts '$tmp/nope'" <<<"$out" && echo "ok: missing host file" || fail "missing host file exited $rc: $out"
out=$("$bin" run -o "$tmp/h6" -s mpi -t 2 --size tiny -w cpu.primes 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q -- "-t/--threads applies" <<<"$out" && echo "ok: -t with mpi" || fail "-t with mpi exited $rc: $out"

[ "$fails" -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "all mpi checks ok"
