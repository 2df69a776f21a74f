using System.Diagnostics;
using Loyalty.LoadTests.Load;
using Loyalty.LoadTests.Metrics;

namespace Loyalty.LoadTests.Tests;

/// <summary>
/// The soak scenario died after 45–110 s with "Specified argument was out of the range of valid
/// values": the per-second sampler read an interval histogram that concurrent terminals had
/// corrupted (lost increments), and HdrHistogram's iteration gave up on it.
/// </summary>
public sealed class SoakTests
{
    [Fact]
    public void The_per_second_sample_counts_every_call_when_many_terminals_record_at_once()
    {
        var metrics = new RunMetrics();
        metrics.SetWindow(TimeSpan.Zero, TimeSpan.FromHours(1));
        var op = metrics.Op("checkout");
        const int Terminals = 4;
        const int CallsEach = 1_000_000;
        var start = Stopwatch.GetTimestamp();
        var recording = Terminals;
        Exception? samplerFailure = null;

        // The driver samples once a second for the whole run; here it samples every millisecond
        // while four threads record as fast as they can: far more intervals and far more
        // contention than the soak runs that failed after 45 and 110 s.
        var sampler = new Thread(() =>
        {
            try
            {
                for (var second = 1; Volatile.Read(ref recording) > 0; second++)
                {
                    op.Sample(second, 1);
                    Thread.Sleep(1);
                }
            }
            catch (Exception failure)
            {
                samplerFailure = failure;
            }
        });
        var terminals = Enumerable.Range(0, Terminals).Select(_ => new Thread(() =>
        {
            for (var i = 0; i < CallsEach; i++)
            {
                op.Success(start);
            }

            Interlocked.Decrement(ref recording);
        })).ToList();
        sampler.Start();
        terminals.ForEach(t => t.Start());
        terminals.ForEach(t => t.Join());
        sampler.Join();
        Assert.Null(samplerFailure);
        op.Sample(1e9, 1);

        Assert.Equal(Terminals * CallsEach, op.Ok);
        Assert.Equal(Terminals * CallsEach, op.Measured.TotalCount);
        Assert.Equal(Terminals * CallsEach, op.Timeline.Sum(p => p.Count));
    }

    [Fact]
    public async Task A_failure_in_the_per_second_sampler_stops_the_run_at_once_with_that_failure()
    {
        var options = new RunOptions { Model = LoadModel.Open, Rate = 50, RampUp = TimeSpan.Zero, Duration = TimeSpan.FromSeconds(30) };
        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => LoadDriver.RunAsync(
            new Instant(),
            options,
            new RunMetrics(),
            elapsed =>
            {
                if (elapsed > TimeSpan.FromSeconds(1.5))
                {
                    throw new InvalidOperationException("sampler broke");
                }
            },
            CancellationToken.None));

        Assert.Equal("sampler broke", failure.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the run went on for {clock.Elapsed.TotalSeconds:0} s after its sampler failed");
    }

    /// <summary>A target that answers at once.</summary>
    private sealed class Instant : IArrivals
    {
        public TimeSpan WarmUp => TimeSpan.Zero;

        public Task<bool> RunAsync(long arrival, long due, RunMetrics metrics, CancellationToken cancellationToken)
        {
            metrics.Op("call").Success(due);
            return Task.FromResult(true);
        }
    }
}
