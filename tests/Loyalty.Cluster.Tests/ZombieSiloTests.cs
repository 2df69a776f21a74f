using System.Diagnostics;
using Loyalty.Client;
using Loyalty.Cluster.Tests.Infrastructure;

namespace Loyalty.Cluster.Tests;

/// <summary>
/// Issue 5: a silo frozen (SIGSTOP) past the membership timeout while it hosts a hot member, then
/// resumed (SIGCONT) after the cluster declared it dead and moved the member elsewhere. Its
/// activation — a zombie with a stale copy of the member — goes on serving the requests that were
/// waiting in its sockets; the storage version check must refuse every write it attempts.
/// </summary>
[Collection(ClusterTestRun.Collection)]
public sealed class ZombieSiloTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_frozen_then_resumed_silo_cannot_overwrite_commits_made_elsewhere_meanwhile()
    {
        await using var cluster = await TestCluster.StartAsync("zombie", silos: 3);
        var programId = Workload.NewProgramId();
        var workload = await Workload.CreateAsync(cluster.Client(programId), members: 20, coupons: 200);
        var hot = workload.Members[0];

        // Activate the hot member, then find the silo that hosts it: that one will be frozen.
        var warmupClient = cluster.Client(programId);
        var warmup = new List<Sale>();
        for (var i = 0; i < 5; i++)
        {
            var sale = new Sale { Request = Workload.Sale(hot, $"warmup-{i}-{Guid.NewGuid():N}"[..20], null, new Random(i)), Terminal = -1, StartedAt = DateTime.UtcNow };
            await CheckoutDriver.CommitAsync(warmupClient, sale);
            warmup.Add(sale);
        }

        var zombie = await cluster.LocateAsync(cluster.Silos[0], "member", programId, hot)
            ?? throw new InvalidOperationException("the hot member's activation was not found in the directory");
        var others = cluster.Silos.Where(s => s != zombie).ToList();
        output.WriteLine($"the hot member lives on {zombie.Name}; the terminals use {string.Join(", ", others.Select(o => o.Name))}");

        CheckoutDriver? main = null, stuck = null;
        main = new CheckoutDriver(workload, new DriverOptions
        {
            Terminals = 8,
            HotMember = hot,
            HotShare = 0.5,
            ClientFor = _ => cluster.Client(programId, new PosClientOptions
            {
                MaxAttempts = 8,
                AttemptTimeout = TimeSpan.FromSeconds(4),
                OnFailure = f => main!.Record(f),
            }, others.Select(o => o.GrpcAddress)),
        });

        // Terminals connected to the doomed silo itself, with a deadline longer than the freeze: their
        // requests wait in its sockets and are the first thing the zombie serves when it wakes up.
        stuck = new CheckoutDriver(workload, new DriverOptions
        {
            Terminals = 3,
            HotMember = hot,
            HotShare = 1,
            CouponShare = 0,
            Pause = TimeSpan.FromMilliseconds(10),
            ClientFor = _ => cluster.Client(programId, new PosClientOptions
            {
                MaxAttempts = 3,
                AttemptTimeout = TimeSpan.FromSeconds(60),
                OnFailure = f => stuck!.Record(f),
            }, [zombie.GrpcAddress]),
        });

        var clock = Stopwatch.StartNew();
        var load = main.RunAsync(TimeSpan.FromSeconds(34));
        var stuckLoad = stuck.RunAsync(TimeSpan.FromSeconds(24));
        await Task.Delay(TimeSpan.FromSeconds(8));
        zombie.Freeze();
        var frozenAt = DateTime.UtcNow;
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s: SIGSTOP {zombie.Name}");

        var declaredDeadAt = await WaitUntilDeclaredDeadAsync(cluster, zombie, TimeSpan.FromSeconds(40));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s: {zombie.Name} declared dead in the membership table, {(declaredDeadAt - frozenAt).TotalSeconds:F1}s after the freeze");

        // Keep committing elsewhere until the hot member has moved and taken new writes.
        await Task.Delay(TimeSpan.FromSeconds(4));
        zombie.Resume();
        var resumedAt = DateTime.UtcNow;
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s: SIGCONT {zombie.Name}");

        await Task.WhenAll(load, stuckLoad);
        var zombieExited = !zombie.IsRunning;
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s: load over; the zombie process {(zombieExited ? "has stopped itself" : "is still running")}");

        var sales = warmup.Concat(main.Sales).Concat(stuck.Sales).ToList();
        var failures = main.Failures.Concat(stuck.Failures).ToList();
        var movedWrites = main.Sales.Count(s => s.MemberId == hot && s.Ack is not null && s.EndedAt > declaredDeadAt && s.EndedAt < resumedAt);
        var zombieRefusals = stuck.Failures.Count(f => f.Reason == "STORAGE_CONFLICT");
        var zombieLog = zombie.AllLogs();
        var conflictsInLog = CountOccurrences(zombieLog, "InconsistentStateException");
        output.WriteLine($"hot-member commits acknowledged through other silos while the zombie slept: {movedWrites}");
        output.WriteLine($"zombie writes refused: {zombieRefusals} answered STORAGE_CONFLICT to its terminals; {conflictsInLog} version-check refusals in its log");

        var patient = cluster.Client(programId, new PosClientOptions { MaxAttempts = 30, AttemptTimeout = TimeSpan.FromSeconds(10) }, others.Select(o => o.GrpcAddress));
        await Checks.ReconcileAsync(patient, sales);
        var report = await Checks.VerifyAsync(patient, workload, sales, failures);
        output.WriteLine(report.ToString());

        Assert.Empty(report.Violations);
        Assert.True(movedWrites > 0, "the hot member took commits on another silo while the zombie was frozen");

        // On waking, the zombie races two things: serving the requests waiting in its sockets (each
        // stale write is refused by the version check) and reading the membership table, which makes
        // it stop itself. Which comes first is up to the scheduler, and its last log lines may be lost
        // to the fail-fast stop, so the test accepts either as long as the zombie is fenced: no stale
        // write landed (no violations above) and it did not go on serving as if alive. The version
        // check on its own is tested deterministically in Loyalty.Host.Tests' DurabilityTests.
        Assert.True(zombieRefusals + conflictsInLog > 0 || zombieExited,
            "the zombie neither had a stale write refused nor stopped itself: it is still serving with a stale copy");
    }

    private static async Task<DateTime> WaitUntilDeclaredDeadAsync(TestCluster cluster, SiloProcess silo, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var statuses = await cluster.MembershipStatusesAsync(silo);
            if (statuses.Count > 0 && statuses[0] == 6)
            {
                return DateTime.UtcNow;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"{silo.Name} was not declared dead within {timeout}");
    }

    private static int CountOccurrences(string text, string word)
    {
        var count = 0;
        for (var at = text.IndexOf(word, StringComparison.Ordinal); at >= 0; at = text.IndexOf(word, at + word.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
