using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Loyalty.Contracts;
using Loyalty.Domain;
using Microsoft.Extensions.Logging;

namespace Loyalty.Grains;

/// <summary>The redemption state of one series code, as recorded for the export (newest version wins).</summary>
public sealed record CouponRedemptionRow(
    string ProgramId, string Code, string SeriesId, long Version, bool Redeemed, string? TransactionId, string? MemberId, DateTimeOffset? At);

/// <summary>
/// Bulk series of single-use codes, kept outside grain state (PostgreSQL <c>coupon_series</c>,
/// <c>coupon_codes</c> and <c>coupon_redemptions</c> in production; docs/coupon-series.md).
/// A coupon grain with no state of its own looks its code up here and takes the series' definition.
/// </summary>
public interface ICouponSeriesStore
{
    /// <summary>
    /// Registers a series, idempotent by id: the same id with the same count and terms returns the
    /// existing series (its progress); with different ones it is COUPON_ALREADY_EXISTS.
    /// </summary>
    Task<CouponSeriesInfo> RegisterAsync(string programId, string seriesId, int count, CouponDefinition definition, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Generates and stores the next chunk of at most <paramref name="chunkSize"/> codes, together with the
    /// series' progress, atomically. Runs for one series are serialized, so two runners never over-generate.
    /// </summary>
    Task<CouponSeriesInfo> GenerateChunkAsync(string programId, string seriesId, int chunkSize, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The series with its progress and redeemed count; null when unknown.</summary>
    Task<CouponSeriesInfo?> GetAsync(string programId, string seriesId, CancellationToken cancellationToken);

    Task<IReadOnlyList<(string ProgramId, string SeriesId)>> ListIncompleteAsync(CancellationToken cancellationToken);

    /// <summary>The series a code belongs to and its definition; null when the code is in no series.</summary>
    Task<(string SeriesId, CouponDefinition Definition)?> FindCodeAsync(string programId, string code, CancellationToken cancellationToken);

    /// <summary>Records redemption states; a row older (by version) than the stored one changes nothing.</summary>
    Task RecordRedemptionsAsync(IReadOnlyList<CouponRedemptionRow> rows, CancellationToken cancellationToken);

    /// <summary>Every code of the series with its redemption state, streamed (never all in memory).</summary>
    IAsyncEnumerable<CouponSeriesCode> ExportAsync(string programId, string seriesId, CancellationToken cancellationToken);
}

/// <summary>Series in memory: when no database is configured, and in grain tests.</summary>
public sealed class MemoryCouponSeriesStore : ICouponSeriesStore
{
    private readonly ConcurrentDictionary<(string, string), SeriesEntry> _series = new();
    private readonly ConcurrentDictionary<(string, string), string> _codes = new();
    private readonly ConcurrentDictionary<(string, string), CouponRedemptionRow> _redemptions = new();

    public Task<CouponSeriesInfo> RegisterAsync(string programId, string seriesId, int count, CouponDefinition definition, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var entry = _series.GetOrAdd((programId, seriesId), _ => new SeriesEntry(new CouponSeriesInfo(programId, seriesId, count, 0, definition, now, null)));
        lock (entry)
        {
            return entry.Info.Count == count && Coupons.SameTerms(entry.Info.Definition, definition)
                ? Task.FromResult(entry.Info)
                : throw new LoyaltyException(ErrorReason.CouponAlreadyExists, "a different series with this id already exists");
        }
    }

    public Task<CouponSeriesInfo> GenerateChunkAsync(string programId, string seriesId, int chunkSize, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var entry = _series.TryGetValue((programId, seriesId), out var e) ? e : throw new LoyaltyException(ErrorReason.CouponSeriesNotFound, "no such series");
        lock (entry)
        {
            var info = entry.Info;
            var n = Math.Min(chunkSize, info.Count - info.Generated);
            var codes = new string[Math.Max(n, 0)];
            CouponCodes.Fill(codes);
            var added = codes.Count(code => _codes.TryAdd((programId, code), seriesId));
            entry.Info = info with { Generated = info.Generated + added, CompletedAt = info.Generated + added >= info.Count ? now : null };
            return Task.FromResult(entry.Info);
        }
    }

    public Task<CouponSeriesInfo?> GetAsync(string programId, string seriesId, CancellationToken cancellationToken)
    {
        if (!_series.TryGetValue((programId, seriesId), out var entry))
        {
            return Task.FromResult<CouponSeriesInfo?>(null);
        }

        var redeemed = _redemptions.Values.Count(r => r.ProgramId == programId && r.SeriesId == seriesId && r.Redeemed);
        return Task.FromResult<CouponSeriesInfo?>(entry.Info with { Redeemed = redeemed });
    }

    public Task<IReadOnlyList<(string ProgramId, string SeriesId)>> ListIncompleteAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<(string, string)>>([.. _series.Values.Where(e => !e.Info.Complete).Select(e => (e.Info.ProgramId, e.Info.SeriesId))]);

    public Task<(string SeriesId, CouponDefinition Definition)?> FindCodeAsync(string programId, string code, CancellationToken cancellationToken) =>
        Task.FromResult<(string, CouponDefinition)?>(
            _codes.TryGetValue((programId, code), out var seriesId) && _series.TryGetValue((programId, seriesId), out var entry)
                ? (seriesId, entry.Info.Definition)
                : null);

    public Task RecordRedemptionsAsync(IReadOnlyList<CouponRedemptionRow> rows, CancellationToken cancellationToken)
    {
        foreach (var row in rows)
        {
            _redemptions.AddOrUpdate((row.ProgramId, row.Code), row, (_, old) => old.Version >= row.Version ? old : row);
        }

        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<CouponSeriesCode> ExportAsync(string programId, string seriesId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var ((program, code), series) in _codes)
        {
            if (program != programId || series != seriesId)
            {
                continue;
            }

            var row = _redemptions.TryGetValue((programId, code), out var r) && r.Redeemed ? r : null;
            yield return new CouponSeriesCode(code, row is not null, row?.At, row?.MemberId, row?.TransactionId);
        }
    }

    private sealed class SeriesEntry(CouponSeriesInfo info)
    {
        public CouponSeriesInfo Info { get; set; } = info;
    }
}

/// <summary>Batches the redemption records of all coupon grains on this silo into the series store.</summary>
public sealed partial class CouponRedemptionOutbox(ICouponSeriesStore store, ILogger<CouponRedemptionOutbox> logger) : BatchingOutbox<CouponRedemptionRow>
{
    protected override Task WriteAsync(IReadOnlyList<CouponRedemptionRow> rows) => store.RecordRedemptionsAsync(rows, CancellationToken.None);

    protected override void OnFailed(int count, Exception failure) => LogRecordFailed(logger, count, failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording {Count} coupon redemptions failed; the coupons keep them in their outbox and retry")]
    private static partial void LogRecordFailed(ILogger logger, int count, Exception exception);
}

/// <summary>Section <c>Loyalty:Coupons</c>.</summary>
public sealed class CouponOptions
{
    public const string Section = "Loyalty:Coupons";

    /// <summary>
    /// How long a coupon hold may stay unconfirmed before the coupon asks the member whether the sale
    /// exists (and releases the code if it does not). Default two minutes: well beyond a commit's
    /// duration including the terminal's retries.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan HoldTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
