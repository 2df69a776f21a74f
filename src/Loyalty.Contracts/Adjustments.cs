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

/// <summary>How much one credential may adjust of one asset: per call, and in total per UTC day (absolute amounts: a debit counts as much as a credit).</summary>
[GenerateSerializer, Immutable, Alias("loyalty.AdjustmentLimit")]
public sealed record AdjustmentLimit(
    [property: Id(0)] long PerCall,
    [property: Id(1)] long PerDay);

/// <summary>
/// A program's limits on manual adjustments (issue #27, finding 8): per role and asset, and the amount above which an
/// adjustment waits for a second operator's approval. Credit in minor units.
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.AdjustmentLimits")]
public sealed record AdjustmentLimits(
    [property: Id(0)] AdjustmentLimit MarketerPoints,
    [property: Id(1)] AdjustmentLimit MarketerCredit,
    [property: Id(2)] AdjustmentLimit OperatorPoints,
    [property: Id(3)] AdjustmentLimit OperatorCredit,
    [property: Id(4)] long ApprovalAbovePoints,
    [property: Id(5)] long ApprovalAboveCredit)
{
    /// <summary>
    /// A marketer 10,000 points or 100.00 credit per call, ten times that per day; an operator ten times a marketer;
    /// anything above 50,000 points or 500.00 credit waits for a second operator.
    /// </summary>
    public static readonly AdjustmentLimits Default = new(
        new AdjustmentLimit(10_000, 100_000),
        new AdjustmentLimit(10_000, 100_000),
        new AdjustmentLimit(100_000, 1_000_000),
        new AdjustmentLimit(100_000, 1_000_000),
        50_000,
        50_000);
}

public enum AdjustmentStatus
{
    /// <summary>Above the approval threshold: waits for a second operator; nothing applied yet.</summary>
    Pending = 1,

    /// <summary>Applied to the member (at once, or once approved).</summary>
    Applied = 2,

    /// <summary>Refused by an operator: never applied.</summary>
    Rejected = 3,
}

/// <summary>An adjustment that was held for approval, and what became of it: who asked (and as what), who decided, when.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.HeldAdjustment")]
public sealed record HeldAdjustment(
    [property: Id(0)] string MemberId,
    [property: Id(1)] AdjustCommand Command,
    [property: Id(2)] AccessRole RequestedAs,
    [property: Id(3)] DateTimeOffset RequestedAt,
    [property: Id(4)] AdjustmentStatus Status,
    [property: Id(5)] string? DecidedBy = null,
    [property: Id(6)] DateTimeOffset? DecidedAt = null);

/// <summary>What an adjustment request came to: applied (with the member's answer) or held (waiting, or rejected).</summary>
[GenerateSerializer, Immutable, Alias("loyalty.AdjustmentOutcome")]
public sealed record AdjustmentOutcome(
    [property: Id(0)] AdjustmentStatus Status,
    [property: Id(1)] AdjustResult? Applied,
    [property: Id(2)] HeldAdjustment? Held);

/// <summary>
/// A program's adjustment desk (key: program id): every manual adjustment passes here, so the limits per credential
/// and day are counted exactly (one call at a time) and an adjustment above the approval threshold is held until a
/// second operator approves it (docs/security.md, "Adjustment limits and approval").
/// </summary>
[Alias("loyalty.IAdjustmentDeskGrain")]
public interface IAdjustmentDeskGrain : IGrainWithStringKey
{
    /// <summary>
    /// Applies the adjustment when within the caller's limits, holds it when above the approval threshold;
    /// ADJUSTMENT_LIMIT_EXCEEDED over a limit, nothing changed. Idempotent by member and adjustment id.
    /// </summary>
    [Alias("Request")]
    Task<AdjustmentOutcome> RequestAsync(string memberId, AdjustCommand command, AccessRole role);

    /// <summary>
    /// Applies a held adjustment, once (approving again answers the same adjustment), after checking the limits of the
    /// one who asked again; never by the operator who asked (SECOND_APPROVER_REQUIRED).
    /// </summary>
    [Alias("Approve")]
    Task<AdjustmentOutcome> ApproveAsync(string memberId, string adjustmentId, string approver);

    /// <summary>Refuses a held adjustment for good; idempotent. An applied one cannot be (ADJUSTMENT_NOT_PENDING).</summary>
    [Alias("Reject")]
    Task<AdjustmentOutcome> RejectAsync(string memberId, string adjustmentId, string decider);

    /// <summary>The adjustments waiting for approval, oldest first.</summary>
    [Alias("ListPending")]
    Task<ImmutableArray<HeldAdjustment>> ListPendingAsync();
}
