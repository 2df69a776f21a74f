#!/usr/bin/env bash
# A private PostgreSQL server on loopback for this checkout: no system service, no Docker.
#
#   deploy/pg.sh start     install PostgreSQL if missing, init + start the server, create the
#                          database; prints the Npgsql connection string as its last line
#   deploy/pg.sh stop      stop the server (data is kept)
#   deploy/pg.sh status    exit 0 when running
#   deploy/pg.sh psql ...  psql against the database
#
# Environment: LOYALTY_PG_DIR (default <repo>/.data/pg), LOYALTY_PG_PORT (default 54329),
#              LOYALTY_PG_DB (default loyalty).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${LOYALTY_PG_DIR:-$ROOT/.data/pg}
PORT=${LOYALTY_PG_PORT:-54329}
DB=${LOYALTY_PG_DB:-loyalty}
USER_NAME=loyalty

log() { echo "[pg] $*" >&2; }

find_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

install_pg() {
    log "PostgreSQL not found; installing the Debian package (postgresql)"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >&2
    $sudo apt-get install -y -qq postgresql >&2
    # The package starts a system cluster on 5432; we do not use it.
    $sudo service postgresql stop >/dev/null 2>&1 || true
}

BIN=$(find_bin)
if [ -z "$BIN" ] && [ "${1:-}" = start ]; then
    install_pg
    BIN=$(find_bin)
fi
[ -n "$BIN" ] || { log "no PostgreSQL binaries found under /usr/lib/postgresql"; exit 1; }

# PostgreSQL refuses to run as root: as root, run the server as the 'postgres' system user.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

psql_db() {
    "$BIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" "$@"
}

running() {
    [ -f "$DIR/data/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1
}

start() {
    mkdir -p "$DIR"
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
        chown postgres "$DIR"
    fi

    if [ ! -f "$DIR/data/PG_VERSION" ]; then
        log "initialising $DIR/data"
        as_owner "$BIN/initdb" -D "$DIR/data" -U "$USER_NAME" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
        cat >> "$DIR/data/postgresql.conf" <<CONF
# --- Loyalty.Orleans private server ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
max_connections = 300
shared_buffers = 256MB
# Durable acknowledgements: a commit is reported only after its WAL is flushed.
synchronous_commit = on
fsync = on
wal_buffers = 16MB
checkpoint_timeout = 15min
max_wal_size = 2GB
CONF
    fi

    if running; then
        log "already running on 127.0.0.1:$PORT"
    else
        log "starting on 127.0.0.1:$PORT"
        as_owner "$BIN/pg_ctl" -D "$DIR/data" -o "-p $PORT" -l "$DIR/server.log" -w -t 60 start >/dev/null
    fi

    if ! psql_db -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
        psql_db -d postgres -c "CREATE DATABASE \"$DB\"" >/dev/null
    fi

    echo "Host=127.0.0.1;Port=$PORT;Username=$USER_NAME;Database=$DB"
}

case "${1:-}" in
    start) start ;;
    stop)
        if running; then as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null; log "stopped"; else log "not running"; fi ;;
    status) running ;;
    psql) shift; psql_db -d "$DB" "$@" ;;
    *) echo "usage: $0 start|stop|status|psql [args]" >&2; exit 2 ;;
esac
