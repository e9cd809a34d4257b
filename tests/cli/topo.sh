#!/usr/bin/env bash
# concbench topo: placement of a synthetic 64-PU machine as a user sees it,
# and MPI ranks dealt across the hosts of a host file.
set -u
bin=${CONCBENCH:?CONCBENCH must point at the concbench binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
out=$("$bin" topo --topology 'synthetic:pack:2 numa:2 core:8 pu:2' -n 4) || { echo "FAIL: topo exited $?"; exit 1; }
grep -q "spread     4: 0,16,32,48" <<<"$out" || { echo "FAIL: spread 4"; fails=$((fails+1)); }
grep -q "cores      4: 0,2,4,6" <<<"$out" || { echo "FAIL: cores 4"; fails=$((fails+1)); }
grep -q "compact    4: 0,1,2,3" <<<"$out" || { echo "FAIL: compact 4"; fails=$((fails+1)); }
printf 'nodeA slots=2\nnodeB slots=2 # second node\n' > "$tmp/hosts"
out=$("$bin" topo --topology 'synthetic:pack:1 core:2 pu:1' --hosts "$tmp/hosts") || { echo "FAIL: topo --hosts exited $?"; exit 1; }
grep -qE "^  3 +nodeB +1 +1$" <<<"$out" || { echo "FAIL: rank 3 should be nodeB local 1 PU 1: $out"; fails=$((fails+1)); }
"$bin" topo --hosts "$tmp/hosts" -n 9 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "more ranks than the 4 slots" "$tmp/err" || { echo "FAIL: -n 9 over 4 slots exited $rc"; fails=$((fails+1)); }
"$bin" topo --topology 'synthetic:bogus' >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: bad synthetic topology exited $rc"; fails=$((fails+1)); }
[ $fails -eq 0 ] || exit 1
echo "topo ok"
