#!/usr/bin/env bash
# An N-silo Loyalty.Orleans cluster on this machine: one private PostgreSQL (deploy/pg.sh) holding
# membership, grain state and reminders; N silo processes on 127.0.0.1 with distinct ports, each
# serving gRPC to terminals and its own health/admin port (metrics, dashboard).
#
#   deploy/cluster.sh start [N]   start PostgreSQL and silos 1..N (default 3); silos already running
#                                 are left alone, so `start` after `kill` brings a silo back
#   deploy/cluster.sh stop        stop every silo (SIGTERM, graceful), then PostgreSQL unless
#                                 something else (deploy/run.sh) still uses it
#   deploy/cluster.sh status      one line per silo: pid, ports, ready or not
#   deploy/cluster.sh kill I      SIGKILL silo I (a crash, for trying out failover)
#   deploy/cluster.sh addresses   the gRPC addresses, comma-separated (for the POS SDK)
#   deploy/cluster.sh admin-address   silo 1's admin gRPC address (the load generator's --admin-address)
#
# Silo I listens on: gRPC BASE+I, health/admin BASE+100+I, admin gRPC BASE+200+I, silo-to-silo
# 10000+BASE+I (no Orleans client gateway: docs/security.md). With the default BASE 7100: gRPC 7101..,
# admin 7201.., admin gRPC 7301.., silo 17101...
# Loopback callers count as operators (the README's dashboard link opens in this machine's browser without a
# token): Loyalty__Security__TrustLoopback=false turns that off. Credentials as deploy/run.sh: the operator token in .data/operator-token, the pepper in .data/pepper,
# the personal data key in .data/personal-data-key.
#
# Environment: LOYALTY_CLUSTER_BASE_PORT (7100), LOYALTY_CLUSTER_DIR (<repo>/.data/cluster: pid and
# log files), LOYALTY_CLUSTER_ID (loyalty-local), LOYALTY_PG_DIR / LOYALTY_PG_PORT as for pg.sh,
# LOYALTY_PG_DB (loyalty_cluster). Any Loyalty__* / Logging__* variable set here reaches every silo.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE=${LOYALTY_CLUSTER_BASE_PORT:-7100}
DIR=${LOYALTY_CLUSTER_DIR:-$ROOT/.data/cluster}
CLUSTER_ID=${LOYALTY_CLUSTER_ID:-loyalty-local}
export LOYALTY_PG_DB=${LOYALTY_PG_DB:-loyalty_cluster}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
HOST_DLL=$ROOT/src/Loyalty.Host/bin/Release/net10.0/Loyalty.Host.dll

log() { echo "[cluster] $*" >&2; }

grpc_port() { echo $((BASE + $1)); }
admin_port() { echo $((BASE + 100 + $1)); }
admin_grpc_port() { echo $((BASE + 200 + $1)); }
silo_port() { echo $((10000 + BASE + $1)); }
pid_file() { echo "$DIR/silo$1.pid"; }

pid_of() {
    local file
    file=$(pid_file "$1")
    [ -f "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null && cat "$file"
}

# GET http://127.0.0.1:PORT/health/ready with bash alone (no curl needed); exit 0 on HTTP 200.
ready() {
    local status
    status=$(
        exec 2>/dev/null
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf 'GET /health/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        head -n 1 <&3
    ) || return 1
    [[ $status == *" 200 "* ]]
}

wait_ready() {
    local i=$1 deadline=$((SECONDS + 120))
    until ready "$(admin_port "$i")"; do
        if ! pid_of "$i" >/dev/null; then
            log "silo$i exited during startup; last lines of $DIR/silo$i.log:"
            tail -n 30 "$DIR/silo$i.log" >&2
            return 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            log "silo$i not ready after 120 s (see $DIR/silo$i.log)"
            return 1
        fi
        sleep 0.5
    done
}

start_silo() {
    local i=$1 connection=$2
    if pid_of "$i" >/dev/null; then
        log "silo$i already running (pid $(pid_of "$i"))"
        return 0
    fi
    log "starting silo$i: gRPC :$(grpc_port "$i"), admin :$(admin_port "$i"), silo :$(silo_port "$i")"
    (
        cd "$(dirname "$HOST_DLL")"
        ConnectionStrings__Postgres="$connection" \
        Loyalty__ClusteringMode=AdoNet \
        Loyalty__ClusterId="$CLUSTER_ID" \
        Loyalty__ServiceId="${LOYALTY_SERVICE_ID:-loyalty}" \
        Loyalty__ListenAddress="${LOYALTY_CLUSTER_LISTEN:-127.0.0.1}" \
        Loyalty__Security__TrustLoopback="${Loyalty__Security__TrustLoopback:-true}" \
        Loyalty__SiloName="silo$i" \
        Loyalty__GrpcPort="$(grpc_port "$i")" \
        Loyalty__HealthPort="$(admin_port "$i")" \
        Loyalty__AdminGrpcPort="$(admin_grpc_port "$i")" \
        Loyalty__Security__OperatorToken="${Loyalty__Security__OperatorToken:-$(cat "$ROOT/.data/operator-token")}" \
        Loyalty__PersonalDataPepper="${Loyalty__PersonalDataPepper:-$(cat "$ROOT/.data/pepper")}" \
        Loyalty__PersonalDataKeys="${Loyalty__PersonalDataKeys:-$(cat "$ROOT/.data/personal-data-key")}" \
        Loyalty__SiloPort="$(silo_port "$i")" \
        nohup dotnet "$HOST_DLL" >>"$DIR/silo$i.log" 2>&1 &
        echo $! >"$(pid_file "$i")"
    )
}

start() {
    local n=${1:-3}
    [[ $n =~ ^[1-9][0-9]?$ ]] || { log "N must be 1..99"; exit 2; }
    mkdir -p "$DIR"
    local connection
    connection=$("$ROOT/deploy/pg.sh" start | tail -n 1)
    log "PostgreSQL: $connection"
    log "building the host (Release)"
    dotnet build -c Release -v quiet -nologo "$ROOT/src/Loyalty.Host" >&2
    secret "$ROOT/.data/operator-token" dev-operator-
    secret "$ROOT/.data/pepper" ""
    [ -s "$ROOT/.data/personal-data-key" ] || (umask 077; echo "k1:$(head -c 32 /dev/urandom | base64 -w0)" > "$ROOT/.data/personal-data-key")
    log "operator token: $ROOT/.data/operator-token (admin gRPC on :$(admin_grpc_port 1).., JSON on :$(admin_port 1)..)"

    # Silo 1 first: it applies the schema and creates the cluster's membership row.
    start_silo 1 "$connection"
    wait_ready 1
    for ((i = 2; i <= n; i++)); do start_silo "$i" "$connection"; done
    for ((i = 2; i <= n; i++)); do wait_ready "$i"; done
    status
    log "terminals: $(addresses)"
}

stop_silo() {
    local i=$1 pid
    pid=$(pid_of "$i") || { rm -f "$(pid_file "$i")"; return 0; }
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "silo$i did not stop in 30 s; SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$(pid_file "$i")"
    log "silo$i stopped"
}

stop() {
    shopt -s nullglob
    for file in "$DIR"/silo*.pid; do
        local i=${file##*/silo}
        i=${i%.pid}
        stop_silo "$i" &
    done
    wait
    # The server may be shared with deploy/run.sh: leave it running while anything else uses it.
    local others
    others=$("$ROOT/deploy/pg.sh" psql -tAc "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()" 2>/dev/null || echo 0)
    if [ "${others:-0}" -gt 0 ]; then
        log "PostgreSQL left running: $others other connection(s) use it ('deploy/pg.sh stop' stops it)"
    else
        "$ROOT/deploy/pg.sh" stop
    fi
}

status() {
    shopt -s nullglob
    local any=0
    for file in "$DIR"/silo*.pid; do
        local i=${file##*/silo} pid state
        i=${i%.pid}
        any=1
        if pid=$(pid_of "$i"); then
            if ready "$(admin_port "$i")"; then state=ready; else state="not ready"; fi
        else
            pid=-; state=stopped
        fi
        printf 'silo%-3s pid %-8s grpc http://127.0.0.1:%s  admin http://127.0.0.1:%s (/metrics, /dashboard)  %s\n' \
            "$i" "$pid" "$(grpc_port "$i")" "$(admin_port "$i")" "$state"
    done
    [ $any -eq 1 ] || echo "no silos started from $DIR"
}

secret() { # a file holding a random secret, created once, readable by this user only (as deploy/run.sh)
    local file=$1 prefix=$2
    if [ ! -s "$file" ]; then
        mkdir -p "$(dirname "$file")"
        (umask 077; printf '%s%s\n' "$prefix" "$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | head -c 48)" > "$file")
    fi
}

addresses() {
    shopt -s nullglob
    local list=()
    for file in "$DIR"/silo*.pid; do
        local i=${file##*/silo}
        i=${i%.pid}
        list+=("http://127.0.0.1:$(grpc_port "$i")")
    done
    (IFS=,; echo "${list[*]}")
}

case "${1:-}" in
    start) start "${2:-3}" ;;
    stop) stop ;;
    status) status ;;
    addresses) addresses ;;
    admin-address) echo "http://127.0.0.1:$(admin_grpc_port 1)" ;;
    kill)
        pid=$(pid_of "${2:?usage: $0 kill I}") || { log "silo$2 is not running"; exit 1; }
        kill -KILL "$pid"
        log "silo$2 (pid $pid) killed; 'deploy/cluster.sh start N' restarts it" ;;
    *) echo "usage: $0 start [N] | stop | status | kill I | addresses | admin-address" >&2; exit 2 ;;
esac
