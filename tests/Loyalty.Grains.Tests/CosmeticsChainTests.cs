using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Grains.Tests;

/// <summary>The cosmetics chain from the spec, end to end on the grains, with business time moved across months.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CosmeticsChainTests(ClusterFixture fixture)
{
    private static readonly TierRules Tiers = new(
        TierModel.PreviousMonth,
        [new("base", 0, 3, 100, []), new("silver", 100_000, 10, 100, []), new("gold", 150_000, 15, 100, []), new("top", 1_000_000, 20, 100, [])],
        DiscountExcludesSaleItems: false);

    private static DateTimeOffset Utc(int y, int m, int d, int h = 12) => new(y, m, d, h, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Spend_5000_in_a_month_gives_15_percent_next_month_then_falls_back_and_unused_points_expire()
    {
        var program = "cosmetics-" + Guid.NewGuid().ToString("N")[..6];
        await fixture.Grains.GetGrain<IProgramGrain>(program).DefineAsync(new ProgramSettings(program, "Cosmetics", "EUR", 1, 100, 1, Tiers: Tiers));
        var member = fixture.Grains.GetGrain<IMemberGrain>(Keys.Scoped(program, "ana"));
        ImmutableArray<BasketLine> basket(long amount) => [new BasketLine("serum", "skin", 1, amount, false)];
        try
        {
            ClusterFixture.Clock.Pin(Utc(2026, 10, 1));
            await member.EnrollAsync(new EnrollCommand("Ana", null));

            // October: 5,000.00 spent at the base tier (3%).
            ClusterFixture.Clock.Pin(Utc(2026, 10, 10));
            var october = await member.CommitAsync(new CommitCommand("oct-1", "s", "t", basket(515_464), null));
            Assert.Equal(("base", 15_463L), (october.TierName, october.TierDiscount));
            Assert.Equal(500_001L, october.AmountDue);
            Assert.Equal(5_000, october.PointsEarned);

            // November: gold, 15% off.
            ClusterFixture.Clock.Pin(Utc(2026, 11, 3));
            var status = (await member.GetAsync()).Tier!;
            Assert.Equal(("gold", 15), (status.Level.Name, status.Level.DiscountPercent));
            var november = await member.CommitAsync(new CommitCommand("nov-1", "s", "t", basket(10_000), null));
            Assert.Equal(("gold", 1_500L), (november.TierName, november.TierDiscount));

            // December: November's 85.00 qualifies for nothing more → back to the floor, 3%.
            ClusterFixture.Clock.Pin(Utc(2026, 12, 2));
            Assert.Equal(("base", 3), ((await member.GetAsync()).Tier!.Level.Name, (await member.GetAsync()).Tier!.Level.DiscountPercent));

            // N = 1: October's 5,000 points are gone at the end of November, with one expire entry.
            Assert.Equal(85, (await member.GetAsync()).Balance.Available);
            var ledger = await member.GetLedgerAsync(0, 100);
            var expire = Assert.Single(ledger.Entries, e => e.Type == LedgerEntryType.Expire);
            Assert.Equal((-5_000L, 202610, Utc(2026, 12, 1, 0)), (expire.Points, expire.BucketMonth, expire.At));
            Assert.Equal(85, ledger.Balance);
            Assert.Equal(85, ledger.Entries.Sum(e => e.Points));

            // Listing again records nothing more: expiry happens once.
            ClusterFixture.Clock.Pin(Utc(2026, 12, 20));
            Assert.Single((await member.GetLedgerAsync(0, 100)).Entries, e => e.Type == LedgerEntryType.Expire);
        }
        finally
        {
            ClusterFixture.Clock.Release();
        }
    }
}
