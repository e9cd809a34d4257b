#!/usr/bin/env bash
# results/README.md's schema is a contract: each of its tables (the top
# level, a cell, a repetition) parses as one Markdown table, no line of
# prose inside it, and every key a real run writes, at the top level, in a
# cell (an io workload's and a traced one's included) and in a repetition,
# is a row of its table.
set -u
source "$(dirname "$0")/common.bash"
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }

expect 0 "$CB" run -q -w cpu.primes,io.sleep -s serial,threads -n 1,2 --size tiny -r 1 --warmup 0 --trace \
	-o "$tmp/runs"
python3 - "$SRC/results/README.md" "$tmp/runs/latest/results.json" <<'PY' || fail "the schema in results/README.md"
import json, re, sys

text = open(sys.argv[1]).read().split("\n")
doc = json.load(open(sys.argv[2]))

def table_after(intro):
    """The rows of the table that follows the line `intro`: header, the
    |---| line, then rows up to the first line that is not a row."""
    i = next(k for k, l in enumerate(text) if l.strip() == intro)
    while not text[i].startswith("|"):
        i += 1
    header = text[i]
    assert re.match(r"^\|(\s*-+\s*\|)+$", text[i + 1]), f"{intro} the table has no |---| line"
    ncols = header.count("|") - 1
    rows, k = [], i + 2
    while k < len(text) and text[k].startswith("|"):
        # a | inside backticks is not a column separator
        cells = re.sub(r"`[^`]*`", lambda m: m.group(0).replace("|", "/"), text[k]).count("|") - 1
        assert cells == ncols, f"{intro} line {k + 1}: {cells} columns, want {ncols}"
        rows.append(text[k])
        k += 1
    return rows, k

def keys_of(rows):
    keys = set()
    for r in rows:
        first = r.split("|")[1]
        keys.update(re.findall(r"`([a-z_0-9]+)`", first))
    return keys

failures = []
def check(intro, obj_keys, what):
    rows, end = table_after(intro)
    documented = keys_of(rows)
    missing = sorted(set(obj_keys) - documented)
    if missing:
        failures.append(f"{what}: written but not a row of the table after '{intro}': {', '.join(missing)}")
    # a row cut off from its table by prose, before the next heading
    for k in range(end, len(text)):
        l = text[k]
        if l.startswith("#") or (l.startswith("|") and k + 1 < len(text) and text[k + 1].startswith("|--")):
            break
        if l.startswith("| `"):
            failures.append(f"{what}: the row '{l[:50]}' sits outside its table")
    return documented

check("Top level:", doc.keys(), "top level")
cell_keys = set().union(*(c.keys() for c in doc["cells"]))
check("A cell (one workload x strategy x workers x concurrency x pin x schedule):", cell_keys, "cell")
rep_keys = set().union(*(r.keys() for c in doc["cells"] for r in c["reps"]))
check("A repetition:", rep_keys, "repetition")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
PY

[ "$failures" -eq 0 ] && echo "results schema: all passed"
exit $((failures > 0))
