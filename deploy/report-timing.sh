#!/usr/bin/env bash
# Times the reports (docs/reports.md) over a large program: 1,000,000 ledger entries of 100,000 members and
# 300,000 sales (60,000 members, a tenth walk-ins, 20 stores, campaigns, a 50,000-code coupon series, tiers)
# over a year, seeded with generate_series into a scratch database. The engine (built here, Release) runs on that
# database and each report is called over the admin JSON API, as a marketer would: what is timed is the whole
# call (authorization, program read, SQL, Domain, mapping, JSON). Each call runs REPORT_RUNS times (default 3);
# the table gives the fastest and the slowest. The scratch database is dropped at the end.
#
#   deploy/report-timing.sh
#
# Environment:
#   REPORT_PG          an Npgsql connection string to an existing server's maintenance database, e.g.
#                      "Host=127.0.0.1;Port=54400;Username=loyalty;Database=postgres"; without it a private server
#                      is started with deploy/pg.sh (data in .data/pg-report, port 54349) and left running.
#   REPORT_LEDGER_ROWS (1000000), REPORT_SALES_ROWS (300000), REPORT_RUNS (3), REPORT_PORT_BASE (57180: five
#   ports from there), REPORT_CONFIG (Release).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

LEDGER_ROWS=${REPORT_LEDGER_ROWS:-1000000}
SALES_ROWS=${REPORT_SALES_ROWS:-300000}
RUNS=${REPORT_RUNS:-3}
PORT_BASE=${REPORT_PORT_BASE:-57180}
CONFIG=${REPORT_CONFIG:-Release}
SERVICE=report-timing
PROGRAM=timing

log() { echo "[report-timing] $*" >&2; }

server=${REPORT_PG:-}
if [ -z "$server" ]; then
    server=$(LOYALTY_PG_DIR="${REPORT_PG_DIR:-$(pwd)/.data/pg-report}" LOYALTY_PG_PORT=54349 LOYALTY_PG_DB=postgres deploy/pg.sh start | tail -n 1)
fi

# Host, Port and Username of the Npgsql connection string, for psql.
field() { tr ';' '\n' <<<"$server" | awk -F= -v k="$1" 'tolower($1) == tolower(k) { print $2 }'; }
PGHOST=$(field Host); PGPORT=$(field Port); PGUSER=$(field Username)
export PGHOST PGPORT=${PGPORT:-5432} PGUSER
psql_on() { local db=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

scratch="report_timing_$(date -u +%Y%m%d%H%M%S)_$$"
engine_pid=""
cleanup() {
    if [ -n "$engine_pid" ]; then kill "$engine_pid" 2>/dev/null || true; wait "$engine_pid" 2>/dev/null || true; fi
    psql_on postgres -c "DROP DATABASE IF EXISTS \"$scratch\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

log "scratch database $scratch on $PGHOST:$PGPORT"
psql_on postgres -c "CREATE DATABASE \"$scratch\""
connection="Host=$PGHOST;Port=$PGPORT;Username=$PGUSER;Database=$scratch"

log "building the engine ($CONFIG)"
dotnet build -c "$CONFIG" -v quiet -nologo src/Loyalty.Host >&2

grpc=$PORT_BASE; admin=$((PORT_BASE + 1)); admin_grpc=$((PORT_BASE + 2)); silo=$((PORT_BASE + 3))
token="report-timing-$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')"
log "starting the engine (admin JSON on 127.0.0.1:$admin); it applies the schema"
ConnectionStrings__Postgres="$connection" \
Loyalty__ServiceId=$SERVICE Loyalty__ClusterId=$SERVICE Loyalty__ListenAddress=127.0.0.1 \
Loyalty__GrpcPort=$grpc Loyalty__HealthPort=$admin Loyalty__AdminGrpcPort=$admin_grpc Loyalty__SiloPort=$silo \
Loyalty__Security__OperatorToken="$token" Loyalty__PersonalDataPepper="report-timing-$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')" \
Loyalty__PersonalDataKeys="k1:$(head -c 32 /dev/urandom | base64 -w0)" Loyalty__Dashboard=false \
    dotnet "src/Loyalty.Host/bin/$CONFIG/net10.0/Loyalty.Host.dll" >"/tmp/report-timing-$$.log" 2>&1 &
engine_pid=$!
for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$admin/health/ready" >/dev/null 2>&1 && break
    kill -0 "$engine_pid" 2>/dev/null || { cat "/tmp/report-timing-$$.log" >&2; exit 1; }
    sleep 1
done
curl -fs "http://127.0.0.1:$admin/health/ready" >/dev/null

api() { curl -fsS -H "authorization: Bearer $token" "$@"; }
api -X PUT -H 'content-type: application/json' "http://127.0.0.1:$admin/v1/programs/$PROGRAM" \
    -d '{"name":"Timing","currency":"EUR","earnPoints":1,"earnPerAmount":100,"expiryMonths":3,"pointValue":10}' >/dev/null

log "seeding $LEDGER_ROWS ledger entries and $SALES_ROWS sales"
start=$(date +%s)
psql_on "$scratch" -v service="$SERVICE" -v program="$PROGRAM" -v ledger_rows="$LEDGER_ROWS" -v sales_rows="$SALES_ROWS" <<'SQL'
-- A year from 2025-12-01: entry g of member g % 100,000 at an even pace; 60% earn, 15% burn, 5% bonus, 5% void,
-- 5% refund, 2% adjust, 5% expire (of the bucket four months back), 3% store credit.
INSERT INTO ledger_entries (program_id, member_id, seq, entry_type, points, bucket_month, transaction_id, occurred_at, asset)
SELECT :'program', 'm' || (g % 100000), g / 100000 + 1, k.type,
       CASE k.type WHEN 'earn' THEN 100 + g % 400 WHEN 'burn' THEN -50 WHEN 'bonus' THEN 20 WHEN 'void' THEN -30
                   WHEN 'refund' THEN -10 WHEN 'adjust' THEN 5 ELSE -40 END,
       CASE WHEN k.type = 'expire' THEN to_char(a.at - interval '4 months', 'YYYYMM')::int ELSE to_char(a.at, 'YYYYMM')::int END,
       't' || g, a.at, CASE WHEN k.r >= 97 THEN 'credit' ELSE 'points' END
FROM generate_series(0::bigint, :ledger_rows - 1) AS g
CROSS JOIN LATERAL (SELECT timestamptz '2025-12-01 00:00Z' + (g * (31449600.0 / :ledger_rows)) * interval '1 second' AS at) AS a
CROSS JOIN LATERAL (SELECT (g * 7919) % 100 AS r) AS h
CROSS JOIN LATERAL (SELECT h.r, CASE WHEN h.r < 60 OR h.r >= 97 THEN 'earn' WHEN h.r < 75 THEN 'burn' WHEN h.r < 80 THEN 'bonus'
        WHEN h.r < 85 THEN 'void' WHEN h.r < 90 THEN 'refund' WHEN h.r < 92 THEN 'adjust' ELSE 'expire' END AS type) AS k;

INSERT INTO coupon_codes (program_id, code, series_id)
SELECT :'program', 'CODE' || i, 'series-' || (i % 5) FROM generate_series(0, 49999) AS i;

-- Sales: every tenth a walk-in; 20 stores; 2% voided, 3% partly refunded; a quarter without discount, a quarter
-- with a campaign, a quarter with a coupon (half of the codes in the series), a quarter with a campaign and a tier.
INSERT INTO member_sales (service_id, program_id, member_id, transaction_id, occurred_at, record,
                          guest, store_id, subtotal, discount, total, items, tier, status, refunded, discounts)
SELECT :'service', :'program', CASE WHEN g % 10 = 0 THEN '' ELSE 'm' || ((g * 7) % 60000) END, 't' || g,
       timestamptz '2025-12-01 00:00Z' + (g * (31449600.0 / :sales_rows)) * interval '1 second', '\x00'::bytea,
       g % 10 = 0, 'store-' || (g % 20), s.sub, d.dis, s.sub - d.dis, 1 + g % 7,
       CASE WHEN g % 10 = 0 THEN NULL ELSE (ARRAY['bronze', 'silver', 'gold'])[1 + g % 3] END,
       CASE WHEN g % 50 = 0 THEN 3 WHEN g % 33 = 0 THEN 1 ELSE 0 END, CASE WHEN g % 33 = 0 THEN s.sub / 3 ELSE 0 END,
       CASE g % 4
           WHEN 0 THEN '[]'::jsonb
           WHEN 1 THEN jsonb_build_array(jsonb_build_object('source', 'campaign', 'id', 'campaign-' || (g % 20), 'amount', d.dis))
           WHEN 2 THEN jsonb_build_array(jsonb_build_object('source', 'coupon', 'id', 'CODE' || (g % 100000), 'amount', d.dis))
           ELSE jsonb_build_array(jsonb_build_object('source', 'campaign', 'id', 'campaign-' || (g % 20), 'amount', d.dis / 2),
                                  jsonb_build_object('source', 'tier', 'id', 'silver', 'amount', d.dis - d.dis / 2))
       END
FROM generate_series(0::bigint, :sales_rows - 1) AS g
CROSS JOIN LATERAL (SELECT 1000 + (g * 37) % 20000 AS sub) AS s
CROSS JOIN LATERAL (SELECT CASE WHEN g % 4 = 0 THEN 0 ELSE s.sub / 10 END AS dis) AS d;

VACUUM ANALYZE ledger_entries;
VACUUM ANALYZE member_sales;
VACUUM ANALYZE coupon_codes;
SQL
log "seeded in $(( $(date +%s) - start )) s"

# One report call, REPORT_RUNS times: "fastest slowest" in milliseconds (and the body must be a 200).
timed() {
    local url=$1 times=()
    for _ in $(seq 1 "$RUNS"); do
        times+=("$(api -o /dev/null -w '%{time_total}' "http://127.0.0.1:$admin$url")")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk 'NR == 1 { first = $1 } { last = $1 } END { printf "%.0f | %.0f", first * 1000, last * 1000 }'
}

year="from=2025-12-01&to=2026-12-01"
month="from=2026-10-01&to=2026-11-01"
echo
echo "Reports over $LEDGER_ROWS ledger entries and $SALES_ROWS sales ($(nproc) cores, PostgreSQL $(psql_on postgres -Atc 'SHOW server_version'), $CONFIG; ms, fastest | slowest of $RUNS)"
echo
echo "| report | period | fastest ms | slowest ms |"
echo "|---|---|---:|---:|"
for report in liability promotion-cost members-vs-guests member-activity; do
    echo "| $report | a year | $(timed "/v1/programs/$PROGRAM/reports/$report?$year") |"
    echo "| $report | a month | $(timed "/v1/programs/$PROGRAM/reports/$report?$month") |"
    if [ "$report" != liability ]; then
        echo "| $report | a year, one store | $(timed "/v1/programs/$PROGRAM/reports/$report?$year&store_id=store-7") |"
    fi
done
echo "| promotion-cost.csv | a year | $(timed "/v1/programs/$PROGRAM/reports/promotion-cost.csv?$year") |"
echo
echo "Liability, a year:"
api "http://127.0.0.1:$admin/v1/programs/$PROGRAM/reports/liability?$year" | head -c 600
echo
