#!/usr/bin/env bash
# results.json names the build that measured (type, flags, sanitizers,
# compiler), and run and report warn, once each, exactly when it is not the
# optimised code: the binary under test is either kind (scripts/test's
# sanitized Debug build, scripts/bench's Release build).
set -u
source "$(dirname "$0")/common.bash"

expect 0 "$CB" run -w cpu.primes -s serial -n 1 --size tiny -r 1 --warmup 0 -o "$tmp/runs"
f=$tmp/runs/latest/results.json
for k in type cflags sanitizers compiler; do
	jq -e ".build | has(\"$k\")" "$f" >/dev/null || fail "results.json: build lacks $k"
done
type=$(jq -r .build.type "$f") san=$(jq -r .build.sanitizers "$f") flags=$(jq -r .build.cflags "$f")
if [ "$type" = Debug ] || [ -n "$san" ] || ! grep -qE '(^| )-O([1-3sgz]|fast)?( |$)' <<<"$flags"; then
	[ "$(grep -c 'its timings are not the optimised code' "$tmp/err")" -eq 1 ] ||
		fail "a $type build ($flags, sanitizers '$san'): run did not warn once: $(cat "$tmp/err")"
	expect 0 "$CB" report "$f" -o "$tmp/rep"
	grep -q "not the optimised code" "$tmp/err" || fail "report did not warn about the $type build"
else
	lacks err "not the optimised code"
fi
# A results file says what built it, whoever reads it: a Debug record warns.
jq '.build = { type: "Debug", cflags: "-g", sanitizers: "address,undefined", compiler: "GNU 12.2.0" }' "$f" >"$tmp/dbg.json"
expect 0 "$CB" report "$tmp/dbg.json" -o "$tmp/rep2"
contains err "this concbench is a Debug build (-g, sanitizers address,undefined)"
grep -q "a Debug build" "$tmp/rep2/report.md" || fail "report.md does not say the run was a Debug build"

[ "$failures" -eq 0 ] && echo "build record: all passed"
exit $((failures > 0))
