#!/usr/bin/env bash
# A pool of processes settles after the warmup: each worker maps the job's
# shared pages that the warmup touched, so the timed repetitions take no
# page faults that another worker's warmup tasks left them. Without it,
# under dynamic scheduling, a forked worker faulted on every page of the
# chunks it had not run before (mem.stream at size quick, processpool at 2
# workers: 7 to 58 ms a repetition against 14 ms serial). Fork per job
# pays them, every job: that is the model's cost, and the figure that
# shows the counter works.
set -u
source "$(dirname "$0")/common.bash"
expect 0 "$CB" run -q -w mem.stream -s threads,processes,processpool,hybrid -n 2 --size quick \
	--param mem.stream:bytes=12M -r 3 --warmup 1 --rounds 1 -o "$tmp/res"
f=$tmp/res/latest/results.json
jq -e '[.cells[].reps[] | .minflt | type == "number" and . >= 0] | length > 0 and all' "$f" >/dev/null ||
	fail "a repetition lacks minflt: $(jq -c '[.cells[] | {id, f: [.reps[].minflt]}]' "$f")"
forked=$(jq '[.cells[] | select(.strategy == "processes") | .reps[].minflt] | min' "$f")
pools=$(jq '[.cells[] | select(.strategy == "processpool" or .strategy == "hybrid") | .reps[].minflt] | max' "$f")
threads=$(jq '[.cells[] | select(.strategy == "threads") | .reps[].minflt] | max' "$f")
# 12M of arrays are 3072 pages: a fork per job maps its share of them.
[ "$forked" -ge 300 ] || fail "processes took $forked page faults a repetition; a fork per job maps its pages anew"
[ $((pools * 20)) -lt "$forked" ] || fail "settled pools took up to $pools faults a repetition (processes: $forked)"
[ $((threads * 4)) -lt "$forked" ] || fail "threads took up to $threads faults a repetition (processes: $forked)"
[ "$failures" -eq 0 ] && echo "pools settle: $pools faults a repetition, threads $threads, processes $forked"
exit $((failures > 0))
