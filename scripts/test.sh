#!/usr/bin/env bash
# `make test`: every test project against real PostgreSQL, then each skipped test with its reason, then one line
# "N passed, N failed, N skipped" (also in test-artifacts/summary.txt). A skip without a reason counts as a failure.
# Uses DATABASE_URL / TEST_DATABASE_URL when set; otherwise a throwaway local cluster in .local/pg-test.
set -uo pipefail
cd "$(dirname "$0")/.."

results=test-artifacts/results
rm -rf "$results"; mkdir -p "$results"

started_cluster=no
if [ -z "${TEST_DATABASE_URL:-}" ] && [ -z "${DATABASE_URL:-}" ]; then
  export PGLOCAL_DIR="$PWD/.local/pg-test" PGLOCAL_PORT=54330 PGLOCAL_DB=postgres
  db/local-pg.sh status >/dev/null 2>&1 || started_cluster=yes
  TEST_DATABASE_URL=$(db/local-pg.sh start) || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
  export TEST_DATABASE_URL
fi
# Quiet: the summary must stay the last line printed.
cleanup() { if [ "$started_cluster" = yes ]; then db/local-pg.sh stop >/dev/null; fi; }
trap cleanup EXIT

dotnet build TokenService.slnx -c Debug -nologo -clp:ErrorsOnly || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# Two passes. First every test but the latency and timing-equality ones, the projects in parallel; then those
# ([Category("Timing")]: ratios of latencies, p99 bounds, timing equality) one project at a time, so what they
# measure is the service under test rather than the other test projects sharing the two cores.
dotnet test TokenService.slnx --no-build -nologo --logger "trx" --results-directory "$results" --filter "TestCategory!=Timing" "$@"
rc=$?
dotnet test TokenService.slnx --no-build -nologo -m:1 --logger "trx" --results-directory "$results" --filter "TestCategory=Timing" "$@"
timing_rc=$?
[ "$rc" -ne 0 ] || rc=$timing_rc

passed=0; failed=0; skipped=0; unexplained=0
count() { echo "$1" | sed -n "s/.* $2=\"\([0-9]*\)\".*/\1/p"; }
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(count "$counters" passed); f=$(count "$counters" failed); e=$(count "$counters" error); t=$(count "$counters" timeout)
  n=$(count "$counters" notExecuted)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0})); skipped=$((skipped + ${n:-0}))
  # Each skipped test and the reason it gave (Assert.Ignore's message, stored as the result's ErrorInfo message).
  while IFS=$'\t' read -r name reason; do
    [ -n "$name" ] || continue
    if [ -z "$reason" ]; then unexplained=$((unexplained + 1)); reason="NO REASON GIVEN (counted as a failure)"; fi
    echo "skipped: $name: $reason"
  done < <(awk 'function text(s) {
      gsub(/[\r\n\t]+/, " ", s); gsub(/&apos;/, "\047", s); gsub(/&quot;/, "\"", s)
      gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&amp;/, "\\&", s); return s
    }
    BEGIN { RS = "<UnitTestResult " }
    substr($0, 1, index($0, ">")) ~ /outcome="NotExecuted"/ {
      name = ""; reason = ""
      if (match($0, /testName="[^"]*"/)) name = substr($0, RSTART + 10, RLENGTH - 11)
      if (match($0, /<Message>[^<]*<\/Message>/)) reason = substr($0, RSTART + 9, RLENGTH - 19)
      printf "%s\t%s\n", text(name), text(reason)
    }' "$trx")
  # Each failed test and the start of its message on one line, so the tail of a CI log says which ones they were.
  while IFS=$'\t' read -r name reason; do
    [ -n "$name" ] && echo "failed: $name: $reason"
  # The outcome is read from the result's own tag: the file's last record runs on to <ResultSummary outcome="Failed">.
  done < <(awk 'BEGIN { RS = "<UnitTestResult " }
    substr($0, 1, index($0, ">")) ~ /outcome="(Failed|Error|Timeout)"/ {
      name = ""; reason = ""
      if (match($0, /testName="[^"]*"/)) name = substr($0, RSTART + 10, RLENGTH - 11)
      if (match($0, /<Message>[^<]*/)) { reason = substr($0, RSTART + 9, RLENGTH - 9); gsub(/[\r\n\t ]+/, " ", reason) }
      printf "%s\t%.300s\n", name, reason
    }' "$trx")
done
failed=$((failed + unexplained))
# A test host that crashed leaves no counts behind: never report green for a red run.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$unexplained" -gt 0 ] && [ "$rc" -eq 0 ]; then rc=1; fi
echo "$passed passed, $failed failed, $skipped skipped" | tee test-artifacts/summary.txt
exit $rc
