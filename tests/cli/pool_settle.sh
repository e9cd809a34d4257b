#!/usr/bin/env bash
# A pool of processes settles after the warmup: as many untimed passes as
# it has executors, each handing every task to another executor, so that
# every worker has run every task once. Without it, a forked worker took
# a page fault on each page of each task it ran for the first time (the
# job's shared arrays, which fork does not map into the child, and its own
# private buffers), and under dynamic scheduling those faults fell into the
# timed repetitions at random. Fork per job pays them every job: that is
# the model's cost, and the figure that shows the counter works. MPI ranks
# (when built) settle too, each running every task once before it says
# hello: they are processes with memory of their own, and their faults
# count in the repetition's minflt.
set -u
source "$(dirname "$0")/common.bash"
strategies=threads,processes,processpool,hybrid pooled='"processpool", "hybrid"'
if [ -x "$(dirname "$CB")/concbench-mpi" ]; then
	strategies+=,mpi pooled+=', "mpi"'
fi
expect 0 "$CB" run -q -w mem.stream,io.file -s "$strategies" -n 2 --size quick \
	--param mem.stream:bytes=12M -r 3 --warmup 1 --rounds 1 -o "$tmp/res"
f=$tmp/res/latest/results.json
jq -e '[.cells[].reps[] | .minflt | type == "number" and . >= 0] | length > 0 and all' "$f" >/dev/null ||
	fail "a repetition lacks minflt: $(jq -c '[.cells[] | {id, f: [.reps[].minflt]}]' "$f")"
for w in mem.stream io.file; do
	forked=$(jq --arg w "$w" '[.cells[] | select(.workload == $w and .strategy == "processes") | .reps[].minflt] | min' "$f")
	pools=$(jq --arg w "$w" "[.cells[] | select(.workload == \$w and (.strategy | IN($pooled))) | .reps[].minflt] | max" "$f")
	threads=$(jq --arg w "$w" '[.cells[] | select(.workload == $w and .strategy == "threads") | .reps[].minflt] | max' "$f")
	# 12M of stream arrays are 3072 pages, of which a fork per job maps
	# its share anew; each of io.file's 2 forked workers writes the one
	# 64-page buffer it is lent (copy-on-write).
	least=300
	[ "$w" = io.file ] && least=128
	[ "$forked" -ge "$least" ] || fail "$w: processes took $forked page faults a repetition (at least $least expected); a fork per job maps its pages anew"
	# Settled, a pool takes next to none (0-3 here, an MPI rank once 20);
	# unsettled, a stream worker faulted in pages of the tasks it had not
	# run yet in its timed repetitions (hundreds).
	[ $((pools * 10)) -lt "$forked" ] || fail "$w: settled pools took up to $pools faults a repetition (processes: $forked)"
	[ $((threads * 4)) -lt "$forked" ] || fail "$w: threads took up to $threads faults a repetition (processes: $forked)"
	echo "$w: pools $pools faults a repetition, threads $threads, processes $forked"
done
# The warmup leaves the process as the timed repetitions find it: the
# capacity probe's threads are there before it, so they do not take the
# thread stacks glibc kept from the warmup's workers, and the first timed
# repetition of `threads` does not fault in new ones (4 faults and a
# third more time, where the others took none; a fault or two of some
# other first touch is not that, and is let by). Under AddressSanitizer
# every thread start maps the sanitizer's own state (about 30 faults a
# repetition, the first 2-5 more whatever the order), so the check is made
# on unsanitized builds (scripts/test runs this script again on the
# Release build).
expect 0 "$CB" run -q -w graph.deps -s threads -n 2 --size tiny -r 4 --warmup 1 --rounds 2 -o "$tmp/first"
if [ -n "$(jq -r '.build.sanitizers // ""' "$tmp/first/latest/results.json")" ]; then
	echo "first repetition's faults: not checked in a sanitized build"
elif ! jq -e '[.cells[] | select(.strategy == "threads") | .reps | group_by(.round)[] | (.[0].minflt <= ([.[1:][].minflt] | max) + 2)] | length == 2 and all' \
	"$tmp/first/latest/results.json" >/dev/null; then
	fail "the first timed repetition of a round took faults the later ones did not: $(jq -c '[.cells[] | select(.strategy == "threads") | [.reps[] | [.round, .minflt]]]' "$tmp/first/latest/results.json")"
fi
exit $((failures > 0))
