using System.Collections.Immutable;

namespace Loyalty.Contracts;

public enum LedgerEntryType
{
    /// <summary>Points earned on a sale (+).</summary>
    Earn = 1,

    /// <summary>Points spent as payment (−).</summary>
    Burn = 2,

    /// <summary>Points of a month bucket that reached the end of month M+N (−), recorded once.</summary>
    Expire = 3,

    /// <summary>Reversal of a voided sale: its earned points taken back (−) or its spent points returned (+).</summary>
    Void = 4,

    /// <summary>Partial refund: earned points clawed back (−) or spent points returned (+), in proportion.</summary>
    Refund = 5,

    /// <summary>Manual adjustment by an operator (±).</summary>
    Adjust = 6,

    /// <summary>Event bonus: enrollment, first purchase, birthday month (+).</summary>
    Bonus = 7,
}

/// <summary>What an entry moves: points, or store credit (money, in minor units).</summary>
public enum LedgerAsset
{
    Points = 0,
    Credit = 1,
}

/// <summary>
/// An immutable movement of points (or of store credit, in minor units, when <see cref="Asset"/> is
/// Credit). A member's balance of each asset is always the sum of its entries. A manual adjustment
/// (<see cref="LedgerEntryType.Adjust"/>) names its reason code, free text and operator; other entries leave them null.
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.LedgerEntry")]
public sealed record LedgerEntry(
    [property: Id(0)] long Seq,
    [property: Id(1)] LedgerEntryType Type,
    [property: Id(2)] long Points,
    [property: Id(3)] int BucketMonth,
    [property: Id(4)] string? TransactionId,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] LedgerAsset Asset = LedgerAsset.Points,
    [property: Id(7)] string? Reason = null,
    [property: Id(8)] string? Note = null,
    [property: Id(9)] string? Actor = null);

/// <summary>Store credit earned by one sale (cashback), spendable from the next sale, optionally expiring.</summary>
[GenerateSerializer, Alias("loyalty.CreditLot")]
public sealed class CreditLot
{
    [Id(0)]
    public long Amount { get; set; }

    [Id(1)]
    public int Month { get; set; }

    [Id(2)]
    public DateTimeOffset? ExpiresAt { get; set; }
}

/// <summary>Points of one earned month, spendable from <see cref="AvailableFrom"/> (pending before).</summary>
[GenerateSerializer, Alias("loyalty.PointsLot")]
public sealed class PointsLot
{
    [Id(0)]
    public int Month { get; set; }

    [Id(1)]
    public long Points { get; set; }

    [Id(2)]
    public DateTimeOffset AvailableFrom { get; set; }
}
