#!/usr/bin/env bash
# `concbench plot` and `concbench report` on the synthetic fixture: charts
# and data written, a self-contained HTML report, the warnings, and exit 3
# with the tables still written when gnuplot is missing or fails.
set -u
: "${CONCBENCH:?set CONCBENCH to the concbench binary}"
SRC=${CB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
FIXTURE=$SRC/tests/data/results-synthetic.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
charts="cpu.primes-speedup cpu.primes-efficiency cpu.primes-phases cpu.primes-karp-flatt
        synth.amdahl-speedup synth.amdahl-efficiency synth.amdahl-phases synth.amdahl-karp-flatt
        io.sleep-throughput io.sleep-latency"

# plot: into the results file's folder by default.
mkdir -p "$tmp/run"
cp "$FIXTURE" "$tmp/run/results.json"
"$CONCBENCH" plot "$tmp/run/results.json" >"$tmp/plot.out" 2>"$tmp/plot.err" || fail "plot: exit $? ($(cat "$tmp/plot.err"))"
for c in $charts; do
	head -c 8 "$tmp/run/$c.png" | grep -q PNG || fail "plot: $c.png missing or not PNG"
	grep -q '<svg' "$tmp/run/$c.svg" 2>/dev/null || fail "plot: $c.svg missing or not SVG"
	grep -qx "$tmp/run/$c.png" "$tmp/plot.out" || fail "plot: did not name $c.png"
done
for w in cpu.primes synth.amdahl io.sleep; do
	for d in scaling fits phases; do
		[ -s "$tmp/run/$w.$d.dat" ] || fail "plot: $w.$d.dat missing"
	done
done
grep -q 'ci-runner-4' "$tmp/run/cpu.primes-speedup.svg" || fail "plot: caption lacks the machine"
[ -z "$(ls "$tmp/run" | grep '\.tmp\.')" ] || fail "plot: left temp files"

# report: HTML with every chart inline, Markdown with PNG links.
"$CONCBENCH" report "$FIXTURE" -o "$tmp/rep" >"$tmp/rep.out" 2>"$tmp/rep.err" || fail "report: exit $?"
html=$tmp/rep/report.html md=$tmp/rep/report.md
[ "$(grep -c "<svg" "$html")" -eq 11 ] || fail "report.html: want 11 inline SVG charts (10 and the summary heat map)"
! grep -q '<?xml' "$html" || fail "report.html: XML prolog inside HTML"
! grep -q '<img\|src=' "$html" || fail "report.html: refers to outside files"
for s in Machine Warnings Configuration 'Verdict' 'Fits' 'Scaling table' "Little's law" ci-runner-4; do
	grep -q "$s" "$html" || fail "report.html lacks '$s'"
	grep -q "$s" "$md" || fail "report.md lacks '$s'"
done
grep -o '](\([^)]*\.png\))' "$md" | tr -d ']()' | while read -r png; do
	[ -f "$tmp/rep/$png" ] || echo "FAIL: report.md links missing $png"
done | grep . && fails=$((fails + 1))
[ "$(grep -c '\.png)' "$md")" -eq 11 ] || fail "report.md: want 11 chart links"
grep -qx "$html" "$tmp/rep.out" || fail "report: did not print the HTML path"
for w in "cv 5.3% above 5%" "CPU migrations in a repetition despite pin 'compact'" \
         "governor is 'powersave'" "oversubscribed (256 workers on 4 usable PUs)" "wrong answer"; do
	grep -qF "concbench: warning:" "$tmp/rep.err" || fail "report: no warnings on stderr"
	# The terminal groups them by kind; warnings.txt has every one.
	grep -qF "$w" "$tmp/rep/warnings.txt" || fail "warnings.txt lacks warning '$w'"
	grep -qF "$w" "$md" || fail "report.md lacks warning '$w'"
done
[ "$(grep -c '^concbench: warning:' "$tmp/rep.err")" -le 8 ] || fail "report: more than 8 warning lines: $(cat "$tmp/rep.err")"
grep -q 'oversubscribed' "$tmp/rep.err" || fail "report stderr does not name the oversubscribed cells"
grep -qF "warnings in all, one a line: $tmp/rep/warnings.txt" "$tmp/rep.err" || fail "report stderr does not point at warnings.txt"

# Machine conditions that mislead: load, clocksource, governor.
jq '.machine.loadavg = [3.5, 1, 1] | .machine.clocksource = "hpet" | .machine.governor = "performance" |
    .complete = false' "$FIXTURE" >"$tmp/machine.json"
"$CONCBENCH" report "$tmp/machine.json" -o "$tmp/mach" >/dev/null 2>"$tmp/mach.err" || fail "machine: exit $?"
grep -q "load average 3.50 at the start is above 0.5 per PU" "$tmp/mach.err" || fail "no load warning"
# Where the file says what was runnable at the start, that decides, not the
# lagging load average: a busy minute before the run (a build) is no
# competition, two other runnable tasks on 2 PUs are.
jq '.machine.loadavg = [3.5, 1, 1] | .machine.runnable_others = 0.1' "$FIXTURE" >"$tmp/idle.json"
"$CONCBENCH" report "$tmp/idle.json" -o "$tmp/idle" >/dev/null 2>"$tmp/idle.err" || fail "idle: exit $?"
! grep -qE "load average|runnable at the start" "$tmp/idle.err" || fail "warned of load with nothing runnable: $(cat "$tmp/idle.err")"
jq '.machine.loadavg = [0, 0, 0] | .machine.runnable_others = 3.2' "$FIXTURE" >"$tmp/busy.json"
"$CONCBENCH" report "$tmp/busy.json" -o "$tmp/busy" >/dev/null 2>"$tmp/busy.err" || fail "busy: exit $?"
grep -q "3.2 other tasks were runnable at the start on average, above 0.5 per PU" "$tmp/busy.err" ||
  fail "no warning with 3.2 other tasks runnable: $(cat "$tmp/busy.err")"
"$CONCBENCH" run -q -w cpu.primes -s serial -n 1 --size tiny -r 1 --rounds 1 -o "$tmp/rr" >/dev/null 2>&1 || fail "run for runnable_others: exit $?"
jq -e '.machine.runnable_others | type == "number" and . >= 0' "$tmp/rr/latest/results.json" >/dev/null ||
  fail "results.json lacks machine.runnable_others"
grep -q "clocksource is 'hpet'" "$tmp/mach.err" || fail "no clocksource warning"
grep -q "run is incomplete" "$tmp/mach.err" || fail "no incomplete-run warning"
! grep -q "governor" "$tmp/mach.err" || fail "warned about the performance governor"

# Names from the results file are text everywhere in report.html: in the
# title, the tables and the inline SVG charts alike.
jq '.machine.host = "<script>x</script> & co" | .cells |= map(.workload |= sub("cpu.primes"; "cpu<i>p&q"))' \
	"$FIXTURE" >"$tmp/markup.json"
"$CONCBENCH" report "$tmp/markup.json" -o "$tmp/markup" >/dev/null 2>"$tmp/markup.err" || fail "markup: exit $?"
! grep -q '<script\|<i>' "$tmp/markup/report.html" || fail "markup: report.html holds markup from the file"
grep -qF '<title>concbench report: &lt;script&gt;x&lt;/script&gt; &amp; co</title>' "$tmp/markup/report.html" ||
	fail "markup: title not escaped"
[ "$(grep -c '<svg' "$tmp/markup/report.html")" -eq 11 ] || fail "markup: want 11 inline SVG charts"

# gnuplot failing or missing: reports written without charts, exit 3.
CONCBENCH_GNUPLOT=/bin/false "$CONCBENCH" report "$FIXTURE" -o "$tmp/false" >/dev/null 2>"$tmp/false.err"
rc=$?
[ "$rc" -eq 3 ] || fail "gnuplot /bin/false: exit $rc, want 3"
grep -q "^concbench: '/bin/false' failed on .*speedup.gp (exit 1)" "$tmp/false.err" || fail "gnuplot failure not named"
grep -q 'Charts: none drawn' "$tmp/false/report.html" || fail "report.html does not say why charts are missing"
grep -q 'Scaling table' "$tmp/false/report.md" || fail "report.md lacks the tables without gnuplot"
[ -s "$tmp/false/cpu.primes.scaling.dat" ] || fail "no .dat without gnuplot"

env PATH=/nonexistent "$CONCBENCH" report "$FIXTURE" -o "$tmp/nopath" >/dev/null 2>"$tmp/nopath.err"
rc=$?
[ "$rc" -eq 3 ] || fail "no gnuplot in PATH: exit $rc, want 3"
grep -q "cannot run 'gnuplot'.*install gnuplot-nox" "$tmp/nopath.err" || fail "missing gnuplot not named"
[ -s "$tmp/nopath/report.html" ] && [ -s "$tmp/nopath/report.md" ] || fail "reports not written without gnuplot"

env PATH=/nonexistent "$CONCBENCH" plot "$FIXTURE" -o "$tmp/noplot" >/dev/null 2>&1
[ $? -eq 3 ] || fail "plot without gnuplot: want exit 3"
mkdir -p "$tmp/empty"
CONCBENCH_PLOTS=$tmp/empty "$CONCBENCH" plot "$FIXTURE" -o "$tmp/notpl" >/dev/null 2>"$tmp/notpl.err"
[ $? -eq 3 ] || fail "plot without templates: want exit 3"
grep -q 'no chart templates found' "$tmp/notpl.err" || fail "missing templates not named"

# Usage errors.
"$CONCBENCH" report "$tmp/nope.json" >/dev/null 2>"$tmp/e1"
[ $? -eq 2 ] && grep -q "cannot open" "$tmp/e1" || fail "report on a missing file: want exit 2"
"$CONCBENCH" plot >/dev/null 2>"$tmp/e2"
[ $? -eq 2 ] && grep -q "expected one results file" "$tmp/e2" || fail "plot without file: want exit 2"
"$CONCBENCH" report --bogus "$FIXTURE" >/dev/null 2>"$tmp/e3"
[ $? -eq 2 ] && grep -q "unknown option" "$tmp/e3" || fail "report --bogus: want exit 2"

[ "$fails" -eq 0 ] && echo "plot, report: all passed"
exit $((fails > 0))
