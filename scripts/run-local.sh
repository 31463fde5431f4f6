#!/usr/bin/env bash
# `make run`: a local PostgreSQL (unless DATABASE_URL is set), migrations, a demo application, and both
# services in the foreground on http://localhost:5000 (TokenService) and http://localhost:5001 (ResourceApi).
# Ctrl-C stops the services and the local cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

ts=$PWD/artifacts/bin/TokenService/release/TokenService
api=$PWD/artifacts/bin/ResourceApi/release/ResourceApi
mkdir -p .local

# Stop the local cluster on exit only if this run started it (another run or `make db-start` may be using it).
started_cluster=no
if [ -z "${DATABASE_URL:-}" ]; then
  db/local-pg.sh status >/dev/null 2>&1 || started_cluster=yes
  DATABASE_URL=$(db/local-pg.sh start)
fi
export DATABASE_URL

# A key-encryption key for this machine, made once and kept out of git (.local/ is ignored).
if [ -z "${KEY_ENCRYPTION_KEY:-}" ]; then
  [ -s .local/kek ] || (umask 077; openssl rand -base64 32 > .local/kek)
  KEY_ENCRYPTION_KEY=$(cat .local/kek)
fi
export KEY_ENCRYPTION_KEY
export Issuer=${Issuer:-http://localhost:5000}

for port in 5000 5001; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "port $port is already in use: stop whatever listens there (an earlier make run?) and try again" >&2
    exit 1
  fi
done

"$ts" migrate

# The demo application's secret is shown once at creation, so it is kept in .local/demo.json for later runs;
# if that file is gone, or belongs to another database (DATABASE_URL changed), the secret is rotated to show a
# fresh one. The CLI prints indented JSON, one member per line: no JSON tool needed (a fresh machine may lack python3).
demo_name="demo"
json_member() { [ -s .local/demo.json ] && sed -n "s/^ *\"$1\": *\"\([^\"]*\)\".*/\1/p" .local/demo.json | head -1; }
demo_id=$("$ts" applications list | tr -d '\n' | sed -n "s/.*\"clientId\": *\"\([^\"]*\)\", *\"name\": *\"$demo_name\".*/\1/p")
if [ -z "$demo_id" ]; then
  (umask 077; "$ts" applications create --name "$demo_name" --description "Created by make run" \
     --scopes "admin metric:query metric:read metric:stats data_pool:query data_pool:stats" > .local/demo.json)
elif [ "$(json_member clientId || true)" != "$demo_id" ]; then
  (umask 077; "$ts" applications rotate-secret "$demo_id" > .local/demo.json)
fi
client_id=$(json_member clientId)
secret=$(json_member secret)

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$started_cluster" = yes ]; then db/local-pg.sh stop; fi
  echo "stopped."
  exit "${1:-0}"
}
trap 'stop 0' INT TERM
trap 'stop 1' EXIT

# Human-readable log lines in the terminal; production keeps the default, one JSON object per line.
export Logging__Format=text

# waits up to 30 s for a URL to answer 2xx, or for the service behind it to die.
wait_ready() {
  for _ in $(seq 1 300); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || { echo "$3 stopped during start-up; see its output above" >&2; return 1; }
    sleep 0.1
  done
  echo "$3 did not become ready in 30 s; see its output above" >&2
  return 1
}

# Each service reads the appsettings.json beside its binary, wherever make was run from. The TokenService first,
# and the ResourceApi only once it is ready: the API reads discovery and the revocation feed from it at start.
ASPNETCORE_URLS=http://127.0.0.1:5000 ASPNETCORE_CONTENTROOT=$(dirname "$ts") "$ts" & pids+=($!)
wait_ready http://127.0.0.1:5000/readyz "${pids[0]}" TokenService || exit 1
ASPNETCORE_URLS=http://127.0.0.1:5001 ASPNETCORE_CONTENTROOT=$(dirname "$api") "$api" & pids+=($!)
wait_ready http://127.0.0.1:5001/healthz "${pids[1]}" ResourceApi || exit 1

cat <<MSG

TokenService  http://localhost:5000   (discovery: http://localhost:5000/.well-known/openid-configuration)
ResourceApi   http://localhost:5001   (GraphQL:   http://localhost:5001/graphql)

Demo application (kept in .local/demo.json):
  clientId: $client_id
  secret:   $secret

Get a token:
  curl -s http://localhost:5000/oauth2/token -d grant_type=client_credentials -d client_id=$client_id -d client_secret=$secret -d 'scope=metric:query metric:stats'

Call the API with it:
  TOKEN=\$(curl -s http://localhost:5000/oauth2/token -d grant_type=client_credentials -d client_id=$client_id -d client_secret=$secret | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  curl -s http://localhost:5001/graphql -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"query":"{ counter(metric: \\"revenue\\") { value } metrics(first: 3) { edges { node { uniqueName type } } } }"}'

Ctrl-C stops everything.
MSG
# Returns when either service exits by itself (a crash): then stop the other and say so.
wait -n "${pids[@]}" 2>/dev/null || true
echo "a service stopped unexpectedly; stopping the other" >&2
stop 1
