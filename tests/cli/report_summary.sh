#!/usr/bin/env bash
# The report answers first: after the machine table, a summary naming every
# workload (table and heat map), the best model and the main loss per
# workload, then warnings grouped by kind in a few lines with the full list
# folded, then the per-workload sections with the timeline of each traced
# strategy at its largest worker count and its busy-time table.
set -u
: "${CONCBENCH:?set CONCBENCH to the concbench binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
command -v "${CONCBENCH_GNUPLOT:-gnuplot}" >/dev/null || { echo "SKIP: gnuplot is not installed"; exit 77; }

wls="cpu.primes cpu.mandelbrot io.sleep"
"$CONCBENCH" run -w cpu.primes,cpu.mandelbrot,io.sleep -s serial,threads,processpool,coroutines -n 1,2 \
	--size tiny -r 2 --warmup 0 --seed 7 --trace -q -o "$tmp/runs" >"$tmp/run.out" 2>"$tmp/run.err" ||
	fail "run: exit $? ($(cat "$tmp/run.err"))"
d=$(ls -d "$tmp"/runs/*/ | head -1)
"$CONCBENCH" report "$d/results.json" >"$tmp/rep.out" 2>"$tmp/rep.err" || fail "report: exit $? ($(cat "$tmp/rep.err"))"
md=$d/report.md html=$d/report.html

line() { grep -n -m1 -- "$1" "$2" | cut -d: -f1; }
for f in "$md" "$html"; do
	m=$(line 'Machine' "$f") s=$(line '>Summary<\|^## Summary' "$f") w=$(line '>Warnings<\|^## Warnings' "$f")
	first=$(line '>cpu.primes</h2>\|^## cpu.primes' "$f")
	[ -n "$m" ] && [ -n "$s" ] && [ -n "$w" ] && [ -n "$first" ] || { fail "$f: a section is missing"; continue; }
	[ "$m" -lt "$s" ] && [ "$s" -lt "$w" ] && [ "$w" -lt "$first" ] ||
		fail "$f: want machine ($m) < summary ($s) < warnings ($w) < first workload ($first)"
	summary=$(sed -n "${s},${w}p" "$f")
	for wl in $wls; do
		grep -q "$wl" <<<"$summary" || fail "$f: the summary does not name $wl"
	done
	grep -q "main loss" <<<"$summary" || fail "$f: the summary gives no reason"
	# The best-model column names a strategy in every workload's row (the
	# header alone says "best model"), and the run was traced, so no line
	# asks for a trace.
	for wl in $wls; do
		grep "$wl" <<<"$summary" | grep -qE "(serial|threads|processpool|coroutines)[^|]*\(" ||
			fail "$f: the row of $wl names no best model"
	done
	! grep -q "run --trace to see" <<<"$summary" || fail "$f: the trace did not reach the summary"
done

# Warnings: one line per kind, the full list folded.
warn=$(awk '/^## Warnings/{on=1; next} on && /^<details>|^## /{exit} on && NF' "$md")
n=$(grep -c . <<<"$warn")
[ "$n" -le 12 ] || fail "report.md: $n lines of warnings, want at most 12: $warn"
if grep -q 'cv above 5% in' <<<"$warn"; then
	grep -q '<details><summary>All [0-9]* warnings' "$md" || fail "report.md: grouped warnings without the full list folded"
	grep -q '<details>' "$html" || fail "report.html: grouped warnings without <details>"
fi

# Charts: the heat map and a timeline per strategy at its largest load.
for c in summary-heatmap cpu.mandelbrot-timeline-threads-n2 cpu.primes-timeline-processpool-n2; do
	[ -s "$d/$c.png" ] && head -c 8 "$d/$c.png" | grep -q PNG || fail "$c.png missing or empty"
	[ -s "$d/$c.svg" ] && grep -q '<svg' "$d/$c.svg" || fail "$c.svg missing or empty"
done
grep -q 'summary-heatmap.png' "$md" || fail "report.md does not show the heat map"
grep -q 'timeline-threads-n2.png' "$md" || fail "report.md does not show a timeline"
grep -q 'imbalance (max/mean busy)' "$md" || fail "report.md has no busy-time table"
grep -q '| worker 1 |' "$md" || fail "report.md: the busy table lacks worker 1"
ls -a "$d" | grep -q '\.tmp' && fail "temp files left in the run folder"

[ "$fails" -eq 0 ] && echo "report summary: all passed"
exit $((fails > 0))
