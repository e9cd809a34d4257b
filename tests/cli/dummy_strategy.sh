#!/usr/bin/env bash
# A strategy is one file plus one table line: concbench-dummy is concbench
# with tests/dummy/dummy_strategy.c and its table line (CB_EXTRA_STRATEGY in
# strategies/registry.c), nothing else. The strategy "dummy" then appears
# in list, in the quick suite, runs, and has its colour from the table on
# the charts; test_conformance_dummy runs the conformance suite on it.
set -u
source "$(dirname "$0")/common.bash"
D=$(dirname "$CB")/concbench-dummy
[ -x "$D" ] || { echo "FAIL: $D not built"; exit 1; }

expect 0 "$D" list strategies
contains out "dummy"
expect 0 "$CB" list strategies
lacks out "dummy"
expect 0 "$D" list strategies --format json
contains out '"name": "dummy"'

# The quick suite takes every in-process strategy: the new one too (the
# filter leaves every cell out, so nothing is measured).
expect 0 "$D" run --suite quick -w cpu.primes --benchmark_filter='^NOMATCH$' --no-report -q -o "$tmp/quick"
python3 - "$tmp/quick/latest/results.json" <<'PY' || fail "the quick suite lacks dummy"
import json, sys
d = json.load(open(sys.argv[1]))
assert "dummy" in d["config"]["strategies"], d["config"]["strategies"]
assert any(c["strategy"] == "dummy" for c in d["cells"]), [c["id"] for c in d["cells"]]
PY

# It runs, and its answers are checked like every strategy's.
expect 0 "$D" run -w cpu.primes -s serial,dummy -n 1,2 --size tiny -r 1 --warmup 0 --no-report -q -o "$tmp/run"
python3 - "$tmp/run/latest/results.json" <<'PY' || fail "dummy's cells did not run"
import json, sys
d = json.load(open(sys.argv[1]))
cells = [c for c in d["cells"] if c["strategy"] == "dummy"]
assert len(cells) == 2 and all(c.get("checksum_ok") for c in cells), cells
PY

# Every chart is given the table's colours: dummy's 0x123456 among them.
cat >"$tmp/gnuplot" <<SH
#!/bin/sh
printf '%s\n' "\$2" >>"$tmp/preambles"
exit 0
SH
chmod +x "$tmp/gnuplot"
CONCBENCH_GNUPLOT=$tmp/gnuplot "$D" plot "$tmp/run/latest/results.json" -o "$tmp/fake" >/dev/null 2>&1
grep -q "strategy_names = '[^']*dummy'" "$tmp/preambles" 2>/dev/null || fail "charts not given dummy's name"
grep -q "strategy_colours = '[^']* 1193046'" "$tmp/preambles" 2>/dev/null || fail "charts not given dummy's colour"
if command -v gnuplot >/dev/null; then
	expect 0 "$D" plot "$tmp/run/latest/results.json" -o "$tmp/plot"
	grep -q "rgb( 18,  52,  86)" "$tmp/plot/cpu.primes-speedup.svg" || fail "the speedup chart has no line in dummy's colour"
fi

[ "$failures" -eq 0 ] && echo "dummy_strategy: one file and one table line: listed, in the quick suite, run, charted"
exit $((failures > 0))
