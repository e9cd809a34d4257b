#!/usr/bin/env bash
# scripts/compare-builds, a thin wrapper of concbench ab: two binaries, one
# on each side, measured pair by pair into OUT; a NEW side made slower
# through CB_NEW_ARGS is caught (exit 1, the cell regressed).
set -u
source "$(dirname "$0")/common.bash"
"$SRC/scripts/compare-builds" "$CB" "$CB" "$tmp/same" --size tiny -w cpu.primes,synth.amdahl -s serial -n 1 \
	--pairs 18 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -le 1 ] || fail "compare-builds exited $rc: $(tail -3 "$tmp/err")"
for side in base new; do
	got=$(jq -r '[.cells[].workload] | unique | join(" ")' "$tmp/same/$side/results.json")
	[ "$got" = "cpu.primes synth.amdahl" ] || fail "$side holds workloads '$got'"
	jq -e --arg bin "$CB" '.ab.bin == $bin' "$tmp/same/$side/results.json" >/dev/null || fail "$side was not measured by $CB"
done
grep -q "concbench compare" "$tmp/same/compare.md" || fail "compare.md lacks the summary: $(head -3 "$tmp/same/compare.md")"
# cpu.primes twenty times tiny's n on NEW: regressed, exit 1.
CB_NEW_ARGS="--new-param cpu.primes:n=400000" "$SRC/scripts/compare-builds" "$CB" "$CB" "$tmp/slow" \
	-w cpu.primes,synth.amdahl --size tiny -s serial -n 1 --pairs 18 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "a NEW twenty times the work: compare-builds exited $rc, want 1: $(tail -3 "$tmp/err")"
grep -q "^regressed .*cpu\.primes/serial" "$tmp/out" || fail "cpu.primes is not regressed: $(cat "$tmp/out")"
[ "$failures" -eq 0 ] && echo "compare-builds: ab with two binaries, a slower NEW caught"
exit $((failures > 0))
