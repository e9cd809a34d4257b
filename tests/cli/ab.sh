#!/usr/bin/env bash
# concbench ab: a NEW side doing twice the work (--new-param) is regressed
# in every cell, exit 1; both sides are ordinary results files (compare,
# report and export read them) on the same PUs, the pairs' order is drawn
# (both AB and BA) and recorded with both times; a side that hangs or dies
# fails its cell on both sides with one line and the run goes on, nothing
# left behind; a binary that does not speak the protocol is refused in one
# line. Behaviour only: the injected change is 2x.
set -u
source "$(dirname "$0")/common.bash"

# Twice the work on NEW: regressed, exit 1.
expect 1 "$CB" ab -q --size tiny -w synth.amdahl -s serial,threads -n 1 --seed 5 \
	--new-param synth.amdahl:iters=2e7 --pairs 18 -o "$tmp/slow"
d=$tmp/slow
for f in base/results.json new/results.json pairs.json compare.txt compare.md compare.json compare.xml; do
	[ -s "$d/$f" ] || fail "ab wrote no $f"
done
jq -e '[.cells[].verdict] == ["regressed", "regressed"]' "$d/compare.json" >/dev/null ||
	fail "2x the work is not regressed in both cells: $(jq -c '[.cells[] | {cell, verdict, ratio}]' "$d/compare.json")"
jq -e '[.cells[] | .pairs == 18 and (.mdc | type) == "number"] | all' "$d/compare.json" >/dev/null ||
	fail "compare.json lacks each cell's pairs and MDC"
grep -q "18 pairs" "$tmp/out" || fail "the report does not say how many pairs a cell got: $(cat "$tmp/out")"
jq -e '[.cells[].params.iters] | unique == ["2e7"]' "$d/new/results.json" >/dev/null ||
	fail "NEW's results do not hold its parameter: $(jq -c '[.cells[].params]' "$d/new/results.json")"
jq -e '[.cells[].params.iters] | unique != ["2e7"]' "$d/base/results.json" >/dev/null ||
	fail "BASE's results hold NEW's parameter"
for side in base new; do
	jq -e '[.cells[] | .checksum_ok and (.reps | length) == 18] | all' "$d/$side/results.json" >/dev/null ||
		fail "$side: a cell lacks its 18 verified repetitions"
done
# Same PUs: the placement and the PUs every repetition ran on.
[ "$(jq -c '[.cells[] | [.placement, [.reps[].cpus]]]' "$d/base/results.json")" = \
  "$(jq -c '[.cells[] | [.placement, [.reps[].cpus]]]' "$d/new/results.json")" ] ||
	fail "the two sides ran on different PUs"
jq -e '[.cells[].pairs[].order] | (index("AB") != null) and (index("BA") != null)' "$d/pairs.json" >/dev/null ||
	fail "the pairs' order is not drawn: $(jq -c '[.cells[].pairs[].order]' "$d/pairs.json")"
jq -e '[.cells[].pairs[] | (.base_s > 0) and (.new_s > 0) and (.base_at_s | type) == "number"
	and (.new_at_s | type) == "number" and ((.base_at_s < .new_at_s) == (.order == "AB"))] | all' \
	"$d/pairs.json" >/dev/null || fail "a pair lacks its times, or its order disagrees with its start times"
# Ordinary results files.
# compare reads both sides as it reads any run: 2x on each cell, read
# from the rounds' medians, unpaired (above 1.1: under the whole suite's
# load a round's median of 6 repetitions has read 1.47, and once 1.22 in
# threads/n1 while the pairs read 2.0; sides swapped or misread would read
# 0.5 or 1; its verdict on 3 rounds a side depends on how busy the machine
# is: regressed or noisy, exit 1 or 0, never an input error).
"$CB" compare --ignore-param iters --format json "$d/base/results.json" "$d/new/results.json" >"$tmp/cmp.json" 2>"$tmp/err"
rc=$?
[ "$rc" -le 1 ] || fail "compare of the two sides exited $rc: $(head -3 "$tmp/err")"
jq -e '(.cells | length) == 2 and ([.cells[] | .ratio > 1.1 and (.verdict == "regressed" or .verdict == "noisy")] | all)' \
	"$tmp/cmp.json" >/dev/null || fail "compare does not see 2x on both sides' cells: $(jq -c '[.cells[] | {cell, verdict, ratio}]' "$tmp/cmp.json")"
expect 0 "$CB" report "$d/new/results.json" -o "$tmp/report"
expect 0 "$CB" export --to csv "$d/base/results.json"

# Two builds of the example plug-in, NEW's tiny default n four times
# BASE's: its cells regressed, matched although their n differ. Under a
# heavy load (the whole suite beside it) a cell's three pairs of
# processes can differ more than even its least one shows the change
# (seen: 2.7x overall); compare then calls it noisy for that reason, and
# says so: at least one cell regressed, each 2x or more, each regressed
# or noisy for its processes' disagreement.
sed 's/{ "20000", "300000"/{ "80000", "300000"/' "$SRC/examples/plugin/collatz.c" >"$tmp/collatz_new.c"
grep -q '"80000", "300000"' "$tmp/collatz_new.c" || fail "the plug-in's tiny default was not changed"
if cc -O2 -fPIC -shared -I "$SRC/include" -o "$tmp/collatz_new.so" "$tmp/collatz_new.c"; then
	expect 1 "$CB" ab -q --size tiny -s serial,threads -n 1 --seed 4 --pairs 18 --base-workload "$CB_PLUGIN" \
		--new-workload "$tmp/collatz_new.so" -o "$tmp/plugin"
	jq -e '(.cells | length) == 2 and ([.cells[] | select(.verdict == "regressed")] | length) >= 1
		and ([.cells[] | .ratio > 2 and (.verdict == "regressed" or (.verdict == "noisy" and (.why | test("disagree"))))] | all)' \
		"$tmp/plugin/compare.json" >/dev/null ||
		fail "four times the plug-in's work is not regressed: $(jq -c '[.cells[] | {cell, verdict, ratio, why}]' "$tmp/plugin/compare.json")"
	jq -e --arg so "$tmp/collatz_new.so" '[.cells[].workload_source.path] | unique == [$so]' "$tmp/plugin/new/results.json" \
		>/dev/null || fail "NEW's results do not name its plug-in"
else
	fail "cannot build a copy of the example plug-in"
fi

# NEW hangs in io.sleep (60 s a task): that cell fails on both sides, the
# other is measured; no process is left.
expect 0 "$CB" ab -q --size tiny -w io.sleep,cpu.primes -s serial -n 1 --pairs 18 --timeout 1s \
	--new-param io.sleep:latency=60s -o "$tmp/hang"
for side in base new; do
	jq -e '[.cells[] | select(.workload == "io.sleep") | .error | test("NEW side made no progress in 1 s")] == [true]' \
		"$tmp/hang/$side/results.json" >/dev/null ||
		fail "$side: the hung cell is not failed: $(jq -c '[.cells[] | {id, error}]' "$tmp/hang/$side/results.json")"
	jq -e '[.cells[] | select(.workload == "cpu.primes") | .error == null and (.reps | length) == 18] == [true]' \
		"$tmp/hang/$side/results.json" >/dev/null || fail "$side: the run did not go on after the hung cell"
done
# Both sides' processes size io.sleep's CPU part with one rate of the spin chain.
jq -e --slurpfile n "$tmp/hang/new/results.json" \
	'[.cells[] | select(.workload == "io.sleep") | .measured_params.rate] == [$n[0].cells[] | select(.workload == "io.sleep") | .measured_params.rate]' \
	"$tmp/hang/base/results.json" >/dev/null || fail "the sides' spin rates differ"
contains out "failed in BASE"
[ -z "$(pgrep -f "$tmp/hang")" ] && [ -z "$(pgrep -f "ab-worker" -P $$)" ] || fail "processes left after a hung side"

# A side's measuring process killed: the cell fails on both sides naming
# it, the next cell is measured.
"$CB" ab -q --size quick -w synth.amdahl,cpu.primes -s serial -n 1 --seed 2 --pairs 400 --cell-budget 30s \
	--param cpu.primes:n=20000 -o "$tmp/kill" >"$tmp/kill.out" 2>"$tmp/kill.err" &
ab=$!
victim=""
for _ in $(seq 1 200); do
	victim=$(pgrep -P "$ab" -f ab-worker | tail -1)
	[ -n "$victim" ] && [ "$(ps -o etimes= -p "$victim" | tr -d ' ')" -ge 2 ] 2>/dev/null && break
	victim=""
	sleep 0.1
done
[ -n "$victim" ] || fail "no measuring process of ab found to kill"
[ -z "$victim" ] || kill -9 "$victim"
wait "$ab"
for side in base new; do
	jq -e '[.cells[] | select(.error != null) | .error | test("side.s measuring process was killed")] == [true]' \
		"$tmp/kill/$side/results.json" >/dev/null ||
		fail "$side: the killed cell is not failed on both sides: $(jq -c '[.cells[] | {id, error}]' "$tmp/kill/$side/results.json")"
	jq -e '[.cells[] | select(.error == null)] | length == 1' "$tmp/kill/$side/results.json" >/dev/null ||
		fail "$side: the run did not go on after the killed side"
done

# A pair whose repetition on either side ran at reduced capacity is set
# aside and taken again (every 2nd repetition of each process injected as
# reduced): the sides keep as many repetitions each, none marked reduced
# (the reader would drop one side's and unpair the rest), the set-aside
# ones in reps_set_aside, the pairs in pairs.json marked.
CB_AB_REDUCED_EVERY=2 "$CB" ab --size tiny -w synth.amdahl -s threads -n 2 --pairs 18 -o "$tmp/aside" \
	>"$tmp/aside.out" 2>"$tmp/aside.err"
rc=$?
[ "$rc" -le 1 ] || fail "ab with reduced repetitions exited $rc: $(cat "$tmp/aside.err")"
for side in base new; do
	jq -e '.cells[] | select(.strategy == "threads") | (.reps | length) == 18 and (.reps_set_aside | length) >= 1
		and ([.reps[] | .reduced_capacity] | any | not) and ([.reps_set_aside[] | .reduced_capacity] | all)' \
		"$tmp/aside/$side/results.json" >/dev/null ||
		fail "$side: set-aside repetitions: $(jq -c '.cells[] | select(.strategy == "threads") | [(.reps | length), (.reps_set_aside | length)]' "$tmp/aside/$side/results.json")"
done
jq -e '[.cells[] | select(.id | test("threads")) | .pairs[] | select(.set_aside)] | length >= 1' "$tmp/aside/pairs.json" >/dev/null ||
	fail "pairs.json marks no pair set aside"
[ "$(jq '[.cells[] | select(.strategy == "threads") | .reps_set_aside | length] | add' "$tmp/aside/base/results.json")" = \
  "$(jq '[.cells[] | select(.strategy == "threads") | .reps_set_aside | length] | add' "$tmp/aside/new/results.json")" ] ||
	fail "the sides set aside different counts"
jq -e '.cells[] | select(.cell | test("threads")) | .pairs == 18' "$tmp/aside/compare.json" >/dev/null ||
	fail "compare did not see 18 pairs: $(jq -c '[.cells[] | {cell, pairs}]' "$tmp/aside/compare.json")"

# How a cell's pairs of processes take turns (--order): auto spreads a
# CPU-bound workload's (pair 1 of each of the three, then pair 2 of each:
# rounds 0 1 2 0 1 2 ... in pairs.json) and runs an I/O workload's one
# after the other (0 0 ... 1 1 ... 2 2 ...); either way each side's
# repetitions are grouped by round in results.json, as compare reads them.
expect_le1() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	[ "$rc" -le 1 ] || fail "exit $rc, want 0 or 1: $*" "$(head -3 "$tmp/err")"
}
expect_le1 "$CB" ab -q --size tiny -w synth.amdahl,io.sleep -s serial -n 1 --pairs 18 -o "$tmp/order"
jq -e '.cells[] | select(.id | startswith("synth.amdahl")) | [.pairs[] | select(.set_aside | not) | .round] == [range(6) | 0, 1, 2]' \
	"$tmp/order/pairs.json" >/dev/null ||
	fail "a CPU-bound cell's pairs of processes did not take turns: $(jq -c '[.cells[] | [.pairs[].round]]' "$tmp/order/pairs.json")"
jq -e '.cells[] | select(.id | startswith("io.sleep")) | [.pairs[] | select(.set_aside | not) | .round] == [(range(6) | 0), (range(6) | 1), (range(6) | 2)]' \
	"$tmp/order/pairs.json" >/dev/null ||
	fail "an I/O cell's pairs of processes did not run one after the other: $(jq -c '[.cells[] | [.pairs[].round]]' "$tmp/order/pairs.json")"
for side in base new; do
	jq -e '[.cells[] | [.reps[].round] == [(range(6) | 0), (range(6) | 1), (range(6) | 2)]] | all' \
		"$tmp/order/$side/results.json" >/dev/null || fail "$side: repetitions not grouped by round"
done
# Each cell's pairs' gap (start to start) in pairs.json; these tiny
# repetitions are milliseconds apart, so no warning; with the limit below
# them, one warning names the cells and the remedy.
jq -e '[.cells[].gap_s | . > 0 and . < 0.2] | all' "$tmp/order/pairs.json" >/dev/null ||
	fail "no gap_s, or a tiny cell's pairs not milliseconds apart: $(jq -c '[.cells[].gap_s]' "$tmp/order/pairs.json")"
grep -q "pairs .* apart" "$tmp/err" && fail "a warning of pairs far apart for tiny cells: $(cat "$tmp/err")"
CB_AB_FAR_PAIR_S=0.000001 expect_le1 "$CB" ab -q --size tiny -w synth.amdahl -s serial,threads -n 1 --pairs 18 -o "$tmp/far"
[ "$(grep -c "warning: 2 of 2 cells have their pairs .* s apart (a repetition's length; first synth.amdahl/serial/n1/.*a smaller --size" "$tmp/err")" = 1 ] ||
	fail "no one warning of pairs far apart: $(cat "$tmp/err")"
expect_le1 "$CB" ab -q --size tiny -w io.sleep -s serial -n 1 --pairs 18 --order spread -o "$tmp/spread"
jq -e '[.cells[0].pairs[] | select(.set_aside | not) | .round] == [range(6) | 0, 1, 2]' "$tmp/spread/pairs.json" >/dev/null ||
	fail "--order spread did not spread an I/O cell's pairs"
# Without --pairs, a plan of few cells takes 108 pairs a cell (the budget
# set beyond reach: on a loaded machine the default 10 s ends a tiny cell's
# pairs before 108, which is the budget's behaviour, not this one).
expect_le1 "$CB" ab -q --size tiny -w synth.amdahl -s serial -n 1 --cell-budget 10min -o "$tmp/few"
jq -e '.cells[0].pairs == 108' "$tmp/few/compare.json" >/dev/null ||
	fail "a one-cell plan did not take 108 pairs: $(jq -c '[.cells[] | .pairs]' "$tmp/few/compare.json")"
expect 2 "$CB" ab --size tiny -w synth.amdahl -s serial -n 1 --order sideways
one_line_error "--order 'sideways' is not auto, spread or together"

# --processes K: the cell's pairs shared among K pairs of processes
# (rounds 0 .. K-1 in turn, 18 pairs as 5 each of 4: at least 18), which
# compare reads as K rounds.
expect_le1 "$CB" ab -q --size tiny -w synth.amdahl -s serial -n 1 --pairs 18 --processes 4 -o "$tmp/four"
jq -e '[.cells[0].pairs[] | select(.set_aside | not) | .round] == [range(5) | 0, 1, 2, 3]' "$tmp/four/pairs.json" >/dev/null ||
	fail "--processes 4 did not take 5 pairs from each of 4 pairs of processes: $(jq -c '[.cells[0].pairs[].round]' "$tmp/four/pairs.json")"
jq -e '.cells[0].rounds | length == 4' "$tmp/four/base/results.json" >/dev/null || fail "--processes 4: not 4 rounds in results.json"
jq -e '.cells[0].pairs == 20' "$tmp/four/compare.json" >/dev/null || fail "--processes 4: compare did not read 20 pairs"
# Each pair of processes its own address layout, the twins the same one
# (address space randomisation off, CB_AB_LAYOUT's shift): what their
# hellos found agrees within each pair and differs between pairs.
jq -e '.cells[0] | (.layout_seeds | unique | length) == 4 and .layouts_shared == [true, true, true, true]
	and ([.layouts[] | [.map, .stack]] | unique | length) == 4' "$tmp/four/pairs.json" >/dev/null ||
	fail "the twins did not share a layout, or pairs of processes shared one: $(jq -c '.cells[0] | [.layout_seeds, .layouts, .layouts_shared]' "$tmp/four/pairs.json")"
expect 2 "$CB" ab --size tiny -w synth.amdahl -s serial -n 1 --processes 1
one_line_error "--processes '1' must be a whole number from 2 to 12 (pairs of measuring processes a cell)"

# A Python workload's hash seed: the twins of a pair of processes share
# one (PYTHONHASHSEED, drawn per pair of processes and recorded in
# pairs.json), so a task that returns a string's hash gives both sides the
# same checksum, and two cells (other seeds) different ones; a
# PYTHONHASHSEED of the caller's is every process's.
if "$CB" list workloads | grep -q "Python: -w py:FILE.py, CPython"; then
	cat >"$tmp/hashy.py" <<'PY'
NAME = "test.hashy"
PARAMS = {}
def setup(params):
    return 4
def task(i):
    return hash("concbench-%d" % i) & 0xFFFFFFFF
PY
	expect_le1 env -u PYTHONHASHSEED "$CB" ab -q --size tiny -w "py:$tmp/hashy.py" -s serial,threads -n 1 --pairs 18 -o "$tmp/hash"
	jq -e '[.cells[].python_hash_seeds | length == 3 and (unique | length) == 3] | all' "$tmp/hash/pairs.json" >/dev/null ||
		fail "pairs.json lacks three hash seeds a cell: $(jq -c '[.cells[].python_hash_seeds]' "$tmp/hash/pairs.json")"
	[ "$(jq -c '[.cells[].checksum]' "$tmp/hash/base/results.json")" = "$(jq -c '[.cells[].checksum]' "$tmp/hash/new/results.json")" ] ||
		fail "twins ran with different hash seeds: $(jq -c '[.cells[].checksum]' "$tmp/hash/base/results.json" "$tmp/hash/new/results.json")"
	jq -e '(.cells | length) == 2 and ([.cells[].checksum_ok] | all)' "$tmp/hash/base/results.json" >/dev/null ||
		fail "a hash cell's checksum was not verified"
	jq -e '[.cells[].checksum] | unique | length == 2' "$tmp/hash/base/results.json" >/dev/null ||
		fail "two cells' pairs of processes share a hash seed: $(jq -c '[.cells[].checksum]' "$tmp/hash/base/results.json")"
	PYTHONHASHSEED=7 expect_le1 "$CB" ab -q --size tiny -w "py:$tmp/hashy.py" -s serial,threads -n 1 --pairs 18 -o "$tmp/hash7"
	jq -e '[.cells[].python_hash_seeds] | unique == [null]' "$tmp/hash7/pairs.json" >/dev/null ||
		fail "ab drew hash seeds although the caller set PYTHONHASHSEED"
	jq -s -e '[.[].cells[].checksum] | unique | length == 1' "$tmp/hash7/base/results.json" "$tmp/hash7/new/results.json" >/dev/null ||
		fail "the caller's PYTHONHASHSEED was not every process's"
fi

# Refused in one line: a binary without the protocol, bad pairs.
expect 2 "$CB" ab --size tiny -w synth.amdahl -s serial -n 1 --base-bin /bin/true -o "$tmp/refused"
one_line_error "does not speak concbench's A/B protocol"
[ ! -e "$tmp/refused" ] || fail "a refused ab left its output folder behind"
expect 2 "$CB" ab --size tiny -w synth.amdahl -s serial -n 1 --pairs 3
one_line_error "--pairs '3'"
expect 2 "$CB" ab --size tiny -w synth.amdahl -s serial -n 1 --new-param nosuch=1
one_line_error "unknown parameter"
expect 2 "$CB" ab --size tiny --base-workload "$CB_PLUGIN"
one_line_error "go together"

[ "$failures" -eq 0 ] && echo "ab: 2x regressed, sides on the same PUs, pairs of processes in turn, hung and killed sides fail both, refusals"
exit $((failures > 0))
