#!/bin/bash
# CLI tests of `concbench export`: each format from a fresh run and from
# tests/data/export; the JSON shapes validated against the JSON Schemas in
# tests/data/schema; Bencher's latency equal to the cells' medians in ns;
# failed cells left out of the JSON and marked in CSV; -o written
# atomically; bad input exits 2 with one line naming what was wrong.
set -u
. "$(dirname "$0")/common.bash"
SCHEMA=$SRC/tests/data/schema

py=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import jsonschema' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || { echo "SKIP: no python3 with jsonschema (scripts/deps installs python3-jsonschema)"; exit 77; }

# check RESULTS FORMAT EXPORT: the export against its schema and the file
check() {
	"$py" - "$@" <<'PY' || fail "export check: $*"
import json, math, sys
import jsonschema
results, fmt, path, schema_dir = sys.argv[1:5]
doc = json.load(open(results))
out = json.load(open(path))
schema = {"bencher": "bencher-metric-format"}.get(fmt, "github-action-benchmark")
schema = json.load(open(f"{schema_dir}/{schema}.schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.Draft202012Validator(schema).validate(out)
ran = [c for c in doc["cells"] if not c.get("error") and not c.get("skipped")]
close = lambda a, b: math.isclose(a, b, rel_tol=1e-9)
if fmt == "bencher":
    assert set(out) == {c["id"] for c in ran}, "cells differ"
    for c in ran:
        m, s = out[c["id"]], c["stats"]
        assert close(m["latency"]["value"], s["median_s"] * 1e9), c["id"]
        assert close(m["latency"]["lower_value"], s["min_s"] * 1e9), c["id"]
        assert close(m["latency"]["upper_value"], s["max_s"] * 1e9), c["id"]
        assert close(m["throughput"]["value"], c["throughput"]), c["id"]
        if c.get("speedup") is not None:
            assert close(m["speedup"]["value"], c["speedup"]), c["id"]
            assert close(m["efficiency"]["value"], c["efficiency"]), c["id"]
            assert m["speedup"]["lower_value"] <= m["speedup"]["value"] <= m["speedup"]["upper_value"]
elif fmt == "github-action-benchmark":
    assert [e["name"] for e in out] == [c["id"] for c in ran]
    for e, c in zip(out, ran):
        assert e["unit"] == "ns" and close(e["value"], c["stats"]["median_s"] * 1e9), c["id"]
        assert "speedup" in e["extra"] and "efficiency" in e["extra"]
else:
    names = [e["name"] for e in out]
    for c in ran:
        t = out[names.index(c["id"] + " throughput")]
        assert t["unit"] == "tasks/s" and close(t["value"], c["throughput"]), c["id"]
        if c.get("speedup") is not None:
            s = out[names.index(c["id"] + " speedup")]
            assert close(s["value"], c["speedup"]), c["id"]
PY
}

# A fresh run, and the fixture with one cell failed (as a wrong checksum leaves it).
"$CB" run -q -w cpu.primes -s serial,threads -n 1,2 --size tiny -r 3 -o "$tmp/runs" >/dev/null 2>&1 ||
	fail "concbench run failed"
run="$tmp/runs/latest/results.json"
jq '.cells[1].error = "wrong checksum" | .cells[1].checksum_ok = false' \
	"$SRC/tests/data/export/results.json" >"$tmp/failed.json"

for results in "$run" "$SRC/tests/data/export/results.json" "$tmp/failed.json"; do
	for fmt in bencher github-action-benchmark github-action-benchmark-bigger; do
		expect 0 "$CB" export "$results" --to "$fmt"
		cp "$tmp/out" "$tmp/export.json"
		check "$results" "$fmt" "$tmp/export.json" "$SCHEMA"
	done
done
contains err "1 failed cells of $tmp/failed.json left out"

# a run folder stands for its results.json; -o writes the file, nothing else
expect 0 "$CB" export "$tmp/runs/latest" --to bencher -o "$tmp/bmf.json"
[ -s "$tmp/bmf.json" ] && [ ! -s "$tmp/out" ] || fail "-o: file empty or stdout not"
check "$run" bencher "$tmp/bmf.json" "$SCHEMA"
ls "$tmp" | grep -q '^bmf\.json\..*' && fail "-o left a temp file"

# csv: a header and one row per cell; the failed one marked
expect 0 "$CB" export "$tmp/failed.json" --to csv
head -1 "$tmp/out" | grep -q '^id,workload,strategy,params,workers,concurrency,threads,median_ns,min_ns,max_ns,throughput,speedup,efficiency,status$' ||
	fail "csv header: $(head -1 "$tmp/out")"
[ "$(($(wc -l <"$tmp/out") - 1))" = "$(jq '.cells | length' "$tmp/failed.json")" ] || fail "csv: not one row per cell"
[ "$(grep -c ',failed: wrong checksum$' "$tmp/out")" = 1 ] || fail "csv: failed cell not marked"
"$py" - "$tmp/out" "$tmp/failed.json" <<'PY' || fail "csv medians are not the cells' medians in ns"
import csv, json, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cells = {c["id"]: c for c in json.load(open(sys.argv[2]))["cells"]}
for r in rows:
    if r["status"] == "ok":
        assert math.isclose(float(r["median_ns"]), cells[r["id"]]["stats"]["median_s"] * 1e9, rel_tol=1e-12)
PY

# md: a table, one row per cell
expect 0 "$CB" export "$run" --to md
contains out "| cell | median | min … max | throughput | speedup | efficiency | status |"
[ "$(grep -c '^| `cpu\.primes/' "$tmp/out")" = "$(jq '.cells | length' "$run")" ] || fail "md: not one row per cell"

# --- usage and input errors
expect 2 "$CB" export "$run"
one_line_error "--to FORMAT is required"
expect 2 "$CB" export "$run" --to junit
one_line_error "unknown format 'junit' (valid: bencher, github-action-benchmark"
expect 2 "$CB" export --to csv
one_line_error "expected one RESULTS file"
expect 2 "$CB" export "$tmp/nope.json" --to csv
one_line_error "nope.json"
expect 2 "$CB" export "$SRC/tests/data/compare/gbench-base.json" --to bencher
one_line_error "not a concbench results file"
printf '{"schema": "concbench.results/1", "cells": [{"workload": 1}]}' >"$tmp/bad.json"
expect 2 "$CB" export "$tmp/bad.json" --to bencher
one_line_error "bad.json"
expect 0 "$CB" export --help
contains out "github-action-benchmark-bigger"

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all export CLI tests passed"
