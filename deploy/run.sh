#!/usr/bin/env bash
# Runs the engine durably on this machine: a private PostgreSQL on loopback (installed if
# missing, data in .data/pg or, as root in a private directory, where `deploy/pg.sh datadir` says),
# the schema applied on startup, the host in the foreground.
# gRPC for terminals on :5080; admin JSON, health and metrics on :5081; admin gRPC on :5082, on 127.0.0.1 (in
# cleartext; to serve another machine set Loyalty__ListenAddress and TLS, docs/security.md: the engine runs as
# Production and refuses cleartext beyond loopback unless Loyalty__AllowPlaintextHttp=true).
# Credentials (docs/security.md): a development operator token in .data/operator-token and a phone
# lookup pepper in .data/pepper and a key sealing phones and e-mails in .data/personal-data-key, each created once (mode 600) unless Loyalty__Security__OperatorToken /
# Loyalty__PersonalDataPepper are set; the load generator and the tours read the token file.
# Ctrl+C stops the engine; `deploy/pg.sh stop` stops the database. Extra arguments go to the host
# (e.g. --Loyalty:GrpcPort=6000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
connection=$(deploy/pg.sh start | tail -n 1)
echo "[run] PostgreSQL: $connection" >&2
dotnet build -c Release -v quiet -nologo src/Loyalty.Host >&2

secret() { # a file holding a random secret, created once, readable by this user only
    local file=$1 prefix=$2
    if [ ! -s "$file" ]; then
        mkdir -p "$(dirname "$file")"
        (umask 077; printf '%s%s\n' "$prefix" "$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | head -c 48)" > "$file")
    fi
}
if [ -z "${Loyalty__Security__OperatorToken:-}" ]; then
    secret .data/operator-token dev-operator-
    export Loyalty__Security__OperatorToken="$(cat .data/operator-token)"
    echo "[run] operator token (development): $(pwd)/.data/operator-token — send it as 'authorization: Bearer <token>' on the admin ports" >&2
fi
if [ -z "${Loyalty__PersonalDataPepper:-}" ]; then
    secret .data/pepper ""
    export Loyalty__PersonalDataPepper="$(cat .data/pepper)"
fi
if [ -z "${Loyalty__PersonalDataKeys:-}" ]; then
    [ -s .data/personal-data-key ] || (umask 077; echo "k1:$(head -c 32 /dev/urandom | base64 -w0)" > .data/personal-data-key)
    export Loyalty__PersonalDataKeys="$(cat .data/personal-data-key)"
fi
export Loyalty__ListenAddress="${Loyalty__ListenAddress:-127.0.0.1}"
# This machine's own browser opens /dashboard without a token (loopback trust is off unless a script turns it on).
export Loyalty__Security__TrustLoopback="${Loyalty__Security__TrustLoopback:-true}"
ConnectionStrings__Postgres="$connection" exec dotnet src/Loyalty.Host/bin/Release/net10.0/Loyalty.Host.dll "$@"
