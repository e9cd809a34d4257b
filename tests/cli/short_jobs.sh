#!/usr/bin/env bash
# Jobs too short for their overheads: before measuring, run names the jobs
# whose serial time is under 3 ms, or under 10x the strategy's dispatch
# price from the newest `concbench micro` run of this host (the results
# root's latest-micro), once, in one line. After measuring, an efficiency
# above 1.1 at one worker is reported as a measurement problem, in the
# report's warnings, its summary and the answer, not as a result.
set -u
source "$(dirname "$0")/common.bash"

# cpu.primes at tiny is well under 3 ms; serial alone is never warned about.
expect 0 "$CB" run -w cpu.primes -s serial,threads -n 1,2 --size tiny -r 1 --warmup 0 --no-report -o "$tmp/a"
[ "$(grep -c 'too short for the overheads' "$tmp/err")" -eq 1 ] || fail "no single short-job warning: $(cat "$tmp/err")"
grep 'too short' "$tmp/err" | grep -q 'cpu.primes .* ms (threads)' || fail "the warning does not name cpu.primes under threads: $(cat "$tmp/err")"
contains err "concbench micro"
expect 0 "$CB" run -w cpu.primes -s serial -n 1 --size tiny -r 1 --warmup 0 --no-report -o "$tmp/b"
lacks err "too short for the overheads"

# A job long enough for the 3 ms floor, judged by a price list that says a
# thread costs 1 s to dispatch: now too short for threads, not for serial.
expect 0 "$CB" run -w synth.amdahl -s serial,threads -n 1 --size quick -r 1 --warmup 0 --no-report -o "$tmp/c"
ref=$(jq '[.cells[] | select(.strategy == "serial") | .stats.median_s] | first' "$tmp/c/latest/results.json")
if awk -v t="$ref" 'BEGIN { exit !(t > 0.006) }'; then
	lacks err "too short for the overheads"
	mkdir -p "$tmp/c/fake-micro"
	jq -n --arg host "$(hostname)" '{ machine: { host: $host }, cells: [
		{ id: "pools/threads_empty_job/1", reps: [ { real_s: 1.0 }, { real_s: 1.0 } ] } ] }' \
		>"$tmp/c/fake-micro/results.json"
	ln -s fake-micro "$tmp/c/latest-micro"
	expect 0 "$CB" run -w synth.amdahl -s serial,threads -n 1 --size quick -r 1 --warmup 0 --no-report -o "$tmp/c"
	grep 'too short' "$tmp/err" | grep 'dispatch price' | grep -q 'synth.amdahl .* ms (threads)' ||
		fail "a 1 s dispatch price did not make synth.amdahl too short for threads: $(cat "$tmp/err")"
	# Another host's price list is not this machine's.
	jq '.machine.host = "elsewhere"' "$tmp/c/fake-micro/results.json" >"$tmp/x" && mv "$tmp/x" "$tmp/c/fake-micro/results.json"
	expect 0 "$CB" run -w synth.amdahl -s serial,threads -n 1 --size quick -r 1 --warmup 0 --no-report -o "$tmp/c"
	lacks err "too short for the overheads"
else
	echo "note: synth.amdahl at quick took $ref s here, too short to test the price list"
fi

# Efficiency 1.5 at one worker (the threads cell given the serial cell's
# times over 1.5): a measurement problem wherever the figure shows.
expect 0 "$CB" run -q -w synth.amdahl -s serial,threads -n 1 --size tiny -r 3 --warmup 0 -o "$tmp/d"
jq '(.cells[] | select(.strategy == "serial")) as $s | (.cells[] | select(.strategy == "threads")) |=
	(.reps = ($s.reps | map(.wall_s /= 1.5 | .par_s /= 1.5))
	| .stats = ($s.stats | .median_s /= 1.5 | .min_s /= 1.5 | .max_s /= 1.5 | .mean_s /= 1.5)
	| .rounds = ($s.rounds | map(. / 1.5)))' "$tmp/d/latest/results.json" >"$tmp/odd.json"
expect 0 "$CB" report "$tmp/odd.json" -o "$tmp/rep"
grep -q 'efficiency above 1.1 at one worker\|efficiency [0-9.]* at one worker, above 1.1: a measurement problem' "$tmp/err" ||
	fail "no warning of the efficiency above 1.1 at one worker: $(cat "$tmp/err")"
grep '^synth.amdahl: best threads' "$tmp/out" | grep -q 'a measurement problem, not a result' ||
	fail "the answer presents the implausible cell as a result: $(cat "$tmp/out")"
grep '^| synth.amdahl |' "$tmp/rep/report.md" | grep -q 'a measurement problem' || fail "the report's summary does not say so"
! grep '^synth.amdahl' "$tmp/out" | grep -q 'near ideal' || fail "the answer calls it near ideal"

[ "$failures" -eq 0 ] && echo "short jobs: all passed"
exit $((failures > 0))
