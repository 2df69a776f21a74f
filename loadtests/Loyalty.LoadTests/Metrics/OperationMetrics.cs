using System.Collections.Concurrent;
using HdrHistogram;

namespace Loyalty.LoadTests.Metrics;

/// <summary>
/// Latency and outcome counts of one operation (identify, quote, commit, checkout, ...).
/// Values are recorded in microseconds, from many threads at once, into an HdrHistogram recorder;
/// the run's sampler swaps out an interval histogram every second for the timeline.
/// </summary>
internal sealed class OperationMetrics(string name, RunMetrics run)
{
    public const long HighestMicros = 120_000_000; // 2 minutes

    // Every terminal records into the same recorder at once, so its histograms must be the
    // concurrent kind. A plain LongHistogram loses increments under contention: its total then
    // disagrees with its buckets, and reading it (GetMaxValue) throws ArgumentOutOfRangeException —
    // what killed soak runs after 45–110 s.
    private readonly Recorder _recorder = new(1, HighestMicros, 3, (id, low, high, digits) => new LongConcurrentHistogram(id, low, high, digits));
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _refusals = new(StringComparer.Ordinal);
    private HistogramBase? _spare;
    private long _ok;
    private long _refused;
    private long _failed;
    private long _windowOk;
    private long _windowRefused;
    private long _windowFailed;

    public string Name { get; } = name;

    /// <summary>
    /// Latencies of the calls that started (or were due) inside the measured window, however late
    /// they completed: a saturated server cannot hide its queue by finishing after the window.
    /// </summary>
    public LongConcurrentHistogram Measured { get; } = new(1, HighestMicros, 3);

    public List<TimelinePoint> Timeline { get; } = [];

    public long Ok => Interlocked.Read(ref _ok);

    public long Refused => Interlocked.Read(ref _refused);

    public long Failed => Interlocked.Read(ref _failed);

    public long WindowOk => Interlocked.Read(ref _windowOk);

    public long WindowRefused => Interlocked.Read(ref _windowRefused);

    public long WindowFailed => Interlocked.Read(ref _windowFailed);

    public IReadOnlyDictionary<string, long> Errors => _errors;

    public IReadOnlyDictionary<string, long> Refusals => _refusals;

    /// <summary>A successful call that started (or was due) at stopwatch timestamp <paramref name="start"/>.</summary>
    public long Success(long start)
    {
        var micros = Record(start);
        Interlocked.Increment(ref _ok);
        if (run.InWindowNow)
        {
            Interlocked.Increment(ref _windowOk);
        }

        return micros;
    }

    /// <summary>
    /// A refusal the scenario expects (e.g. COUPON_ALREADY_REDEEMED in a flash sale): a decision
    /// the engine made, timed and counted like a success, but listed by reason.
    /// </summary>
    public void ExpectedRefusal(string reason, long start)
    {
        Record(start);
        Interlocked.Increment(ref _refused);
        _refusals.AddOrUpdate(reason, 1, (_, n) => n + 1);
        if (run.InWindowNow)
        {
            Interlocked.Increment(ref _windowRefused);
        }
    }

    /// <summary>A failed call, keyed "STATUS/REASON". Not in the latency histogram.</summary>
    public void Error(string key)
    {
        Interlocked.Increment(ref _failed);
        _errors.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (run.InWindowNow)
        {
            Interlocked.Increment(ref _windowFailed);
        }
    }

    /// <summary>Called once a second by the sampler: closes the interval.</summary>
    public void Sample(double second, double intervalSeconds)
    {
        var interval = _recorder.GetIntervalHistogram(_spare);
        Timeline.Add(new TimelinePoint(
            Math.Round(second, 2),
            interval.TotalCount,
            intervalSeconds > 0 ? Math.Round(interval.TotalCount / intervalSeconds, 1) : 0,
            Millis(interval.TotalCount == 0 ? 0 : interval.GetValueAtPercentile(50)),
            Millis(interval.TotalCount == 0 ? 0 : interval.GetValueAtPercentile(99)),
            Millis(interval.TotalCount == 0 ? 0 : interval.GetMaxValue())));
        _spare = interval;
    }

    public static double Millis(long micros) => Math.Round(micros / 1000.0, 3);

    private long Record(long start)
    {
        var micros = Math.Clamp(run.MicrosSince(start), 1, HighestMicros);
        _recorder.RecordValue(micros);
        if (run.InWindow(start))
        {
            Measured.RecordValue(micros);
        }

        return micros;
    }
}

/// <summary>One second of one operation: completions, rate and latency.</summary>
internal sealed record TimelinePoint(double Second, long Count, double PerSecond, double P50Ms, double P99Ms, double MaxMs);
