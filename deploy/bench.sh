#!/usr/bin/env bash
# The benchmark: engine vs the plain-SQL baseline on this machine, same PostgreSQL, same load.
#
#   deploy/bench.sh [extra generator options, e.g. --members 20000]
#
# Starts everything it needs and stops everything it started:
#   - a private PostgreSQL (deploy/pg.sh) in .data/pg-bench on 127.0.0.1:54359, synchronous_commit=on,
#     with fresh databases loyalty_bench_engine and loyalty_bench_baseline for every bench;
#   - the engine (Release build) on gRPC :6080 (health :6081, silo :16111; no Orleans gateway);
#   - the baseline (loadtests/Loyalty.Baseline, Release) on :6090;
# then runs `Loyalty.LoadTests bench`: first a cold run per target ("checkout, cold": checkout, open model
# at 800/s for 60 s from the first second the fresh engine / baseline is ready; --cold-rate 0 skips it), then
# checkout (closed, then open at a common rate), accrual (the same two), reads, flash sale — each against engine and baseline in turn, with correctness checks
# after every run — and writes reports/bench-<time>/summary.{md,html,json} plus one report per run.
#
# Both servers log at Warning for gRPC (the engine's appsettings.json logs every cancelled call
# with a stack trace at Information, which a load test's simulated timeouts turn into a flood).
# Before the suite, each target gets an unmeasured warm-up (checkout for BENCH_WARMUP seconds, then
# accrual for a third of that): a cold .NET process spends 40-65% of a core compiling during its first
# ~30 s under load, which a server that has been up for a minute does not.
# Environment: BENCH_SECONDS (measured seconds per run, default 15), BENCH_WARMUP (default 30, 0 = cold),
# BENCH_PG_DIR, BENCH_PG_PORT,
# BENCH_NO_BUILD=1 (run the Release binaries already built, e.g. while the tree is mid-edit).
# Exit code: 0 all checks passed, 1 a correctness check failed, other = could not run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export LOYALTY_PG_DIR="${BENCH_PG_DIR:-$ROOT/.data/pg-bench}" LOYALTY_PG_PORT="${BENCH_PG_PORT:-54359}" LOYALTY_PG_DB=postgres
ENGINE_PORT=6080 HEALTH_PORT=6081 SILO_PORT=16111 BASELINE_PORT=6090
SECONDS_PER_RUN=${BENCH_SECONDS:-15}
WARMUP_SECONDS=${BENCH_WARMUP:-30}
LOGS="$ROOT/reports/bench-logs"
mkdir -p "$LOGS"

log() { echo "[bench] $*" >&2; }

engine_pid="" baseline_pid="" pg_started=0
cleanup() {
    local status=$?
    for pid in $engine_pid $baseline_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    if [ "$pg_started" -eq 1 ]; then
        deploy/pg.sh stop >/dev/null 2>&1 || true
    fi
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ADMIN_GRPC_PORT=$((ENGINE_PORT + 2)) # the generator's default: the terminal port + 2
# The engine's operator token for this run (the generator registers its simulated terminals with it).
export LOYALTY_OPERATOR_TOKEN="bench-operator-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
for port in $ENGINE_PORT $HEALTH_PORT $ADMIN_GRPC_PORT $SILO_PORT $BASELINE_PORT; do
    if port_busy "$port"; then log "port $port is already in use; stop whatever listens there first"; exit 2; fi
done

ENGINE_DLL=src/Loyalty.Host/bin/Release/net10.0/Loyalty.Host.dll
BASELINE_DLL=loadtests/Loyalty.Baseline/bin/Release/net10.0/Loyalty.Baseline.dll
GENERATOR_DLL=loadtests/Loyalty.LoadTests/bin/Release/net10.0/Loyalty.LoadTests.dll
if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
    log "BENCH_NO_BUILD=1: using the Release binaries already built"
    for dll in $ENGINE_DLL $BASELINE_DLL $GENERATOR_DLL; do [ -f "$dll" ] || { log "missing $dll"; exit 2; }; done
else
    log "building (Release)"
    dotnet build -c Release -v quiet -nologo src/Loyalty.Host >&2
    dotnet build -c Release -v quiet -nologo loadtests/Loyalty.Baseline >&2
    dotnet build -c Release -v quiet -nologo loadtests/Loyalty.LoadTests >&2
fi

if deploy/pg.sh status; then
    log "PostgreSQL already running in $LOYALTY_PG_DIR (left running afterwards)"
else
    pg_started=1
fi
server=$(deploy/pg.sh start | tail -n 1)
log "PostgreSQL: $server (synchronous_commit=$(deploy/pg.sh psql -tAc 'SHOW synchronous_commit'))"
for db in loyalty_bench_engine loyalty_bench_baseline; do
    deploy/pg.sh psql -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
done
deploy/pg.sh psql -c "CREATE DATABASE loyalty_bench_engine" >/dev/null
engine_db="${server/Database=postgres/Database=loyalty_bench_engine}"
pg_pid=$(head -n 1 "$(deploy/pg.sh datadir)/postmaster.pid")

log "starting the engine on :$ENGINE_PORT"
ConnectionStrings__Postgres="$engine_db" dotnet "$ENGINE_DLL" \
    --Loyalty:GrpcPort=$ENGINE_PORT --Loyalty:HealthPort=$HEALTH_PORT --Loyalty:AdminGrpcPort=$ADMIN_GRPC_PORT --Loyalty:SiloPort=$SILO_PORT \
    --Loyalty:Security:OperatorToken="$LOYALTY_OPERATOR_TOKEN" --Loyalty:PersonalDataPepper="bench-pepper-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    --Loyalty:PersonalDataKeys="bench:$(head -c 32 /dev/urandom | base64 -w0)" \
    --Loyalty:ListenAddress=127.0.0.1 --Loyalty:ServiceId=bench \
    --Logging:LogLevel:Grpc=Warning \
    >"$LOGS/engine.log" 2>&1 &
engine_pid=$!

log "starting the baseline on :$BASELINE_PORT"
ConnectionStrings__Postgres="$server" dotnet "$BASELINE_DLL" \
    --Baseline:Port=$BASELINE_PORT --Baseline:Database=loyalty_bench_baseline \
    >"$LOGS/baseline.log" 2>&1 &
baseline_pid=$!

for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$HEALTH_PORT/health/ready" >/dev/null 2>&1 && port_busy $BASELINE_PORT; then break; fi
    kill -0 $engine_pid 2>/dev/null || { log "the engine exited; see $LOGS/engine.log"; exit 2; }
    kill -0 $baseline_pid 2>/dev/null || { log "the baseline exited; see $LOGS/baseline.log"; exit 2; }
    sleep 0.5
done
curl -fsS "http://127.0.0.1:$HEALTH_PORT/health/ready" >/dev/null || { log "the engine did not become ready"; exit 2; }

log "running the suite: $SECONDS_PER_RUN s measured per run"
suite_status=0
dotnet "$GENERATOR_DLL" bench \
    --engine-address "http://127.0.0.1:$ENGINE_PORT" --baseline-address "http://127.0.0.1:$BASELINE_PORT" \
    --seconds "$SECONDS_PER_RUN" --warmup "$WARMUP_SECONDS" --engine-pid "$engine_pid" \
    --watch "engine=$engine_pid" --watch "baseline=$baseline_pid" --watch "postgres=$pg_pid+" \
    --out reports "$@" || suite_status=$?

# Bytes one commit writes: a member's whole state row is rewritten by each of its commits, so the
# busiest member's row is what its next commit writes (issue #12: <= 2 KB for a member with 10,000 sales).
summary=$(ls -td reports/bench-2*/ 2>/dev/null | head -n 1)
sizes=$(deploy/pg.sh psql -d loyalty_bench_engine -tAF ' ' -c \
    "SELECT count(*), coalesce(max(length(payload)), 0), coalesce(round(avg(length(payload))), 0) FROM grain_state WHERE state_name = 'member'" 2>/dev/null || true)
if [ -n "$summary" ] && [ -n "$sizes" ]; then
    read -r members max_bytes mean_bytes <<<"$sizes"
    {
        echo
        echo "## Bytes written per member commit"
        echo
        echo "Each commit rewrites the member's state row: after the suite, over $members members, the busiest member's row is **$max_bytes bytes** (what its next commit writes) and the mean is $mean_bytes bytes."
    } >>"${summary}summary.md"
    log "member state rows after the suite: busiest $max_bytes bytes, mean $mean_bytes bytes ($members members)"
fi
exit "$suite_status"
