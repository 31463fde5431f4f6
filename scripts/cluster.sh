#!/usr/bin/env bash
# `make cluster` (issue 18 point 1): the production topology on this one machine, bounded for 2 cores.
#   - PostgreSQL under pg_auto_failover: a monitor and two nodes, the standby synchronous (replication quorum), small
#     shared_buffers;
#   - HAProxy routing PostgreSQL connections to whichever node is the primary (an external check asks each node
#     pg_is_in_recovery()), so nothing above it needs to know where the primary is after a failover;
#   - pgbouncer in transaction mode in front of that;
#   - two TokenService and two ResourceApi instances: DATABASE_URL at pgbouncer, DIRECT_DATABASE_URL at both nodes
#     with Target Session Attributes=primary (LISTEN/NOTIFY and migrate follow the primary by themselves);
#   - HAProxy balancing each pair, health checks on /readyz (a draining instance drops out), X-Forwarded-For.
# Prints the URLs and a working curl; Ctrl-C stops everything it started. Installs the Debian packages it lacks.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

ts=$repo/artifacts/bin/TokenService/release/TokenService
api=$repo/artifacts/bin/ResourceApi/release/ResourceApi
bindir=/usr/lib/postgresql/15/bin
state=${CLUSTER_DIR:-/tmp/tokenservice-cluster}
base=${CLUSTER_PORT:-55400}
monitor_port=$base node1_port=$((base + 1)) node2_port=$((base + 2)) pg_lb_port=$((base + 3)) bouncer_port=$((base + 4))
ts_ports=($((base + 10)) $((base + 11))) api_ports=($((base + 20)) $((base + 21)))
ts_lb=$((base + 30)) api_lb=$((base + 31))
say() { echo "cluster: $*" >&2; }

need=()
command -v pg_autoctl >/dev/null 2>&1 || need+=(postgresql-15-auto-failover pg-auto-failover-cli)
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
[ -x "$bindir/initdb" ] || need+=(postgresql-15)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { say "missing ${need[*]}: sudo apt-get install -y ${need[*]}"; exit 1; }
  say "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${need[@]}" >/dev/null || { say "installing ${need[*]} failed"; exit 1; }
fi
pgbouncer_bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
haproxy_bin=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$ts" ] && [ -x "$api" ] || { say "missing $ts or $api: run make build"; exit 1; }

for port in $monitor_port $node1_port $node2_port $pg_lb_port $bouncer_port "${ts_ports[@]}" "${api_ports[@]}" $ts_lb $api_lb; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    say "port $port is in use (an earlier make cluster still running?); stop it, or set CLUSTER_PORT"; exit 1
  fi
done

# PostgreSQL and pgbouncer refuse to run as root: they run as postgres, in a folder that user can reach.
# pg_autoctl keeps each node's state under XDG folders keyed by the data directory: kept inside $state, so a new run
# never meets an earlier run's state (a node it would take for itself, with another system identifier).
pg_env=(PATH="$bindir:$PATH" XDG_CONFIG_HOME="$state/xdg/config" XDG_DATA_HOME="$state/xdg/data" XDG_RUNTIME_DIR="$state/xdg/run")
as_pg() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- env "${pg_env[@]}" "$@"); else env "${pg_env[@]}" "$@"; fi; }
[ "$(id -u)" != 0 ] || id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
rm -rf "$state"; mkdir -p "$state/logs" "$state/xdg/config" "$state/xdg/data" "$state/xdg/run"; chmod 755 "$state"
chmod 700 "$state/xdg/run"
[ "$(id -u)" != 0 ] || chown -R postgres: "$state"

pids=()
stop() {
  trap - INT TERM EXIT
  say "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # runuser does not pass the signal on to pgbouncer: stop it by its own pid file.
  [ -s "$state/pgbouncer.pid" ] && kill -TERM "$(cat "$state/pgbouncer.pid")" 2>/dev/null || true
  for node in node2 node1 monitor; do as_pg pg_autoctl stop --pgdata "$state/$node" >/dev/null 2>&1 || true; done
  say "stopped"
  exit "${1:-0}"
}
trap 'stop 0' INT TERM
trap 'stop 1' EXIT

# Bounded for 2 cores: small buffers, few connections, one autovacuum worker.
small_conf() {
  cat >>"$state/$1/postgresql.conf" <<CONF
shared_buffers = 32MB
max_connections = 60
autovacuum_max_workers = 1
max_worker_processes = 4
CONF
}

say "PostgreSQL monitor on $monitor_port"
as_pg pg_autoctl create monitor --pgdata "$state/monitor" --pgport $monitor_port --hostname 127.0.0.1 --auth trust --no-ssl \
  >"$state/logs/monitor-create.log" 2>&1 || { cat "$state/logs/monitor-create.log" >&2; exit 1; }
small_conf monitor
as_pg pg_autoctl run --pgdata "$state/monitor" >"$state/logs/monitor.log" 2>&1 & pids+=($!)
monitor_uri="postgres://autoctl_node@127.0.0.1:$monitor_port/pg_auto_failover?sslmode=disable"
monitor_up=no
for _ in $(seq 1 60); do
  as_pg "$bindir/psql" "$monitor_uri" -Atc "select 1" >/dev/null 2>&1 && { monitor_up=yes; break; }
  sleep 1
done
[ "$monitor_up" = yes ] || { say "the monitor did not start; see $state/logs/monitor.log"; exit 1; }

start_node() {
  local name=$1 port=$2
  as_pg pg_autoctl create postgres --pgdata "$state/$name" --pgport "$port" --hostname 127.0.0.1 --name "$name" \
    --dbname tokenservice --auth trust --no-ssl --monitor "$monitor_uri" >"$state/logs/$name-create.log" 2>&1 ||
    { cat "$state/logs/$name-create.log" >&2; exit 1; }
  small_conf "$name"
  as_pg pg_autoctl run --pgdata "$state/$name" >"$state/logs/$name.log" 2>&1 & pids+=($!)
}
wait_states() {
  for _ in $(seq 1 180); do
    local states
    states=$(as_pg "$bindir/psql" "$monitor_uri" -Atc \
      "select string_agg(reportedstate::text, ' ' order by nodename) from pgautofailover.node" 2>/dev/null || true)
    [ "$states" = "$1" ] && return 0
    sleep 1
  done
  say "the nodes did not reach '$1' in 180 s; see $state/logs"; exit 1
}
say "PostgreSQL node1 on $node1_port (first: primary)"
start_node node1 $node1_port
wait_states "single"
say "PostgreSQL node2 on $node2_port (synchronous standby; the base backup takes a moment)"
start_node node2 $node2_port
wait_states "primary secondary"

# HAProxy in TCP mode sends PostgreSQL connections to the node that answers "not in recovery".
cat >"$state/pg-primary-check.sh" <<CHECK
#!/bin/sh
# HAProxy external check: arguments are proxy address, proxy port, server address, server port.
[ "\$("$bindir/psql" -h "\$3" -p "\$4" -U postgres -d tokenservice -Atc 'select pg_is_in_recovery()' 2>/dev/null)" = f ]
CHECK
chmod 755 "$state/pg-primary-check.sh"

cat >"$state/haproxy.cfg" <<CFG
global
  external-check
  insecure-fork-wanted
  maxconn 2000
defaults
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout check 2s
frontend postgres_primary
  mode tcp
  bind 127.0.0.1:$pg_lb_port
  default_backend postgres_nodes
backend postgres_nodes
  mode tcp
  option external-check
  external-check command $state/pg-primary-check.sh
  default-server inter 1s fall 1 rise 1 on-marked-down shutdown-sessions
  server node1 127.0.0.1:$node1_port check
  server node2 127.0.0.1:$node2_port check
frontend tokenservice
  mode http
  bind 127.0.0.1:$ts_lb
  option forwardfor
  default_backend tokenservice_instances
backend tokenservice_instances
  mode http
  balance roundrobin
  option allbackups
  option httpchk GET /readyz
  http-check expect status 200
  option redispatch
  retries 2
  retry-on conn-failure empty-response
  default-server inter 500ms fall 1 rise 2
  server ts1 127.0.0.1:${ts_ports[0]} check
  server ts2 127.0.0.1:${ts_ports[1]} check
  # /readyz fails on every instance at once while the database fails over (a shared dependency): then, and only then,
  # the same instances unchecked, so warm requests keep being served and cold ones get the service's own 503.
  server ts1-unchecked 127.0.0.1:${ts_ports[0]} backup
  server ts2-unchecked 127.0.0.1:${ts_ports[1]} backup
frontend resourceapi
  mode http
  bind 127.0.0.1:$api_lb
  option forwardfor
  default_backend resourceapi_instances
backend resourceapi_instances
  mode http
  balance roundrobin
  option allbackups
  option httpchk GET /readyz
  http-check expect status 200
  option redispatch
  retries 2
  retry-on conn-failure empty-response
  default-server inter 500ms fall 1 rise 2
  server api1 127.0.0.1:${api_ports[0]} check
  server api2 127.0.0.1:${api_ports[1]} check
  server api1-unchecked 127.0.0.1:${api_ports[0]} backup
  server api2-unchecked 127.0.0.1:${api_ports[1]} backup
CFG
say "HAProxy: PostgreSQL primary on $pg_lb_port, TokenService on $ts_lb, ResourceApi on $api_lb"
"$haproxy_bin" -db -f "$state/haproxy.cfg" >"$state/logs/haproxy.log" 2>&1 & pids+=($!)

cat >"$state/pgbouncer.ini" <<INI
[databases]
tokenservice = host=127.0.0.1 port=$pg_lb_port dbname=tokenservice user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
auth_type = trust
auth_file = $state/userlist.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 1000
server_reset_query =
# After a failover pgbouncer would wait 15 s (the default) before it tries to log in again: retry at once.
server_login_retry = 1
logfile = $state/logs/pgbouncer.log
pidfile = $state/pgbouncer.pid
unix_socket_dir =
INI
echo '"postgres" ""' >"$state/userlist.txt"
[ "$(id -u)" != 0 ] || chown postgres: "$state/pgbouncer.ini" "$state/userlist.txt" "$state/pg-primary-check.sh"
say "pgbouncer (transaction mode) on $bouncer_port"
as_pg "$pgbouncer_bin" "$state/pgbouncer.ini" >"$state/logs/pgbouncer.out" 2>&1 & pids+=($!)

export DATABASE_URL="Host=127.0.0.1;Port=$bouncer_port;Username=postgres;Database=tokenservice"
export DIRECT_DATABASE_URL="Host=127.0.0.1:$node1_port,127.0.0.1:$node2_port;Username=postgres;Database=tokenservice;Target Session Attributes=primary"
for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/$bouncer_port) 2>/dev/null && break; sleep 0.5; done
KEY_ENCRYPTION_KEY=$(openssl rand -base64 32)
export KEY_ENCRYPTION_KEY Issuer=http://127.0.0.1:$ts_lb Logging__Format=text Logging__LogLevel__Default=Warning
export ForwardedHeaders__KnownProxies__0=127.0.0.1 Shutdown__DrainSeconds=2
# One worker each: four services share the two cores with PostgreSQL.
export DOTNET_gcServer=0 DOTNET_GCHeapCount=1
"$ts" migrate >"$state/logs/migrate.log" 2>&1 || { cat "$state/logs/migrate.log" >&2; exit 1; }
(umask 077; "$ts" applications create --name cluster-demo \
  --scopes "admin metric:query metric:read metric:stats data_pool:query data_pool:stats" >"$state/demo.json")
client_id=$(sed -n 's/^ *"clientId": *"\([^"]*\)".*/\1/p' "$state/demo.json" | head -1)
secret=$(sed -n 's/^ *"secret": *"\([^"]*\)".*/\1/p' "$state/demo.json" | head -1)

wait_ready() {
  for _ in $(seq 1 300); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  say "$1 did not become ready in 30 s; see $state/logs"; exit 1
}
for i in 0 1; do
  ASPNETCORE_URLS=http://127.0.0.1:${ts_ports[$i]} ASPNETCORE_CONTENTROOT=$(dirname "$ts") "$ts" \
    >"$state/logs/tokenservice-$((i + 1)).log" 2>&1 & pids+=($!)
done
for i in 0 1; do wait_ready "http://127.0.0.1:${ts_ports[$i]}/readyz"; done
for i in 0 1; do
  ASPNETCORE_URLS=http://127.0.0.1:${api_ports[$i]} ASPNETCORE_CONTENTROOT=$(dirname "$api") "$api" \
    >"$state/logs/resourceapi-$((i + 1)).log" 2>&1 & pids+=($!)
done
for i in 0 1; do wait_ready "http://127.0.0.1:${api_ports[$i]}/readyz"; done
wait_ready "http://127.0.0.1:$ts_lb/readyz"

cat <<EOF

The cluster is up (logs in $state/logs):
  TokenService (2 instances behind HAProxy)  http://127.0.0.1:$ts_lb
  ResourceApi  (2 instances behind HAProxy)  http://127.0.0.1:$api_lb/graphql
  pgbouncer (transaction mode)               127.0.0.1:$bouncer_port  -> HAProxy -> the primary ($pg_lb_port)
  PostgreSQL nodes                           127.0.0.1:$node1_port, 127.0.0.1:$node2_port (monitor $monitor_port)
  state of the nodes:  XDG_CONFIG_HOME=$state/xdg/config XDG_DATA_HOME=$state/xdg/data pg_autoctl show state --pgdata $state/monitor
  fail over by hand:   XDG_CONFIG_HOME=$state/xdg/config XDG_DATA_HOME=$state/xdg/data pg_autoctl perform failover --pgdata $state/monitor
                       (as the postgres user: runuser -u postgres -- env XDG_... pg_autoctl ... when you are root)

A token, then a query:
  token=\$(curl -s -u '$client_id:$secret' -d grant_type=client_credentials http://127.0.0.1:$ts_lb/oauth2/token | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')
  curl -s -H "Authorization: Bearer \$token" -H 'Content-Type: application/json' \\
    -d '{"query":"{ dataPools(first: 3) { edges { node { uniqueName } } } }"}' http://127.0.0.1:$api_lb/graphql

Ctrl-C stops everything.
EOF
trap 'stop 0' EXIT
wait -n "${pids[@]}" || true
say "a process of the cluster stopped; see $state/logs"
stop 1
