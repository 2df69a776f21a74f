using System.Collections.Concurrent;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;

namespace Loyalty.Cluster.Tests.Infrastructure;

/// <summary>One checkout as the terminal saw it: the request (and so its transaction id) and how it ended.</summary>
public sealed class Sale
{
    public required CommitRequest Request { get; init; }

    public required int Terminal { get; init; }

    public required DateTime StartedAt { get; init; }

    public DateTime EndedAt { get; set; }

    /// <summary>The engine's acknowledgement, when the commit succeeded.</summary>
    public CommitResponse? Ack { get; set; }

    /// <summary>The machine-readable reason of a final refusal (e.g. COUPON_ALREADY_REDEEMED).</summary>
    public string? Refusal { get; set; }

    /// <summary>The status of the last failed attempt, when the sale ended without an answer.</summary>
    public StatusCode? FailedWith { get; set; }

    /// <summary>Acknowledged only by the reconciliation pass after the load (the terminal's later retry).</summary>
    public bool AckedLate { get; set; }

    public string TransactionId => Request.TransactionId;

    public string MemberId => Request.MemberId;

    public string? Coupon => Request.CouponCode.Length == 0 ? null : Request.CouponCode;

    public bool Unresolved => Ack is null && Refusal is null;
}

public sealed class DriverOptions
{
    public int Terminals { get; set; } = 12;

    /// <summary>Think time between two sales of one terminal.</summary>
    public TimeSpan Pause { get; set; } = TimeSpan.FromMilliseconds(40);

    /// <summary>Share of sales that bring a single-use coupon; each code is offered to two sales.</summary>
    public double CouponShare { get; set; } = 0.25;

    /// <summary>A member that gets <see cref="HotShare"/> of all sales (for the zombie test).</summary>
    public string? HotMember { get; set; }

    public double HotShare { get; set; }

    /// <summary>Whether each sale starts as at a real till: identify the member, quote the basket, then commit.</summary>
    public bool Reads { get; set; }

    /// <summary>The SDK client of terminal i (each terminal has its own, with its own failover state).</summary>
    public required Func<int, PosClient> ClientFor { get; init; }
}

/// <summary>
/// The checkout load: terminals committing sales as fast as their think time allows, a share of
/// them with single-use coupons that two terminals race for. Every outcome and every failed
/// attempt is recorded for the checks afterwards.
/// </summary>
public sealed class CheckoutDriver(Workload workload, DriverOptions options)
{
    private readonly ConcurrentQueue<string> _coupons = new(workload.Coupons.SelectMany(c => new[] { c, c }));
    private readonly string _run = Guid.NewGuid().ToString("N")[..6];
    private int _reads;

    public ConcurrentBag<Sale> Sales { get; } = [];

    /// <summary>Every failed attempt the terminals saw (the SDK's OnFailure), retried or final.</summary>
    public ConcurrentQueue<PosCallFailure> Failures { get; } = new();

    /// <summary>Reads (with <see cref="DriverOptions.Reads"/>) that reached the terminal as a failure, after the SDK's retries.</summary>
    public ConcurrentQueue<(string Method, StatusCode Status, DateTime At)> FailedReads { get; } = new();

    /// <summary>Reads that were answered.</summary>
    public int Reads => _reads;

    public void Record(PosCallFailure failure) => Failures.Enqueue(failure);

    /// <summary>Runs the terminals until <paramref name="duration"/> has passed; calls in flight finish.</summary>
    public async Task RunAsync(TimeSpan duration)
    {
        var until = DateTime.UtcNow + duration;
        await Task.WhenAll(Enumerable.Range(0, options.Terminals).Select(t => Task.Run(() => TerminalAsync(t, until))));
    }

    private async Task TerminalAsync(int terminal, DateTime until)
    {
        var client = options.ClientFor(terminal);
        var random = new Random(HashCode.Combine(_run, terminal));
        for (var receipt = 1; DateTime.UtcNow < until; receipt++)
        {
            var member = options.HotMember is { } hot && random.NextDouble() < options.HotShare
                ? hot
                : workload.Members[random.Next(workload.Members.Count)];
            string? coupon = null;
            if (random.NextDouble() < options.CouponShare)
            {
                _coupons.TryDequeue(out coupon);
            }

            var request = Workload.Sale(member, $"{_run}-t{terminal:D2}-{receipt:D6}", coupon, random);
            if (options.Reads && !await ReadAsync(client, request))
            {
                await Task.Delay(options.Pause);
                continue; // the till could not go on with this customer
            }

            var sale = new Sale { Request = request, Terminal = terminal, StartedAt = DateTime.UtcNow };
            Sales.Add(sale);
            await CommitAsync(client, sale);
            await Task.Delay(options.Pause);
        }
    }

    /// <summary>Identify, then quote the basket (without its coupon: a quote only checks one); false when either failed.</summary>
    private async Task<bool> ReadAsync(PosClient client, CommitRequest sale)
    {
        var quote = new QuoteRequest { MemberId = sale.MemberId, StoreId = sale.StoreId, TerminalId = sale.TerminalId };
        quote.Lines.AddRange(sale.Lines);
        foreach (var (method, read) in new (string, Func<Task>)[]
        {
            ("Identify", () => client.IdentifyByMemberAsync(sale.MemberId)),
            ("Quote", () => client.QuoteAsync(quote)),
        })
        {
            try
            {
                await read();
                Interlocked.Increment(ref _reads);
            }
            catch (RpcException failure)
            {
                FailedReads.Enqueue((method, failure.StatusCode, DateTime.UtcNow));
                return false;
            }
        }

        return true;
    }

    /// <summary>One commit through the SDK (which retries retryable failures with the same request).</summary>
    public static async Task CommitAsync(PosClient client, Sale sale)
    {
        try
        {
            sale.Ack = await client.CommitAsync(sale.Request);
        }
        catch (RpcException failure) when (!PosClient.IsRetryable(failure))
        {
            sale.Refusal = failure.Reason() ?? failure.StatusCode.ToString();
        }
        catch (RpcException failure)
        {
            sale.FailedWith = failure.StatusCode;
        }

        sale.EndedAt = DateTime.UtcNow;
    }
}
