#!/usr/bin/env bash
# A cell measures only itself: every round of every cell runs in a fresh
# process that holds only that cell's job, so a small cell's peak memory
# does not hold a big cell's inputs; the results say how cells were
# isolated, every repetition names its round, and rounds are ordered anew.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# stream's arrays (96 MiB) are touched by its serial cell; in one process
# they would sit in every later cell's resident set.
"$bin" run -q --size tiny -w mem.stream,cpu.primes -s serial,processes -n 1 -r 2 --rounds 3 --seed 7 \
  --param mem.stream:bytes=96M -o "$tmp/res" || fail "run exited $?"
f="$tmp/res/latest/results.json"
jq -e '.config.isolation == "process per cell and round" and .config.rounds == 3 and .config.order_seed == 7' \
  "$f" >/dev/null || fail "config does not record the isolation, rounds and seed"
jq -e '[.cells[] | (.reps | length) == 6 and ([.reps[].round] | sort) == [0,0,1,1,2,2] and (.rounds | length) == 3] | all' \
  "$f" >/dev/null || fail "each cell should have 2 repetitions in each of rounds 0, 1, 2 and 3 round medians"
jq -e '[.cells[] | select(.workload == "mem.stream" and .strategy == "serial") | .reps[].maxrss_kib] | min > 90000' \
  "$f" >/dev/null || fail "the stream cell did not touch its arrays (maxrss)"
jq -e '[.cells[] | select(.workload == "cpu.primes") | .reps[].maxrss_kib] | max < 60000' \
  "$f" >/dev/null || fail "a primes cell's peak memory holds another cell's inputs: $(jq -c '[.cells[] | select(.workload == "cpu.primes") | .reps[].maxrss_kib]' "$f")"
jq -e '[.cells[].checksum_ok] | all' "$f" >/dev/null || fail "a checksum was wrong"
# Rounds are blocked by workload: in each round, the repetitions of one
# workload's cells run together (2 workloads: one change of workload in
# time), and the order of the cells is not the same in every round.
jq -e '.config.order == "workload blocks"' "$f" >/dev/null || fail "config does not record the order"
blocks=$(jq -c '[range(0; 3) as $r | [.cells[] | .workload as $w | .id as $id | .reps[] | select(.round == $r) | {at: .at_s, w: $w, id: $id}] | sort_by(.at) | {w: [.[].w], id: ([.[].id] | unique_by(.) | length), order: [.[].id]}]' "$f")
jq -e 'all(.[]; .w as $w | [range(1; $w | length) | select($w[.] != $w[. - 1])] | length == 1)' <<<"$blocks" >/dev/null \
  || fail "a workload's cells did not run as one block in each round: $blocks"
jq -e '[.[].order | [.[]] | reduce .[] as $x ([]; if (length > 0 and .[-1] == $x) then . else . + [$x] end)] | unique | length > 1' \
  <<<"$blocks" >/dev/null || fail "every round ran the cells in the same order: $blocks"
# A worker forked for a job pays the model's costs (fork, its own
# copy-on-write faults, exit), not the harness's: the binary binds every
# symbol at start (a lazy lookup writes the child's copy of the GOT: a
# fault a page, in every child of every job), and the child binds itself
# with one call (hwloc's process binding lists /proc/self/task into a heap
# buffer). A tiny cpu.primes job's forked worker took 102 faults in the
# sanitizer build (68 in Release) before, 53 (31) after.
if command -v readelf >/dev/null; then
  readelf -d "$bin" | grep -q BIND_NOW || fail "concbench is not linked with -z now (symbols bound lazily)"
fi
"$bin" run -q --size tiny -w cpu.primes -s processes -n 1,2 -r 3 -o "$tmp/fork" || fail "fork run exited $?"
jq -e '[.cells[] | select(.strategy == "processes") | ([.reps[].minflt] | min) / .workers] | length == 2 and max < 80' "$tmp/fork/latest/results.json" >/dev/null ||
  fail "a forked worker of a tiny cpu.primes job took too many page faults (at most 80 expected): $(jq -c '[.cells[] | {id, minflt: [.reps[].minflt], workers}]' "$tmp/fork/latest/results.json")"
# The speed probe: before each timed repetition, outside its time, a
# reading on each of the cell's PUs (compare adjusts rounds by it).
np=$(nproc)
jq -e --argjson np "$np" '[.cells[] | .workers as $w | .reps[] | (.probe_ms | type) == "object" and (.probe_ms | length) == ([$w, $np] | min) and ([.probe_ms[]] | all(. > 0 and . < 1000))] | all' \
  "$tmp/fork/latest/results.json" >/dev/null ||
  fail "a repetition lacks its speed probe on each of its PUs: $(jq -c '[.cells[] | {id, probe: [.reps[].probe_ms]}]' "$tmp/fork/latest/results.json")"
echo "isolation ok"
