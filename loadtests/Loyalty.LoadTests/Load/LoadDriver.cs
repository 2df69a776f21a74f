using System.Diagnostics;
using Grpc.Core;
using Loyalty.LoadTests.Metrics;
namespace Loyalty.LoadTests.Load;

/// <summary>What the driver runs: one arrival at a time (a scenario, or a stand-in in tests).</summary>
internal interface IArrivals
{
    /// <summary>Time at the start left out of the summary under the closed model.</summary>
    TimeSpan WarmUp { get; }

    /// <summary>One arrival, due at stopwatch timestamp <paramref name="due"/>. False when there is no more work.</summary>
    Task<bool> RunAsync(long arrival, long due, RunMetrics metrics, CancellationToken cancellationToken);
}

/// <summary>Runs a scenario under the open or the closed model, sampling metrics once a second.</summary>
internal static class LoadDriver
{
    /// <summary>
    /// Runs the load until its duration ends or <paramref name="cancellationToken"/> fires. If the
    /// per-second sampler (or <paramref name="everySecond"/>) fails, the load stops at once and that
    /// failure is thrown: a run whose measurements broke must not carry on blind to its end.
    /// </summary>
    public static async Task RunAsync(IArrivals scenario, RunOptions options, RunMetrics metrics, Action<TimeSpan> everySecond, CancellationToken cancellationToken)
    {
        using var load = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stop = new CancellationTokenSource();
        var sampler = SampleAsync(metrics, everySecond, load, stop.Token);
        try
        {
            if (options.Model == LoadModel.Open)
            {
                await OpenAsync(scenario, options, metrics, load.Token);
            }
            else
            {
                await ClosedAsync(scenario, options, metrics, load.Token);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await sampler; // a sampler failure replaces the cancellation it caused
            Sample(metrics, everySecond); // the last partial second
        }
    }

    /// <summary>
    /// Fixed-rate arrivals: each one is dispatched at its due time whether or not earlier ones
    /// finished, and timed from that due time. If more than --max-in-flight are outstanding the
    /// arrival is dropped and counted (the generator protects itself; the report says so loudly).
    /// </summary>
    private static async Task OpenAsync(IArrivals scenario, RunOptions options, RunMetrics metrics, CancellationToken cancellationToken)
    {
        var schedule = new ArrivalSchedule(options.Rate, options.RampUp, options.Duration);
        metrics.SetWindow(options.RampUp, options.Duration);
        var inFlight = 0;
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatching = 1;
        var more = 1;
        long k = 0;
        while (k < schedule.Total && !cancellationToken.IsCancellationRequested && Volatile.Read(ref more) == 1)
        {
            // Sleep until the next arrival is due, at least one timer tick: waiting for a due time less
            // than a tick away by looping kept a core busy (at 1,000 arrivals/s the generator burnt ~1 ms
            // of CPU per arrival, taken from the target on a shared box). Arrivals that fell due meanwhile
            // go out together, each still timed from its own due time.
            var wait = schedule.DueAt(k) - metrics.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait > TimeSpan.FromMilliseconds(1) ? wait : TimeSpan.FromMilliseconds(1), cancellationToken).ConfigureAwait(false);
            }

            var now = metrics.Elapsed;
            while (k < schedule.Total && schedule.DueAt(k) <= now)
            {
                if (Volatile.Read(ref inFlight) >= options.MaxInFlight)
                {
                    metrics.Drop();
                    k++;
                    continue;
                }

                Interlocked.Increment(ref inFlight);
                var arrival = k;
                var due = metrics.At(schedule.DueAt(k));
                ThreadPool.UnsafeQueueUserWorkItem(
                    async _ =>
                    {
                        try
                        {
                            if (!await Guard(scenario, arrival, due, metrics, cancellationToken))
                            {
                                Volatile.Write(ref more, 0);
                            }
                        }
                        finally
                        {
                            if (Interlocked.Decrement(ref inFlight) == 0 && Volatile.Read(ref dispatching) == 0)
                            {
                                drained.TrySetResult();
                            }
                        }
                    },
                    null);
                k++;
            }
        }

        Volatile.Write(ref dispatching, 0);
        if (Volatile.Read(ref inFlight) > 0)
        {
            await drained.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
        }
    }

    /// <summary>N virtual terminals, all starting at once; each issues its next arrival when the last one is done.</summary>
    private static async Task ClosedAsync(IArrivals scenario, RunOptions options, RunMetrics metrics, CancellationToken cancellationToken)
    {
        metrics.SetWindow(scenario.WarmUp, options.Duration);
        var end = metrics.At(options.Duration);
        long next = -1;
        var terminals = Enumerable.Range(0, options.Terminals).Select(async _ =>
        {
            await Task.Yield();
            while (Stopwatch.GetTimestamp() < end && !cancellationToken.IsCancellationRequested)
            {
                var arrival = Interlocked.Increment(ref next);
                if (!await Guard(scenario, arrival, Stopwatch.GetTimestamp(), metrics, cancellationToken))
                {
                    break;
                }
            }
        }).ToList();
        await Task.WhenAll(terminals);
        metrics.EndWindowNow(); // a scenario that ran out of work (flash sale) is measured until its last answer
    }

    private static async Task<bool> Guard(IArrivals scenario, long arrival, long due, RunMetrics metrics, CancellationToken cancellationToken)
    {
        try
        {
            return await scenario.RunAsync(arrival, due, metrics, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception failure) when (failure is not RpcException)
        {
            metrics.Op("generator").Error("exception/" + failure.GetType().Name + ": " + failure.Message);
            return true;
        }
    }

    private static async Task SampleAsync(RunMetrics metrics, Action<TimeSpan> everySecond, CancellationTokenSource load, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                Sample(metrics, everySecond);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // run over
        }
        catch
        {
            await load.CancelAsync();
            throw;
        }
    }

    private static void Sample(RunMetrics metrics, Action<TimeSpan> everySecond)
    {
        var now = metrics.Elapsed;
        var interval = now - metrics.LastSample;
        metrics.LastSample = now;
        foreach (var op in metrics.Operations)
        {
            op.Sample(now.TotalSeconds, interval.TotalSeconds);
        }

        everySecond(now);
    }
}
