#!/usr/bin/env bash
# `make bench`: builds Release, starts a throwaway PostgreSQL (its own port and folder, so `make run` and
# `make test` clusters are left alone), both services on loopback, creates the bench applications, runs the
# load generator (bench/) and prints each figure beside its issue-8 target. The table also goes to
# test-artifacts/bench.md. Everything it started is stopped on exit, the cluster included.
#
# Environment (all optional): ArtifactsPath (build output, default ./artifacts), BENCH_WARMUP / BENCH_WINDOW
# (seconds per scenario, default 3 / 10), BENCH_JIT_WARMUP (unrecorded seconds per path first, 5), BENCH_COLD_CLIENTS (default 20), BENCH_FLOOD (default 1000),
# BENCH_SCENARIOS (comma list, see `Bench --help`; any one runs alone, e.g. BENCH_SCENARIOS=fleet), BENCH_GRAPHQL_QUERY,
# BENCH_TOKEN_EXTRA, BENCH_SKIP_BUILD=1, BENCH_SECRET_TTL (the TokenService's ProvenSecretCacheSeconds here, default 10,
# so the soak covers 2.5 lifetimes in under a minute).
set -euo pipefail
cd "$(dirname "$0")/.."

artifacts=${ArtifactsPath:-$PWD/artifacts}
ts=$artifacts/bin/TokenService/release/TokenService
api=$artifacts/bin/ResourceApi/release/ResourceApi
bench=$artifacts/bin/Bench/release/Bench
state=$PWD/.local/bench
# BENCH_PORT (default 5100) and the next four ports: where the services listen (the TokenService, the ResourceApi,
# the JsonWebTokenHandler reference, the ES256 TokenService, an RS256 one at product defaults), so two runs on one
# machine can coexist.
bench_port=${BENCH_PORT:-5100}
ts_url=http://127.0.0.1:$bench_port
api_url=http://127.0.0.1:$((bench_port + 1))
reference_url=http://127.0.0.1:$((bench_port + 2))
es_url=http://127.0.0.1:$((bench_port + 3))
rs_url=http://127.0.0.1:$((bench_port + 4))
reference=$artifacts/bin/JwtHandlerReference/release/JwtHandlerReference
export PGLOCAL_DIR=${PGLOCAL_DIR:-$PWD/.local/pg-bench} PGLOCAL_PORT=${PGLOCAL_PORT:-54331} PGLOCAL_DB=bench
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
scopes="admin metric:query metric:read metric:stats data_pool:query data_pool:stats"

say() { echo "bench: $*" >&2; }

for port in $(seq "$bench_port" "$((bench_port + 4))"); do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    say "port $port is already in use (an earlier make bench still running?): stop it and try again"; exit 1
  fi
done

# Only what runs is built (not the tests): a test project mid-edit must not stop a benchmark, and a ResourceApi
# that does not build only costs its own rows.
api_built=yes
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  say "building Release into $artifacts"
  dotnet build TokenService/TokenService.csproj -c Release -nologo -clp:ErrorsOnly
  dotnet build bench/Bench.csproj -c Release -nologo -clp:ErrorsOnly
  dotnet build bench/Reference/JwtHandlerReference.csproj -c Release -nologo -clp:ErrorsOnly
  dotnet build ResourceApi/ResourceApi.csproj -c Release -nologo -clp:ErrorsOnly || api_built=no
fi
[ -x "$ts" ] && [ -x "$bench" ] || { say "missing $ts or $bench after the build"; exit 1; }

# The flood holds 1,000 connections open on each side; the default of 1,024 descriptors is too tight.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  db/local-pg.sh stop || true
}
trap stop INT TERM EXIT

# A fresh database each run: applications and signing keys left by an earlier run would skew it.
say "starting PostgreSQL on 127.0.0.1:$PGLOCAL_PORT"
DATABASE_URL=$(db/local-pg.sh start)
psql_bin=$(command -v psql || ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -1)
"$psql_bin" -h 127.0.0.1 -p "$PGLOCAL_PORT" -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $PGLOCAL_DB WITH (FORCE)" >/dev/null
DATABASE_URL=$(db/local-pg.sh start)
export DATABASE_URL
# The postmaster's pid (first line of postmaster.pid), so the bench can account PostgreSQL's CPU apart.
pg_dir=$(db/local-pg.sh status | sed -n 's/^running on [^ ]* (\(.*\))$/\1/p')
pg_pid=$(head -1 "$pg_dir/postmaster.pid" 2>/dev/null || echo 0)
KEY_ENCRYPTION_KEY=$(openssl rand -base64 32)
export KEY_ENCRYPTION_KEY Issuer=$ts_url Logging__LogLevel__Default=Warning
# The soak must outlast the proven-secret cache 2.5 times; the stranger flood needs the TokenService to believe the
# ResourceApi's X-Forwarded-For (both on 127.0.0.1 here), as an operator configures it (docs/configuration.md).
export BENCH_SECRET_TTL=${BENCH_SECRET_TTL:-10}
export ProvenSecretCacheSeconds=$BENCH_SECRET_TTL ForwardedHeaders__KnownProxies__0=127.0.0.1

rm -rf "$state"; mkdir -p "$state/cold"; chmod 700 "$state"
"$ts" migrate >/dev/null
"$ts" applications create --name bench-warm --scopes "$scopes" >"$state/warm.json"
# The access-policy scenario (issue 15 point 7): the same rows (product widget) through a Metric filter on the open
# pool, and through a pool with Access Control on whose policy fills the product from the token's policy_values.
warm_id=$(sed -n 's/.*"clientId": *"\([^"]*\)".*/\1/p' "$state/warm.json" | head -1)
"$psql_bin" -h 127.0.0.1 -p "$PGLOCAL_PORT" -U postgres -d "$PGLOCAL_DB" -qv ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO resource.data_pools (id, unique_name, description, data_source_id, table_name, timestamp_column, tenant_column,
                                 access_control_enabled)
VALUES ('00000000-0000-4000-8000-0000000001b1', 'bench_orders_controlled', 'bench: the orders behind Access Control',
        '00000000-0000-4000-8000-000000000001', 'orders', 'timestamp', 'tenant', true);
INSERT INTO resource.metrics (id, unique_name, description, data_pool_id, type, measure, filters)
VALUES ('00000000-0000-4000-8000-0000000002b1', 'bench_order_count_controlled', 'bench: orders, rows by the policy',
        '00000000-0000-4000-8000-0000000001b1', 'COUNT', NULL, '[]'),
       ('00000000-0000-4000-8000-0000000002b2', 'bench_widget_order_count', 'bench: widget orders by a Metric filter',
        '00000000-0000-4000-8000-000000000101', 'COUNT', NULL, '[{"column": "product", "operator": "EQUALS", "value": "widget"}]');
SQL
"$ts" policies create bench-product --data-pool bench_orders_controlled --columns '*' --row 'product EQUALS ${{ product }}' >/dev/null
"$ts" policies assign bench-product "$warm_id" >/dev/null
cold=${BENCH_COLD_CLIENTS:-20}
say "creating $cold fresh applications for the cold grant"
for i in $(seq -w 1 "$cold"); do
  "$ts" applications create --name "bench-cold-$i" --scopes "$scopes" >"$state/cold/$i.json"
done

mkdir -p "$state/traffic"
for app in soak fleet stranger; do
  "$ts" applications create --name "bench-$app" --scopes "$scopes" >"$state/traffic/$app.json"
done
export BENCH_TRAFFIC_DIR=$state/traffic

say "starting TokenService on $ts_url"
ASPNETCORE_URLS=$ts_url "$ts" >"$state/tokenservice.log" 2>&1 & ts_pid=$!; pids+=("$ts_pid")
ready=no
for _ in $(seq 1 150); do
  if curl -fsS "$ts_url/readyz" >/dev/null 2>&1; then ready=yes; break; fi
  kill -0 "$ts_pid" 2>/dev/null || break
  sleep 0.2
done
[ "$ready" = yes ] || { say "TokenService did not become ready; its log:"; tail -30 "$state/tokenservice.log" >&2; exit 1; }

api_args=(--api-unavailable "ResourceApi not built ($api missing)")
[ "$api_built" = yes ] || api_args=(--api-unavailable "ResourceApi failed to build (see the build output above)")
api_pid=0
if [ "$api_built" = yes ] && [ -x "$api" ]; then
  say "starting ResourceApi on $api_url"
  ASPNETCORE_URLS=$api_url "$api" >"$state/resourceapi.log" 2>&1 & api_pid=$!; pids+=("$api_pid")
  api_args=(--api-unavailable "ResourceApi did not answer /healthz (see .local/bench/resourceapi.log)")
  for _ in $(seq 1 75); do
    if curl -fsS "$api_url/healthz" >/dev/null 2>&1; then api_args=(--api-url "$api_url"); break; fi
    kill -0 "$api_pid" 2>/dev/null || break
    sleep 0.2
  done
fi

# wait_up NAME URL PID LOG: until URL answers (at most 30 s); 0 when it did.
wait_up() {
  for _ in $(seq 1 150); do
    if curl -fsS "$2" >/dev/null 2>&1; then return 0; fi
    kill -0 "$3" 2>/dev/null || break
    sleep 0.2
  done
  say "$1 did not come up; its log:"; tail -20 "$4" >&2; return 1
}

# jwt-handler (issue 17 point 6): the bare JsonWebTokenHandler endpoint our warm issuance is measured against.
side_args=()
scenarios=${BENCH_SCENARIOS:-rsa,warm16,warm64,jwt-handler,es256,cold,api-bearer,api-basic,alias-flood,fleet,soak,stranger-flood,flood}
if [[ ",$scenarios," == *,jwt-handler,* ]] && [ -x "$reference" ]; then
  say "starting the JsonWebTokenHandler reference on $reference_url"
  ASPNETCORE_URLS=$reference_url Issuer=$reference_url "$reference" >"$state/reference.log" 2>&1 & ref_pid=$!; pids+=("$ref_pid")
  if wait_up "the reference endpoint" "$reference_url/healthz" "$ref_pid" "$state/reference.log"; then
    side_args+=(--reference-url "$reference_url" --reference-pid "$ref_pid")
  fi
fi

# Both side-by-side scenarios compare against our RS256 issuance at product defaults: the main instance's short
# ProvenSecretCacheSeconds (for the soak) re-runs Argon2id every 7.5 s, which is not what a deployment does.
if [[ ",$scenarios," == *,jwt-handler,* || ",$scenarios," == *,es256,* ]] && [ "${BENCH_SIDE_DEFAULTS:-1}" = 1 ]; then
  say "starting an RS256 TokenService at product defaults on $rs_url"
  env -u ProvenSecretCacheSeconds Issuer=$rs_url ASPNETCORE_URLS=$rs_url "$ts" >"$state/tokenservice-rs256.log" 2>&1 &
  rs_pid=$!; pids+=("$rs_pid")
  if wait_up "the RS256 TokenService" "$rs_url/readyz" "$rs_pid" "$state/tokenservice-rs256.log"; then
    side_args+=(--rs256-url "$rs_url" --rs256-pid "$rs_pid")
  fi
fi

# es256: a second TokenService, its own database, its key ring ES256 from the first key on.
if [[ ",$scenarios," == *,es256,* ]]; then
  "$psql_bin" -h 127.0.0.1 -p "$PGLOCAL_PORT" -U postgres -d postgres -qc "DROP DATABASE IF EXISTS bench_es256 WITH (FORCE)" >/dev/null
  es_db=$(PGLOCAL_DB=bench_es256 db/local-pg.sh start)
  DATABASE_URL=$es_db "$ts" migrate >/dev/null
  DATABASE_URL=$es_db "$ts" applications create --name bench-warm-es256 --scopes "$scopes" >"$state/warm-es256.json"
  say "starting the ES256 TokenService on $es_url"
  env -u ProvenSecretCacheSeconds DATABASE_URL=$es_db SigningAlgorithm=ES256 Issuer=$es_url ASPNETCORE_URLS=$es_url "$ts" \
    >"$state/tokenservice-es256.log" 2>&1 &
  es_pid=$!; pids+=("$es_pid")
  if wait_up "the ES256 TokenService" "$es_url/readyz" "$es_pid" "$state/tokenservice-es256.log"; then
    side_args+=(--es256-url "$es_url" --es256-app "$state/warm-es256.json" --es256-pid "$es_pid")
  fi
fi

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- TokenService ResourceApi Shared 2>/dev/null)" ]; then
  commit="$commit + uncommitted changes in TokenService/ResourceApi/Shared"
fi

mkdir -p test-artifacts
BENCH_TOKEN_SETTINGS=$(dirname "$ts")/appsettings.json "$bench" \
  --token-url "$ts_url" --warm-app "$state/warm.json" --cold-dir "$state/cold" "${api_args[@]}" "${side_args[@]}" \
  --ts-pid "$ts_pid" --api-pid "$api_pid" --pg-pid "$pg_pid" \
  --warmup "${BENCH_WARMUP:-3}" --window "${BENCH_WINDOW:-10}" --jit-warmup "${BENCH_JIT_WARMUP:-5}" --flood "${BENCH_FLOOD:-1000}" \
  --scenarios "$scenarios" \
  --commit "$commit" --out test-artifacts/bench.md
