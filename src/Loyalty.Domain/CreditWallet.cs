using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// Store credit (cashback) in minor units: a percent of what a sale paid in money, spendable from
/// the next sale on, optionally expiring after N days. Every movement is a ledger entry with asset
/// Credit; the wallet always equals the sum of those entries.
/// </summary>
public static class CreditWallet
{
    public static long Available(PointsAccount account, DateTimeOffset now) =>
        account.Credit.Where(l => l.ExpiresAt is not { } e || e > now).Sum(l => l.Amount);

    /// <summary>Cashback: floor(paid × percent / 100).</summary>
    public static long CashbackFor(long paidInMoney, int percent) => paidInMoney <= 0 || percent <= 0 ? 0 : (long)((Int128)paidInMoney * percent / 100);

    public static void ExpireDue(PointsAccount account, DateTimeOffset now)
    {
        foreach (var lot in Ordered(account).ToList())
        {
            if (lot.ExpiresAt is { } expiry && expiry <= now)
            {
                Ledger.Append(account, LedgerEntryType.Expire, -lot.Amount, lot.Month, null, expiry, LedgerAsset.Credit);
                account.CreditForWrite().Remove(lot);
            }
        }
    }

    public static void Earn(PointsAccount account, LedgerEntryType type, long amount, int month, DateTimeOffset? expiresAt, string transactionId, DateTimeOffset now)
    {
        if (amount <= 0)
        {
            return;
        }

        var lot = account.Credit.FirstOrDefault(l => l.Month == month && l.ExpiresAt == expiresAt);
        if (lot is null)
        {
            account.CreditForWrite().Add(lot = new CreditLot { Month = month, ExpiresAt = expiresAt });
        }

        lot.Amount += amount;
        Ledger.Append(account, type, amount, month, transactionId, now, LedgerAsset.Credit);
    }

    /// <summary>
    /// Spends credit, the soonest-expiring first; returns the pieces taken (to give back on a void). A manual debit
    /// takes the same way, recorded as <paramref name="type"/> <see cref="LedgerEntryType.Adjust"/>.
    /// </summary>
    public static List<CreditLot> Spend(PointsAccount account, long amount, string transactionId, DateTimeOffset now, LedgerEntryType type = LedgerEntryType.Burn)
    {
        var available = Available(account, now);
        if (amount > available)
        {
            throw new LoyaltyException(ErrorReason.InsufficientCredit, $"only {available} of store credit is available");
        }

        return Take(account, amount, type, transactionId, now);
    }

    /// <summary>
    /// Takes back credit a voided or refunded sale earned — from that sale's own lot first, then the
    /// soonest-expiring — capped at what the member still has; returns (taken, written off).
    /// </summary>
    public static (long Taken, long NotRecovered) TakeBack(
        PointsAccount account, long amount, int month, DateTimeOffset? expiresAt, LedgerEntryType type, string transactionId, DateTimeOffset now)
    {
        var taken = Take(account, Math.Min(amount, Available(account, now)), type, transactionId, now, l => l.Month == month && l.ExpiresAt == expiresAt).Sum(p => p.Amount);
        return (taken, amount - taken);
    }

    public static DateTimeOffset? ExpiryFor(ProgramSettings program, DateTimeOffset occurredAt) =>
        program.CreditExpiryDays > 0 ? occurredAt.AddDays(program.CreditExpiryDays) : null;

    /// <summary>Gives spent credit back to the lots it came from (with their expiry), up to <paramref name="amount"/>.</summary>
    public static long Return(PointsAccount account, SaleRecord sale, long amount, LedgerEntryType type, DateTimeOffset now)
    {
        var remaining = amount;
        foreach (var piece in sale.CreditSpentFrom.Where(p => p.Amount > 0).OrderBy(p => p.ExpiresAt ?? DateTimeOffset.MaxValue))
        {
            if (remaining <= 0)
            {
                break;
            }

            var give = Math.Min(piece.Amount, remaining);
            Earn(account, type, give, piece.Month, piece.ExpiresAt, sale.Result.TransactionId, now);
            piece.Amount -= give;
            remaining -= give;
        }

        return amount - Math.Max(remaining, 0);
    }

    private static IEnumerable<CreditLot> Ordered(PointsAccount account) =>
        account.Credit.OrderBy(l => l.ExpiresAt ?? DateTimeOffset.MaxValue).ThenBy(l => l.Month);

    private static List<CreditLot> Take(
        PointsAccount account, long amount, LedgerEntryType type, string transactionId, DateTimeOffset now, Func<CreditLot, bool>? first = null)
    {
        var pieces = new List<CreditLot>();
        var remaining = amount;
        var live = Ordered(account).Where(l => l.ExpiresAt is not { } e || e > now).ToList();
        foreach (var lot in live.Where(l => first?.Invoke(l) == true).Concat(live.Where(l => first?.Invoke(l) != true)))
        {
            if (remaining <= 0)
            {
                break;
            }

            var take = Math.Min(lot.Amount, remaining);
            lot.Amount -= take;
            if (lot.Amount == 0)
            {
                account.CreditForWrite().Remove(lot);
            }

            Ledger.Append(account, type, -take, lot.Month, transactionId, now, LedgerAsset.Credit);
            pieces.Add(new CreditLot { Amount = take, Month = lot.Month, ExpiresAt = lot.ExpiresAt });
            remaining -= take;
        }

        return pieces;
    }
}
