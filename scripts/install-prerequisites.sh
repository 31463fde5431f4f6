#!/usr/bin/env bash
# What `make run` and `make test` need beyond the .NET SDK, installed on Debian/Ubuntu when missing: PostgreSQL
# server binaries (initdb, pg_ctl: the system service is never used), make, openssl, curl; with --browser also
# Chromium and its driver, node with npm, pgbouncer, haproxy and pg_auto_failover (the browser, graphql-js, pgbouncer,
# load balancer and failover tests; CI passes it).
# Uses apt-get directly as root, sudo otherwise; when neither can work, prints the one command to run and fails.
# Does nothing when all is present.
set -euo pipefail

need=()
if [ -z "${DATABASE_URL:-}${TEST_DATABASE_URL:-}" ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need+=(postgresql)
fi
command -v make >/dev/null 2>&1 || need+=(make)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ "${1:-}" = "--browser" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium chromium-driver)
  # graphql-js (the GraphQL tools' own introspection query) runs under node in the ResourceApi tests.
  command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
  # The pgbouncer tests start their own pgbouncer (transaction mode) in front of the test server; skipped without it.
  [ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null 2>&1 || need+=(pgbouncer)
  # The load balancer tests put their own HAProxy in front of two TokenService instances; skipped without it.
  [ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
  # The failover test runs its own pg_auto_failover formation (monitor, primary, synchronous standby); skipped without it.
  command -v pg_autoctl >/dev/null 2>&1 || need+=(postgresql-15-auto-failover pg-auto-failover-cli)
fi
[ ${#need[@]} -gt 0 ] || exit 0

instruction="sudo apt-get update && sudo apt-get install -y ${need[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing: ${need[*]} (no apt-get here: install them with your package manager, or set DATABASE_URL)" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
  # Non-interactive sudo, or a terminal where sudo can ask for the password.
  sudo=(sudo)
else
  echo "missing: ${need[*]}; install them with: $instruction" >&2
  exit 1
fi

echo "installing: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }; then
  echo "installing ${need[*]} failed; try: $instruction" >&2
  exit 1
fi
