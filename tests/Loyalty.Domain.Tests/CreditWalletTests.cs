using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

public sealed class CreditWalletTests
{
    // "Buy 200,000, get 20,000 credit for next time": 10% cashback, credit expires after 30 days.
    private static readonly ProgramSettings Club = new("p", "Club", "EUR", 1, 1_000, 0, CashbackPercent: 10, CreditExpiryDays: 30);

    private static DateTimeOffset Utc(int m, int d) => new(2026, m, d, 12, 0, 0, TimeSpan.Zero);

    private static CommitCommand Sale(string id, long amount, long credit = 0) =>
        new(id, "s", "t", [new BasketLine("a", "c", 1, amount, false), new BasketLine("b", "c", 1, amount, false)], null, CreditToSpend: credit);

    private static long CreditEntries(PointsAccount account) => account.Outbox.Where(e => e.Asset == LedgerAsset.Credit).Sum(e => e.Points);

    [Fact]
    public void Cashback_is_credited_for_the_next_sale_and_spending_it_earns_neither_points_nor_cashback()
    {
        var account = new PointsAccount();
        var first = Sales.Commit(account, Club, Sale("1", 100_000, credit: 0), null, "f", Utc(11, 1));
        Assert.Equal((20_000L, 20_000L), (first.Result.CreditEarned, first.Result.CreditAfter));

        var tooMuch = Assert.Throws<LoyaltyException>(() => Sales.Commit(account, Club, Sale("x", 50_000, credit: 20_001), null, "f", Utc(11, 2)));
        Assert.Equal(ErrorReason.InsufficientCredit, tooMuch.Reason);

        var second = Sales.Commit(account, Club, Sale("2", 50_000, credit: 20_000), null, "f", Utc(11, 2));
        Assert.Equal((20_000L, 80_000L), (second.Result.CreditSpent, second.Result.AmountDue));
        Assert.Equal(80, second.Result.PointsEarned);     // earned on the 80,000 paid in money
        Assert.Equal(8_000, second.Result.CreditEarned);  // cashback on money only
        Assert.Equal(8_000, CreditWallet.Available(account, Utc(11, 2)));
        Assert.Equal(CreditEntries(account), account.CreditTotal);
    }

    [Fact]
    public void Credit_expires_once_after_its_days_and_a_void_gives_spent_credit_back()
    {
        var account = new PointsAccount();
        Sales.Commit(account, Club, Sale("1", 100_000), null, "f", Utc(11, 1));
        var spend = Sales.Commit(account, Club, Sale("2", 50_000, credit: 5_000), null, "f", Utc(11, 2));

        var voided = Sales.Void(account, Club, spend, Utc(11, 3));
        Assert.Equal((9_500L, 5_000L), (voided.CreditTakenBack, voided.CreditReturned));
        Assert.Equal(20_000, CreditWallet.Available(account, Utc(11, 3)));

        Sales.ExpireDue(account, Club, Utc(12, 1));
        Sales.ExpireDue(account, Club, Utc(12, 5));
        Assert.Equal(0, CreditWallet.Available(account, Utc(12, 5)));
        Assert.Single(account.Outbox, e => e.Asset == LedgerAsset.Credit && e.Type == LedgerEntryType.Expire);
        Assert.Equal(0, CreditEntries(account));
    }

    [Fact]
    public void A_refund_claws_cashback_back_in_proportion()
    {
        var account = new PointsAccount();
        var sale = Sales.Commit(account, Club, Sale("1", 100_000), null, "f", Utc(11, 1));

        var refund = Sales.Refund(account, Club, sale, new RefundCommand("r", "1", [new RefundLine(1, 1)]), Utc(11, 2));

        Assert.Equal(10_000, refund.CreditTakenBack);
        Assert.Equal(10_000, CreditWallet.Available(account, Utc(11, 2)));
    }
}
