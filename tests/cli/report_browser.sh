#!/usr/bin/env bash
# report.html in a real browser: headless Chromium loads it from disk (it
# is self-contained: nothing to fetch), logs no console error, and takes a
# screenshot of the summary. Skipped where Chromium is not installed.
set -u
: "${CONCBENCH:?set CONCBENCH to the concbench binary}"
SRC=${CB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
FIXTURE=$SRC/tests/data/results-synthetic.json
browser=
for b in chromium chromium-browser google-chrome; do
	command -v "$b" >/dev/null && { browser=$b; break; }
done
[ -n "$browser" ] || { echo "SKIP: no headless Chromium (Debian: apt-get install chromium)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# Loads a page; its console lines go to $2, a screenshot to $3.
load() {  # url log png
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$tmp/profile" \
		--enable-logging=stderr --v=0 --window-size=1200,1400 --hide-scrollbars \
		--screenshot="$3" "$1" >"$2" 2>&1
}

# The probe: a page that logs an error must be caught, or the check below
# would pass without looking.
printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>probe</title></head><body>'\
'<script>console.error("probe error")</script></body></html>\n' >"$tmp/probe.html"
load "file://$tmp/probe.html" "$tmp/probe.log" "$tmp/probe.png"
grep -q 'CONSOLE.*probe error' "$tmp/probe.log" || {
	echo "SKIP: $browser does not report console messages here ($(tail -n 3 "$tmp/probe.log"))"; exit 77; }

"$CONCBENCH" report "$FIXTURE" -o "$tmp/rep" >/dev/null 2>"$tmp/rep.err" || fail "report: exit $?"
load "file://$tmp/rep/report.html#summary" "$tmp/page.log" "$tmp/summary.png" || fail "$browser: exit $?"
if grep -q 'CONSOLE' "$tmp/page.log"; then
	fail "console messages while loading report.html: $(grep 'CONSOLE' "$tmp/page.log" | head -n 5)"
fi
grep -qi 'Failed to load\|net::ERR' "$tmp/page.log" && fail "report.html fetched something: $(grep -i 'Failed to load\|net::ERR' "$tmp/page.log" | head -n 3)"
[ -s "$tmp/summary.png" ] && head -c 8 "$tmp/summary.png" | grep -q PNG || fail "no screenshot of the summary"
# A blank page compresses to almost nothing: the summary's table and heat
# map do not.
[ "$(stat -c %s "$tmp/summary.png" 2>/dev/null || echo 0)" -gt 20000 ] || fail "the screenshot looks blank"
[ -n "${CB_KEEP_SCREENSHOT:-}" ] && cp "$tmp/summary.png" "$CB_KEEP_SCREENSHOT"

[ "$fails" -eq 0 ] && echo "report in $browser: all passed"
exit $((fails > 0))
