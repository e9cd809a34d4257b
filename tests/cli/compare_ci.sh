#!/bin/bash
# CLI tests of compare's CI outputs: --format junit validated against the
# JUnit schema (tests/data/schema/junit.xsd) with counts equal to the
# compare's own; the GitHub Actions outputs under GITHUB_ACTIONS=true
# (workflow commands, $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY within 1 MiB);
# and hyperfine --export-json input, from the files in tests/data/hyperfine
# and from hyperfine run here when it is installed.
set -u
. "$(dirname "$0")/common.bash"
DATA=$SRC/tests/data/compare
HF=$SRC/tests/data/hyperfine
XSD=$SRC/tests/data/schema/junit.xsd
# The GitHub part is switched on explicitly below, never by the CI this runs in.
unset GITHUB_ACTIONS GITHUB_OUTPUT GITHUB_STEP_SUMMARY

command -v xmllint >/dev/null || { echo "SKIP: xmllint missing (scripts/deps installs libxml2-utils)"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq missing (scripts/deps installs it)"; exit 77; }

# xml_count FILE XPATH: a number from the XML
xml_count() { xmllint --xpath "$2" "$1" 2>/dev/null; }

# junit_check NAME BASE NEW [options]: the JUnit report validates, and its
# counts are those of the JSON report of the same comparison.
junit_check() {
	local name=$1 base=$2 new=$3; shift 3
	"$CB" compare --format junit "$@" "$base" "$new" >"$tmp/$name.xml" 2>/dev/null
	"$CB" compare --format json "$@" "$base" "$new" >"$tmp/$name.json" 2>/dev/null
	xmllint --noout --schema "$XSD" "$tmp/$name.xml" 2>"$tmp/xmllint" ||
		fail "$name: junit does not validate: $(cat "$tmp/xmllint")"
	local reg cmp nc
	reg=$(jq '.summary.regressed' "$tmp/$name.json")
	cmp=$(jq '.summary.compared' "$tmp/$name.json")
	nc=$(jq '.summary.not_compared' "$tmp/$name.json")
	[ "$(xml_count "$tmp/$name.xml" 'count(//testcase)')" = $((cmp + nc)) ] ||
		fail "$name: testcases != compared + not compared ($cmp + $nc)"
	[ "$(xml_count "$tmp/$name.xml" 'count(//testcase/failure)')" = "$reg" ] ||
		fail "$name: <failure> elements != $reg regressed"
	[ "$(xml_count "$tmp/$name.xml" 'string(/testsuites/testsuite/@failures)')" = "$reg" ] ||
		fail "$name: failures attribute != $reg regressed"
	[ "$(xml_count "$tmp/$name.xml" 'string(/testsuites/testsuite/@tests)')" = $((cmp + nc)) ] ||
		fail "$name: tests attribute != $((cmp + nc))"
	local noisy; noisy=$(jq '.summary.noisy' "$tmp/$name.json")
	local skipped; skipped=$(xml_count "$tmp/$name.xml" 'count(//testcase/skipped)')
	local errors; errors=$(xml_count "$tmp/$name.xml" 'count(//testcase/error)')
	[ $((skipped + errors)) = $((noisy + nc)) ] ||
		fail "$name: skipped + error ($skipped + $errors) != noisy + not compared ($noisy + $nc)"
}

# --- JUnit
expect 1 "$CB" compare --format junit "$DATA/base.json" "$DATA/slow10.json"
head -1 "$tmp/out" | grep -q '^<?xml version="1.0" encoding="UTF-8"?>' || fail "junit: no XML declaration"
junit_check slow10 "$DATA/base.json" "$DATA/slow10.json"
[ "$(xml_count "$tmp/slow10.xml" 'count(//testcase/failure)')" = 4 ] || fail "slow10: want 4 failures"
xml_count "$tmp/slow10.xml" 'string(//testcase[1]/@classname)' | grep -qx 'synth\.[a-z]*\.serial' ||
	fail "classname is not workload.strategy: $(xml_count "$tmp/slow10.xml" 'string(//testcase[1]/@classname)')"
xml_count "$tmp/slow10.xml" 'string(//failure[1]/@message)' | grep -q 'regressed +.*interval \[.*p after Holm.*MDC' ||
	fail "failure message lacks change, interval, p or MDC"
junit_check rerun "$DATA/base.json" "$DATA/rerun.json"
junit_check other "$DATA/base.json" "$DATA/other-host.json"
[ "$(xml_count "$tmp/other.xml" 'count(//testcase/skipped)')" -ge 1 ] || fail "a cell only in BASE is not <skipped>"
junit_check gbench "$DATA/gbench-base.json" "$DATA/gbench-slow.json"
# a cell with a wrong checksum is an <error>; a name XML must escape stays valid
jq '.cells[0].checksum_ok = false | .cells[1].id = "synth <&\"x\"> cell"' "$DATA/slow10.json" >"$tmp/bad.json"
jq '.cells[1].id = "synth <&\"x\"> cell"' "$DATA/base.json" >"$tmp/base-esc.json"
junit_check failed "$tmp/base-esc.json" "$tmp/bad.json"
[ "$(xml_count "$tmp/failed.xml" 'count(//testcase/error)')" = 1 ] || fail "a failed cell is not one <error>"
[ "$(xml_count "$tmp/failed.xml" 'string(/testsuites/testsuite/@errors)')" = 1 ] || fail "errors attribute != 1"
xml_count "$tmp/failed.xml" 'string(//testcase/error/@message)' | grep -q 'wrong checksum' || fail "error lacks its reason"
# the schema is not a rubber stamp
sed 's/failures="4"/failures="four"/' "$tmp/slow10.xml" >"$tmp/invalid.xml"
xmllint --noout --schema "$XSD" "$tmp/invalid.xml" 2>/dev/null && fail "the schema accepts failures=\"four\""
sed 's/<testcase classname/<testcase nom="x" classname/' "$tmp/slow10.xml" >"$tmp/invalid.xml"
xmllint --noout --schema "$XSD" "$tmp/invalid.xml" 2>/dev/null && fail "the schema accepts an unknown attribute"

# --- GitHub Actions
gh() {  # gh RC ARGS...: compare under GitHub Actions' environment
	local want=$1; shift
	: >"$tmp/gh_output"; : >"$tmp/gh_summary"
	expect "$want" env GITHUB_ACTIONS=true GITHUB_OUTPUT="$tmp/gh_output" \
		GITHUB_STEP_SUMMARY="$tmp/gh_summary" "$CB" compare "$@"
}
gh 1 "$DATA/base.json" "$DATA/slow10.json"
contains gh_output "verdict=regressed"
contains gh_output "regressed=4"
contains gh_output "improved=0"
contains gh_output "noisy=0"
grep -qE '^geomean=1\.[0-9]+$' "$tmp/gh_output" || fail "no geomean= line"
[ "$(head -1 "$tmp/gh_summary")" = "<!-- concbench-compare -->" ] || fail "summary does not start with the marker"
contains gh_summary "| **regressed** |"
[ "$(grep -c '^::error title=concbench regressed::' "$tmp/err")" = 4 ] || fail "want 4 ::error lines on stderr"
lacks out "::error"
# the report on stdout stays what --format asked for
gh 1 --format junit "$DATA/base.json" "$DATA/slow10.json"
xmllint --noout --schema "$XSD" "$tmp/out" 2>/dev/null || fail "junit under GitHub Actions does not validate"
gh 0 "$DATA/base.json" "$DATA/rerun.json"
contains gh_output "verdict=unchanged"
contains gh_output "regressed=0"
contains gh_summary "<details><summary>0 noisy, 4 unchanged</summary>"
grep -q '^::error' "$tmp/err" && fail "::error without a regression"
# a machine-state difference is a ::warning
gh 0 "$DATA/base.json" "$DATA/other-host.json"
grep -q '^::warning title=concbench machine::different machines' "$tmp/err" || fail "no ::warning for another machine"
# --no-github wins over the environment; --github works without it
gh 1 --no-github "$DATA/base.json" "$DATA/slow10.json"
[ -s "$tmp/gh_output" ] && fail "--no-github wrote GITHUB_OUTPUT"
grep -q '^::error' "$tmp/err" && fail "--no-github printed ::error"
expect 1 env GITHUB_OUTPUT="$tmp/o2" "$CB" compare --github "$DATA/base.json" "$DATA/slow10.json"
contains o2 "verdict=regressed"
contains err "GITHUB_STEP_SUMMARY not set"
# a nearly full step summary: the whole file stays within 1 MiB
head -c $((1024 * 1024 - 3000)) /dev/zero | tr '\0' 'x' >"$tmp/full"
cp "$tmp/full" "$tmp/gh_summary2"
expect 1 env GITHUB_ACTIONS=true GITHUB_OUTPUT="$tmp/o3" GITHUB_STEP_SUMMARY="$tmp/gh_summary2" \
	"$CB" compare "$DATA/base.json" "$DATA/slow10.json"
size=$(stat -c %s "$tmp/gh_summary2")
[ "$size" -le $((1024 * 1024)) ] || fail "step summary grew to $size bytes, past 1 MiB"
grep -qF "<!-- concbench-compare -->" "$tmp/gh_summary2" || fail "no marker in a nearly full summary"

# --- hyperfine input (files from hyperfine 1.15)
expect 1 "$CB" compare "$HF/nap-0.020-a.json" "$HF/nap-0.026.json"
contains out "1 REGRESSED"
expect 0 "$CB" compare "$HF/nap-0.020-a.json" "$HF/nap-0.020-b.json"
contains out "0 regressed"
# --parameter-list values are parameters: the same command across them
expect 2 "$CB" compare "$HF/list-0.020.json" "$HF/list-0.026.json"
one_line() { [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "stderr is not one line: $(cat "$tmp/err")"; }
one_line
expect 1 "$CB" compare --ignore-param t "$HF/list-0.020.json" "$HF/list-0.026.json"
contains out "1 REGRESSED"
# a non-zero exit code makes the cell failed: an <error> in JUnit
expect 0 "$CB" compare --format junit "$HF/scan-exit.json" "$HF/scan-exit.json"
cp "$tmp/out" "$tmp/scan.xml"
xmllint --noout --schema "$XSD" "$tmp/scan.xml" 2>/dev/null || fail "hyperfine junit does not validate"
[ "$(xml_count "$tmp/scan.xml" 'count(//testcase/error)')" = 1 ] || fail "exit 1 is not one <error>"
xml_count "$tmp/scan.xml" 'string(//testcase/error/@message)' | grep -q 'exit code 1 in 5 of 5 runs' ||
	fail "the error does not name the exit code"
[ "$(xml_count "$tmp/scan.xml" 'string(//testcase[1]/@classname)')" = hyperfine ] || fail "classname not hyperfine"
# mixed inputs are refused
expect 2 "$CB" compare "$DATA/base.json" "$HF/nap-0.026.json"
one_line
contains err "is concbench output and"
contains err "is hyperfine output"
expect 2 "$CB" compare "$HF/nap-0.026.json" "$DATA/gbench-base.json"
contains err "needs the same kind on both sides"
expect 2 "$CB" compare --metric cpu "$HF/nap-0.026.json" "$HF/nap-0.026.json"
contains err "valid --metric for hyperfine files: time, throughput"
echo '{"results": [{"command": "x"}]}' >"$tmp/hf-bad.json"
expect 2 "$CB" compare "$tmp/hf-bad.json" "$tmp/hf-bad.json"
one_line
contains err "hf-bad.json: results[0]: 'times' is missing"

# --- hyperfine run here: a 30% slower command fails, the same command twice passes
if command -v hyperfine >/dev/null; then
	hf() {  # hf NAME SECONDS RUNS
		hyperfine -N --style none --warmup 2 --runs "$3" -n nap --export-json "$tmp/$1.json" \
			"sleep $2" >/dev/null 2>&1 || fail "hyperfine failed: sleep $2"
	}
	# live WANT SLEEP_BASE SLEEP_NEW: compare two fresh runs for exit WANT.
	# The machine is shared, and a test running beside this one can make
	# one run of a pair noisy (a verdict of noisy) or slower (a false
	# alarm); neither repeats on every try, a real change does. So up to
	# three pairs, the later ones with more runs.
	live() {
		local want=$1 rc=0 runs
		for runs in 20 40 60; do
			hf base "$2" "$runs"; hf new "$3" "$runs"
			rc=0
			"$CB" compare "$tmp/base.json" "$tmp/new.json" >"$tmp/live" 2>&1 || rc=$?
			[ "$rc" = "$want" ] && return 0
		done
		fail "hyperfine sleep $2 against sleep $3: exit $rc, want $want: $(head -1 "$tmp/live")"
	}
	live 1 0.02 0.026
	grep -q "1 REGRESSED" "$tmp/live" || fail "sleep 0.026 after 0.02 not regressed: $(head -1 "$tmp/live")"
	live 0 0.02 0.02
else
	echo "SKIP: hyperfine not installed: live runs (scripts/deps installs it)"
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all compare CI output tests passed"
