namespace Loyalty.Domain;

/// <summary>
/// Calendar months as integers (yyyymm, e.g. 202611) in UTC. Points earned in month M
/// expire at the end of month M+N, i.e. at 00:00 UTC on the first day of month M+N+1.
/// </summary>
public static class Months
{
    public static int Of(DateTimeOffset instant)
    {
        var utc = instant.UtcDateTime;
        return (utc.Year * 100) + utc.Month;
    }

    public static int Add(int month, int months)
    {
        var index = (month / 100 * 12) + (month % 100 - 1) + months;
        return (index / 12 * 100) + (index % 12) + 1;
    }

    public static DateTimeOffset Start(int month) => new(month / 100, month % 100, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The instant the points of <paramref name="earnedMonth"/> stop counting; null when points never expire (N = 0).</summary>
    public static DateTimeOffset? ExpiresAt(int earnedMonth, int expiryMonths) =>
        expiryMonths <= 0 ? null : Start(Add(earnedMonth, expiryMonths + 1));

    public static string Format(int month) => $"{month / 100:D4}-{month % 100:D2}";
}
