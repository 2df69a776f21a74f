using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

public sealed class LedgerTests
{
    // 1 point per 100 paid; a point is worth 1.00 (100 minor units) when spent, up to 50% of a basket.
    private static readonly ProgramSettings Club = new("p", "Club", "EUR", 1, 100, 1, PointValue: 100, MaxBurnPercent: 50);

    private static DateTimeOffset Utc(int y, int m, int d, int h = 12) => new(y, m, d, h, 0, 0, TimeSpan.Zero);

    private static CommitCommand Sale(string id, long amount, long spend = 0, DateTimeOffset? occurredAt = null) =>
        new(id, "s", "t", [new BasketLine("a", "c", 1, amount, false)], null, spend, occurredAt);

    private static long EntrySum(PointsAccount account) => account.Outbox.Sum(e => e.Points);

    [Fact]
    public void A_member_with_many_sales_keeps_one_lot_per_month_once_points_are_spendable()
    {
        var account = new PointsAccount();
        var program = Club with { ExpiryMonths = 12, PendingDays = 2 };
        var at = Utc(2026, 10, 1);
        for (var i = 0; i < 300; i++)
        {
            // Two sales a day for 150 days: each earns points pending for two days, then spendable.
            at = at.AddHours(12);
            Sales.Commit(account, program, Sale($"t{i}", 1_000, occurredAt: at), null, $"f{i}", at);
        }

        // The October to February months each hold one spendable lot; only the last two days' points are still pending lots.
        var spendable = account.Lots.Where(l => l.AvailableFrom <= at).ToList();
        Assert.Equal(spendable.Count, spendable.Select(l => l.Month).Distinct().Count());
        Assert.InRange(account.Lots.Count, 5, 10);
        Assert.Equal(3_000, account.Lots.Sum(l => l.Points));
        Assert.Equal(account.LedgerTotal, account.Lots.Sum(l => l.Points));
        Assert.Equal(EntrySum(account), account.LedgerTotal);
        Assert.Equal((40, 2_960), (Ledger.Pending(account, at), Ledger.Available(account, at)));
    }

    [Fact]
    public void Burning_takes_the_oldest_unexpired_points_first()
    {
        var account = new PointsAccount();
        var program = Club with { ExpiryMonths = 3 };
        Sales.Commit(account, program, Sale("oct", 10_000), null, "f1", Utc(2026, 10, 5));
        Sales.Commit(account, program, Sale("nov", 5_000), null, "f2", Utc(2026, 11, 5));

        var sale = Sales.Commit(account, program, Sale("spend", 40_000, spend: 120), null, "f3", Utc(2026, 11, 20));

        Assert.Equal(new Dictionary<int, long> { [202610] = 100, [202611] = 20 }, sale.BurnedByMonth);
        Assert.Equal(120, sale.Result.PointsSpent);
        Assert.Equal(12_000, sale.Result.PointsValue);
        Assert.Equal(280, sale.Result.PointsEarned); // earned on 28,000 paid in money, not on the points
        Assert.Equal(EntrySum(account), Ledger.Available(account, Utc(2026, 11, 20)));
    }

    [Fact]
    public void Spending_more_than_available_or_than_the_basket_share_is_refused()
    {
        var account = new PointsAccount();
        Sales.Commit(account, Club, Sale("earn", 10_000), null, "f", Utc(2026, 11, 1));

        var tooMany = Assert.Throws<LoyaltyException>(() => Sales.Commit(account, Club, Sale("x", 100_000, spend: 101), null, "g", Utc(2026, 11, 2)));
        var overShare = Assert.Throws<LoyaltyException>(() => Sales.Commit(account, Club, Sale("y", 10_000, spend: 51), null, "h", Utc(2026, 11, 2)));

        Assert.Equal(ErrorReason.InsufficientPoints, tooMany.Reason);
        Assert.Equal(ErrorReason.BurnLimitExceeded, overShare.Reason);
        Assert.Equal(100, Ledger.Available(account, Utc(2026, 11, 2)));
    }

    [Fact]
    public void Expiry_is_recorded_once_however_often_it_is_checked()
    {
        var account = new PointsAccount();
        Sales.Commit(account, Club, Sale("nov", 7_700), null, "f", Utc(2026, 11, 30));

        Ledger.ExpireDue(account, 1, Utc(2026, 12, 31, 23));
        Assert.DoesNotContain(account.Outbox, e => e.Type == LedgerEntryType.Expire);
        for (var i = 0; i < 3; i++)
        {
            Ledger.ExpireDue(account, 1, Utc(2027, 1, 1 + i));
        }

        var expire = Assert.Single(account.Outbox, e => e.Type == LedgerEntryType.Expire);
        Assert.Equal((-77L, 202611, new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero)), (expire.Points, expire.BucketMonth, expire.At));
        Assert.Equal(0, EntrySum(account));
        Assert.Empty(account.Lots);
    }

    [Fact]
    public void Pending_points_become_spendable_after_the_return_window()
    {
        var account = new PointsAccount();
        var program = Club with { PendingDays = 14, ExpiryMonths = 2 };
        var sale = Sales.Commit(account, program, Sale("s", 5_000), null, "f", Utc(2026, 11, 1));

        Assert.Equal(50, sale.Result.PointsPending);
        var during = Ledger.View(account, 2, Utc(2026, 11, 14));
        var after = Ledger.View(account, 2, Utc(2026, 11, 15, 13));
        Assert.Equal((0L, 50L), (during.Available, during.Pending));
        Assert.Equal((50L, 0L), (after.Available, after.Pending));
        Assert.Throws<LoyaltyException>(() => Sales.Commit(account, program, Sale("x", 10_000, spend: 1), null, "g", Utc(2026, 11, 14)));
    }

    [Fact]
    public void An_offline_sale_lands_in_its_own_month_and_may_arrive_already_expired()
    {
        var account = new PointsAccount();
        var program = Club with { OfflineWindowDays = 7 };

        // Sold on 31 December, replayed on 3 January; N = 1 so December's points live until the end of January.
        var late = Sales.Commit(account, program, Sale("dec", 3_000, occurredAt: Utc(2026, 12, 31, 22)), null, "f", Utc(2027, 1, 3));
        Assert.Equal((202612, 30L), (late.Result.EarnMonth, late.Result.AvailableAfter));

        // With N = 0 impossible to expire; with a window but N = 1, a November sale replayed on 2 January is already expired.
        var stale = Sales.Commit(account, program with { OfflineWindowDays = 40 }, Sale("nov", 2_000, occurredAt: Utc(2026, 11, 30)), null, "g", Utc(2027, 1, 2));
        Assert.Equal(20, stale.Result.PointsEarned);
        Assert.Equal(30, stale.Result.AvailableAfter);
        Assert.Contains(account.Outbox, e => e.Type == LedgerEntryType.Expire && e.Points == -20 && e.BucketMonth == 202611);
        Assert.Equal(EntrySum(account), Ledger.Available(account, Utc(2027, 1, 2)));
    }

    [Fact]
    public void Offline_sales_outside_the_window_or_spending_are_refused()
    {
        var account = new PointsAccount();
        Sales.Commit(account, Club, Sale("earn", 10_000), null, "f", Utc(2026, 11, 1));
        var now = Utc(2026, 11, 20);

        Assert.Equal(ErrorReason.OfflineWindowExceeded, Assert.Throws<LoyaltyException>(() => Sales.Commit(account, Club, Sale("old", 100, occurredAt: now.AddDays(-8)), null, "a", now)).Reason);
        Assert.Equal(ErrorReason.OfflineSpendNotAllowed, Assert.Throws<LoyaltyException>(() => Sales.Commit(account, Club, Sale("burn", 10_000, spend: 5, occurredAt: now.AddHours(-1)), null, "b", now)).Reason);
        Assert.Equal("occurred_at", Assert.Throws<LoyaltyException>(() => Sales.Commit(account, Club, Sale("future", 100, occurredAt: now.AddHours(1)), null, "c", now)).Field);
    }

    [Fact]
    public void Partial_refunds_claw_back_in_proportion_never_more_than_earned_and_not_twice()
    {
        var account = new PointsAccount();
        var command = new CommitCommand("r", "s", "t", [new BasketLine("a", "c", 3, 3_333, false), new BasketLine("b", "c", 1, 1, false)], null);
        var sale = Sales.Commit(account, Club, command, null, "f", Utc(2026, 11, 1));
        Assert.Equal(100, sale.Result.PointsEarned); // 10,000 paid

        var first = Sales.Refund(account, Club, sale, new RefundCommand("r1", "r", [new RefundLine(0, 1)]), Utc(2026, 11, 2));
        var second = Sales.Refund(account, Club, sale, new RefundCommand("r2", "r", [new RefundLine(0, 2), new RefundLine(1, 1)]), Utc(2026, 11, 3));

        Assert.Equal(33, first.PointsClawedBack);   // floor(100 × 3,333 / 10,000)
        Assert.Equal(67, second.PointsClawedBack);  // up to all 100 on the cumulative amount
        Assert.Equal(0, Ledger.Available(account, Utc(2026, 11, 3)));
        var again = Assert.Throws<LoyaltyException>(() => Sales.Refund(account, Club, sale, new RefundCommand("r3", "r", [new RefundLine(0, 1)]), Utc(2026, 11, 4)));
        Assert.Equal(ErrorReason.RefundExceedsSale, again.Reason);
    }

    [Fact]
    public void Clawing_back_points_already_spent_is_capped_and_written_off()
    {
        var account = new PointsAccount();
        var earn = Sales.Commit(account, Club, Sale("earn", 10_000), null, "f", Utc(2026, 11, 1));
        Sales.Commit(account, Club, Sale("spend", 20_000, spend: 100), null, "g", Utc(2026, 11, 2)); // earns 100 more

        var voided = Sales.Void(account, Club, earn, Utc(2026, 11, 3));

        // The 100 earned points were spent; the void takes 100 back from the other sale's points.
        Assert.Equal((100L, 0L), (voided.PointsRemoved, voided.PointsNotRecovered));
        Assert.Equal(0, Ledger.Available(account, Utc(2026, 11, 3)));
        Assert.Equal(0, EntrySum(account));
    }

    [Fact]
    public void Voiding_a_sale_that_spent_points_gives_them_back_to_their_months()
    {
        var account = new PointsAccount();
        Sales.Commit(account, Club, Sale("earn", 10_000), null, "f", Utc(2026, 11, 1));
        var spend = Sales.Commit(account, Club, Sale("spend", 10_000, spend: 40), null, "g", Utc(2026, 11, 2));
        Assert.Equal(60 + 60, Ledger.Available(account, Utc(2026, 11, 2)));

        var voided = Sales.Void(account, Club, spend, Utc(2026, 11, 3));

        Assert.Equal((60L, 40L), (voided.PointsRemoved, voided.PointsReturned));
        Assert.Equal(100, Ledger.Available(account, Utc(2026, 11, 3)));
        Assert.Equal(EntrySum(account), account.LedgerTotal);
    }
}

public sealed class RewardCatalogTests
{
    private static readonly ProgramSettings Club = new("p", "Club", "EUR", 1, 100, 1, Rewards: [new Reward("free-coffee", "coffee", 150)]);

    private static DateTimeOffset Utc(int d) => new(2026, 11, d, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_reward_makes_one_unit_free_for_its_points_and_the_free_item_earns_nothing()
    {
        var account = new PointsAccount();
        Sales.Commit(account, Club, new CommitCommand("earn", "s", "t", [new BasketLine("beans", "c", 1, 20_000, false)], null), null, "f", Utc(1));

        var sale = Sales.Commit(
            account, Club, new CommitCommand("r", "s", "t", [new BasketLine("coffee", "drinks", 2, 350, false)], null, RewardIds: ["free-coffee"]), null, "g", Utc(2));

        Assert.Equal((350L, 150L, 150L), (sale.Result.RewardDiscount, sale.Result.RewardPoints, sale.Result.PointsSpent));
        Assert.Equal(350, sale.Result.Total);
        Assert.Equal(3, sale.Result.PointsEarned);
        Assert.Equal(200 - 150 + 3, Ledger.Available(account, Utc(2)));

        var voided = Sales.Void(account, Club, sale, Utc(3));
        Assert.Equal(150, voided.PointsReturned);
        Assert.Equal(200, Ledger.Available(account, Utc(3)));
    }

    [Fact]
    public void A_reward_needs_its_product_in_the_basket_enough_points_and_must_exist()
    {
        var account = new PointsAccount();
        CommitCommand Sale(string sku, string reward) => new("x", "s", "t", [new BasketLine(sku, "c", 1, 350, false)], null, RewardIds: [reward]);

        Assert.Equal(ErrorReason.RewardNotApplicable, Assert.Throws<LoyaltyException>(() => Sales.Commit(account, Club, Sale("tea", "free-coffee"), null, "f", Utc(1))).Reason);
        Assert.Equal(ErrorReason.RewardNotFound, Assert.Throws<LoyaltyException>(() => Sales.Commit(account, Club, Sale("coffee", "nope"), null, "f", Utc(1))).Reason);
        Assert.Equal(ErrorReason.InsufficientPoints, Assert.Throws<LoyaltyException>(() => Sales.Commit(account, Club, Sale("coffee", "free-coffee"), null, "f", Utc(1))).Reason);
        Assert.Empty(account.Outbox);
    }
}
