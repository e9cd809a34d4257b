#!/usr/bin/env bash
# What every command shares: --help ends with its exit codes; a short
# option means one thing in every command that has it (-o the output, -t
# threads, -f the format...); list and topo speak JSON; -s all and -w all;
# the Python twins in list and in the unknown-workload error; each pin
# policy listed once.
set -u
source "$(dirname "$0")/common.bash"

# Exit codes in every --help, the top level's included.
commands=$("$CB" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ -n "$commands" ] || fail "help lists no command"
for c in "" $commands; do
	expect 0 "$CB" $c --help
	grep -qiE '^exit status|^exit:' "$tmp/out" || fail "'concbench $c --help' does not give its exit codes"
done

# An unknown option: exit 2 and one line that names it, in every command.
for c in $commands; do
	expect 2 "$CB" "$c" --bogus
	one_line_error "'--bogus'"
done

# One meaning per short option: "-X, --long" in every help names the same
# long option (export's -f is --to, its format).
for c in $commands; do
	"$CB" "$c" --help 2>/dev/null | grep -oE '^ +-[a-zA-Z], --[a-z-]+' | sed -E "s/^ +//; s/^/$c /"
done >"$tmp/shorts"
awk '{ sub(",", "", $2); long[$2] = long[$2] ? long[$2] : $3; if (long[$2] != $3) { print "FAIL: " $2 " is " long[$2] " but " $3 " in " $1; bad = 1 } }
     END { exit bad }' "$tmp/shorts" || fail "a short option with two meanings: $(cat "$tmp/shorts" | tr '\n' ';')"
grep -q '^run -t, --threads$' "$tmp/shorts" || fail "run's -t is not --threads"
grep -q '^export -o, --out$' "$tmp/shorts" || fail "export's -o is not --out"
! grep -q -- '-t, --to' "$tmp/shorts" || fail "export still has -t for --to"

# export: -f and -o, the old long names kept; -t is gone.
expect 0 "$CB" run -q -w cpu.primes -s serial,threads -n 1,2 --size tiny -r 1 --warmup 0 -o "$tmp/runs"
expect 0 "$CB" export "$tmp/runs/latest" -f md -o "$tmp/a.md"
[ -s "$tmp/a.md" ] || fail "export -f md -o FILE wrote nothing"
expect 0 "$CB" export "$tmp/runs/latest" --to csv --output "$tmp/b.csv"
[ -s "$tmp/b.csv" ] || fail "export --to csv --output FILE wrote nothing"
expect 2 "$CB" export "$tmp/runs/latest" -t md
one_line_error "-t"

# list and topo in JSON, for scripts.
expect 0 "$CB" list --format json
jq -e '.workloads | map(.name) | index("cpu.primes")' "$tmp/out" >/dev/null || fail "list --format json lacks cpu.primes"
jq -e '.strategies | length > 0' "$tmp/out" >/dev/null || fail "list --format json has no strategies"
jq -e '.pins | map(.name) | index("compact")' "$tmp/out" >/dev/null || fail "list --format json lacks pin compact"
expect 0 "$CB" list workloads --format=json -v
jq -e '.workloads[0].params | length > 0' "$tmp/out" >/dev/null || fail "list -v --format json has no parameters"
[ "$(jq 'keys | length' "$tmp/out")" -eq 1 ] || fail "list workloads --format json holds other lists"
expect 2 "$CB" list --format yaml
one_line_error "yaml"
expect 0 "$CB" topo --format json --topology 'synthetic:pack:2 core:2 pu:2'
[ "$(jq '.topology.pus' "$tmp/out")" -eq 8 ] || fail "topo --format json: pus is not 8"
[ "$(jq '.placements.compact | length' "$tmp/out")" -eq 8 ] || fail "topo --format json: not 8 compact placements"
jq -e '.placements.cores[4].error' "$tmp/out" >/dev/null || fail "topo --format json: 5 workers on 4 cores is not an error"
expect 2 "$CB" topo --format xml
one_line_error "xml"

# Each pin policy once; the explicit list says how it deals PUs.
expect 0 "$CB" list pins
[ "$(grep -c '0,2,4-7' "$tmp/out")" -eq 1 ] || fail "list pins shows the explicit list more than once: $(cat "$tmp/out")"
contains out "round-robin"

# The Python twins: in list, and named by the unknown-workload error.
expect 0 "$CB" list workloads
contains out "py.primes"
expect 2 "$CB" run -w no.such -o "$tmp/none"
one_line_error "py.NAME"
contains err "py.primes"

# -s all and -w all: every strategy (or workload), as when left out.
expect 0 "$CB" run -q -w cpu.primes -s all -n 1 --size tiny -r 1 --warmup 0 -o "$tmp/all"
got=$(jq -r '[.cells[].strategy] | unique | join(",")' "$tmp/all/latest/results.json")
for s in serial threads threadpool processes processpool coroutines hybrid; do
	grep -q "$s" <<<"$got" || fail "-s all left out $s: $got"
done
expect 2 "$CB" run -q -w cpu.primes -s all,nope -n 1 --size tiny -o "$tmp/none"
one_line_error "unknown strategy"

[ "$failures" -eq 0 ] && echo "conventions: all passed"
exit $((failures > 0))
