#!/usr/bin/env bash
# C plug-ins end to end: the example built by hand with the README's one
# command runs and verifies under every strategy at 1 and 2 workers (mpi
# where built, its ranks loading the same file), `list -v -w` shows its
# parameters, the results record its path and SHA-256, and each way a
# plug-in can be broken is exit 2 with one line naming what is wrong.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
src=${CB_SOURCE_DIR:?CB_SOURCE_DIR must point at the source tree}
# The ranks are mostly Open MPI, whose exit-time allocations LeakSanitizer
# reports without a stack to suppress (see mpi.sh).
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
cc=${CC:-cc}

# The README's command, from the source root, as a user types it.
(cd "$src" && $cc -O2 -shared -fPIC -Iinclude examples/plugin/collatz.c -o "$tmp/mine.so") ||
  { echo "FAIL: the example plug-in does not build by hand"; exit 1; }
plugin="$tmp/mine.so"
# The header in strict ISO C (no GNU or POSIX feature macros), warnings as
# errors: a plug-in's own build flags must not break on it.
for std in c99 c11; do
  (cd "$src" && $cc -std=$std -pedantic -Wall -Wextra -Werror -O2 -shared -fPIC -Iinclude \
    examples/plugin/collatz.c -o "$tmp/strict.so") || fail "the header does not build with -std=$std -pedantic -Werror"
done

# list -v -w: the plug-in's name, its parameters with their defaults, its file.
out=$("$bin" list -v -w "$plugin" 2>&1); rc=$?
[ $rc -eq 0 ] || fail "list -v -w exited $rc: $out"
for want in "example.collatz" "^ *n .*starting values" "^ *tasks " "^ *wait " "default 2000000" \
            "plugin: $plugin" "sha256: [0-9a-f]{64}"; do
  grep -qE -- "$want" <<<"$out" || fail "list -v -w does not show /$want/: $out"
done

# Every strategy at 1 and 2 workers, each cell verified against the serial run.
strategies=serial,threads,threadpool,processes,processpool,coroutines,hybrid
ncells=13   # serial once, six strategies x 2
if [ -x "$(dirname "$bin")/concbench-mpi" ]; then
  strategies=$strategies,mpi
  ncells=15
fi
out=$("$bin" run -o "$tmp/res" -w "$plugin" -s $strategies -n 1,2 --size tiny -r 1 --warmup 0 -q 2>&1); rc=$?
[ $rc -eq 0 ] || fail "run under $strategies exited $rc: $out"
res=$(ls "$tmp"/res/*/results.json 2>/dev/null | head -1)
if [ -z "$res" ]; then
  fail "no results.json"
else
  got=$(jq '[.cells[] | select(.workload == "example.collatz" and .checksum_ok == true)] | length' "$res")
  [ "$got" = "$ncells" ] || fail "$got of $ncells cells verified: $(jq -c '[.cells[] | [.id, .checksum_ok, .error]]' "$res")"
  sha=$(sha256sum "$plugin" | cut -d' ' -f1)
  bad=$(jq --arg p "$(realpath "$plugin")" --arg h "$sha" \
        '[.cells[] | select(.workload_source.type != "plugin" or .workload_source.path != $p or .workload_source.sha256 != $h)] | length' "$res")
  [ "$bad" = 0 ] || fail "$bad cells do not record the plug-in's path and sha256 ($sha): $(jq -c '.cells[0].workload_source' "$res")"
  nostrat=$(jq '[.cells[].strategy] | unique | length' "$res")
  [ "$nostrat" = "$(tr ',' '\n' <<<"$strategies" | wc -l)" ] || fail "strategies in the results: $nostrat"
fi

# A wait through the I/O interface and a parameter for this workload only;
# a bad value names the parameter.
out=$("$bin" run -o "$tmp/wait" -w "$plugin" -s serial,coroutines -n 1 -c 4 --size tiny -r 1 --warmup 0 -q \
      --param example.collatz:wait=1ms 2>&1); rc=$?
[ $rc -eq 0 ] || fail "run with wait=1ms exited $rc: $out"
out=$("$bin" run -o "$tmp/bad" -w "$plugin" -s serial --size tiny --param n=x 2>&1); rc=$?
{ [ $rc -eq 2 ] && grep -q "invalid value 'x' for parameter 'n' of example.collatz" <<<"$out"; } ||
  fail "a bad parameter value: exit $rc: $out"

# Broken plug-ins: exit 2 and one line, from run and from list alike.
broken() {  # broken NAME C-SOURCE -> builds $tmp/NAME.so
  printf '%s\n' "$2" >"$tmp/$1.c"
  $cc -shared -fPIC -I"$src/include" "$tmp/$1.c" -o "$tmp/$1.so" || fail "cannot build $1"
}
expect() {  # expect FILE PATTERN
  local out rc
  for cmd in run list; do
    if [ $cmd = run ]; then
      out=$("$bin" run -o "$tmp/none" -w "$1" -s serial --size tiny 2>&1 >/dev/null); rc=$?
    else
      out=$("$bin" list -v -w "$1" 2>&1 >/dev/null); rc=$?
    fi
    if [ $rc -ne 2 ]; then fail "$cmd -w $1 exited $rc, expected 2: $out"; continue; fi
    grep -qE -- "$2" <<<"$out" || fail "$cmd -w $1: '$out' does not match /$2/"
    [ "$(wc -l <<<"$out")" -eq 1 ] || fail "$cmd -w $1: expected one line, got: $out"
  done
  [ -z "$(find "$tmp/none" -name 'results.*' 2>/dev/null)" ] || fail "-w $1 left a results file"
  echo "ok: -w $(basename "$1") -> 2"
}
echo "not an ELF file" >"$tmp/text.so"
expect "$tmp/text.so" "'$tmp/text.so' is not a loadable shared object"
expect "$tmp/missing.so" "cannot open plug-in '$tmp/missing.so': No such file"
broken nosym 'int not_a_workload = 1;'
expect "$tmp/nosym.so" "plug-in '$tmp/nosym.so' has no symbol 'concbench_workload'"
head='#include <concbench/workload.h>
static int s(cb_job *j, cb_error *e) { (void)e; j->ntasks = 1; return 0; }
static int t(const cb_job *j, size_t i, cb_io *io, uint64_t *o) { (void)j; (void)io; *o = i; return 0; }'
broken abi "$head
CB_WORKLOAD_EXPORT = { .abi = CB_WORKLOAD_ABI + 1, .name = \"bad.abi\", .setup = s, .task = t };"
expect "$tmp/abi.so" "built against workload ABI [0-9]+, this concbench has ABI [0-9]+"
broken notask "$head
CB_WORKLOAD_EXPORT = { .abi = CB_WORKLOAD_ABI, .name = \"bad.notask\", .setup = s };"
expect "$tmp/notask.so" "plug-in '$tmp/notask.so' \(bad.notask\) has no task function"
broken taken "$head
CB_WORKLOAD_EXPORT = { .abi = CB_WORKLOAD_ABI, .name = \"cpu.primes\", .setup = s, .task = t };"
expect "$tmp/taken.so" "is called 'cpu.primes', which is already taken"
broken badname "$head
CB_WORKLOAD_EXPORT = { .abi = CB_WORKLOAD_ABI, .name = \"a/b c\", .setup = s, .task = t };"
expect "$tmp/badname.so" "has no valid name"
broken baddefault "$head
static const cb_param_spec p[] = { { \"k\", CB_PARAM_INT, { \"1\", \"2\", \"x\", \"4\" }, 0, 10, 0, \"k\" } };
CB_WORKLOAD_EXPORT = { .abi = CB_WORKLOAD_ABI, .name = \"bad.default\", .params = p, .nparams = 1, .setup = s, .task = t };"
expect "$tmp/baddefault.so" "default at size default: invalid value 'x' for parameter 'k'"

# A minimal plug-in (no post, no teardown, no parameters) runs: post
# defaults to the ordered hash of the partials.
broken minimal "$head
CB_WORKLOAD_EXPORT = { .abi = CB_WORKLOAD_ABI, .name = \"tiny.minimal\", .setup = s, .task = t };"
out=$("$bin" run -o "$tmp/min" -w "$tmp/minimal.so" -s serial,threads -n 2 --size tiny -r 1 --warmup 0 -q 2>&1); rc=$?
[ $rc -eq 0 ] || fail "a minimal plug-in exited $rc: $out"

[ $fails -eq 0 ] && echo "plugin: all ok"
exit $((fails > 0))
