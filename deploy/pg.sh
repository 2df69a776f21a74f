#!/usr/bin/env bash
# A private PostgreSQL server on loopback for this checkout: no system service, no Docker.
#
#   deploy/pg.sh start     install PostgreSQL if missing, init + start the server, create the
#                          database; prints the Npgsql connection string as its last line
#   deploy/pg.sh stop      stop the server (data is kept); `stop --immediate` stops it like a
#                          crash (no checkpoint, connections cut, WAL replayed at the next start)
#   deploy/pg.sh status    exit 0 when running
#   deploy/pg.sh psql ...  psql against the database
#   deploy/pg.sh datadir   print the server's data directory (postmaster.pid, postgresql.conf)
#
# Environment: LOYALTY_PG_DIR (default <repo>/.data/pg), LOYALTY_PG_PORT (default 54329),
#              LOYALTY_PG_DB (default loyalty).
#
# The data lives in LOYALTY_PG_DIR. As root, the server runs as the 'postgres' user (PostgreSQL
# refuses root), which cannot reach a folder inside a private directory (root's home is mode 700,
# so is `mktemp -d`). Then the data lives in /var/lib/loyalty-pg/<tail of the path>-<hash of the
# path> instead: one folder per requested path, found again by every subcommand without any state;
# `start` says so in one line on stderr, `datadir` prints it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REQUESTED=${LOYALTY_PG_DIR:-$ROOT/.data/pg}
SERVER_USER=postgres
FALLBACK_ROOT=/var/lib/loyalty-pg
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

# The server user's account: the Debian package creates it; a machine with the binaries but
# without the account gets one here.
if [ "$(id -u)" -eq 0 ] && [ "${1:-}" = start ] && ! id "$SERVER_USER" >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash "$SERVER_USER"
fi

# Can the server user get into the folder that holds $1? (Root creates the missing folders on the
# way, mode 755, and gives $1 itself to that user.)
server_can_reach() {
    local dir
    dir=$(dirname "$1")
    while [ ! -e "$dir" ]; do dir=$(dirname "$dir"); done
    runuser -u "$SERVER_USER" -- test -x "$dir"
}

# Where the server's files are: the requested folder, or, as root when the server user cannot
# reach it, a folder under $FALLBACK_ROOT named after the requested one (the readable tail of its
# absolute path plus a hash of the whole path, so two checkouts never share one).
server_dir() {
    if [ "$(id -u)" -ne 0 ] || ! id "$SERVER_USER" >/dev/null 2>&1; then
        echo "$REQUESTED"
        return
    fi
    local name hash
    if server_can_reach "$REQUESTED"; then
        echo "$REQUESTED"
        return
    fi
    name=$(printf '%s' "${REQUESTED#/}" | tr -c 'A-Za-z0-9._-' '_' | tail -c 40 | sed 's/^[._-]*//')
    hash=$(printf '%s' "$REQUESTED" | sha256sum | cut -c 1-8)
    echo "$FALLBACK_ROOT/$name-$hash"
}

# As root, paths are absolute: the server user's commands run from / (the caller's working
# directory may be one it cannot enter).
[ "$(id -u)" -ne 0 ] || REQUESTED=$(realpath -m -- "$REQUESTED")
DIR=$(server_dir)

if [ "${1:-}" = datadir ]; then
    echo "$DIR/data"
    exit 0
fi

[ -n "$BIN" ] || { log "no PostgreSQL binaries found under /usr/lib/postgresql"; exit 1; }

# PostgreSQL refuses to run as root: as root, run the server as the 'postgres' system user.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u "$SERVER_USER" -- "$@")
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
    if [ "$(id -u)" -eq 0 ]; then
        if [ "$DIR" != "$REQUESTED" ]; then
            log "$SERVER_USER cannot reach $REQUESTED (a private directory): the data is in $DIR"
        fi
        (umask 022 && mkdir -p "$DIR")
        chown "$SERVER_USER" "$DIR"
        # The fallback's parent is shared by every checkout: each one's folder is private.
        [ "$DIR" = "$REQUESTED" ] || chmod 700 "$DIR"
    else
        mkdir -p "$DIR"
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
        mode=fast
        [ "${2:-}" != --immediate ] || mode=immediate
        if running; then as_owner "$BIN/pg_ctl" -D "$DIR/data" -m "$mode" -w stop >/dev/null; log "stopped"; else log "not running"; fi ;;
    status) running ;;
    psql) shift; psql_db -d "$DB" "$@" ;;
    *) echo "usage: $0 start|stop [--immediate]|status|psql [args]|datadir" >&2; exit 2 ;;
esac
