using System.Runtime.CompilerServices;
using Loyalty.Contracts;
using Loyalty.Domain;
using Orleans.Serialization;

namespace Loyalty.Grains;

/// <summary>
/// The rows a member's next write carries (its sales and ledger entries, key claims) and what the storage said of that
/// write, kept beside the state object rather than in it: the state is the Domain's aggregate, this is persistence
/// (docs/write-path.md). The member grain stages rows for its current state object; the storage takes them when it
/// writes that object, and marks a refusal here for the grain to read.
/// </summary>
public sealed class PendingRows
{
    private static readonly ConditionalWeakTable<object, PendingRows> Slots = new();

    private MemberRows? _staged;
    private bool _duplicate;
    private string? _keyTaken;

    /// <summary>The slot of a state object (created on first use; it goes with the object).</summary>
    public static PendingRows Of(object state) => Slots.GetOrCreateValue(state);

    /// <summary>The slot of a state object if anything was ever staged for it (the storage's side).</summary>
    public static PendingRows? Find(object? state) => state is not null && Slots.TryGetValue(state, out var slot) ? slot : null;

    /// <summary>The rows the next write carries (created on first use).</summary>
    public MemberRows Stage(string programId, string memberId) => _staged ??= new MemberRows(programId, memberId);

    /// <summary>The rows staged since the last write, handed over once (null when none).</summary>
    public MemberRows? Take()
    {
        var rows = _staged;
        _staged = null;
        return rows is { IsEmpty: false } ? rows : null;
    }

    /// <summary>Told by the storage: the write was refused, nothing of it written, because the sale it creates already had a row.</summary>
    public void MarkDuplicate() => _duplicate = true;

    /// <summary>Told by the storage: the write was refused, nothing of it written, because another member holds a key it claims.</summary>
    public void MarkKeyTaken(string kind) => _keyTaken = kind;

    /// <summary>True once after a write that <see cref="MarkDuplicate"/> refused.</summary>
    public bool TakeDuplicate()
    {
        var duplicate = _duplicate;
        _duplicate = false;
        return duplicate;
    }

    /// <summary>The kind of key (<see cref="MemberKeys"/>) that refused the last write, once; null when none did.</summary>
    public string? TakeKeyTaken()
    {
        var kind = _keyTaken;
        _keyTaken = null;
        return kind;
    }
}

/// <summary>
/// A member activation's most recent sales (hot retries, voids, refunds), in memory only; every sale is a row
/// (docs/write-path.md). Kept serialized: one array per sale instead of a graph of some forty objects, which every sale
/// would otherwise leave for the garbage collector to trace and copy until the member's next sales push it out
/// (measured: these graphs were most of what survived each gen0 collection under checkout load, docs/performance.md).
/// </summary>
public sealed class RecentSales(Serializer<SaleRecord> serializer, int capacity = RecentSales.Capacity)
{
    /// <summary>How many recent sales an active member keeps in memory.</summary>
    public const int Capacity = 4;

    private Dictionary<string, byte[]>? _bytes;

    // The recent sales' ids, least recently committed or changed first.
    private List<string>? _order;

    /// <summary>
    /// One of the recent sales (a copy), or null when it is not among them. Until the first sale is remembered, a state
    /// written by an earlier version answers with the sale object it loaded.
    /// </summary>
    public SaleRecord? Find(string transactionId, MemberState state) =>
        _bytes is null
            ? state.LegacySalesById.GetValueOrDefault(transactionId)
            : _bytes.TryGetValue(transactionId, out var bytes) ? serializer.Deserialize(bytes) : null;

    /// <summary>One of the recent sales (a copy), or null: for a holder of sales that never had legacy ones (a guest till).</summary>
    public SaleRecord? Find(string transactionId) =>
        _bytes is not null && _bytes.TryGetValue(transactionId, out var bytes) ? serializer.Deserialize(bytes) : null;

    /// <summary>Keeps a sale as the most recent, forgetting the least recent beyond <see cref="Capacity"/>.</summary>
    /// <returns>The sale as kept: Orleans' serialization of it, which is also its row's record (<see cref="MemberRows.AddSale"/>).</returns>
    public byte[] Remember(SaleRecord sale, MemberState state)
    {
        if (_bytes is null)
        {
            // A state written by an earlier version: its sales start out as the recent ones, oldest first.
            _bytes = [];
            _order = [];
            foreach (var (key, old) in state.LegacySalesById.OrderBy(p => p.Value.Result.OccurredAt).ThenBy(p => p.Key, StringComparer.Ordinal))
            {
                _bytes[key] = serializer.SerializeToArray(old);
                _order.Add(key);
            }
        }

        return Keep(sale);
    }

    /// <summary>Keeps a sale as the most recent (a holder without legacy sales, a guest till).</summary>
    /// <returns>The sale as kept: Orleans' serialization of it, which is also its row's record.</returns>
    public byte[] Remember(SaleRecord sale)
    {
        (_bytes, _order) = (_bytes ?? [], _order ?? []);
        return Keep(sale);
    }

    private byte[] Keep(SaleRecord sale)
    {
        var id = sale.Result.TransactionId;
        _order!.Remove(id);
        _order.Add(id);
        var bytes = serializer.SerializeToArray(sale);
        _bytes![id] = bytes;
        while (_order.Count > capacity)
        {
            _bytes.Remove(_order[0]);
            _order.RemoveAt(0);
        }

        return bytes;
    }

    /// <summary>Memory went back to storage: what was remembered may not be durable, so it is forgotten.</summary>
    public void Forget() => (_bytes, _order) = (null, null);
}
