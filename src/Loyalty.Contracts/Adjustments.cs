using System.Collections.Immutable;

namespace Loyalty.Contracts;

/// <summary>
/// A manual adjustment by customer service (docs/members.md, "Manual adjustments"): points or store credit, added
/// (positive) or taken (negative), with a reason code, optional free text and the operator's credential id.
/// Idempotent by <see cref="AdjustmentId"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.AdjustCommand")]
public sealed record AdjustCommand(
    [property: Id(0)] string AdjustmentId,
    [property: Id(1)] LedgerAsset Asset,
    [property: Id(2)] long Amount,
    [property: Id(3)] string Reason,
    [property: Id(4)] string? Note,
    [property: Id(5)] string Actor);

/// <summary>
/// What an adjustment did: its own facts as its ledger entries hold them (the same on every retry), and the member's
/// balance when answered.
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.AdjustResult")]
public sealed record AdjustResult(
    [property: Id(0)] string AdjustmentId,
    [property: Id(1)] LedgerAsset Asset,
    [property: Id(2)] long Amount,
    [property: Id(3)] string Reason,
    [property: Id(4)] string? Note,
    [property: Id(5)] string Actor,
    [property: Id(6)] DateTimeOffset At,
    [property: Id(7)] ImmutableArray<LedgerEntry> Entries,
    [property: Id(8)] BalanceView Balance);
