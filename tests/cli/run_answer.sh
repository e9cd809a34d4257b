#!/usr/bin/env bash
# run ends with the answer: the report written into the run folder, the
# warnings grouped by kind in at most 8 lines (every one in warnings.txt),
# one line per workload naming the same best model and load as the
# report's summary table, and the report's path last. --no-report and -q
# write no report and print no answer.
set -u
source "$(dirname "$0")/common.bash"
command -v "${CONCBENCH_GNUPLOT:-gnuplot}" >/dev/null || { echo "SKIP: gnuplot is not installed"; exit 77; }

wls="cpu.primes io.sleep synth.amdahl"
expect 0 "$CB" run -w cpu.primes,io.sleep,synth.amdahl -s serial,threads,processpool -n 1,2 --size tiny -r 3 \
	--warmup 0 --seed 3 -o "$tmp/runs"
d=$(readlink -f "$tmp/runs/latest")
cp "$tmp/out" "$tmp/run.out"
cp "$tmp/err" "$tmp/run.err"
[ -s "$d/report.html" ] && [ -s "$d/report.md" ] || fail "run wrote no report into $d"
tail -1 "$tmp/run.out" | grep -qx "report: $d/report.html" || fail "the last line is not the report's path: $(tail -1 "$tmp/run.out")"

# One answer line per workload, just before the report's path, agreeing
# with the report's summary table on the best model and its load.
n=$(grep -c '^[a-z.]*: best ' "$tmp/run.out")
[ "$n" -eq 3 ] || fail "$n answer lines, want 3: $(cat "$tmp/run.out")"
tail -4 "$tmp/run.out" | head -3 | grep -qv ': best ' && fail "the answer is not at the end: $(tail -4 "$tmp/run.out")"
for wl in $wls; do
	ans=$(grep "^$wl: best " "$tmp/run.out") || { fail "no answer line for $wl"; continue; }
	model=$(sed -E 's/^[^:]*: best ([^ ]+) at (concurrency )?([0-9.]+).*/\1 (\3)/' <<<"$ans")
	row=$(grep "^| $wl |" "$d/report.md" | head -1)
	best=$(awk -F' \\| ' '{ print $(NF-1) }' <<<"$row" | sed 's/ (efficiency .* at one worker.*//')
	[ -n "$best" ] && [ "$model" = "$best" ] || fail "$wl: the answer says '$model', the report's summary '$best'"
	grep -q "main loss\|near ideal\|nothing to compare" <<<"$ans" || fail "$wl: the answer gives no loss: $ans"
	grep -qE "beyond noise|within noise|only model" <<<"$ans" || fail "$wl: the answer does not say whether the lead is beyond noise: $ans"
done

# Warnings: at most 8 lines, grouped by kind; every one in warnings.txt.
w=$(grep -c '^concbench: warning: ' "$tmp/run.err")
[ "$w" -le 8 ] || fail "$w warning lines, want at most 8: $(cat "$tmp/run.err")"
if [ -f "$d/warnings.txt" ]; then
	total=$(wc -l <"$d/warnings.txt")
	[ "$total" -ge "$w" ] || fail "warnings.txt has $total lines, fewer than the $w said"
	if [ "$total" -gt "$w" ]; then
		grep -q "warnings in all, one a line: .*warnings.txt" "$tmp/run.err" || fail "the terminal does not point at warnings.txt"
	fi
	grep -q 'cv above 5% in [0-9]* cells' "$tmp/run.err" || [ "$(grep -c 'cv .* above 5%' "$d/warnings.txt")" -le 1 ] ||
		fail "cv warnings not grouped: $(cat "$tmp/run.err")"
fi

# No report: no answer, no report file, the results line as before.
for flag in --no-report -q; do
	expect 0 "$CB" run -w cpu.primes -s serial -n 1 --size tiny -r 1 --warmup 0 $flag -o "$tmp/$flag"
	[ ! -e "$tmp/$flag/latest/report.html" ] || fail "$flag: a report was written"
	lacks out ": best "
	[ "$flag" = -q ] || contains err "results in"
done

[ "$failures" -eq 0 ] && echo "run answer: all passed"
exit $((failures > 0))
