using Loyalty.LoadTests.Reporting;
using Loyalty.LoadTests.Scenarios;
using Loyalty.LoadTests.Tests.Infrastructure;

namespace Loyalty.LoadTests.Tests;

/// <summary>
/// Issue #33: the checkout run again against a program an earlier run used — by the next generator process, by
/// the same one, by two generators at once, and as an intentional replay — passes every check on both targets.
/// Each run is 50 arrivals in a second (open model: the same arrivals however fast the target is) on 60 members.
/// </summary>
[Collection(TargetsCollection.Name)]
public sealed class RunAgainTests(Targets targets)
{
    public static TheoryData<string> Both => new() { "engine", "baseline" };

    [Theory]
    [MemberData(nameof(Both))]
    public async Task Two_runs_in_a_row_against_one_program_pass_every_check(string target)
    {
        var options = Options(target, Program());

        // One generator process after another (the case: same program, same seed) ...
        var first = await RunAsync(options);
        using var workload = await Workload.SeedAsync(options);
        var startedWithPoints = workload.Ledger.Initial.Count(b => b.Value > 0);
        var second = await Runner.RunAsync(workload, options, "again", _ => { }, CancellationToken.None);
        // ... and one more on the same workload, as bench runs its suite: its starting balances are read anew.
        var third = await Runner.RunAsync(workload, options, "again", _ => { }, CancellationToken.None);

        Assert.True(startedWithPoints > 10, $"the second run started on members with points ({startedWithPoints} of 60)");
        foreach (var report in new[] { first, second, third })
        {
            PassedWithoutErrors(report);
        }

        Assert.Equal(3, new[] { first.RunId, second.RunId, third.RunId }.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Both))]
    public async Task Two_generators_at_once_against_one_program_pass_every_check(string target)
    {
        var program = Program();
        var shard0 = Options(target, program);
        var shard1 = Options(target, program);
        shard1.Shard = 1;
        using var one = await Workload.SeedAsync(shard0);
        using var other = await Workload.SeedAsync(shard1);

        var reports = await Task.WhenAll(
            Runner.RunAsync(one, shard0, "at once", _ => { }, CancellationToken.None),
            Runner.RunAsync(other, shard1, "at once", _ => { }, CancellationToken.None));

        Assert.All(reports, PassedWithoutErrors);
        Assert.NotEqual(reports[0].RunId, reports[1].RunId);
        Assert.Empty(one.Members.Intersect(other.Members));
        // Both sold at the same time in the same program, each at its own stores.
        Assert.All(one.Ledger.Sales.Keys, id => Assert.Equal(reports[0].RunId, RunIds.RunOf(id)));
        Assert.All(other.Ledger.Sales.Keys, id => Assert.StartsWith("s1.", id, StringComparison.Ordinal));
        // On the engine, had they shared a till (a store's, or the desk that enrolls and reads balances), seeding the
        // second would have revoked the first one's credential, refused within the test engine's one-second cache.
    }

    [Fact]
    public async Task Two_generators_at_once_at_the_same_tills_never_send_the_same_transaction_id()
    {
        // Walk-in baskets only (no balances to share) at the same stores and terminals, with the same seed: the same
        // requests at the same arrivals. The baseline takes no terminal credentials, so two generators can share its tills
        // (on the engine, registering a terminal again revokes the other generator's credential: there they need shards).
        var options = Options("baseline", Program());
        options.GuestShare = 1;
        using var one = await Workload.SeedAsync(options);
        using var other = await Workload.SeedAsync(options);

        var reports = await Task.WhenAll(
            Runner.RunAsync(one, options, "at once", _ => { }, CancellationToken.None),
            Runner.RunAsync(other, options, "at once", _ => { }, CancellationToken.None));

        Assert.All(reports, PassedWithoutErrors);
        // Before issue #33 both sent s000-t00-r1-0, … and the target answered the second with the first one's sale.
        Assert.Empty(one.Ledger.Sales.Keys.Intersect(other.Ledger.Sales.Keys));
        Assert.Equal(one.Ledger.Sales.Keys.Select(TillOf).ToHashSet(), other.Ledger.Sales.Keys.Select(TillOf).ToHashSet());

        static string TillOf(string transactionId) => string.Join('-', transactionId.Split('-')[..2]); // "s001-t00": both sold at all four
    }

    [Theory]
    [MemberData(nameof(Both))]
    public async Task A_replay_with_the_run_id_is_answered_from_the_earlier_sales_and_passes_every_check(string target)
    {
        var options = Options(target, Program());
        options.RunId = RunIds.New();
        using var original = await Workload.SeedAsync(options);
        var first = await Runner.RunAsync(original, options, "run", _ => { }, CancellationToken.None);

        using var workload = await Workload.SeedAsync(options);
        var replay = await Runner.RunAsync(workload, options, "replay", _ => { }, CancellationToken.None);

        PassedWithoutErrors(first);
        Assert.Equal(0, original.Ledger.EarlierSales);
        Assert.All(replay.Checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Detail}"));
        Assert.Equal(first.RunId, replay.RunId);
        // The replay sent the earlier run's ids: the target answered those with the earlier sales, which moved no
        // balance a second time (the balance check above), and refused the ones with another coupon. An id the first
        // run had no sale for (its reused coupon was refused) is a sale of the replay's own.
        Assert.All(workload.Ledger.Sales.Values, s => Assert.True(s.Earlier == original.Ledger.Sales.ContainsKey(s.TransactionId), $"{s.TransactionId}: earlier {s.Earlier}"));
        Assert.True(workload.Ledger.EarlierSales > 20, $"{workload.Ledger.EarlierSales} sales answered from the first run");
        var commits = Assert.Single(replay.Operations, o => o.Name == "commit");
        Assert.True(commits.RefusalsByReason.GetValueOrDefault(Scenario.IdReused) > 0, "a replayed id with a new coupon is refused");
        Assert.Equal(0, commits.Errors);
        Assert.Contains(replay.Notes, n => n.Contains("replay", StringComparison.Ordinal));
        Assert.Contains($"--run-id {first.RunId} --program {options.Program} --seed 42", ReportWriter.Markdown(first)); // how to replay it
    }

    [Theory]
    [MemberData(nameof(Both))]
    public async Task A_flash_sale_runs_again_and_is_replayed_against_one_program(string target)
    {
        var options = Options(target, Program());
        options.Scenario = "flash-sale";
        options.Model = LoadModel.Closed;
        options.Terminals = 10;

        // A first flash sale cut short by its duration, its budget far from spent ...
        var cutShort = await RunAsync(options.Clone(o =>
        {
            o.Budget = 100_000;
            o.Contention = 1;
            o.Duration = TimeSpan.FromSeconds(0.5);
        }));
        // ... then one that runs its course (40 attempts for a budget of 20), and its replay.
        options.Budget = 20;
        options.Contention = 2;
        options.Duration = TimeSpan.FromSeconds(30); // a cap: the run ends when its 40 attempts are sent
        var second = await RunAsync(options);
        options.RunId = second.RunId;
        var replay = await RunAsync(options);

        Assert.All(cutShort.Checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Detail}"));
        Assert.Contains(cutShort.Notes, n => n.Contains("duration ended", StringComparison.Ordinal));
        // The first campaign, ended after its run, discounts none of the second run's sales: exactly its own 20 grants.
        Assert.All(second.Checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Detail}"));
        Assert.Equal(20, second.HeadlineOperation?.Ok);
        Assert.Equal(20, second.HeadlineOperation?.Refused);
        // The replay is answered with the second run's 20 grants, every other attempt refused again.
        Assert.All(replay.Checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Detail}"));
        Assert.Equal(20, replay.HeadlineOperation?.Ok);
        Assert.Equal(0, replay.HeadlineOperation?.Errors);
    }

    private static void PassedWithoutErrors(RunReport report)
    {
        Assert.NotEmpty(report.Checks);
        Assert.All(report.Checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Detail}"));
        var errors = report.Operations.SelectMany(o => o.ErrorsByReason.Select(e => $"{o.Name}: {e.Key} × {e.Value}")).ToList();
        Assert.True(errors.Count == 0, string.Join("; ", errors)); // TRANSACTION_ID_REUSED among them before issue #33
        Assert.True(report.HeadlineOperation?.Ok > 20, $"the run did some work: {report.HeadlineOperation?.Ok} checkouts");
    }

    private static async Task<RunReport> RunAsync(RunOptions options)
    {
        using var workload = await Workload.SeedAsync(options);
        return await Runner.RunAsync(workload, options, "run", _ => { }, CancellationToken.None);
    }

    private static string Program() => "again-" + Guid.NewGuid().ToString("N")[..8];

    private RunOptions Options(string target, string program) => new()
    {
        Scenario = "checkout",
        Target = target,
        Address = target == "engine" ? targets.EngineAddress : targets.BaselineAddress,
        Program = program,
        Model = LoadModel.Open,
        Rate = 50,
        Duration = TimeSpan.FromSeconds(1),
        RampUp = TimeSpan.Zero,
        Stores = 2,
        TerminalsPerStore = 2,
        Members = 60,
        Live = false,
        RetryShare = 0.2,
        VoidShare = 0.1,
        ReuseShare = 0.1,
        CouponShare = 0.3,
    };
}
