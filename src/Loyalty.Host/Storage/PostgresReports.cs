using Loyalty.Contracts;
using Loyalty.Domain;
using Npgsql;

namespace Loyalty.Host.Storage;

/// <summary>What the reports read from storage (docs/reports.md); the rules that turn it into a report are in <see cref="Reports"/>.</summary>
internal interface IReportStore
{
    /// <summary>The program's points buckets from <paramref name="firstBucket"/> on (balance at <paramref name="asOf"/>, what each held, what its expire entries took), the points movements per month of the period, and the store credit at <paramref name="asOf"/>.</summary>
    Task<LedgerReportData> LedgerAsync(string programId, ReportPeriod period, int firstBucket, DateTimeOffset asOf, CancellationToken cancellationToken);

    /// <summary>Per campaign, coupon series (or code in no series), tier and reward: receipts, discount, their subtotal and total.</summary>
    Task<PromotionCostData> PromotionCostAsync(ReportScope scope, CancellationToken cancellationToken);

    /// <summary>The period's receipts of members and of walk-in customers.</summary>
    Task<(SalesTotals Members, SalesTotals Guests)> SalesAsync(ReportScope scope, CancellationToken cancellationToken);

    /// <summary>Members active in the 30 and 90 days before the period's end, and the period's purchasing members by the tier of their latest sale.</summary>
    Task<MemberActivityData> MemberActivityAsync(ReportScope scope, CancellationToken cancellationToken);
}

internal sealed record LedgerReportData(IReadOnlyList<LedgerBucketTotals> Buckets, IReadOnlyList<LedgerMonthFlow> Flows, long Credit);

internal sealed record PromotionCostData(IReadOnlyList<PromotionCostFigures> Promotions, long DiscountedReceipts, long Discount);

internal sealed record MemberActivityData(long Active30Days, long Active90Days, IReadOnlyList<MemberTierTotals> Tiers);

/// <summary>Without a database there is nothing to report from: every report is FAILED_PRECONDITION DATABASE_REQUIRED.</summary>
internal sealed class NoDatabaseReports : IReportStore
{
    private static LoyaltyException Refusal() => new(
        ErrorReason.DatabaseRequired, "reports read the sales and the ledger from PostgreSQL; this engine runs without a database (set ConnectionStrings__Postgres)");

    public Task<LedgerReportData> LedgerAsync(string programId, ReportPeriod period, int firstBucket, DateTimeOffset asOf, CancellationToken cancellationToken) => throw Refusal();

    public Task<PromotionCostData> PromotionCostAsync(ReportScope scope, CancellationToken cancellationToken) => throw Refusal();

    public Task<(SalesTotals Members, SalesTotals Guests)> SalesAsync(ReportScope scope, CancellationToken cancellationToken) => throw Refusal();

    public Task<MemberActivityData> MemberActivityAsync(ReportScope scope, CancellationToken cancellationToken) => throw Refusal();
}

/// <summary>
/// The reports' SQL: aggregates over <c>ledger_entries</c> (one program) and <c>member_sales</c> (one program, a
/// range of <c>occurred_at</c>, read through <c>member_sales_time</c>, 011). Sales without facts (written before
/// deploy/sql/010_reports.sql, <c>status</c> NULL) and voided sales (<c>status</c> 3) are left out; sums are cast to
/// bigint in SQL, which refuses a sum that does not fit rather than wrapping.
/// </summary>
internal sealed class PostgresReports(NpgsqlDataSource dataSource, string serviceId) : IReportStore
{
    /// <summary>
    /// Sort and hash memory of a report's transaction: a year of a busy program's sales grouped by member (the members
    /// report) or by promotion spills to disk at PostgreSQL's default 4 MB and takes twice as long (docs/reports.md).
    /// </summary>
    public const string WorkMem = "64MB";

    /// <summary>
    /// One row per (asset, bucket) of the program — points from bucket @first on (older ones expired before the
    /// period), store credit of every bucket: balance before @asof, all but expire entries, expire entries (positive).
    /// </summary>
    public const string BucketsSql = """
        SELECT asset, bucket_month,
               COALESCE(sum(points) FILTER (WHERE occurred_at < @asof), 0)::bigint,
               COALESCE(sum(points) FILTER (WHERE entry_type <> 'expire'), 0)::bigint,
               COALESCE(-sum(points) FILTER (WHERE entry_type = 'expire'), 0)::bigint
        FROM ledger_entries
        WHERE program_id = @program AND (bucket_month >= @first OR asset = 'credit')
        GROUP BY asset, bucket_month
        """;

    /// <summary>Points movements per calendar month (UTC) and type in [@from, @to); expiry is counted by bucket.</summary>
    public const string FlowsSql = """
        SELECT date_trunc('month', occurred_at, 'UTC'), entry_type, sum(points)::bigint
        FROM ledger_entries
        WHERE program_id = @program AND occurred_at >= @from AND occurred_at < @to AND asset = 'points' AND entry_type <> 'expire'
        GROUP BY 1, 2
        """;

    /// <summary>The sales a report counts: the program's, in [@from, @to), with facts, not voided.</summary>
    private const string Sales = """
        s.service_id = @service AND s.program_id = @program AND s.occurred_at >= @from AND s.occurred_at < @to
          AND s.status IS NOT NULL AND s.status <> 3
        """;

    private const string OfStore = " AND s.store_id = @store";

    /// <summary>Members' and guests' receipts, totals, units, discounts, refunds.</summary>
    public const string SalesSql = $"""
        SELECT s.guest, count(*), COALESCE(sum(s.total), 0)::bigint, COALESCE(sum(s.items), 0)::bigint,
               COALESCE(sum(s.discount), 0)::bigint, COALESCE(sum(s.refunded), 0)::bigint
        FROM member_sales s
        WHERE {Sales}
        """;

    /// <summary>
    /// Each receipt's discounts grouped per promotion first (a coupon code joined to its series; a code in no series
    /// stands for itself), so a receipt counts once per promotion however many of its lines it touched; then summed
    /// per promotion.
    /// </summary>
    public const string PromotionsSql = $"""
        SELECT p.source, p.id, count(*), sum(p.amount)::bigint, sum(s.subtotal)::bigint, sum(s.total)::bigint
        FROM member_sales s
        CROSS JOIN LATERAL (
            SELECT CASE WHEN d->>'source' = 'coupon' AND c.series_id IS NOT NULL THEN 'coupon_series' ELSE d->>'source' END AS source,
                   COALESCE(c.series_id, d->>'id') AS id,
                   sum((d->>'amount')::bigint) AS amount
            FROM jsonb_array_elements(s.discounts) AS d
            LEFT JOIN coupon_codes c ON d->>'source' = 'coupon' AND c.program_id = s.program_id AND c.code = d->>'id'
            GROUP BY 1, 2
        ) AS p
        WHERE {Sales} AND jsonb_typeof(s.discounts) = 'array'
        {"{store}"}
        GROUP BY p.source, p.id
        """;

    /// <summary>Receipts with any discount and all the discount: the promotions report's totals.</summary>
    public const string DiscountTotalsSql = $"""
        SELECT count(*) FILTER (WHERE s.discount > 0), COALESCE(sum(s.discount), 0)::bigint
        FROM member_sales s
        WHERE {Sales}
        """;

    /// <summary>Members with a sale in [@since90, @to) and in [@since30, @to).</summary>
    public const string ActiveSql = """
        SELECT count(DISTINCT s.member_id) FILTER (WHERE s.occurred_at >= @since30), count(DISTINCT s.member_id)
        FROM member_sales s
        WHERE s.service_id = @service AND s.program_id = @program AND s.occurred_at >= @since90 AND s.occurred_at < @to
          AND s.status IS NOT NULL AND s.status <> 3 AND NOT s.guest
        """;

    /// <summary>
    /// The period's purchasing members by the tier of their latest sale: how many, how many bought twice or more,
    /// how many bought for the first time ever (no earlier sale that is not voided, at any store, facts or not),
    /// and the sum of the repeat members' average gaps between receipts, in seconds.
    /// </summary>
    public const string MembersSql = $"""
        WITH m AS (
            SELECT s.member_id, count(*) AS receipts, min(s.occurred_at) AS first, max(s.occurred_at) AS last,
                   (array_agg(s.tier ORDER BY s.occurred_at DESC, s.transaction_id DESC))[1] AS tier
            FROM member_sales s
            WHERE {Sales} AND NOT s.guest
            {"{store}"}
            GROUP BY s.member_id
        ), flagged AS (
            SELECT m.*, NOT EXISTS (
                SELECT 1 FROM member_sales e
                WHERE e.service_id = @service AND e.program_id = @program AND e.member_id = m.member_id
                  AND e.occurred_at < @from AND (e.status IS NULL OR e.status <> 3)) AS fresh
            FROM m
        )
        SELECT COALESCE(tier, ''), count(*), count(*) FILTER (WHERE receipts >= 2), count(*) FILTER (WHERE fresh),
               round(COALESCE(sum(extract(epoch FROM last - first) / (receipts - 1)) FILTER (WHERE receipts >= 2), 0), 6)
        FROM flagged
        GROUP BY 1
        """;

    public Task<LedgerReportData> LedgerAsync(string programId, ReportPeriod period, int firstBucket, DateTimeOffset asOf, CancellationToken cancellationToken) =>
        ReadAsync(async connection =>
        {
            var buckets = new List<LedgerBucketTotals>();
            long credit = 0;
            await using (var command = new NpgsqlCommand(BucketsSql, connection))
            {
                command.Parameters.AddWithValue("program", programId);
                command.Parameters.AddWithValue("first", firstBucket);
                command.Parameters.AddWithValue("asof", asOf.UtcDateTime);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    if (reader.GetString(0) == LedgerNames.Asset(LedgerAsset.Credit))
                    {
                        credit = checked(credit + reader.GetInt64(2));
                    }
                    else
                    {
                        buckets.Add(new LedgerBucketTotals(reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
                    }
                }
            }

            var flows = new List<LedgerMonthFlow>();
            await using (var command = new NpgsqlCommand(FlowsSql, connection))
            {
                command.Parameters.AddWithValue("program", programId);
                command.Parameters.AddWithValue("from", period.Start.UtcDateTime);
                command.Parameters.AddWithValue("to", period.End.UtcDateTime);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    if (Enum.TryParse<LedgerEntryType>(reader.GetString(1), ignoreCase: true, out var type))
                    {
                        var month = Months.Of(new DateTimeOffset(reader.GetFieldValue<DateTime>(0), TimeSpan.Zero));
                        flows.Add(new LedgerMonthFlow(month, type, reader.GetInt64(2)));
                    }
                }
            }

            return new LedgerReportData(buckets, flows, credit);
        }, cancellationToken);

    public Task<PromotionCostData> PromotionCostAsync(ReportScope scope, CancellationToken cancellationToken) =>
        ReadAsync(async connection =>
        {
            var promotions = new List<PromotionCostFigures>();
            await using (var command = SalesCommand(connection, Scoped(PromotionsSql, scope), scope))
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    promotions.Add(new PromotionCostFigures(
                        reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)));
                }
            }

            await using (var command = SalesCommand(connection, DiscountTotalsSql + Store(scope), scope))
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                return new PromotionCostData(Reports.Ordered(promotions), reader.GetInt64(0), reader.GetInt64(1));
            }
        }, cancellationToken);

    public Task<(SalesTotals Members, SalesTotals Guests)> SalesAsync(ReportScope scope, CancellationToken cancellationToken) =>
        ReadAsync(async connection =>
        {
            await using var command = SalesCommand(connection, SalesSql + Store(scope) + " GROUP BY s.guest", scope);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            SalesTotals members = SalesTotals.None, guests = SalesTotals.None;
            while (await reader.ReadAsync(cancellationToken))
            {
                var totals = new SalesTotals(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
                if (reader.GetBoolean(0))
                {
                    guests = totals;
                }
                else
                {
                    members = totals;
                }
            }

            return (members, guests);
        }, cancellationToken);

    public Task<MemberActivityData> MemberActivityAsync(ReportScope scope, CancellationToken cancellationToken) =>
        ReadAsync(async connection =>
        {
            long active30, active90;
            await using (var command = SalesCommand(connection, ActiveSql + Store(scope), scope))
            {
                var end = scope.Period.End;
                command.Parameters.AddWithValue("since30", end.AddDays(-Reports.ActiveWindows[0]).UtcDateTime);
                command.Parameters.AddWithValue("since90", end.AddDays(-Reports.ActiveWindows[1]).UtcDateTime);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                (active30, active90) = (reader.GetInt64(0), reader.GetInt64(1));
            }

            var tiers = new List<MemberTierTotals>();
            await using (var command = SalesCommand(connection, Scoped(MembersSql, scope), scope))
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    tiers.Add(new MemberTierTotals(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetDecimal(4)));
                }
            }

            return new MemberActivityData(active30, active90, tiers);
        }, cancellationToken);

    /// <summary>
    /// A report's queries in one read-only snapshot (REPEATABLE READ: its parts agree with each other), with room to
    /// sort and hash in memory (<see cref="WorkMem"/>, this transaction only).
    /// </summary>
    private async Task<T> ReadAsync<T>(Func<NpgsqlConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using (var setup = new NpgsqlCommand($"SET TRANSACTION READ ONLY; SET LOCAL work_mem = '{WorkMem}'", connection))
        {
            await setup.ExecuteNonQueryAsync(cancellationToken);
        }

        var result = await read(connection);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    private static string Store(ReportScope scope) => scope.StoreId is null ? string.Empty : OfStore;

    private static string Scoped(string sql, ReportScope scope) => sql.Replace("{store}", Store(scope), StringComparison.Ordinal);

    private NpgsqlCommand SalesCommand(NpgsqlConnection connection, string sql, ReportScope scope)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("service", serviceId);
        command.Parameters.AddWithValue("program", scope.ProgramId);
        command.Parameters.AddWithValue("from", scope.Period.Start.UtcDateTime);
        command.Parameters.AddWithValue("to", scope.Period.End.UtcDateTime);
        if (scope.StoreId is { } store)
        {
            command.Parameters.AddWithValue("store", store);
        }

        return command;
    }
}
