#!/usr/bin/env bash
# `run --trace`: trace.json is Chrome trace event JSON with one complete
# event per task of each cell (one track per executor, durations inside the
# traced repetition), the traced repetition stays out of the statistics,
# the cap per executor holds and is stated, and no temp file is left.
# Under a static schedule mandelbrot's two halves differ in work, and the
# trace shows it; a dynamic schedule evens the executors out.
set -u
: "${CONCBENCH:?set CONCBENCH to the concbench binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to read trace.json"; exit 77; }

run() {  # name schedule [extra args]
	local name=$1 sched=$2
	shift 2
	"$CONCBENCH" run -w cpu.mandelbrot -s serial,threads -n 2 --size quick --schedule "$sched" -r 2 --warmup 0 \
		--seed 1 -q -o "$tmp/$name" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" ||
		fail "$name: exit $? ($(cat "$tmp/$name.err"))"
}

# Prints "imbalance" of the threads cell and checks the file's shape.
check() {  # dir cap
	python3 - "$1" "$2" <<'PY'
import json, sys
d, cap = sys.argv[1], int(sys.argv[2])
t = json.load(open(d + "/trace.json"))
r = json.load(open(d + "/results.json"))
bad = []
meta = {c["id"]: c for c in t["otherData"]["cells"]}
if t["otherData"]["cap_per_executor"] != cap:
    bad.append("cap_per_executor %s, want %d" % (t["otherData"]["cap_per_executor"], cap))
for cell in r["cells"]:
    m = meta.get(cell["id"])
    if not m:
        bad.append("no trace of " + cell["id"]); continue
    ev = [e for e in t["traceEvents"] if e["ph"] == "X" and e["pid"] == m["pid"]]
    tids = {e["tid"] for e in ev}
    if len(tids) != cell["workers"]:
        bad.append("%s: %d tracks, want one per worker (%d)" % (cell["id"], len(tids), cell["workers"]))
    names = {e["tid"] for e in t["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name" and e["pid"] == m["pid"]}
    if names != tids:
        bad.append("%s: tracks not named" % cell["id"])
    kept = sum(min(n, cap) for n in cell["trace"]["tasks"])
    if len(ev) != kept or m["events"] != kept or m["events"] + m["dropped"] != cell["ntasks"]:
        bad.append("%s: %d events, %d dropped, want %d tasks (cap %d)" % (cell["id"], len(ev), m["dropped"], cell["ntasks"], cap))
    if cap >= cell["ntasks"] and sorted(e["args"]["task"] for e in ev) != list(range(cell["ntasks"])):
        bad.append("%s: not one event per task" % cell["id"])
    for e in ev:
        if e["dur"] < 0 or e["ts"] < m["par_start_us"] - 0.002 or e["ts"] + e["dur"] > m["par_end_us"] + 0.002:
            bad.append("%s: event %s outside the parallel section [%s, %s]" % (cell["id"], e, m["par_start_us"], m["par_end_us"])); break
    if len(cell["reps"]) != r["config"]["reps"]:
        bad.append("%s: %d repetitions in the statistics, want %d (the traced one left out)" % (cell["id"], len(cell["reps"]), r["config"]["reps"]))
    if cell["strategy"] == "threads":
        print(max(cell["trace"]["busy_s"]) / min(cell["trace"]["busy_s"]))
for b in bad:
    print("FAIL: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

run static static --trace
d=$(ls -d "$tmp"/static/*/ | head -1)
ratio_static=$(check "$d" 5000) || fail "static: trace.json (see above)"
ls -a "$d" | grep -q '\.tmp' && fail "static: temp files left in the run folder: $(ls -a "$d")"
python3 -c "import sys; sys.exit(0 if float('$ratio_static') >= 1.3 else 1)" ||
	fail "static: executors' busy times differ by $ratio_static, want >= 1.3 (static blocks of an unbalanced image)"

run dynamic dynamic --trace
d=$(ls -d "$tmp"/dynamic/*/ | head -1)
ratio_dynamic=$(check "$d" 5000) || fail "dynamic: trace.json (see above)"
python3 -c "import sys; sys.exit(0 if float('$ratio_dynamic') < float('$ratio_static') else 1)" ||
	fail "dynamic: busy ratio $ratio_dynamic, want below the static schedule's $ratio_static"

# The cap: each executor keeps its first 50 tasks and counts the rest.
run cap dynamic --trace=50
d=$(ls -d "$tmp"/cap/*/ | head -1)
check "$d" 50 >/dev/null || fail "cap: trace.json (see above)"

# Without --trace: no trace.json, no trace in the results.
run plain dynamic
d=$(ls -d "$tmp"/plain/*/ | head -1)
[ ! -e "$d/trace.json" ] || fail "plain: trace.json written without --trace"
grep -q '"trace"' "$d/results.json" && fail "plain: results.json holds a trace"

"$CONCBENCH" run -w cpu.primes -s serial --trace=0 -o "$tmp/bad" >/dev/null 2>"$tmp/bad.err"
[ $? -eq 2 ] && grep -q -- "--trace=0" "$tmp/bad.err" || fail "--trace=0: want exit 2 naming it"

[ "$fails" -eq 0 ] && echo "run --trace: all passed (busy ratio static $ratio_static, dynamic $ratio_dynamic)"
exit $((fails > 0))
