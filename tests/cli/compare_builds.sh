#!/usr/bin/env bash
# scripts/compare-builds, the CI recipe of docs/ci.md, as written: without
# -w it measures every built-in workload (list --format json, not the
# Python twins), alternates the two binaries round after round, merges each
# side and writes compare.md; a NEW side made slower through CB_NEW_ARGS is
# caught.
set -u
source "$(dirname "$0")/common.bash"
want=$("$CB" list workloads --format json | jq -r '.workloads[] | select(.python_twin | not) | .name' | sort | tr '\n' ' ')
[ "$(wc -w <<<"$want")" -ge 9 ] || fail "list workloads names too few workloads: $want"
CB_ROUNDS=3 CB_NOISE_SECONDS=0.3 "$SRC/scripts/compare-builds" "$CB" "$CB" "$tmp/same" --size tiny -s serial -n 1 -r 1 \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -le 1 ] || fail "compare-builds exited $rc: $(tail -3 "$tmp/err")"
# The machine's floor first, measured at the recipe's rounds, in the log.
grep -q "with 3 rounds a side" "$tmp/same/noise.txt" || fail "noise.txt lacks the floor at 3 rounds: $(tail -4 "$tmp/same/noise.txt")"
grep -q "^compare-builds: The floor: " "$tmp/err" || fail "the log lacks the floor line: $(head -5 "$tmp/err")"
for side in base new; do
	got=$(jq -r '[.cells[].workload] | unique | .[]' "$tmp/same/$side.json" | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "$side.json holds workloads '$got', want '$want'"
	jq -e '.config.rounds == 3' "$tmp/same/$side.json" >/dev/null || fail "$side.json does not hold 3 rounds"
done
grep -q "^concbench compare: " "$tmp/same/compare.md" 2>/dev/null || head -1 "$tmp/same/compare.md" | grep -q "concbench compare" ||
	fail "compare.md lacks the summary: $(head -3 "$tmp/same/compare.md")"
# cpu.primes about seventy times the work on NEW (n 20 times tiny's): its
# one cell regressed, exit 1. The change must lie far beyond the noise of
# tiny cells under ASan on a busy CI machine (cv up to 75% seen there); six
# paired rounds give a t of about 9 on 5 df even at 100% cv.
CB_ROUNDS=6 CB_NOISE_SECONDS=0 CB_NEW_ARGS="--param cpu.primes:n=400000" "$SRC/scripts/compare-builds" "$CB" "$CB" "$tmp/slow" \
	-w cpu.primes,synth.amdahl --size tiny -s serial -n 1 -r 3 -- --ignore-param n >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "a NEW seventy times as slow: compare-builds exited $rc, want 1: $(tail -3 "$tmp/err")"
grep -q "^regressed .*cpu\.primes/serial" "$tmp/out" || fail "cpu.primes is not regressed: $(cat "$tmp/out")"
[ "$failures" -eq 0 ] && echo "compare-builds: every workload, both sides merged, a slower NEW caught"
exit $((failures > 0))
