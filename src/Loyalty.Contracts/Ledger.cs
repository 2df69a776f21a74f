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
/// Credit). A member's balance of each asset is always the sum of its entries.
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.LedgerEntry")]
public sealed record LedgerEntry(
    [property: Id(0)] long Seq,
    [property: Id(1)] LedgerEntryType Type,
    [property: Id(2)] long Points,
    [property: Id(3)] int BucketMonth,
    [property: Id(4)] string? TransactionId,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] LedgerAsset Asset = LedgerAsset.Points);

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

/// <summary>
/// A member's points: the live lots, the ledger sequence, and the outbox of entries not yet
/// confirmed in the reporting table. Invariant: Σ Lots.Points == LedgerTotal == Σ all entries.
/// The lists are created on the first write (most resident members hold none): read through the
/// read-only views, write through the <c>…ForWrite()</c> methods (docs/performance.md).
/// </summary>
[GenerateSerializer, Alias("loyalty.PointsAccount")]
public sealed class PointsAccount
{
    [Id(0)]
    private List<PointsLot>? _lots;

    [Id(2)]
    private List<LedgerEntry>? _outbox;

    [Id(4)]
    private List<CreditLot>? _credit;

    public IReadOnlyList<PointsLot> Lots => ReadOnlyViews.Of(_lots);

    [Id(1)]
    public long NextSeq { get; set; } = 1;

    public IReadOnlyList<LedgerEntry> Outbox => ReadOnlyViews.Of(_outbox);

    [Id(3)]
    public long LedgerTotal { get; set; }

    public IReadOnlyList<CreditLot> Credit => ReadOnlyViews.Of(_credit);

    /// <summary>Σ of every credit entry ever written: always equals Σ Credit.Amount.</summary>
    [Id(5)]
    public long CreditTotal { get; set; }

    public List<PointsLot> LotsForWrite() => _lots ??= [];

    public List<LedgerEntry> OutboxForWrite() => _outbox ??= [];

    public List<CreditLot> CreditForWrite() => _credit ??= [];

    /// <summary>Lets go of empty lists (a state written before they were created on first write holds them); readers see no change.</summary>
    public void ReleaseEmptyCollections()
    {
        _lots = _lots is { Count: 0 } ? null : _lots;
        _outbox = _outbox is { Count: 0 } ? null : _outbox;
        _credit = _credit is { Count: 0 } ? null : _credit;
    }

    /// <summary>Drops the entries the reporting table confirmed; an emptied outbox gives its backing array back.</summary>
    public void RemoveConfirmed(long confirmedSeq)
    {
        _outbox?.RemoveAll(e => e.Seq <= confirmedSeq);
        if (_outbox is { Count: 0 })
        {
            _outbox = null;
        }
    }
}

/// <summary>The idempotency record of one committed sale, with what is needed to reverse it.</summary>
[GenerateSerializer, Alias("loyalty.SaleRecord")]
public sealed class SaleRecord
{
    // Most sales burn no points, spend no credit and are never refunded: these stay null until written.
    [Id(4)]
    private Dictionary<int, long>? _burnedByMonth;

    [Id(8)]
    private Dictionary<string, RefundRecord>? _refunds;

    [Id(11)]
    private List<CreditLot>? _creditSpentFrom;

    [Id(0)]
    public required string Fingerprint { get; init; }

    [Id(1)]
    public required CommitResult Result { get; init; }

    [Id(2)]
    public VoidResult? Void { get; set; }

    [Id(3)]
    public ImmutableArray<BasketLine> Lines { get; init; } = [];

    /// <summary>Points spent on this sale, by the month bucket they were taken from.</summary>
    public IReadOnlyDictionary<int, long> BurnedByMonth
    {
        get => ReadOnlyViews.Of(_burnedByMonth);
        init => _burnedByMonth = value.Count == 0 ? null : new Dictionary<int, long>(value);
    }

    /// <summary>Earned points taken back so far by refunds.</summary>
    [Id(5)]
    public long PointsTakenBack { get; set; }

    /// <summary>Spent points given back so far by refunds.</summary>
    [Id(6)]
    public long PointsReturned { get; set; }

    [Id(7)]
    public int[] RefundedQuantities { get; set; } = [];

    public IReadOnlyDictionary<string, RefundRecord> Refunds => ReadOnlyViews.Of(_refunds);

    /// <summary>Money this sale added to the member's spend (tiers), and how much of it refunds and voids took back.</summary>
    [Id(9)]
    public long SpendCounted { get; init; }

    [Id(10)]
    public long SpendReversed { get; set; }

    /// <summary>Store credit spent on this sale, by the lot it came from (month, expiry), to give back on a void.</summary>
    public IReadOnlyList<CreditLot> CreditSpentFrom
    {
        get => ReadOnlyViews.Of(_creditSpentFrom);
        init => _creditSpentFrom = value.Count == 0 ? null : [.. value];
    }

    [Id(12)]
    public long CreditTakenBack { get; set; }

    [Id(13)]
    public long CreditReturned { get; set; }

    public Dictionary<int, long> BurnedByMonthForWrite() => _burnedByMonth ??= [];

    public Dictionary<string, RefundRecord> RefundsForWrite() => _refunds ??= [];

    /// <summary>Lets go of empty collections (see <see cref="PointsAccount.ReleaseEmptyCollections"/>).</summary>
    public void ReleaseEmptyCollections()
    {
        _burnedByMonth = _burnedByMonth is { Count: 0 } ? null : _burnedByMonth;
        _refunds = _refunds is { Count: 0 } ? null : _refunds;
        _creditSpentFrom = _creditSpentFrom is { Count: 0 } ? null : _creditSpentFrom;
    }
}

[GenerateSerializer, Alias("loyalty.RefundRecord")]
public sealed class RefundRecord
{
    [Id(0)]
    public required string Fingerprint { get; init; }

    [Id(1)]
    public required RefundResult Result { get; init; }
}
