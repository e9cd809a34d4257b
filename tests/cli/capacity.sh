#!/usr/bin/env bash
# The parallel capacity: a cell whose PUs the machine does not fully give
# is never reported as if it had them. The capacity reading is injected
# (CB_CAPACITY_FAKE=PU:SPEED[:COUNT] caps the host probe's reading of that
# PU for the first COUNT readings of each measuring process), so that
# the behaviour is tested whatever this machine does; what the tests
# assert holds however busy it is.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
if [ "$(nproc)" -lt 2 ]; then echo "SKIP: one PU"; exit 77; fi
cell='cpu.primes/threads/n2/compact/dynamic:1'

# 1. PU 1 at half speed in every reading: the n2 cell never had full
#    capacity. It still reports, marked, with one warning naming it;
#    every checksum holds; exit 0; retakes are bounded (3 a round).
CB_CAPACITY_FAKE=1:0.5 "$bin" run --size tiny -w cpu.primes -s serial,threads -n 1,2 -r 3 --warmup 1 \
	-o "$tmp/half" >"$tmp/half.out" 2>"$tmp/half.err" || fail "run exited $?: $(cat "$tmp/half.err")"
f="$tmp/half/latest/results.json"
jq -e --arg id "$cell" '.cells[] | select(.id == $id) | .capacity.limited == true and .capacity.pus == 2
	and .capacity.median <= 1.5 + 1e-9 and .capacity.set_aside <= 3 and (.reps | length) == 3
	and ([.reps[] | .reduced_capacity] | all) and ([.reps_set_aside[] | .reduced_capacity or .serial_reduced] | all)
	and ([.reps[] | .pu_speed["1"] <= 0.5 + 1e-9] | all) and (.efficiency_at_capacity | type) == "number"' \
	"$f" >/dev/null || fail "n2 cell under a half PU 1: $(jq -c --arg id "$cell" '.cells[] | select(.id == $id) | .capacity' "$f")"
jq -e '[.cells[].checksum_ok] | all' "$f" >/dev/null || fail "a checksum failed"
# The terminal says it (alone, or grouped with other cells a busy machine
# also left short); warnings.txt has the whole sentence once.
grep -q "warning: $cell: the machine gave [0-9.]* of the 2 PUs this cell used\|warning: below full capacity in [0-9]* cells: cpu.primes (.*threads/n2" \
	"$tmp/half.err" || fail "no capacity warning for $cell on the terminal: $(cat "$tmp/half.err")"
w="$tmp/half/latest/warnings.txt"
n=$(grep -c "^$cell: the machine gave [0-9.]* of the 2 PUs this cell used (median over its repetitions, PU [01] at 0\.[0-9]*), never the full 2; its speedup" "$w")
[ "$n" -eq 1 ] || fail "expected one capacity warning naming $cell and a PU in warnings.txt, got $n: $(cat "$w")"
grep -q "$cell .*!" "$tmp/half.out" || fail "the table does not mark the n2 cell's capacity: $(cat "$tmp/half.out")"
echo "reduced capacity reported ok"

# 2. Only the first reading of each process is reduced: the repetition it
#    stands beside is set aside and retaken, and the cell's figures come
#    from the full-capacity repetitions only.
CB_CAPACITY_FAKE=1:0.5:1 "$bin" run -q --size tiny -w cpu.primes -s serial,threads -n 2 -r 3 --rounds 2 \
	-o "$tmp/once" 2>"$tmp/once.err" || fail "run exited $?: $(cat "$tmp/once.err")"
f="$tmp/once/latest/results.json"
jq -e --arg id "$cell" '.cells[] | select(.id == $id) | .capacity.set_aside >= 2
	and (.reps_set_aside | length) == .capacity.set_aside
	and ([.reps_set_aside[] | .reduced_capacity or .serial_reduced] | all) and .reps_set_aside[0].pu_speed["1"] <= 0.5 + 1e-9
	and (.reps | length) == 6' "$f" >/dev/null ||
	fail "a first reduced reading per process: $(jq -c --arg id "$cell" '.cells[] | select(.id == $id) | [.capacity, [.reps_set_aside[].pu_speed]]' "$f")"
# The median is over the repetitions that count: those at full capacity
# where the cell had any.
python3 - "$f" "$cell" <<'PY' || fail "the cell's median is not over its full-capacity repetitions"
import json, math, statistics, sys
d = json.load(open(sys.argv[1]))
c = next(c for c in d["cells"] if c["id"] == sys.argv[2])
full = [r["wall_s"] for r in c["reps"] if not r.get("reduced_capacity")]
kept = full or [r["wall_s"] for r in c["reps"]]
assert abs(c["stats"]["median_s"] - statistics.median(kept)) < 1e-12, (c["stats"], kept)
assert c["capacity"]["limited"] == (not full)
PY
echo "retake ok"

# 3. Paired speedups: each repetition of a parallel cell has a serial one
#    beside it (serial_s), and the speedup is the Hodges-Lehmann estimate
#    of their ratios; with
#    --speedup rounds none is taken; an I/O workload is never paired.
"$bin" run -q --size tiny -w cpu.primes,io.sleep -s serial,threads -n 2 -r 3 -o "$tmp/pairs" 2>/dev/null ||
	fail "paired run exited $?"
f="$tmp/pairs/latest/results.json"
jq -e --arg id "$cell" '.config.speedup_pairs == true and (.cells[] | select(.id == $id) |
	([.reps[] | .serial_s > 0] | all) and (.speedup_method == "paired repetitions" or .speedup_method == "ratio of medians"))' \
	"$f" >/dev/null || fail "no paired serial repetitions: $(jq -c --arg id "$cell" '.cells[] | select(.id == $id) | [.speedup_method, [.reps[].serial_s]]' "$f")"
python3 - "$f" "$cell" <<'PY' || fail "the paired speedup is not the Hodges-Lehmann estimate of serial_s / wall_s"
import json, math, statistics, sys
d = json.load(open(sys.argv[1]))
c = next(c for c in d["cells"] if c["id"] == sys.argv[2])
full = any(not r.get("reduced_capacity") for r in c["reps"])
pairs = [r["serial_s"] / r["wall_s"] for r in c["reps"]
         if (not full or not r.get("reduced_capacity")) and not r.get("serial_reduced")]
if len(pairs) >= 3:
    assert c["speedup_method"] == "paired repetitions", c["speedup_method"]
    logs = [math.log(x) for x in pairs]
    walsh = [(logs[i] + logs[j]) / 2 for i in range(len(logs)) for j in range(i, len(logs))]
    assert abs(c["speedup"] - math.exp(statistics.median(walsh))) < 1e-9, (c["speedup"], pairs)
PY
jq -e '[.cells[] | select(.workload == "io.sleep") | .reps[] | has("serial_s")] | any | not' "$f" >/dev/null ||
	fail "io.sleep was paired with serial repetitions"
"$bin" run -q --size tiny -w cpu.primes -s serial,threads -n 2 -r 3 --speedup rounds -o "$tmp/rounds" 2>/dev/null ||
	fail "--speedup rounds exited $?"
jq -e '.config.speedup_pairs == false and ([.cells[].reps[] | has("serial_s")] | any | not)' \
	"$tmp/rounds/latest/results.json" >/dev/null || fail "--speedup rounds still paired"
"$bin" run -q --size tiny -w cpu.primes --speedup often -o "$tmp/bad" 2>"$tmp/bad.err"
[ $? -eq 2 ] || fail "--speedup often did not exit 2"
grep -q "unknown --speedup 'often' (known: pairs, rounds)" "$tmp/bad.err" || fail "bad --speedup message: $(cat "$tmp/bad.err")"
echo "paired speedups ok"

# 4. Workers that had their PUs but did the work slower than alone (the
#    host put two vCPUs on one core, or they shared caches or memory):
#    their speed per CPU second against the paired serial repetitions is
#    injected at half of what was measured (CB_WORK_SPEED_FAKE=0.5). Each
#    repetition records it, the cell its median, and the run warns in one
#    line naming the cell and the figure, the table marks it with '~'.
#    Where a loaded machine left the cell short of its PUs, the capacity
#    warning says it instead (never both).
CB_WORK_SPEED_FAKE=0.5 "$bin" run --size tiny -w cpu.primes -s serial,threads -n 1,2 -r 3 \
	-o "$tmp/slow" >"$tmp/slow.out" 2>"$tmp/slow.err" || fail "run exited $?: $(cat "$tmp/slow.err")"
f="$tmp/slow/latest/results.json"
# (Each repetition has its figure; the cell's median is the halved one. A
# single repetition can read near 1 when the suite beside it slows its
# paired serial one: seen once in CI, [0.93, 0.57, 0.51].)
jq -e --arg id "$cell" '.cells[] | select(.id == $id) | ([.reps[] | .work_speed > 0] | all)
	and ([.reps[] | select(.work_speed < 0.85)] | length) * 2 > (.reps | length)
	and .capacity.work_speed < 0.85' "$f" >/dev/null ||
	fail "work_speed not recorded: $(jq -c --arg id "$cell" '.cells[] | select(.id == $id) | [.capacity, [.reps[].work_speed]]' "$f")"
jq -e '[.cells[] | select(.strategy == "serial") | .reps[] | has("work_speed")] | any | not' "$f" >/dev/null ||
	fail "the serial cell has a work_speed"
w="$tmp/slow/latest/warnings.txt"
if jq -e --arg id "$cell" '.cells[] | select(.id == $id) | .capacity.limited' "$f" >/dev/null; then
	grep -q "^$cell: the machine gave" "$w" || fail "a limited cell without its capacity warning: $(cat "$w")"
	grep -q "^$cell: its workers did" "$w" && fail "a limited cell warned twice: $(cat "$w")"
	echo "SKIP part: the machine left $cell short of its PUs"
else
	grep -q "^$cell: its workers did the job's work at 0\.[0-9]* of the serial speed per CPU second (the same work took [0-9.]*x the CPU time) while they had their 2 PUs" \
		"$w" || fail "no slowed-workers warning for $cell in warnings.txt: $(cat "$w")"
	grep -q "warning: $cell: its workers did\|warning: workers slowed at the same work in [0-9]* cells: cpu.primes (.*threads/n2" \
		"$tmp/slow.err" || fail "no slowed-workers warning on the terminal: $(cat "$tmp/slow.err")"
	grep -q "$cell .*[0-9]~" "$tmp/slow.out" || fail "the table does not mark the slowed cell: $(cat "$tmp/slow.out")"
fi
echo "slowed workers reported ok"
