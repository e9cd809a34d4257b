#!/usr/bin/env bash
# --rounds K: K fresh processes merged into one run folder, each cell with
# one median per round and every repetition of every round.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" run -q --size tiny -w cpu.primes -s serial,threads -n 2 -r 2 --warmup 0 --rounds 3 -o "$tmp/res" || { echo "FAIL: run exited $?"; exit 1; }
f="$tmp/res/latest/results.json"
[ -f "$f" ] || { echo "FAIL: no results.json"; exit 1; }
[ -z "$(ls -A "$tmp/res" | grep rounds)" ] || { echo "FAIL: round folders left behind"; exit 1; }
n_rounds=$(grep -c '"rounds"' "$f")
# two cells with a rounds array each, plus config.rounds
[ "$n_rounds" -eq 3 ] || { echo "FAIL: expected 3 'rounds' keys, got $n_rounds"; exit 1; }
grep -q '"--rounds"' "$f" || { echo "FAIL: command line not recorded"; exit 1; }
reps=$(grep -c '"wall_s"' "$f")
[ "$reps" -eq 12 ] || { echo "FAIL: expected 12 repetitions (2 cells x 2 reps x 3 rounds), got $reps"; exit 1; }
echo "rounds ok"
