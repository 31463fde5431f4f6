#!/usr/bin/env bash
# `make test`: every test project against real PostgreSQL, then one line "N passed, N failed".
# Uses DATABASE_URL / TEST_DATABASE_URL when set; otherwise a throwaway local cluster in .local/pg-test.
set -uo pipefail
cd "$(dirname "$0")/.."

results=test-artifacts/results
rm -rf "$results"; mkdir -p "$results"

started_cluster=no
if [ -z "${TEST_DATABASE_URL:-}" ] && [ -z "${DATABASE_URL:-}" ]; then
  export PGLOCAL_DIR="$PWD/.local/pg-test" PGLOCAL_PORT=54330 PGLOCAL_DB=postgres
  db/local-pg.sh status >/dev/null 2>&1 || started_cluster=yes
  TEST_DATABASE_URL=$(db/local-pg.sh start) || { echo "0 passed, 1 failed"; exit 1; }
  export TEST_DATABASE_URL
fi
cleanup() { [ "$started_cluster" = yes ] && db/local-pg.sh stop; }
trap cleanup EXIT

dotnet build TokenService.slnx -c Debug -nologo -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }

dotnet test TokenService.slnx --no-build -nologo --logger "trx" --results-directory "$results" "$@"
rc=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p'); f=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  e=$(echo "$counters" | sed -n 's/.* error="\([0-9]*\)".*/\1/p'); t=$(echo "$counters" | sed -n 's/.* timeout="\([0-9]*\)".*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0}))
done
# A test host that crashed leaves no counts behind: never report green for a red run.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed" | tee test-artifacts/summary.txt
exit $rc
