using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Cluster.Tests.Infrastructure;

namespace Loyalty.Cluster.Tests;

/// <summary>
/// Issue 5: storage faults injected in the silos (Loyalty:StorageFaults) — one member or coupon
/// write in ten fails before reaching PostgreSQL, one in ten lands and then reports a failure (the
/// acknowledgement is lost). A failed write must never be acknowledged to the terminal, and what
/// the grains hold in memory must be exactly what storage holds.
/// </summary>
[Collection(ClusterTestRun.Collection)]
public sealed class StorageFaultTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> Faults = new()
    {
        ["Loyalty__StorageFaults__FailBeforeWritePercent"] = "10",
        ["Loyalty__StorageFaults__FailAfterWritePercent"] = "10",
        ["Loyalty__StorageFaults__StateNames"] = "member,coupon",
    };

    private static readonly Dictionary<string, string> NoFaults = new()
    {
        ["Loyalty__StorageFaults__FailBeforeWritePercent"] = "0",
        ["Loyalty__StorageFaults__FailAfterWritePercent"] = "0",
    };

    [Fact]
    public async Task A_failed_storage_write_is_never_acknowledged_and_grain_memory_never_drifts_from_storage()
    {
        await using var cluster = await TestCluster.StartAsync("storage-faults", silos: 2, settings: Faults);
        var faulty = cluster.Silos.ToList();
        var programId = Workload.NewProgramId();
        var workload = await Workload.CreateAsync(cluster.Client(programId, new PosClientOptions { MaxAttempts = 40 }), members: 16, coupons: 160);

        // One attempt per sale: every fault the engine reports reaches the terminal as a failed sale.
        CheckoutDriver? driver = null;
        driver = new CheckoutDriver(workload, new DriverOptions
        {
            Terminals = 8,
            ClientFor = _ => cluster.Client(programId, new PosClientOptions
            {
                // One attempt: a sale the injected fault failed stays unresolved, for the checks below to settle.
                MaxAttempts = 1, WriteRetryWindow = TimeSpan.Zero, AttemptTimeout = TimeSpan.FromSeconds(5), OnFailure = f => driver!.Record(f),
            }),
        });
        await driver.RunAsync(TimeSpan.FromSeconds(20));
        var sales = driver.Sales.ToList();

        var scrapes = await Task.WhenAll(faulty.Select(Metrics.ScrapeAsync));
        var injectedBefore = scrapes.Sum(s => Metrics.Sum(s, "loyalty_storage_faults_injected_total", "when=\"before\""));
        var injectedAfter = scrapes.Sum(s => Metrics.Sum(s, "loyalty_storage_faults_injected_total", "when=\"after\""));
        var failedSales = sales.Count(s => s.Unresolved);
        output.WriteLine($"sales {sales.Count}: acknowledged {sales.Count(s => s.Ack is not null)}, failed {failedSales}; " +
            $"faults injected: {injectedBefore} before the write, {injectedAfter} after it");

        // What the activations hold in memory, read through the faulty silos (reads are never faulted) ...
        var memory = await SnapshotAsync(cluster.Client(programId, new PosClientOptions { MaxAttempts = 10 }), workload, sales);

        // ... and what storage holds: stop the faulty silos, read everything back through a clean one.
        await Task.WhenAll(faulty.Select(s => s.StopAsync(TimeSpan.FromSeconds(30))));
        var clean = await cluster.AddSiloAsync("clean", NoFaults);
        var reader = cluster.Client(programId, new PosClientOptions { MaxAttempts = 10 }, [clean.GrpcAddress]);
        var stored = await SnapshotAsync(reader, workload, sales);

        var drift = memory.Keys.Where(k => memory[k] != stored[k]).Select(k => $"{k}: memory {memory[k]}, storage {stored[k]}").ToList();
        output.WriteLine($"compared {memory.Count} members and coupons, memory vs storage: {drift.Count} differences");
        Assert.Empty(drift);

        // Before any retry: storage holds every acknowledged commit (and perhaps some whose
        // acknowledgement was lost), never less.
        var missing = new List<string>();
        foreach (var member in workload.Members)
        {
            var acked = sales.Where(s => s.MemberId == member && s.Ack is not null).Sum(s => s.Ack!.PointsEarned);
            var balance = long.Parse(stored[$"member {member}"].Split(' ')[0]);
            if (balance < acked)
            {
                missing.Add($"{member}: storage has {balance} points, acknowledged {acked}");
            }
        }

        var patient = cluster.Client(programId, new PosClientOptions { MaxAttempts = 20, AttemptTimeout = TimeSpan.FromSeconds(10) }, [clean.GrpcAddress]);
        await Checks.ReconcileAsync(patient, sales);
        var report = await Checks.VerifyAsync(patient, workload, sales, driver.Failures);
        output.WriteLine(report.ToString());

        Assert.True(injectedBefore > 0 && injectedAfter > 0, "both kinds of fault were injected");
        Assert.True(failedSales > 0, "the terminals saw the failed writes");
        Assert.Empty(missing);
        Assert.Empty(report.Violations);
        Assert.True(report.AckedLate > 0, "failed sales went through on the terminal's later retry");
    }

    /// <summary>Every member's balance and lots, and every offered coupon's holder, as one string per key.</summary>
    private static async Task<Dictionary<string, string>> SnapshotAsync(PosClient client, Workload workload, List<Sale> sales)
    {
        var snapshot = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        await Parallel.ForEachAsync(workload.Members, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (member, _) =>
        {
            var balance = (await client.GetBalanceAsync(member)).Balance;
            snapshot[$"member {member}"] = $"{balance.Available} available, {balance.Pending} pending, lots {string.Join(";", balance.Buckets.Select(b => $"{b.Month}:{b.Points}"))}";
        });
        var offered = sales.Where(s => s.Coupon is not null).Select(s => s.Coupon!).Distinct();
        await Parallel.ForEachAsync(offered, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (code, _) =>
        {
            try
            {
                var coupon = await TestCluster.Admin(client).GetCouponAsync(new GetCouponRequest { ProgramId = workload.ProgramId, Code = code }, deadline: DateTime.UtcNow.AddSeconds(30));
                snapshot[$"coupon {code}"] = "held by " + coupon.RedeemedByTransaction;
            }
            catch (Grpc.Core.RpcException refusal) when (refusal.StatusCode == Grpc.Core.StatusCode.NotFound)
            {
                // A coupon whose creation never reached storage but that memory believed in.
                snapshot[$"coupon {code}"] = "does not exist";
            }
        });
        return new Dictionary<string, string>(snapshot);
    }
}
