using System.Collections.Immutable;
using Loyalty.Contracts;
using Orleans;

namespace Loyalty.Domain;

// The parts of the member aggregate (MemberState): its points account, its sales' records and its spend history.
// Persisted with it (sales as rows of their own); serialized ids and aliases are those they had in Loyalty.Contracts,
// so stored states and rows load unchanged. Only the Domain changes them (internal writers and setters).

/// <summary>
/// A member's points: the live lots, the ledger sequence, and the outbox of entries not yet
/// confirmed in the reporting table. Invariant: Σ Lots.Points == LedgerTotal == Σ all entries.
/// The lists are created on the first write (most resident members hold none): read through the
/// read-only views; the Domain writes them (docs/performance.md).
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
    public long NextSeq { get; internal set; } = 1;

    public IReadOnlyList<LedgerEntry> Outbox => ReadOnlyViews.Of(_outbox);

    [Id(3)]
    public long LedgerTotal { get; internal set; }

    public IReadOnlyList<CreditLot> Credit => ReadOnlyViews.Of(_credit);

    /// <summary>Σ of every credit entry ever written: always equals Σ Credit.Amount.</summary>
    [Id(5)]
    public long CreditTotal { get; internal set; }

    internal List<PointsLot> LotsForWrite() => _lots ??= [];

    internal List<LedgerEntry> OutboxForWrite() => _outbox ??= [];

    internal List<CreditLot> CreditForWrite() => _credit ??= [];

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
    public VoidResult? Void { get; internal set; }

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
    public long PointsTakenBack { get; internal set; }

    /// <summary>Spent points given back so far by refunds.</summary>
    [Id(6)]
    public long PointsReturned { get; internal set; }

    [Id(7)]
    public int[] RefundedQuantities { get; internal set; } = [];

    public IReadOnlyDictionary<string, RefundRecord> Refunds => ReadOnlyViews.Of(_refunds);

    /// <summary>Money this sale added to the member's spend (tiers), and how much of it refunds and voids took back.</summary>
    [Id(9)]
    public long SpendCounted { get; init; }

    [Id(10)]
    public long SpendReversed { get; internal set; }

    /// <summary>Store credit spent on this sale, by the lot it came from (month, expiry), to give back on a void.</summary>
    public IReadOnlyList<CreditLot> CreditSpentFrom
    {
        get => ReadOnlyViews.Of(_creditSpentFrom);
        init => _creditSpentFrom = value.Count == 0 ? null : [.. value];
    }

    [Id(12)]
    public long CreditTakenBack { get; internal set; }

    [Id(13)]
    public long CreditReturned { get; internal set; }

    internal Dictionary<int, long> BurnedByMonthForWrite() => _burnedByMonth ??= [];

    internal Dictionary<string, RefundRecord> RefundsForWrite() => _refunds ??= [];

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

/// <summary>
/// What a member has bought, for tiers and purchase bonuses: money paid per calendar month. The
/// collections are created on the first write: read through the views; the Domain writes them.
/// </summary>
[GenerateSerializer, Alias("loyalty.SpendHistory")]
public sealed class SpendHistory
{
    [Id(0)]
    private Dictionary<int, long>? _byMonth;

    [Id(3)]
    private List<int>? _birthdayBonusYears;

    [Id(4)]
    private Dictionary<string, int>? _categoryLastMonth;

    public IReadOnlyDictionary<int, long> ByMonth => ReadOnlyViews.Of(_byMonth);

    [Id(1)]
    public long Lifetime { get; internal set; }

    [Id(2)]
    public int Purchases { get; internal set; }

    /// <summary>Years (yyyy) in which the birthday-month bonus was already granted.</summary>
    public IReadOnlyList<int> BirthdayBonusYears => ReadOnlyViews.Of(_birthdayBonusYears);

    /// <summary>
    /// Category → the latest month (yyyymm) the member bought from it, for "categories bought" segments.
    /// At most <c>Sales.MaxCategoriesKept</c> entries (the most recent).
    /// </summary>
    public IReadOnlyDictionary<string, int> CategoryLastMonth => ReadOnlyViews.Of(_categoryLastMonth);

    internal Dictionary<int, long> ByMonthForWrite() => _byMonth ??= [];

    internal List<int> BirthdayBonusYearsForWrite() => _birthdayBonusYears ??= [];

    internal Dictionary<string, int> CategoryLastMonthForWrite() => _categoryLastMonth ??= [];

    /// <summary>Lets go of empty collections (see <see cref="PointsAccount.ReleaseEmptyCollections"/>).</summary>
    public void ReleaseEmptyCollections()
    {
        _byMonth = _byMonth is { Count: 0 } ? null : _byMonth;
        _birthdayBonusYears = _birthdayBonusYears is { Count: 0 } ? null : _birthdayBonusYears;
        _categoryLastMonth = _categoryLastMonth is { Count: 0 } ? null : _categoryLastMonth;
    }
}
