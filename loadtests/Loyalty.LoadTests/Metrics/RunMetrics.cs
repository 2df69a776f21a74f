using System.Collections.Concurrent;
using System.Diagnostics;

namespace Loyalty.LoadTests.Metrics;

/// <summary>
/// All measurements of one run: operations by name, the clock every latency is taken from, and
/// the measured window (after warm-up / ramp-up) the summary covers. Throughput counts calls that
/// completed inside the window; latency percentiles cover calls that were due inside it.
/// </summary>
internal sealed class RunMetrics
{
    private readonly ConcurrentDictionary<string, OperationMetrics> _operations = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly Lock _orderLock = new();
    private long _windowStart = long.MaxValue;
    private long _windowEnd = long.MaxValue;
    private long _dropped;

    public RunMetrics()
    {
        Origin = Stopwatch.GetTimestamp();
    }

    /// <summary>Stopwatch timestamp of the start of the run: intended start times are offsets from it.</summary>
    public long Origin { get; }

    /// <summary>Arrivals not sent because the generator already had too many in flight (its own limit).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public TimeSpan WindowStart { get; private set; }

    public TimeSpan WindowEnd { get; private set; }

    public TimeSpan Measured => WindowEnd - WindowStart;

    /// <summary>When the sampler last closed an interval.</summary>
    public TimeSpan LastSample { get; set; }

    public IReadOnlyList<OperationMetrics> Operations
    {
        get
        {
            lock (_orderLock)
            {
                return _order.Select(n => _operations[n]).ToList();
            }
        }
    }

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(Origin);

    public OperationMetrics Op(string name)
    {
        if (_operations.TryGetValue(name, out var existing))
        {
            return existing;
        }

        lock (_orderLock)
        {
            if (!_operations.TryGetValue(name, out existing))
            {
                existing = new OperationMetrics(name, this);
                _operations[name] = existing;
                _order.Add(name);
            }

            return existing;
        }
    }

    /// <summary>The measured window, as offsets from the origin; set before the load starts.</summary>
    public void SetWindow(TimeSpan start, TimeSpan end)
    {
        WindowStart = start;
        WindowEnd = end;
        Interlocked.Exchange(ref _windowStart, At(start));
        Interlocked.Exchange(ref _windowEnd, At(end));
    }

    /// <summary>Ends the window early (a run that ran out of work before its duration).</summary>
    public void EndWindowNow()
    {
        var now = Stopwatch.GetTimestamp();
        if (now < Interlocked.Read(ref _windowEnd))
        {
            Interlocked.Exchange(ref _windowEnd, now);
            WindowEnd = Stopwatch.GetElapsedTime(Origin, now);
            if (WindowEnd < WindowStart)
            {
                WindowStart = TimeSpan.Zero;
                Interlocked.Exchange(ref _windowStart, Origin);
            }
        }
    }

    public long MicrosSince(long timestamp) => (long)Stopwatch.GetElapsedTime(timestamp).TotalMicroseconds;

    /// <summary>Timestamp of an instant <paramref name="offset"/> after the origin.</summary>
    public long At(TimeSpan offset) => Origin + (long)(offset.TotalSeconds * Stopwatch.Frequency);

    public bool InWindow(long timestamp) => timestamp >= Interlocked.Read(ref _windowStart) && timestamp < Interlocked.Read(ref _windowEnd);

    public bool InWindowNow => InWindow(Stopwatch.GetTimestamp());

    public void Drop() => Interlocked.Increment(ref _dropped);
}
