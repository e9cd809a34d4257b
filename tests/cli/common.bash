# What the CLI tests share, sourced after `set -u`: $CB (the binary, an
# absolute path), $SRC (the source tree), $tmp (removed at exit), and the
# checks. A check that fails says so and counts; the script ends with
# `exit $((failures > 0))` or its own summary.
CB=${CONCBENCH:?set CONCBENCH to the concbench binary}
CB=$(cd "$(dirname "$CB")" && pwd)/$(basename "$CB")
SRC=${CB_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect RC CMD...: runs CMD, keeps stdout/stderr in $tmp/out, $tmp/err;
# a sanitizer report fails whatever the exit code.
expect() {
	local want=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	[ "$rc" -eq "$want" ] || fail "exit $rc, want $want: $*" "$(head -3 "$tmp/err")"
	if grep -qE 'Sanitizer|runtime error|Segmentation' "$tmp/err"; then
		fail "sanitizer report: $*"
		cat "$tmp/err"
	fi
}

contains() { grep -qF -- "$2" "$tmp/$1" || fail "$1 lacks '$2'"; }
lacks() { ! grep -qF -- "$2" "$tmp/$1" || fail "$1 has '$2'"; }

# one line on stderr, starting with "concbench: " and naming $1 if given
one_line_error() {
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "stderr is not one line: $(cat "$tmp/err")"
	contains err "concbench: "
	[ -z "${1:-}" ] || contains err "$1"
}
