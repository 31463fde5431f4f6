#!/usr/bin/env bash
# A throwaway local PostgreSQL cluster for `make run` and `make test`.
#   db/local-pg.sh start|stop|status|url   (env: PGLOCAL_DIR, PGLOCAL_PORT, PGLOCAL_DB)
# The cluster lives in a git-ignored folder (.local/) and listens on 127.0.0.1 only, with trust auth:
# it holds nothing worth protecting and is never reachable from another machine.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
port=${PGLOCAL_PORT:-54329}
dir=${PGLOCAL_DIR:-$repo/.local/pg}
database=${PGLOCAL_DB:-tokenservice}

find_bindir() {
  local d
  if command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir 2>/dev/null || true)
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return; }
  return 1
}

bindir=$(find_bindir) || {
  echo "PostgreSQL server binaries (initdb, pg_ctl) not found: install them with 'sudo apt-get install -y postgresql'" \
       "(Debian/Ubuntu), or set DATABASE_URL to an existing server." >&2
  exit 1
}

# initdb refuses to run as root: run the cluster as the unprivileged 'postgres' user then.
# From / : the postgres user may not be allowed into the current directory (a checkout under /root).
as_owner() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  # The postgres user must reach the folder; a repo under /root is not reachable, so fall back to /tmp.
  mkdir -p "$(dirname "$dir")"
  if ! runuser -u postgres -- test -x "$(dirname "$dir")"; then
    dir=/tmp/tokenservice-pg-$(echo "$repo$port" | md5sum | cut -c1-8)
  fi
fi

url() { echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=$database"; }

running() { [ -f "$dir/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; }

start() {
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    chmod 700 "$dir"
    as_owner "$bindir/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --no-locale >"$dir.initdb.log" 2>&1 || {
      cat "$dir.initdb.log" >&2; exit 1; }
    cat >>"$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 256MB
# Throwaway cluster: durability traded for speed.
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  fi
  if ! running; then
    as_owner "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null || {
      tail -20 "$dir/server.log" >&2; exit 1; }
  fi
  if ! "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
    "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE \"$database\"" >/dev/null
  fi
}

stop() { if running; then as_owner "$bindir/pg_ctl" -D "$dir" -m fast -w stop >/dev/null; fi; }

case "${1:-}" in
  start) start; url ;;
  stop) stop ;;
  status) if running; then echo "running on 127.0.0.1:$port ($dir)"; else echo "stopped"; exit 3; fi ;;
  url) url ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
