using System.Collections.Concurrent;
using System.Diagnostics;
using Loyalty.Grains;

namespace Loyalty.Host.Services.Admin;

/// <summary>
/// Generates coupon series in the background, one chunk (one transaction) at a time, so the admin
/// call returns at once and <c>GetCouponSeries</c> shows the progress. Series left incomplete (a
/// crash, a stop, a database outage) are resumed at startup and whenever their status is read;
/// resuming is safe because each chunk advances the series' progress atomically with its codes.
/// </summary>
internal sealed partial class CouponSeriesJobs(ICouponSeriesStore store, LoyaltyClock clock, IHostApplicationLifetime lifetime, ILogger<CouponSeriesJobs> logger)
    : BackgroundService
{
    /// <summary>Codes per chunk: ~2 MB of codes in memory at a time, and a transaction of a second or two.</summary>
    public const int ChunkSize = 50_000;

    private readonly ConcurrentDictionary<(string ProgramId, string SeriesId), Task> _running = new();

    public bool IsRunning(string programId, string seriesId) => _running.ContainsKey((programId, seriesId));

    /// <summary>Starts generating the series unless this process already is.</summary>
    public void Start(string programId, string seriesId)
    {
        var key = (programId, seriesId);
        if (_running.ContainsKey(key))
        {
            return;
        }

        var gate = new TaskCompletionSource();
        if (_running.TryAdd(key, gate.Task))
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await RunAsync(programId, seriesId);
                }
                finally
                {
                    _running.TryRemove(key, out _);
                    gate.SetResult();
                }
            });
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            foreach (var (programId, seriesId) in await store.ListIncompleteAsync(stoppingToken))
            {
                Start(programId, seriesId);
            }
        }
        catch (Exception failure) when (!stoppingToken.IsCancellationRequested)
        {
            LogResumeFailed(logger, failure);
        }
    }

    private async Task RunAsync(string programId, string seriesId)
    {
        var stopping = lifetime.ApplicationStopping;
        var watch = Stopwatch.StartNew();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var info = await store.GenerateChunkAsync(programId, seriesId, ChunkSize, clock.UtcNow, stopping);
                if (info.Complete)
                {
                    LogCompleted(logger, seriesId, info.Count, watch.Elapsed.TotalSeconds);
                    return;
                }
            }
        }
        catch (Exception failure) when (!stopping.IsCancellationRequested)
        {
            LogFailed(logger, seriesId, failure);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the committed chunks stay, the next start resumes.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Coupon series {SeriesId}: {Count} codes stored in {Seconds:F1} s")]
    private static partial void LogCompleted(ILogger logger, string seriesId, int count, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Coupon series {SeriesId}: generation stopped; it resumes when its status is read or the host restarts")]
    private static partial void LogFailed(ILogger logger, string seriesId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not list incomplete coupon series to resume them")]
    private static partial void LogResumeFailed(ILogger logger, Exception exception);
}
