#!/usr/bin/env bash
# Runs the engine durably on this machine: a private PostgreSQL on loopback (installed if
# missing, data in .data/pg or, as root in a private directory, where `deploy/pg.sh datadir` says),
# the schema applied on startup, the host in the foreground.
# gRPC for terminals on :5080, health on :5081. Ctrl+C stops the engine; `deploy/pg.sh stop`
# stops the database. Extra arguments go to the host (e.g. --Loyalty:GrpcPort=6000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
connection=$(deploy/pg.sh start | tail -n 1)
echo "[run] PostgreSQL: $connection" >&2
dotnet build -c Release -v quiet -nologo src/Loyalty.Host >&2
ConnectionStrings__Postgres="$connection" exec dotnet src/Loyalty.Host/bin/Release/net10.0/Loyalty.Host.dll "$@"
