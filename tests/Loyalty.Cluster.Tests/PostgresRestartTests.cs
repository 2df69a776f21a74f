using System.Diagnostics;
using Loyalty.Client;
using Loyalty.Cluster.Tests.Infrastructure;

namespace Loyalty.Cluster.Tests;

/// <summary>
/// Issue 5: PostgreSQL crashes (immediate stop: no checkpoint, connections cut) and comes back in
/// the middle of the load. The silos ride it out without a restart, terminals only see retryable
/// failures meanwhile, and everything acknowledged before the crash is still there after it.
/// Runs on this project's private server: restarting a server shared with other test projects would break them.
/// </summary>
[Collection(ClusterTestRun.Collection)]
public sealed class PostgresRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_database_crash_mid_load_costs_no_acknowledged_commit_and_no_silo_restart()
    {
        var server = await Postgres.Private.StartAsync();
        var database = await Postgres.CreateDatabaseAsync(server);
        try
        {
            await using var cluster = await TestCluster.StartAsync("pg-restart", silos: 2, connectionString: database);
            var pids = cluster.Silos.Select(s => s.Pid).ToList();
            var programId = Workload.NewProgramId();
            var workload = await Workload.CreateAsync(cluster.Client(programId), members: 30, coupons: 200);

            CheckoutDriver? driver = null;
            driver = new CheckoutDriver(workload, new DriverOptions
            {
                Terminals = 8,
                ClientFor = _ => cluster.Client(programId, new PosClientOptions
                {
                    MaxAttempts = 12,
                    AttemptTimeout = TimeSpan.FromSeconds(4),
                    MaxBackoff = TimeSpan.FromSeconds(2),
                    OnFailure = f => driver!.Record(f),
                }),
            });

            var clock = Stopwatch.StartNew();
            var load = driver.RunAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(TimeSpan.FromSeconds(10));
            await Postgres.Private.StopAsync(immediate: true);
            var downAt = DateTime.UtcNow;
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s: PostgreSQL stopped (immediate: like a crash)");
            await Task.Delay(TimeSpan.FromSeconds(6));
            await Postgres.Private.StartAsync();
            var upAt = DateTime.UtcNow;
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s: PostgreSQL running again (crash recovery done)");
            await load;
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s: load over");

            var sales = driver.Sales.ToList();
            var failedDuringOutage = driver.Failures.Count;
            var ackedAfter = sales.Count(s => s.Ack is not null && s.StartedAt > upAt);
            output.WriteLine($"failed attempts: {failedDuringOutage}; sales started after the restart and acknowledged: {ackedAfter}; " +
                $"first acknowledgement after the restart {FirstAckAfter(sales, upAt)}");

            var patient = cluster.Client(programId, new PosClientOptions { MaxAttempts = 30, AttemptTimeout = TimeSpan.FromSeconds(10) });
            await Checks.ReconcileAsync(patient, sales);
            var report = await Checks.VerifyAsync(patient, workload, sales, driver.Failures);
            output.WriteLine(report.ToString());

            Assert.Empty(report.Violations);
            Assert.Equal(pids, cluster.Silos.Select(s => s.Pid).ToList());
            Assert.True(failedDuringOutage > 0, "the terminals felt the outage");
            Assert.True(ackedAfter > 0, "the engine recovered by itself and took new commits");
            Assert.Contains(sales, s => s.Ack is not null && s.EndedAt < downAt);
        }
        finally
        {
            await Postgres.Private.StartAsync();
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    private static string FirstAckAfter(List<Sale> sales, DateTime upAt) =>
        sales.Where(s => s.Ack is not null && s.EndedAt > upAt).Select(s => s.EndedAt).DefaultIfEmpty().Min() is { } first && first != default
            ? $"{(first - upAt).TotalSeconds:F1}s later"
            : "never";
}
