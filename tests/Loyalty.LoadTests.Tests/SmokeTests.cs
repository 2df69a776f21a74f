using Loyalty.Api.V1;
using Loyalty.LoadTests.Scenarios;
using Loyalty.LoadTests.Tests.Infrastructure;

namespace Loyalty.LoadTests.Tests;

/// <summary>
/// A few seconds of each scenario against the real engine and the baseline (durable, PostgreSQL),
/// asserting the correctness checks, not the speed.
/// </summary>
[Collection(TargetsCollection.Name)]
public sealed class SmokeTests(Targets targets)
{
    public static TheoryData<string, string> Runs => new()
    {
        { "engine", "checkout" },
        { "baseline", "checkout" },
        { "engine", "flash-sale" },
        { "baseline", "flash-sale" },
        { "engine", "accrual" },
        { "baseline", "reads" },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public async Task A_short_run_passes_every_correctness_check(string target, string scenario)
    {
        var options = Options(target, scenario);
        using var workload = await Workload.SeedAsync(options);
        var report = await Runner.RunAsync(workload, options, "smoke", _ => { }, CancellationToken.None);

        Assert.All(report.Checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Detail}"));
        Assert.NotEmpty(report.Checks);
        var headline = report.HeadlineOperation;
        Assert.NotNull(headline);
        Assert.True(headline.Ok > 0, "the run did some work");
        if (scenario == "checkout")
        {
            // The default mix has 40% walk-in baskets: counted apart, adding up to the headline, and verified.
            var guests = Assert.Single(report.Operations, o => o.Name == "guest checkout");
            var members = Assert.Single(report.Operations, o => o.Name == "member checkout");
            Assert.True(guests.Ok > 0 && members.Ok > 0, $"{guests.Ok} guest and {members.Ok} member checkouts");
            Assert.Equal(headline.Ok, guests.Ok + members.Ok);
            var onRecord = Assert.Single(report.Checks, c => c.Name == "acknowledged guest sales on record");
            Assert.True(onRecord.Passed, onRecord.Detail);
            Assert.Contains("guests", report.HeadlineUnit);
        }

        if (scenario == "flash-sale")
        {
            Assert.Equal(30, headline.Ok); // exactly the budget granted ...
            Assert.Equal(60, headline.Refused); // ... and every other attempt refused as COUPON_ALREADY_REDEEMED
        }
        else
        {
            // Named in the failure, so a rare error says what it was.
            var errors = report.Operations.SelectMany(o => o.ErrorsByReason.Select(e => $"{o.Name}: {e.Key} × {e.Value}"));
            Assert.True(headline.Errors == 0, $"{headline.Errors} error(s): {string.Join("; ", errors)}");
        }
    }

    [Fact]
    public async Task Guest_share_0_runs_the_member_only_checkout_mix()
    {
        var options = Options("baseline", "checkout");
        options.GuestShare = 0;
        using var workload = await Workload.SeedAsync(options);
        var report = await Runner.RunAsync(workload, options, "smoke", _ => { }, CancellationToken.None);

        Assert.All(report.Checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Detail}"));
        Assert.True(report.HeadlineOperation?.Ok > 0, "the run did some work");
        Assert.DoesNotContain(report.Operations, o => o.Name.Contains("guest", StringComparison.Ordinal) || o.Name == "member checkout");
        Assert.DoesNotContain(report.Checks, c => c.Name.Contains("guest", StringComparison.Ordinal));
        Assert.Equal("committed checkouts (identify + quote + commit)", report.HeadlineUnit);
        Assert.All(workload.Ledger.Sales.Values, s => Assert.False(s.IsGuest));
    }

    [Fact]
    public async Task The_checker_fails_when_the_target_holds_a_sale_nobody_acknowledged()
    {
        var options = Options("engine", "accrual");
        using var workload = await Workload.SeedAsync(options);

        // A sale the generator never heard of: the balance check must catch the extra points.
        var sale = new CommitRequest { MemberId = workload.Members[0], TransactionId = "stray-sale" };
        sale.Lines.Add(new BasketLine { Sku = "x", Quantity = 1, UnitPrice = 10_000 });
        await workload.Pos.CommitAsync(sale);

        var checks = await Checker.RunAsync(workload, _ => { }, CancellationToken.None);
        var counted = Assert.Single(checks, c => c.Name == "every acknowledged commit counted exactly once");
        Assert.False(counted.Passed);
        Assert.Contains(workload.Members[0], counted.Detail);
    }

    private RunOptions Options(string target, string scenario) => new()
    {
        Scenario = scenario,
        Target = target,
        Address = target == "engine" ? targets.EngineAddress : targets.BaselineAddress,
        Model = LoadModel.Closed,
        Terminals = scenario == "flash-sale" ? 20 : 6,
        // A flash sale ends when its demand is sent; the duration is only its safety cap.
        Duration = TimeSpan.FromSeconds(scenario == "flash-sale" ? 30 : 1),
        RampUp = TimeSpan.FromSeconds(0.2),
        Members = 60,
        Budget = 30,
        Contention = 3,
        Live = false,
        RetryShare = 0.2,
        VoidShare = 0.1,
        ReuseShare = 0.1,
        CouponShare = 0.3,
    };
}
