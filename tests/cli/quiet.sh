#!/usr/bin/env bash
# --quiet: run and micro print nothing to stderr but errors. A plan that
# would warn (4 workers on 2 PUs: oversubscribed; one worker more than the
# PUs anywhere) says nothing under -q; its results are still written; a bad
# input still says what was wrong, on stderr, with exit 2.
set -u
source "$(dirname "$0")/common.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=$(( $(nproc) * 2 ))

"$CB" run -q -w cpu.primes -s serial,threads -n "$n" --size tiny -r 1 --warmup 0 -o "$tmp/run" \
	>"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
[ "$rc" -eq 0 ] || fail "run -q exited $rc: $(cat "$tmp/run.err")"
[ ! -s "$tmp/run.err" ] || fail "run -q wrote to stderr: $(cat "$tmp/run.err")"
[ -s "$tmp/run/latest/results.json" ] || fail "run -q wrote no results"
# The same plan without -q warns: -q had something to keep quiet.
"$CB" run -w cpu.primes -s serial,threads -n "$n" --size tiny -r 1 --warmup 0 -o "$tmp/loud" \
	>"$tmp/loud.out" 2>"$tmp/loud.err" || fail "run without -q exited $?"
grep -q "warning: .*oversubscribed" "$tmp/loud.err" ||
	fail "the plan did not warn without -q, so -q was not tested: $(cat "$tmp/loud.err")"

"$CB" micro -q 'sync/mutex' -r 1 --min-time 0.01 -o "$tmp/micro" >"$tmp/micro.out" 2>"$tmp/micro.err"
rc=$?
[ "$rc" -eq 0 ] || fail "micro -q exited $rc: $(cat "$tmp/micro.err")"
[ ! -s "$tmp/micro.err" ] || fail "micro -q wrote to stderr: $(cat "$tmp/micro.err")"
[ -s "$tmp/micro/latest/report.html" ] || fail "micro -q wrote no report"

"$CB" run -q -w no.such.workload -o "$tmp/bad" >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
[ "$rc" -eq 2 ] || fail "run -q with a bad workload exited $rc, not 2"
grep -q "no.such.workload" "$tmp/bad.err" || fail "run -q hid the error: $(cat "$tmp/bad.err")"
"$CB" micro -q --reps 0 >"$tmp/badm.out" 2>"$tmp/badm.err"
rc=$?
[ "$rc" -eq 2 ] || fail "micro -q --reps 0 exited $rc, not 2"
[ -s "$tmp/badm.err" ] || fail "micro -q hid the error"

[ "$failures" -eq 0 ] && echo "quiet: run and micro silent on stderr but for errors"
exit $((failures > 0))
