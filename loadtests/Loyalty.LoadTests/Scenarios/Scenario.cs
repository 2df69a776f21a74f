using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.LoadTests.Load;
using Loyalty.LoadTests.Metrics;
using Loyalty.LoadTests.Reporting;

namespace Loyalty.LoadTests.Scenarios;

/// <summary>
/// One kind of traffic. The driver calls <see cref="RunAsync"/> once per arrival (open model) or in
/// a loop per virtual terminal (closed model); the arrival index seeds every random choice.
/// </summary>
internal abstract class Scenario(Workload workload, RunOptions options) : IArrivals
{
    /// <summary>The refusal of a replayed transaction id whose request differs from the one the target has (e.g. another coupon).</summary>
    public const string IdReused = "TRANSACTION_ID_REUSED";

    private static readonly string[] Categories = ["grocery", "dairy", "bakery", "drinks", "household", "beauty", "toys", "garden"];

    protected Workload Workload { get; } = workload;

    protected RunOptions Options { get; } = options;

    protected Ledger Ledger => Workload.Ledger;

    /// <summary>This run's id (<see cref="RunIds"/>): in every transaction id, so no other run, here or elsewhere, sends the same.</summary>
    protected string RunId { get; } = workload.RunId;

    public abstract string Name { get; }

    /// <summary>The operation whose throughput and p99 are the run's headline (and thresholds).</summary>
    public abstract string Headline { get; }

    /// <summary>What one headline unit is, for the report ("committed checkouts", "grant decisions", ...).</summary>
    public abstract string HeadlineUnit { get; }

    /// <summary>Time at the start left out of the summary (closed model); the open model uses its ramp-up.</summary>
    public virtual TimeSpan WarmUp => Options.RampUp;

    public List<string> Notes { get; } = [];

    public virtual Task PrepareAsync(Action<string> log, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>One arrival, due at stopwatch timestamp <paramref name="due"/>. False when the scenario has no more work.</summary>
    public abstract Task<bool> RunAsync(long arrival, long due, RunMetrics metrics, CancellationToken cancellationToken);

    /// <summary>Scenario-specific checks after the common ledger checks.</summary>
    public virtual Task CheckAsync(List<CheckResult> checks, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>After the run and its checks: puts away what the run set up on the program, so it cannot touch a later run.</summary>
    public virtual Task FinishAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected (string Store, string Terminal) TerminalOf(long arrival)
    {
        return Workload.TerminalAt(Options, (int)(arrival % (Options.Stores * Options.TerminalsPerStore)));
    }

    protected string TransactionId(string store, string terminal, long arrival) => RunIds.TransactionId(store, terminal, RunId, arrival);

    /// <summary>1–6 lines from a 500-sku catalogue, 0.99–49.99 each, sometimes on sale.</summary>
    protected static List<BasketLine> Basket(ref Rng rng)
    {
        var count = rng.Next(1, 7);
        var lines = new List<BasketLine>(count);
        for (var i = 0; i < count; i++)
        {
            var sku = rng.Next(500);
            lines.Add(new BasketLine
            {
                Sku = $"sku-{sku:D4}",
                Category = Categories[sku % Categories.Length],
                Quantity = rng.Next(1, 4),
                UnitPrice = 99 + ((sku * 7919) % 4_900),
                OnSale = rng.Chance(0.1),
            });
        }

        return lines;
    }

    /// <summary>
    /// Commits through the SDK. With probability retry-share the first attempt goes out with a
    /// ~2 ms deadline (a terminal timing out while the target carries on) and the sale is then
    /// retried with the same transaction id, as a real terminal does. Returns the acknowledged
    /// response, or null with the expected refusal that came back, if one did (otherwise the
    /// failure is counted, and an unknown outcome is left for the checker to settle). In a replay
    /// (<c>--run-id</c>) TRANSACTION_ID_REUSED is expected too: the id's earlier request differed (another coupon).
    /// </summary>
    protected async Task<(CommitResponse? Response, string? Refusal)> CommitAsync(CommitRequest request, bool simulateTimeout, OperationMetrics op, long start, string? expectedRefusal, CancellationToken cancellationToken)
    {
        if (simulateTimeout)
        {
            try
            {
                var first = await Workload.Impatient.CommitAsync(request, cancellationToken);
                Ledger.Committed(request, first);
            }
            catch (RpcException)
            {
                // The terminal did not hear back in time: it does not know whether the sale happened.
            }
        }

        try
        {
            var response = await Workload.Pos.CommitAsync(request, cancellationToken);
            Ledger.Committed(request, response);
            op.Success(start);
            return (response, null);
        }
        catch (RpcException refusal) when (refusal.Reason() is { } reason && (reason == expectedRefusal || (reason == IdReused && Ledger.IsReplay)))
        {
            op.ExpectedRefusal(reason, start);
            return (null, reason);
        }
        catch (RpcException failure)
        {
            op.Error(Workload.Key(failure));
            if (PosClient.IsRetryable(failure) || failure.StatusCode == StatusCode.Cancelled)
            {
                Ledger.CommitUnknown(request);
            }

            return (null, null);
        }
    }

    /// <summary>Runs a call, timing it against <paramref name="start"/>; null on failure (counted by status/reason).</summary>
    protected static async Task<T?> TimedAsync<T>(OperationMetrics op, long start, Func<Task<T>> call)
        where T : class
    {
        try
        {
            var result = await call();
            op.Success(start);
            return result;
        }
        catch (RpcException failure)
        {
            op.Error(Workload.Key(failure));
            return null;
        }
    }
}
