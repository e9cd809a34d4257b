#!/usr/bin/env bash
# cmake --install: concbench, concbench-mpi, the chart templates, the Python
# twins and the workload header land under the prefix, and the installed
# binary, run from another folder, measures, writes the report with its own
# templates (a template taken out of the prefix is missed, though the
# source tree still has it), and ends with the answer.
set -u
source "$(dirname "$0")/common.bash"
command -v cmake >/dev/null || { echo "SKIP: cmake is not installed"; exit 77; }
command -v "${CONCBENCH_GNUPLOT:-gnuplot}" >/dev/null || { echo "SKIP: gnuplot is not installed"; exit 77; }
build=$(dirname "$CB")
[ -f "$build/cmake_install.cmake" ] || { echo "SKIP: $build is not a CMake build folder"; exit 77; }

p=$tmp/prefix
expect 0 cmake --install "$build" --prefix "$p"
for f in bin/concbench share/concbench/plots/common.gp share/concbench/plots/heatmap.gp \
	share/concbench/python/primes.py include/concbench/workload.h; do
	[ -f "$p/$f" ] || fail "not installed: $f"
done
[ ! -x "$build/concbench-mpi" ] || [ -x "$p/bin/concbench-mpi" ] || fail "concbench-mpi was built but not installed"

mkdir -p "$tmp/elsewhere"
cd "$tmp/elsewhere" || exit 1
expect 0 "$p/bin/concbench" run --size tiny -w cpu.primes -s serial,threads -n 1,2 -r 2 --warmup 0
d=$(readlink -f results/latest)
[ -s "$d/report.html" ] || fail "run did not write report.html"
[ -s "$d/summary-heatmap.svg" ] || fail "run did not draw the heat map"
grep -q '^cpu.primes: best ' "$tmp/out" || fail "run did not end with the answer: $(tail -3 "$tmp/out")"
tail -1 "$tmp/out" | grep -q "^report: .*report.html$" || fail "the last line is not the report's path: $(tail -1 "$tmp/out")"
expect 0 "$p/bin/concbench" report results/latest/results.json
contains out "report.html"

# The installed templates are the ones used: without its heatmap.gp the
# installed binary cannot draw the heat map (exit 3), the reports still written.
rm "$p/share/concbench/plots/heatmap.gp"
expect 3 "$p/bin/concbench" report results/latest/results.json -o "$tmp/rep2"
contains err "heatmap"
[ -s "$tmp/rep2/report.md" ] || fail "report.md not written without a template"

[ "$failures" -eq 0 ] && echo "install: all passed"
exit $((failures > 0))
