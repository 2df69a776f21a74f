using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// Monthly point buckets (earned month → points). Expiry is derived from the data at read
/// time: a bucket counts while <c>now &lt; ExpiresAt(month)</c>, so the balance is right at a
/// month boundary with no background job running.
/// </summary>
public static class PointBuckets
{
    public static bool IsLive(int month, int expiryMonths, DateTimeOffset now) =>
        Months.ExpiresAt(month, expiryMonths) is not { } expiry || now < expiry;

    public static void Add(IDictionary<int, long> buckets, int month, long points)
    {
        if (points <= 0)
        {
            return;
        }

        buckets[month] = checked(buckets.TryGetValue(month, out var current) ? current + points : points);
    }

    /// <summary>Takes back points earned in <paramref name="month"/> (a void); never below zero.</summary>
    public static long Remove(IDictionary<int, long> buckets, int month, long points)
    {
        if (points <= 0 || !buckets.TryGetValue(month, out var current))
        {
            return 0;
        }

        var removed = Math.Min(current, points);
        if (current == removed)
        {
            buckets.Remove(month);
        }
        else
        {
            buckets[month] = current - removed;
        }

        return removed;
    }

    public static long Available(IReadOnlyDictionary<int, long> buckets, int expiryMonths, DateTimeOffset now)
    {
        long total = 0;
        foreach (var (month, points) in buckets)
        {
            if (IsLive(month, expiryMonths, now))
            {
                total += points;
            }
        }

        return total;
    }

    public static BalanceView View(IReadOnlyDictionary<int, long> buckets, int expiryMonths, DateTimeOffset now)
    {
        var endOfThisMonth = Months.Start(Months.Add(Months.Of(now), 1));
        long available = 0, expiringThisMonth = 0;
        var views = ImmutableArray.CreateBuilder<BucketView>();
        foreach (var (month, points) in buckets.OrderBy(b => b.Key))
        {
            if (!IsLive(month, expiryMonths, now))
            {
                continue;
            }

            var expiresAt = Months.ExpiresAt(month, expiryMonths);
            available += points;
            if (expiresAt == endOfThisMonth)
            {
                expiringThisMonth += points;
            }

            views.Add(new BucketView(month, points, expiresAt));
        }

        return new BalanceView(available, expiringThisMonth, views.ToImmutable());
    }
}
