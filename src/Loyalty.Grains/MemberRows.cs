using System.Collections.Concurrent;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains;

/// <summary>
/// Rows that travel with a member's next state write, in the same PostgreSQL transaction
/// (docs/write-path.md): the sale records it created or changed and the ledger entries it made.
/// <see cref="NewTransactionId"/> is the sale this write creates (a write creates at most one): a row
/// that already exists for it refuses the whole write (<see cref="DuplicateTransactionException"/>), so a unique
/// key, not the member's memory, makes a transaction id count once.
/// </summary>
public sealed class MemberRows(string programId, string memberId)
{
    public string ProgramId { get; } = programId;

    public string MemberId { get; } = memberId;

    // Beside Sales, position by position: each one's serialization by Orleans' serializer, when staged with it.
    private readonly List<byte[]?> _serialized = [];

    /// <summary>Sale records to write (insert or replace), each keyed by its transaction id.</summary>
    public List<SaleRecord> Sales { get; } = [];

    /// <summary>The <paramref name="index"/>-th sale serialized by Orleans' serializer, when it was staged with that.</summary>
    public byte[]? SerializedSale(int index) => _serialized[index];

    public string? NewTransactionId { get; private set; }

    public List<LedgerEntry> Ledger { get; } = [];

    /// <summary>
    /// Cards and phone keys this write claims, lets go of or blocks (docs/write-path.md, "Cards and phones
    /// as rows"): a claim of a key another member holds refuses the whole write (<see cref="PendingRows.MarkKeyTaken"/>).
    /// </summary>
    public List<KeyChange> Keys { get; } = [];

    public bool IsEmpty => Sales.Count == 0 && Ledger.Count == 0 && Keys.Count == 0;

    /// <summary>
    /// Stages one sale record (a later version of the same sale replaces the earlier one), with its serialization by
    /// Orleans' serializer when the caller has it (the member grain's recent-sales cache does): a storage whose
    /// serializer is Orleans' own writes those bytes instead of serializing the sale again.
    /// </summary>
    public void AddSale(SaleRecord sale, bool isNew, byte[]? serialized = null)
    {
        var id = sale.Result.TransactionId;
        var index = Sales.FindIndex(s => s.Result.TransactionId == id);
        if (index >= 0)
        {
            Sales[index] = sale;
            _serialized[index] = serialized;
        }
        else
        {
            Sales.Add(sale);
            _serialized.Add(serialized);
        }

        if (isNew)
        {
            NewTransactionId = NewTransactionId is null || NewTransactionId == id
                ? id
                : throw new InvalidOperationException("a member write creates at most one sale");
        }
    }
}

/// <summary>What a member write does to one of its lookup keys.</summary>
public enum KeyOperation
{
    /// <summary>Binds the key to the member (refused when another member holds it).</summary>
    Claim,

    /// <summary>Lets go of a key the member holds (an old phone number).</summary>
    Release,

    /// <summary>Keeps the key bound to the member for good but identifying nobody (a lost card).</summary>
    Block,
}

/// <summary>One change of a member's lookup key: <see cref="MemberKeys.Card"/> or <see cref="MemberKeys.Phone"/> (a peppered hash).</summary>
public sealed record KeyChange(string Kind, string Key, KeyOperation Operation);

/// <summary>Who holds a lookup key; a blocked key identifies nobody.</summary>
public sealed record MemberKeyOwner(string MemberId, bool Blocked);

/// <summary>
/// A member write was refused because one of the sales it creates already has a row: the
/// transaction id was committed before (a retry older than the member's recent-sales cache).
/// </summary>
[GenerateSerializer, Alias("loyalty.DuplicateTransactionException")]
public sealed class DuplicateTransactionException : Exception
{
    public DuplicateTransactionException()
    {
    }

    public DuplicateTransactionException(string message) : base(message)
    {
    }

    public DuplicateTransactionException(string message, Exception inner) : base(message, inner)
    {
    }
}

public static class DuplicateTransactions
{
    /// <summary>True when the failure is (or wraps: Orleans wraps a storage provider's exceptions) a <see cref="DuplicateTransactionException"/>.</summary>
    public static bool IsDuplicateTransaction(this Exception failure)
    {
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            if (e is DuplicateTransactionException)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// Where a member's sale records and ledger entries live as rows. With PostgreSQL the grain storage
/// writes them in the member's own transaction (<see cref="WritesWithState"/>); without a database
/// the grain hands them over after its state write.
/// </summary>
public interface IMemberRowStore
{
    /// <summary>True when the grain storage writes <see cref="MemberRows"/> with the state (nothing for the grain to do).</summary>
    bool WritesWithState { get; }

    /// <summary>The stored record of one sale of this member, or null.</summary>
    Task<SaleRecord?> FindSaleAsync(string programId, string memberId, string transactionId);

    /// <summary>Only when <see cref="WritesWithState"/> is false: keeps the rows of a state write that succeeded.</summary>
    Task AppendAsync(MemberRows rows);

    /// <summary>Who holds a card or phone key of the program (null: nobody).</summary>
    Task<MemberKeyOwner?> FindKeyAsync(string programId, string kind, string key);

    /// <summary>
    /// Only when <see cref="WritesWithState"/> is false: claims the keys of a write before it (its releases and blocks
    /// follow in <see cref="AppendAsync"/>). Answers the kind of the first key another member holds (nothing claimed), or null.
    /// </summary>
    string? ClaimKeys(MemberRows rows);
}

/// <summary>The row store without a database (and in grain tests): sales in memory, ledger entries in the <see cref="ILedgerStore"/>.</summary>
public sealed class MemoryMemberRowStore(ILedgerStore ledger) : IMemberRowStore
{
    private readonly ConcurrentDictionary<(string, string, string), SaleRecord> _sales = new();
    private readonly ConcurrentDictionary<(string, string, string), MemberKeyOwner> _keys = new();

    public bool WritesWithState => false;

    public Task<SaleRecord?> FindSaleAsync(string programId, string memberId, string transactionId) =>
        Task.FromResult(_sales.TryGetValue((programId, memberId, transactionId), out var sale) ? sale : null);

    public Task<MemberKeyOwner?> FindKeyAsync(string programId, string kind, string key) =>
        Task.FromResult(_keys.TryGetValue((programId, kind, key), out var owner) ? owner : null);

    public string? ClaimKeys(MemberRows rows)
    {
        var added = new List<(string, string, string)>();
        foreach (var change in rows.Keys.Where(k => k.Operation == KeyOperation.Claim))
        {
            var id = (rows.ProgramId, change.Kind, change.Key);
            var mine = new MemberKeyOwner(rows.MemberId, false);
            if (_keys.TryAdd(id, mine))
            {
                added.Add(id);
            }
            else if (_keys.TryGetValue(id, out var owner) && owner.MemberId != rows.MemberId)
            {
                added.ForEach(a => _keys.TryRemove(a, out _));
                return change.Kind;
            }
        }

        return null;
    }

    public async Task AppendAsync(MemberRows rows)
    {
        foreach (var change in rows.Keys)
        {
            var id = (rows.ProgramId, change.Kind, change.Key);
            if (_keys.TryGetValue(id, out var owner) && owner.MemberId == rows.MemberId)
            {
                if (change.Operation == KeyOperation.Release)
                {
                    _keys.TryRemove(id, out _);
                }
                else if (change.Operation == KeyOperation.Block)
                {
                    _keys[id] = owner with { Blocked = true };
                }
            }
        }

        foreach (var sale in rows.Sales)
        {
            _sales[(rows.ProgramId, rows.MemberId, sale.Result.TransactionId)] = sale;
        }

        if (rows.Ledger.Count > 0)
        {
            await ledger.AppendAsync([.. rows.Ledger.Select(e => new LedgerRow(rows.ProgramId, rows.MemberId, e))], CancellationToken.None);
        }
    }
}
