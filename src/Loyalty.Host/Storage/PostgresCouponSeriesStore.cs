using System.Runtime.CompilerServices;
using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Grains;
using Npgsql;
using NpgsqlTypes;
using Orleans.Serialization;

namespace Loyalty.Host.Storage;

/// <summary>
/// Coupon series in PostgreSQL (deploy/sql/005_coupon_series.sql, docs/coupon-series.md): codes are
/// generated in chunks and written with binary COPY, each chunk in one transaction with the series'
/// progress, under a row lock on the series. Nothing holds more than one chunk in memory.
/// </summary>
internal sealed partial class PostgresCouponSeriesStore(NpgsqlDataSource dataSource, Serializer serializer, ILogger<PostgresCouponSeriesStore> logger)
    : ICouponSeriesStore
{
    /// <summary>A chunk whose codes collide with stored ones (p ≈ 10⁻⁸ per million codes) is rolled back and redrawn.</summary>
    public const int MaxChunkAttempts = 5;

    private const string SeriesColumns = "code_count, generated, definition, created_at, completed_at";

    private const string RecordSql = """
        INSERT INTO coupon_redemptions (program_id, code, series_id, version, redeemed, transaction_id, member_id, redeemed_at)
        SELECT * FROM unnest(@program, @code, @series, @version, @redeemed, @transaction, @member, @at)
        ON CONFLICT ON CONSTRAINT coupon_redemptions_pk DO UPDATE
        SET version = EXCLUDED.version, redeemed = EXCLUDED.redeemed, transaction_id = EXCLUDED.transaction_id,
            member_id = EXCLUDED.member_id, redeemed_at = EXCLUDED.redeemed_at, recorded_at = now()
        WHERE coupon_redemptions.version < EXCLUDED.version
        """;

    private const string ExportSql = """
        SELECT c.code, COALESCE(r.redeemed, false), r.redeemed_at, r.member_id, r.transaction_id
        FROM coupon_codes c
        LEFT JOIN coupon_redemptions r ON r.program_id = c.program_id AND r.code = c.code AND r.redeemed
        WHERE c.program_id = @program AND c.series_id = @series
        """;

    public async Task<CouponSeriesInfo> RegisterAsync(
        string programId, string seriesId, int count, CouponDefinition definition, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using (var insert = dataSource.CreateCommand("""
            INSERT INTO coupon_series (program_id, series_id, code_count, definition, created_at)
            VALUES (@program, @series, @count, @definition, @now)
            ON CONFLICT ON CONSTRAINT coupon_series_pk DO NOTHING
            """))
        {
            insert.Parameters.AddWithValue("program", programId);
            insert.Parameters.AddWithValue("series", seriesId);
            insert.Parameters.AddWithValue("count", count);
            insert.Parameters.AddWithValue("definition", serializer.SerializeToArray(definition));
            insert.Parameters.AddWithValue("now", now.UtcDateTime);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        var existing = await GetAsync(programId, seriesId, cancellationToken)
            ?? throw new InvalidOperationException("the series row vanished after its insert");
        return existing.Count == count && Coupons.SameTerms(existing.Definition, definition)
            ? existing
            : throw new LoyaltyException(ErrorReason.CouponAlreadyExists, "a different series with this id already exists (other count or terms)");
    }

    public async Task<CouponSeriesInfo> GenerateChunkAsync(string programId, string seriesId, int chunkSize, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var info = await ReadSeriesAsync(connection, programId, seriesId, forUpdate: true, cancellationToken)
                ?? throw new LoyaltyException(ErrorReason.CouponSeriesNotFound, "no such coupon series");
            var n = Math.Min(chunkSize, info.Count - info.Generated);
            if (n <= 0)
            {
                await transaction.CommitAsync(cancellationToken);
                return info;
            }

            var codes = new string[n];
            CouponCodes.Fill(codes);
            try
            {
                await CopyCodesAsync(connection, programId, seriesId, codes, cancellationToken);
                await using (var progress = new NpgsqlCommand("""
                    UPDATE coupon_series
                    SET generated = generated + @n, completed_at = CASE WHEN generated + @n >= code_count THEN @now END
                    WHERE program_id = @program AND series_id = @series
                    """, connection, transaction))
                {
                    progress.Parameters.AddWithValue("n", n);
                    progress.Parameters.AddWithValue("now", now.UtcDateTime);
                    progress.Parameters.AddWithValue("program", programId);
                    progress.Parameters.AddWithValue("series", seriesId);
                    await progress.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                var generated = info.Generated + n;
                return info with { Generated = generated, CompletedAt = generated >= info.Count ? now : null };
            }
            catch (PostgresException collision) when (collision.SqlState == PostgresErrorCodes.UniqueViolation && attempt < MaxChunkAttempts)
            {
                // A code already exists in the program (astronomically rare): the whole chunk is rolled
                // back by the failed COPY and drawn again; the series' progress did not move.
                LogChunkCollision(logger, attempt);
            }
        }
    }

    public async Task<CouponSeriesInfo?> GetAsync(string programId, string seriesId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var info = await ReadSeriesAsync(connection, programId, seriesId, forUpdate: false, cancellationToken);
        if (info is null)
        {
            return null;
        }

        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM coupon_redemptions WHERE program_id = @program AND series_id = @series AND redeemed", connection);
        count.Parameters.AddWithValue("program", programId);
        count.Parameters.AddWithValue("series", seriesId);
        return info with { Redeemed = (long)(await count.ExecuteScalarAsync(cancellationToken))! };
    }

    public async Task<IReadOnlyList<(string ProgramId, string SeriesId)>> ListIncompleteAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT program_id, series_id FROM coupon_series WHERE generated < code_count");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var incomplete = new List<(string, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            incomplete.Add((reader.GetString(0), reader.GetString(1)));
        }

        return incomplete;
    }

    public async Task<(string SeriesId, CouponDefinition Definition)?> FindCodeAsync(string programId, string code, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT s.series_id, s.definition
            FROM coupon_codes c JOIN coupon_series s ON s.program_id = c.program_id AND s.series_id = c.series_id
            WHERE c.program_id = @program AND c.code = @code
            """);
        command.Parameters.AddWithValue("program", programId);
        command.Parameters.AddWithValue("code", code);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetString(0), Definition(reader.GetFieldValue<byte[]>(1)))
            : null;
    }

    public async Task RecordRedemptionsAsync(IReadOnlyList<CouponRedemptionRow> rows, CancellationToken cancellationToken)
    {
        // One row per code per statement (ON CONFLICT cannot touch a row twice): the newest version wins.
        var latest = rows.GroupBy(r => (r.ProgramId, r.Code)).Select(g => g.MaxBy(r => r.Version)!).ToList();
        if (latest.Count == 0)
        {
            return;
        }

        await using var command = dataSource.CreateCommand(RecordSql);
        command.Parameters.Add(new NpgsqlParameter<string[]>("program", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. latest.Select(r => r.ProgramId)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("code", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. latest.Select(r => r.Code)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("series", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. latest.Select(r => r.SeriesId)] });
        command.Parameters.Add(new NpgsqlParameter<long[]>("version", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. latest.Select(r => r.Version)] });
        command.Parameters.Add(new NpgsqlParameter<bool[]>("redeemed", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { TypedValue = [.. latest.Select(r => r.Redeemed)] });
        command.Parameters.Add(new NpgsqlParameter<string?[]>("transaction", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. latest.Select(r => r.TransactionId)] });
        command.Parameters.Add(new NpgsqlParameter<string?[]>("member", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. latest.Select(r => r.MemberId)] });
        command.Parameters.Add(new NpgsqlParameter<DateTime?[]>("at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. latest.Select(r => r.At?.UtcDateTime)] });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async IAsyncEnumerable<CouponSeriesCode> ExportAsync(string programId, string seriesId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ExportSql);
        command.Parameters.AddWithValue("program", programId);
        command.Parameters.AddWithValue("series", seriesId);

        // Rows are read as they arrive from the server (Npgsql does not buffer the result set).
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new CouponSeriesCode(
                reader.GetString(0),
                reader.GetBoolean(1),
                reader.IsDBNull(2) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(2), TimeSpan.Zero),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4));
        }
    }

    private static async Task CopyCodesAsync(NpgsqlConnection connection, string programId, string seriesId, string[] codes, CancellationToken cancellationToken)
    {
        await using var writer = await connection.BeginBinaryImportAsync("COPY coupon_codes (program_id, code, series_id) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var code in codes)
        {
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(programId, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(code, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(seriesId, NpgsqlDbType.Text, cancellationToken);
        }

        await writer.CompleteAsync(cancellationToken);
    }

    private async Task<CouponSeriesInfo?> ReadSeriesAsync(NpgsqlConnection connection, string programId, string seriesId, bool forUpdate, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {SeriesColumns} FROM coupon_series WHERE program_id = @program AND series_id = @series{(forUpdate ? " FOR UPDATE" : string.Empty)}", connection);
        command.Parameters.AddWithValue("program", programId);
        command.Parameters.AddWithValue("series", seriesId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new CouponSeriesInfo(
            programId,
            seriesId,
            reader.GetInt32(0),
            reader.GetInt32(1),
            Definition(reader.GetFieldValue<byte[]>(2)),
            new DateTimeOffset(reader.GetFieldValue<DateTime>(3), TimeSpan.Zero),
            reader.IsDBNull(4) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(4), TimeSpan.Zero));
    }

    private CouponDefinition Definition(byte[] bytes) =>
        serializer.Deserialize<CouponDefinition>(bytes) ?? throw new InvalidOperationException("a coupon series without terms");

    [LoggerMessage(Level = LogLevel.Warning, Message = "A coupon series chunk collided with an existing code (attempt {Attempt}); drawing it again")]
    private static partial void LogChunkCollision(ILogger logger, int attempt);
}
