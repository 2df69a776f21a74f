using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// A member's points ledger. Every change to the lots goes through <see cref="Append"/>, so the
/// sum of all entries always equals the points held. Expiry is derived from the data:
/// <see cref="ExpireDue"/> records one <c>expire</c> entry per lot whose month has ended (at the
/// lot's expiry instant), and a lot that is gone cannot expire twice, however often it runs.
/// </summary>
public static class Ledger
{
    public static LedgerEntry Append(
        PointsAccount account, LedgerEntryType type, long points, int month, string? transactionId, DateTimeOffset at, LedgerAsset asset = LedgerAsset.Points)
    {
        var entry = new LedgerEntry(account.NextSeq++, type, points, month, transactionId, at, asset);
        account.OutboxForWrite().Add(entry);
        if (asset == LedgerAsset.Credit)
        {
            account.CreditTotal = checked(account.CreditTotal + points);
        }
        else
        {
            account.LedgerTotal = checked(account.LedgerTotal + points);
        }

        return entry;
    }

    public static IEnumerable<PointsLot> Ordered(PointsAccount account) =>
        account.Lots.OrderBy(l => l.Month).ThenBy(l => l.AvailableFrom);

    public static void ExpireDue(PointsAccount account, int expiryMonths, DateTimeOffset now)
    {
        foreach (var lot in Ordered(account).ToList())
        {
            if (Months.ExpiresAt(lot.Month, expiryMonths) is { } expiry && expiry <= now)
            {
                Append(account, LedgerEntryType.Expire, -lot.Points, lot.Month, null, expiry);
                account.LotsForWrite().Remove(lot);
            }
        }
    }

    /// <summary>Adds points to the bucket of <paramref name="month"/>, spendable from <paramref name="availableFrom"/>.</summary>
    public static void Credit(PointsAccount account, LedgerEntryType type, long points, int month, DateTimeOffset availableFrom, string? transactionId, DateTimeOffset at)
    {
        if (points <= 0)
        {
            return;
        }

        // Points already spendable need no date of their own: one lot per month holds them all, so the
        // member's state does not grow with every sale (a new lot only for points still pending).
        var lot = availableFrom <= at
            ? account.Lots.Where(l => l.Month == month && l.AvailableFrom <= at).MinBy(l => l.AvailableFrom)
            : account.Lots.FirstOrDefault(l => l.Month == month && l.AvailableFrom == availableFrom);
        if (lot is null)
        {
            account.LotsForWrite().Add(lot = new PointsLot { Month = month, AvailableFrom = availableFrom });
        }

        lot.Points = checked(lot.Points + points);
        Append(account, type, points, month, transactionId, at);
        MergeSpendable(account, at);
    }

    /// <summary>
    /// Lots of one month that are all spendable at <paramref name="now"/> become one (the earliest keeps
    /// the sum): pending lots matured since they were written stop costing a lot each. Nothing a balance,
    /// a burn or a take-back reads changes: they see spendable points by month, oldest first.
    /// </summary>
    public static void MergeSpendable(PointsAccount account, DateTimeOffset now)
    {
        var lots = account.Lots;
        for (var i = 0; i < lots.Count; i++)
        {
            var keep = lots[i];
            if (keep.AvailableFrom > now)
            {
                continue;
            }

            for (var j = lots.Count - 1; j > i; j--)
            {
                var other = lots[j];
                if (other.Month == keep.Month && other.AvailableFrom <= now)
                {
                    keep.Points = checked(keep.Points + other.Points);
                    keep.AvailableFrom = other.AvailableFrom < keep.AvailableFrom ? other.AvailableFrom : keep.AvailableFrom;
                    account.LotsForWrite().RemoveAt(j);
                }
            }
        }
    }

    public static long Available(PointsAccount account, DateTimeOffset now) =>
        account.Lots.Where(l => l.AvailableFrom <= now).Sum(l => l.Points);

    public static long Pending(PointsAccount account, DateTimeOffset now) =>
        account.Lots.Where(l => l.AvailableFrom > now).Sum(l => l.Points);

    /// <summary>
    /// Spends points FIFO: the oldest month first (it expires first). Returns what was taken from each month.
    /// A manual debit takes the same way, recorded as <paramref name="type"/> <see cref="LedgerEntryType.Adjust"/>.
    /// </summary>
    public static Dictionary<int, long> Burn(PointsAccount account, long points, string transactionId, DateTimeOffset now, LedgerEntryType type = LedgerEntryType.Burn)
    {
        var available = Available(account, now);
        if (points > available)
        {
            throw new LoyaltyException(ErrorReason.InsufficientPoints, $"only {available} points are available");
        }

        var taken = new Dictionary<int, long>();
        var remaining = points;
        foreach (var lot in Ordered(account).Where(l => l.AvailableFrom <= now).ToList())
        {
            if (remaining == 0)
            {
                break;
            }

            var take = Math.Min(lot.Points, remaining);
            Debit(account, lot, take, type, transactionId, now);
            taken[lot.Month] = taken.GetValueOrDefault(lot.Month) + take;
            remaining -= take;
        }

        return taken;
    }

    /// <summary>
    /// Takes back up to <paramref name="points"/> earned in <paramref name="month"/> (a void or refund).
    /// Clawback is capped: first from that month's bucket (pending or not), then — if the member
    /// already spent them and the month has not expired — from other available points, oldest first.
    /// Once the month has expired (<paramref name="expiryMonths"/>), what is left of it is all there is
    /// to take: its other points already expired, and taking them from other months would take them
    /// twice. What cannot be recovered is written off and returned, never charged as a negative balance.
    /// </summary>
    public static (long Taken, long NotRecovered) TakeBack(
        PointsAccount account, int month, int expiryMonths, long points, LedgerEntryType type, string transactionId, DateTimeOffset now)
    {
        var remaining = points;
        var expired = Months.ExpiresAt(month, expiryMonths) is { } expiry && expiry <= now;
        var sources = Ordered(account).Where(l => l.Month == month)
            .Concat(expired ? [] : Ordered(account).Where(l => l.Month != month && l.AvailableFrom <= now))
            .ToList();
        foreach (var lot in sources)
        {
            if (remaining == 0)
            {
                break;
            }

            var take = Math.Min(lot.Points, remaining);
            Debit(account, lot, take, type, transactionId, now);
            remaining -= take;
        }

        return (points - remaining, remaining);
    }

    public static BalanceView View(PointsAccount account, int expiryMonths, DateTimeOffset now)
    {
        var endOfThisMonth = Months.Start(Months.Add(Months.Of(now), 1));
        long available = 0, pending = 0, expiringThisMonth = 0;
        var buckets = new SortedDictionary<int, long>();
        foreach (var lot in account.Lots)
        {
            if (Months.ExpiresAt(lot.Month, expiryMonths) is { } expiry && expiry <= now)
            {
                continue;
            }

            if (lot.AvailableFrom > now)
            {
                pending += lot.Points;
                continue;
            }

            available += lot.Points;
            buckets[lot.Month] = buckets.GetValueOrDefault(lot.Month) + lot.Points;
            if (Months.ExpiresAt(lot.Month, expiryMonths) == endOfThisMonth)
            {
                expiringThisMonth += lot.Points;
            }
        }

        return new BalanceView(
            available,
            expiringThisMonth,
            [.. buckets.Select(b => new BucketView(b.Key, b.Value, Months.ExpiresAt(b.Key, expiryMonths)))],
            pending,
            CreditWallet.Available(account, now));
    }

    private static void Debit(PointsAccount account, PointsLot lot, long points, LedgerEntryType type, string transactionId, DateTimeOffset now)
    {
        if (points <= 0)
        {
            return;
        }

        lot.Points -= points;
        if (lot.Points == 0)
        {
            account.LotsForWrite().Remove(lot);
        }

        Append(account, type, -points, lot.Month, transactionId, now);
    }
}
