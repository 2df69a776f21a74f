using System.Collections.Immutable;

namespace Loyalty.Contracts;

/// <summary>
/// A basket to price as a quote (nothing is held or written): the same basket a commit of it would carry, without
/// the payment (points, credit) and the transaction id. <see cref="StoreId"/> is empty when the terminal gave none.
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.QuoteCommand")]
public sealed record QuoteCommand
{
    [Id(0)]
    public required ImmutableArray<BasketLine> Lines { get; init; }

    [Id(1)]
    public string StoreId { get; init; } = string.Empty;

    [Id(2)]
    public string? CouponCode { get; init; }

    [Id(3)]
    public ImmutableArray<string> RewardIds { get; init; } = [];

    [Id(4)]
    public string? Channel { get; init; }

    [Id(5)]
    public string? PaymentMethod { get; init; }
}

/// <summary>What a quote says of the coupon it was given: usable or the precise reason not, and its own discount.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.CouponCheckResult")]
public sealed record CouponCheckResult
{
    [Id(0)]
    public required string Code { get; init; }

    [Id(1)]
    public required bool Valid { get; init; }

    /// <summary>Why the coupon does not apply (null when valid).</summary>
    [Id(2)]
    public ErrorReason? Reason { get; init; }

    [Id(3)]
    public string? Message { get; init; }

    /// <summary>The coupon's own discount on this basket (what a till prints beside it), not the basket's.</summary>
    [Id(4)]
    public long Discount { get; init; }
}

/// <summary>
/// A priced basket as a quote promises it: a commit of the same basket, with nothing changed in between, applies
/// exactly these amounts, lines and campaigns (one pricing step for both: docs/architecture.md).
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.QuoteResult")]
public sealed record QuoteResult
{
    [Id(0)]
    public required string Currency { get; init; }

    [Id(1)]
    public required long Subtotal { get; init; }

    [Id(2)]
    public required long Discount { get; init; }

    [Id(3)]
    public required long Total { get; init; }

    /// <summary>Points the sale earns on what is paid in money (campaign and coupon bonus points are <see cref="CampaignPoints"/>).</summary>
    [Id(4)]
    public required long PointsToEarn { get; init; }

    [Id(5)]
    public long TierDiscount { get; init; }

    /// <summary>The member's tier name (null for a guest or a member without a tier).</summary>
    [Id(6)]
    public string? TierName { get; init; }

    [Id(7)]
    public long RewardDiscount { get; init; }

    [Id(8)]
    public long RewardPoints { get; init; }

    [Id(9)]
    public long CampaignDiscount { get; init; }

    [Id(10)]
    public long CampaignPoints { get; init; }

    [Id(11)]
    public ImmutableArray<DiscountLine> DiscountLines { get; init; } = [];

    [Id(12)]
    public ImmutableArray<AppliedCampaign> Campaigns { get; init; } = [];

    /// <summary>What would unlock more: campaigns' thresholds, then the next tier.</summary>
    [Id(13)]
    public ImmutableArray<PromotionHint> Hints { get; init; } = [];

    /// <summary>The coupon's check (null when the basket had no coupon).</summary>
    [Id(14)]
    public CouponCheckResult? Coupon { get; init; }

    /// <summary>A guest's quote: the campaigns live now that only a member gets (identify or enroll the customer to get them).</summary>
    [Id(15)]
    public ImmutableArray<PromotionHint> MembersOnly { get; init; } = [];

    /// <summary>The campaign a receipt names (<see cref="AppliedCampaign.ReceiptCampaignId"/>).</summary>
    public string? CampaignId => AppliedCampaign.ReceiptCampaignId(Campaigns);
}
