#!/usr/bin/env bash
# Outputs on a full disk: report, compare --chart, compare's standard output
# and baseline save, each on a tiny tmpfs. Every one must exit non-zero with
# a message naming the file, keep the previous file as it was and leave no
# temp file behind; with the space back, the same command must succeed.
# Needs root to mount the tmpfs: skips (exit 77) where that is not allowed.
set -u
CB=${CONCBENCH:?set CONCBENCH to the concbench binary}
CB=$(cd "$(dirname "$CB")" && pwd)/$(basename "$CB")
SRC=${CB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
FIXTURE=$SRC/tests/data/results-synthetic.json
DATA=$SRC/tests/data/compare
tmp=$(mktemp -d)
mnt=$tmp/mnt
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=128k tmpfs "$mnt" 2>/dev/null; then
	echo "SKIP: cannot mount a tmpfs here (needs root)"
	rm -rf "$tmp"
	exit 77
fi
trap 'umount "$mnt"; rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# fill [PAGES]: takes all the space but PAGES pages of 4 KiB (default 0).
fill() {
	rm -f "$mnt/fill"
	local free=$(( $(stat -f -c %a "$mnt") - ${1:-0} ))
	[ "$free" -gt 0 ] && dd if=/dev/zero of="$mnt/fill" bs=4096 count="$free" 2>/dev/null
	[ "$(stat -f -c %a "$mnt")" -eq "${1:-0}" ] || fail "could not fill the tmpfs to ${1:-0} free pages"
}
unfill() { rm -f "$mnt/fill"; }

# full_disk NAME FILE...: the command in $tmp/out and $tmp/err failed as it
# should: non-zero, "No space left on device" naming a file in the tmpfs,
# the FILEs unchanged (each holds "old NAME"), no temp file left.
full_disk() {
	local name=$1 rc=$2; shift 2
	[ "$rc" -ne 0 ] || fail "$name: exit 0 on a full disk"
	grep -qE "^concbench: cannot write '[^']*': No space left on device$" "$tmp/err" ||
		fail "$name: no message naming the file: $(cat "$tmp/err")"
	for f in "$@"; do
		[ "$(cat "$f")" = "old ${name%%-*}" ] || fail "$name: $f changed on a failed write"
	done
	[ -z "$(find "$mnt" -name '*.tmp.*')" ] || fail "$name: temp files left: $(find "$mnt" -name '*.tmp.*')"
	if grep -qE 'Sanitizer|runtime error' "$tmp/err"; then fail "$name: sanitizer report"; cat "$tmp/err"; fi
}

# report of a micro run: only report.html and report.md are written.
cat >"$tmp/micro.json" <<'JSON'
{"schema":"concbench.results/1","machine":{"host":"h"},"config":{},
 "cells":[{"id":"sync/mutex/n2","kind":"micro","model":"threads","ns_per_op":21.5,"ops_per_s":4.6e7}]}
JSON
mkdir -p "$mnt/rep"
echo "old report" >"$mnt/rep/report.html"
echo "old report" >"$mnt/rep/report.md"
fill
"$CB" report "$tmp/micro.json" -o "$mnt/rep" >"$tmp/out" 2>"$tmp/err"
full_disk report $? "$mnt/rep/report.html" "$mnt/rep/report.md"
grep -qF "'$mnt/rep/report.html'" "$tmp/err" || fail "report: report.html not named: $(cat "$tmp/err")"
unfill
"$CB" report "$tmp/micro.json" -o "$mnt/rep" >"$tmp/out" 2>"$tmp/err" || fail "report with space: exit $?: $(cat "$tmp/err")"
grep -q "sync/mutex/n2" "$mnt/rep/report.html" || fail "report with space: report.html not replaced"
rm -rf "$mnt/rep"

# report of a run on a full disk: its chart data is the first thing to fail.
mkdir -p "$mnt/run"
fill
"$CB" report "$FIXTURE" -o "$mnt/run" >"$tmp/out" 2>"$tmp/err"
full_disk report-run $?
grep -qF "'$mnt/run/cpu.primes.scaling.dat'" "$tmp/err" || fail "report-run: .dat not named: $(cat "$tmp/err")"
[ ! -e "$mnt/run/report.html" ] || fail "report-run: report.html written after a failure"
unfill

# The chart data in place (rewriting it needs two pages at most), no room
# for a chart: gnuplot says nothing of a full disk, concbench must.
have_gnuplot=$(command -v "${CONCBENCH_GNUPLOT:-gnuplot}")
if [ -n "$have_gnuplot" ]; then
	CONCBENCH_GNUPLOT=/bin/false "$CB" plot "$FIXTURE" -o "$mnt/run" >/dev/null 2>&1
	echo "old report" >"$mnt/run/report.html"
	echo "old report" >"$mnt/run/cpu.primes-speedup.png"
	fill 2
	"$CB" report "$FIXTURE" -o "$mnt/run" >"$tmp/out" 2>"$tmp/err"
	full_disk report-chart $? "$mnt/run/report.html" "$mnt/run/cpu.primes-speedup.png"
	grep -qF "'$mnt/run/cpu.primes-speedup.png'" "$tmp/err" || fail "report-chart: chart not named: $(cat "$tmp/err")"
	unfill
else
	echo "skip: report charts (no gnuplot)"
fi
rm -rf "$mnt/run"

# baseline save: results/baselines/NAME.json under the working directory.
mkdir -p "$mnt/results/baselines"
echo "old baseline" >"$mnt/results/baselines/main.json"
fill
(cd "$mnt" && "$CB" baseline save main "$DATA/base.json") >"$tmp/out" 2>"$tmp/err"
full_disk baseline $? "$mnt/results/baselines/main.json"
grep -qF "'results/baselines/main.json'" "$tmp/err" || fail "baseline: file not named: $(cat "$tmp/err")"
unfill
(cd "$mnt" && "$CB" baseline save main "$DATA/base.json") >"$tmp/out" 2>"$tmp/err" ||
	fail "baseline with space: exit $?: $(cat "$tmp/err")"
cmp -s "$DATA/base.json" "$mnt/results/baselines/main.json" || fail "baseline with space: not replaced"
rm -rf "$mnt/results"

# compare's report on standard output, redirected into the full tmpfs.
fill
"$CB" compare "$DATA/base.json" "$DATA/base.json" >"$mnt/out.txt" 2>"$tmp/err"
rc=$?
[ "$rc" -ne 0 ] || fail "compare > full disk: exit 0"
grep -q "^concbench: cannot write the report to standard output: No space left on device$" "$tmp/err" ||
	fail "compare > full disk: $(cat "$tmp/err")"
rm -f "$mnt/out.txt"
unfill

# compare --chart: room for the .dat (one page), none for the chart.
if [ -n "$have_gnuplot" ]; then
	for ext in png svg; do
		echo "old chart" >"$mnt/ratio.$ext"
		fill 1
		"$CB" compare --chart "$mnt/ratio.$ext" "$DATA/base.json" "$DATA/slow10.json" >"$tmp/out" 2>"$tmp/err"
		full_disk chart "$?" "$mnt/ratio.$ext"
		grep -qF "'$mnt/ratio.$ext'" "$tmp/err" || fail "chart: $ext not named: $(cat "$tmp/err")"
		unfill
		rm -f "$mnt/ratio.dat"
		"$CB" compare --chart "$mnt/ratio.$ext" "$DATA/base.json" "$DATA/slow10.json" >"$tmp/out" 2>"$tmp/err"
		[ $? -eq 1 ] || fail "chart with space: want exit 1 (regression): $(cat "$tmp/err")"
		! echo "old chart" | cmp -s - "$mnt/ratio.$ext" || fail "chart with space: $ext not replaced"
		rm -f "$mnt/ratio".*
	done
else
	echo "skip: compare --chart (no gnuplot)"
fi

[ "$fails" -eq 0 ] && echo "full disk: all passed"
exit $((fails > 0))
