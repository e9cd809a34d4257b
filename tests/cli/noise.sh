#!/usr/bin/env bash
# concbench noise: the timing noise of a fixed CPU-bound chain per PU and
# length, the MDC floor it implies, one PU at a time and all at once; bad
# input exits 2 with one line naming the option.
set -u
. "$(dirname "$0")/common.bash"

expect 0 "$CB" noise --seconds 0.3 --lengths 1,2,4 --format json --seed 7
jq -e '.schema == "concbench.noise/1" and .busy == false and .timings >= 5 and (.pus | length) >= 1 and
       (.lengths | length) == 3 and ([.lengths[].ms] == [1, 2, 4]) and
       ([.lengths[] | .median_sd_log >= 0 and .largest_sd_log >= .median_sd_log and .mdc > 0] | all) and
       ([.lengths[] | .per_pu | to_entries[] | .value.median_ms > 0 and .value.set_aside >= 0] | all) and
       .floor_sd_log >= 0 and .floor_mdc > 0' "$tmp/out" >/dev/null ||
	fail "noise json: $(head -c 600 "$tmp/out")"
# The timings are as long as asked: 4 ms is about four times 1 ms.
jq -e '[.lengths[] | .per_pu | to_entries[] | .value.median_ms] as $m | ($m | length) >= 3' "$tmp/out" >/dev/null ||
	fail "noise json lacks per-PU medians"
jq -e '(.lengths[2].per_pu | to_entries[0].value.median_ms) / (.lengths[0].per_pu | to_entries[0].value.median_ms) > 2.5' \
	"$tmp/out" >/dev/null || fail "a 4 ms timing is not about 4x a 1 ms one: $(jq -c '[.lengths[].per_pu]' "$tmp/out")"
# A noisier length has the larger MDC (the MDC is a function of the sd).
jq -e '[.lengths | sort_by(.median_sd_log)[] | .mdc] as $m | $m == ($m | sort)' "$tmp/out" >/dev/null ||
	fail "MDC does not grow with the sd: $(jq -c '[.lengths[] | [.median_sd_log, .mdc]]' "$tmp/out")"
# More rounds, a smaller floor for the same noise.
expect 0 "$CB" noise --seconds 0.2 --lengths 1 --format json --rounds 1000
jq -e '.rounds == 1000 and (.floor_mdc < 0.05 or .floor_sd_log > 0.1)' "$tmp/out" >/dev/null ||
	fail "1000 rounds left the floor at $(jq -c '[.floor_sd_log, .floor_mdc]' "$tmp/out")"

expect 0 "$CB" noise --seconds 0.2 --lengths 1,2 --busy --cpus 0 --format json
jq -e '.busy == true and .pus == [0] and .timings >= 5' "$tmp/out" >/dev/null ||
	fail "noise --busy --cpus 0: $(head -c 300 "$tmp/out")"

expect 0 "$CB" noise --seconds 0.2 --lengths 1,2
contains out "sd of log time per PU"
contains out "Longer timings: the sd at 2 ms"
contains out "The floor: the same CPU-bound work varies here by"

expect 2 "$CB" noise --lengths 0
one_line_error "--lengths '0'"
expect 2 "$CB" noise --lengths 1,,x
one_line_error "--lengths"
expect 2 "$CB" noise --rounds 1
one_line_error "--rounds '1'"
expect 2 "$CB" noise --format xml
one_line_error "valid: text, json"
expect 2 "$CB" noise --threshold 0
one_line_error "--threshold"
expect 2 "$CB" noise extra
one_line_error "unexpected argument 'extra'"
expect 2 "$CB" noise --cpus 4096
one_line_error
expect 0 "$CB" noise --help
contains out "usage: concbench noise"

[ "$failures" -eq 0 ] && echo "noise ok"
exit $((failures > 0))
