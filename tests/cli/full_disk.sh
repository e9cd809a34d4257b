#!/usr/bin/env bash
# Outputs on a full disk: report, compare --chart, compare's standard output,
# baseline save and run, each on a tiny tmpfs. Every one must exit non-zero with
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

# run -o with no room at all: nothing is measured, the run fails naming
# the file, and neither a run folder nor a latest link is left behind.
# --checkpoint 0: results.json after every cell, so that the disk fills
# between two cells of a run this short.
runargs=(run -w cpu.primes,synth.amdahl -s serial,threads -n 1,2 --size tiny -r 2 --warmup 0 --seed 1 --checkpoint 0)
mkdir -p "$mnt/run0"
fill
"$CB" "${runargs[@]}" -q -o "$mnt/run0" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -ne 0 ] || fail "run-none: exit 0 on a full disk"
grep -qE "^concbench: cannot write '$mnt/run0/[^']*/results.json': No space left on device$" "$tmp/err" ||
	fail "run-none: no message naming results.json: $(cat "$tmp/err")"
[ -z "$(ls -A "$mnt/run0")" ] || fail "run-none: left in the results root: $(ls -A "$mnt/run0")"
unfill
rm -rf "$mnt/run0"

# run -o with room for only some of its results writes (results.json is
# rewritten after every cell): every cell is measured and shown, the run
# exits 1 with a last line naming the cells not on disk, and the files on
# disk are the last complete pair written, with no temp file left.
"$CB" "${runargs[@]}" -q -o "$tmp/ref" >/dev/null 2>&1 || fail "run-ref: exit $?"
ref=$tmp/ref/latest
jq -r '.cells[].id' "$ref/results.json" | sort >"$tmp/ids"
ncells=$(wc -l <"$tmp/ids")
# Each write holds the old pair and the new one at once: room for the pair
# of the whole run, and a page, lets the early writes through and stops
# the late ones.
bytes=$(( $(stat -c %s "$ref/results.json") + $(stat -c %s "$ref/results.csv") ))
room=$(( (bytes + 4095) / 4096 + 1 ))
rmnt=$tmp/runmnt
mkdir -p "$rmnt"
if mount -t tmpfs -o size=$(( (room + 16) * 4 ))k tmpfs "$rmnt" 2>/dev/null; then
	trap 'umount "$rmnt" 2>/dev/null; umount "$mnt"; rm -rf "$tmp"' EXIT
	mkdir -p "$rmnt/res"
	free=$(( $(stat -f -c %a "$rmnt") - room ))
	dd if=/dev/zero of="$rmnt/fill" bs=4096 count="$free" 2>/dev/null
	"$CB" "${runargs[@]}" -o "$rmnt/res" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 1 ] || fail "run-some: want exit 1, got $rc: $(cat "$tmp/err")"
	last=$(tail -n 1 "$tmp/err")
	grep -qE "^concbench: cannot write '$rmnt/res/[^']*': No space left on device; .*results.json is the last complete document, without these [0-9]+ cells" <<<"$last" ||
		fail "run-some: last line does not name the cells not on disk: $last"
	doc=$rmnt/res/latest/results.json
	jq -e '.schema == "concbench.results/1" and .complete == false' "$doc" >/dev/null ||
		fail "run-some: results.json is not a complete document of an unfinished run"
	jq -r '.cells[] | select((.reps | length) == 2) | .id' "$doc" | sort >"$tmp/on_disk"
	comm -23 "$tmp/ids" "$tmp/on_disk" >"$tmp/lost_want"
	sed -e 's/.*or their latest repetitions: //' -e 's/, /\n/g' <<<"$last" | sort >"$tmp/lost_said"
	[ -s "$tmp/on_disk" ] || fail "run-some: no cell reached the disk (room for $room pages of $bytes bytes)"
	[ -s "$tmp/lost_want" ] || fail "run-some: every cell reached the disk (room for $room pages of $bytes bytes)"
	cmp -s "$tmp/lost_want" "$tmp/lost_said" ||
		fail "run-some: the cells named are not the cells missing: said $(tr '\n' ' ' <"$tmp/lost_said"), missing $(tr '\n' ' ' <"$tmp/lost_want")"
	[ "$(( $(wc -l <"$rmnt/res/latest/results.csv") - 1 ))" -eq "$(jq '.cells | length' "$doc")" ] ||
		fail "run-some: results.csv and results.json describe different cells"
	[ "$(grep -cE '^(cpu.primes|synth.amdahl)/' "$tmp/out")" -eq "$ncells" ] ||
		fail "run-some: the table does not show every measured cell: $(cat "$tmp/out")"
	[ -z "$(find "$rmnt" -name '*.tmp.*')" ] || fail "run-some: temp files left: $(find "$rmnt" -name '*.tmp.*')"
	if grep -qE 'Sanitizer|runtime error' "$tmp/err"; then fail "run-some: sanitizer report"; cat "$tmp/err"; fi
	umount "$rmnt"
else
	echo "skip: run with room for some writes (cannot mount a second tmpfs)"
fi

[ "$fails" -eq 0 ] && echo "full disk: all passed"
exit $((fails > 0))
