using System.Collections.Immutable;

namespace Loyalty.Contracts;

[GenerateSerializer, Immutable, Alias("loyalty.ProgramSettings")]
public sealed record ProgramSettings(
    [property: Id(0)] string ProgramId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Currency,
    [property: Id(3)] long EarnPoints,
    [property: Id(4)] long EarnPerAmount,
    [property: Id(5)] int ExpiryMonths,
    [property: Id(6)] long PointValue = 0,
    [property: Id(7)] int MaxBurnPercent = 100,
    [property: Id(8)] int PendingDays = 0,
    [property: Id(9)] int OfflineWindowDays = ProgramSettings.DefaultOfflineWindowDays,
    [property: Id(10)] EarnRules? Earn = null,
    [property: Id(11)] TierRules? Tiers = null,
    [property: Id(12)] int CashbackPercent = 0,
    [property: Id(13)] int CreditExpiryDays = 0,
    [property: Id(14)] ImmutableArray<Reward> Rewards = default,
    [property: Id(15)] ImmutableArray<CampaignDefinition> Campaigns = default,
    [property: Id(16)] string? TimeZone = null,
    [property: Id(17)] int MaxDiscountPercent = 0,
    [property: Id(25)] ImmutableArray<AutomationRule> Automations = default,
    [property: Id(26)] ImmutableArray<SegmentDefinition> Segments = default,
    [property: Id(27)] bool CrossStoreReturns = false,
    [property: Id(40)] AdjustmentLimits? AdjustmentLimits = null)
{
    public const int DefaultOfflineWindowDays = 7;

    /// <summary>Idempotency records are kept this long after a sale happened: the offline window plus a margin.</summary>
    public TimeSpan IdempotencyRetention => TimeSpan.FromDays(OfflineWindowDays + 30);
}

[GenerateSerializer, Immutable, Alias("loyalty.BasketLine")]
public sealed record BasketLine(
    [property: Id(0)] string Sku,
    [property: Id(1)] string Category,
    [property: Id(2)] int Quantity,
    [property: Id(3)] long UnitPrice,
    [property: Id(4)] bool OnSale);

public enum CouponKind
{
    AmountOff = 1,
    PercentOff = 2,

    /// <summary>One unit of <see cref="CouponDefinition.FreeSku"/> free (at what is left of its price after the tier and campaigns).</summary>
    FreeItem = 3,

    /// <summary>No money off: <see cref="CouponDefinition.Value"/> bonus points on the sale.</summary>
    BonusPoints = 4,
}

[GenerateSerializer, Immutable, Alias("loyalty.CouponDefinition")]
public sealed record CouponDefinition(
    [property: Id(0)] CouponKind Kind,
    [property: Id(1)] long Value,
    [property: Id(2)] long MinBasket,
    [property: Id(3)] long MaxDiscount,
    [property: Id(4)] DateTimeOffset? ValidFrom,
    [property: Id(5)] DateTimeOffset? ValidUntil,
    [property: Id(6)] CouponUse Use = CouponUse.SingleUse,
    [property: Id(7)] long MaxRedemptions = 0,
    [property: Id(8)] int PerMemberLimit = 0,
    [property: Id(9)] string? MemberId = null,
    [property: Id(10)] bool FirstPurchaseOnly = false,
    [property: Id(11)] ImmutableArray<string> StoreIds = default,
    [property: Id(12)] ImmutableArray<string> TierNames = default,
    [property: Id(20)] CampaignTargets? Targets = null,
    [property: Id(21)] string? FreeSku = null,
    [property: Id(22)] ImmutableArray<string> Segments = default);

/// <summary>
/// Who may use a code and how often. <see cref="CouponDefinition.MaxRedemptions"/> (global cap) and
/// <see cref="CouponDefinition.PerMemberLimit"/> (1 = once per member) apply to shared codes;
/// a personal code is single-use and bound to <see cref="CouponDefinition.MemberId"/>.
/// </summary>
public enum CouponUse
{
    SingleUse = 0,
    Shared = 1,
    Personal = 2,
}

[GenerateSerializer, Immutable, Alias("loyalty.CouponStatus")]
public sealed record CouponStatus(
    [property: Id(0)] string Code,
    [property: Id(1)] CouponDefinition Definition,
    [property: Id(2)] string? RedeemedByTransaction,
    [property: Id(3)] string? RedeemedByMember,
    [property: Id(4)] DateTimeOffset? RedeemedAt,
    [property: Id(5)] long Redemptions = 0,
    [property: Id(6)] int PendingHolds = 0,
    [property: Id(7)] string? SeriesId = null,
    [property: Id(8)] DateTimeOffset? WithdrawnAt = null);

/// <summary>What a coupon's conditions are checked against: who uses it, where, and the member's history.</summary>
/// <param name="MemberUses">How many live sales of this member already used this code (counted by the member grain).</param>
[GenerateSerializer, Immutable, Alias("loyalty.CouponContext")]
public sealed record CouponContext(
    [property: Id(0)] string? MemberId,
    [property: Id(1)] string? StoreId,
    [property: Id(2)] string? TierName,
    [property: Id(3)] int? Purchases,
    [property: Id(4)] int? MemberUses);

/// <summary>A request to hold a code for one transaction (the hold is confirmed once the sale is durable).</summary>
[GenerateSerializer, Immutable, Alias("loyalty.CouponRedemption")]
public sealed record CouponRedemption(
    [property: Id(0)] string TransactionId,
    [property: Id(1)] string MemberId,
    [property: Id(2)] long BasketSubtotal,
    [property: Id(3)] CouponContext Context);

/// <summary>A bulk series of single-use codes, generated in chunks into the coupon-code table.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.CouponSeriesInfo")]
public sealed record CouponSeriesInfo(
    [property: Id(0)] string ProgramId,
    [property: Id(1)] string SeriesId,
    [property: Id(2)] int Count,
    [property: Id(3)] int Generated,
    [property: Id(4)] CouponDefinition Definition,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] DateTimeOffset? CompletedAt,
    [property: Id(7)] long Redeemed = 0)
{
    public bool Complete => Generated >= Count;
}

/// <summary>One code of a series as exported for marketing.</summary>
public sealed record CouponSeriesCode(string Code, bool Redeemed, DateTimeOffset? RedeemedAt, string? MemberId, string? TransactionId);

[GenerateSerializer, Immutable, Alias("loyalty.EnrollCommand")]
public sealed record EnrollCommand(
    [property: Id(0)] string? Name,
    [property: Id(1)] string? CardNumber,
    [property: Id(2)] DateOnly? BirthDate = null,
    [property: Id(3)] MemberProfile? Profile = null,
    [property: Id(4)] string? ReferrerId = null);

/// <summary>
/// Contact details and attributes beyond the name and birth date. Phone and email are personal data:
/// never logged; the phone is found through a lookup hash, not by its plain text (docs/members.md).
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.MemberProfile")]
public sealed record MemberProfile(
    [property: Id(0)] string? Phone = null,
    [property: Id(1)] string? Email = null,
    [property: Id(2)] ImmutableArray<string> Attributes = default,
    [property: Id(3)] bool? MarketingConsent = null,
    [property: Id(4)] DateOnly? Anniversary = null);

/// <summary>
/// How a caller vouches for the member before changing a card or a contact (issue #13 and #27, account takeover): an
/// operator (customer service) making the call, or at a till a one-time code sent to the member's phone or e-mail
/// (<see cref="Code"/>, for the terminal <see cref="Terminal"/> that asked for it); a card of the member presented at
/// the till proves only a member with no phone or e-mail on file.
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.MemberProof")]
public sealed record MemberProof(
    [property: Id(0)] string? PresentedCard,
    [property: Id(1)] bool ByOperator,
    [property: Id(2)] string? Code = null,
    [property: Id(3)] string? Terminal = null)
{
    public static readonly MemberProof Operator = new(null, true);
}

/// <summary>A verification code went out: by which channel, to where (masked: what a till may show), valid until when.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.VerificationCodeSent")]
public sealed record VerificationCodeSent(
    [property: Id(0)] string Channel,
    [property: Id(1)] string SentTo,
    [property: Id(2)] DateTimeOffset ExpiresAt);

/// <summary>A change to a member's profile: unset fields stay as they are; attributes, when given, replace the set.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.ProfileUpdate")]
public sealed record ProfileUpdate(
    [property: Id(0)] string? Name,
    [property: Id(1)] DateOnly? BirthDate,
    [property: Id(2)] MemberProfile Profile);

[GenerateSerializer, Immutable, Alias("loyalty.CommitCommand")]
public sealed record CommitCommand(
    [property: Id(0)] string TransactionId,
    [property: Id(1)] string StoreId,
    [property: Id(2)] string TerminalId,
    [property: Id(3)] ImmutableArray<BasketLine> Lines,
    [property: Id(4)] string? CouponCode,
    [property: Id(5)] long PointsToSpend = 0,
    [property: Id(6)] DateTimeOffset? OccurredAt = null,
    [property: Id(7)] long CreditToSpend = 0,
    [property: Id(8)] ImmutableArray<string> RewardIds = default,
    [property: Id(9)] string? Channel = null,
    [property: Id(10)] string? PaymentMethod = null,
    [property: Id(11)] long? ExpectedTotal = null,
    [property: Id(12)] TillPresence? Till = null);

/// <summary>
/// A commit made at a till (issue #27): the terminal (store/terminal) and what the customer presented in the request, a
/// card number or the peppered lookup key of a phone. Spending points, credit or rewards needs the member present
/// (<c>MemberPresence</c>). Null on a <see cref="CommitCommand"/>: customer service (an operator) or the engine itself.
/// Not part of the sale's fingerprint: a retry may present the card or not.
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.TillPresence")]
public sealed record TillPresence(
    [property: Id(0)] string Terminal,
    [property: Id(1)] string? PresentedCard,
    [property: Id(2)] string? PresentedPhoneKey);

/// <summary>
/// The receipt of a committed sale, kept in its sale row (<c>SaleRecord.Result</c>) and answered again to a retry.
/// Persisted and sent between silos: an <c>[Id]</c> is never renumbered nor its type changed (ResultBytesTests holds older bytes).
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.CommitResult")]
public sealed record CommitResult
{
    [Id(0)]
    public required string TransactionId { get; init; }

    [Id(1)]
    public required long Subtotal { get; init; }

    [Id(2)]
    public required long Discount { get; init; }

    [Id(3)]
    public required long Total { get; init; }

    [Id(4)]
    public required long PointsEarned { get; init; }

    [Id(5)]
    public required int EarnMonth { get; init; }

    [Id(6)]
    public required string? CouponCode { get; init; }

    [Id(7)]
    public required long AvailableAfter { get; init; }

    [Id(8)]
    public required DateTimeOffset CommittedAt { get; init; }

    [Id(9)]
    public long PointsSpent { get; init; }

    [Id(10)]
    public long PointsValue { get; init; }

    [Id(11)]
    public long PointsPending { get; init; }

    [Id(12)]
    public DateTimeOffset OccurredAt { get; init; }

    [Id(13)]
    public long TierDiscount { get; init; }

    [Id(14)]
    public long BonusPoints { get; init; }

    [Id(15)]
    public string? TierName { get; init; }

    [Id(16)]
    public long CreditSpent { get; init; }

    [Id(17)]
    public long CreditEarned { get; init; }

    [Id(18)]
    public long CreditAfter { get; init; }

    [Id(19)]
    public long RewardDiscount { get; init; }

    [Id(20)]
    public long RewardPoints { get; init; }

    [Id(21)]
    public string? CampaignId { get; init; }

    [Id(22)]
    public long CampaignDiscount { get; init; }

    [Id(23)]
    public ImmutableArray<DiscountLine> DiscountLines { get; init; }

    [Id(24)]
    public ImmutableArray<AppliedCampaign> Campaigns { get; init; }

    [Id(25)]
    public ImmutableArray<PromotionHint> Hints { get; init; }

    [Id(26)]
    public string? StoreId { get; init; }

    [Id(27)]
    public ImmutableArray<DroppedPromotion> Dropped { get; init; }

    [Id(28)]
    public SaleStatus Status { get; init; } = SaleStatus.Committed;

    /// <summary>What the customer pays in money: total after discounts, less what points and store credit paid.</summary>
    public long AmountDue => Total - PointsValue - CreditSpent;
}

/// <summary>What a void reversed, kept in the sale row (<c>SaleRecord.Void</c>); ids as for <see cref="CommitResult"/>.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.VoidResult")]
public sealed record VoidResult
{
    [Id(0)]
    public required string TransactionId { get; init; }

    [Id(1)]
    public required long PointsRemoved { get; init; }

    [Id(2)]
    public required bool CouponRestored { get; init; }

    [Id(3)]
    public required bool AlreadyVoided { get; init; }

    [Id(4)]
    public required long AvailableAfter { get; init; }

    [Id(5)]
    public required DateTimeOffset VoidedAt { get; init; }

    [Id(6)]
    public long PointsReturned { get; init; }

    [Id(7)]
    public long PointsNotRecovered { get; init; }

    [Id(8)]
    public long CreditTakenBack { get; init; }

    [Id(9)]
    public long CreditReturned { get; init; }

    [Id(10)]
    public ImmutableArray<string> CouponsWithdrawn { get; init; }

    [Id(11)]
    public ImmutableArray<string> IssuedCouponsAlreadyUsed { get; init; }
}

/// <summary>
/// A till's void or refund: its result and the store the sale was made in, which a cross-store return is audited with.
/// Answered only, never stored: the results are kept in sale rows byte for byte as before (ResultBytesTests).
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.TillReturn`1")]
public sealed record TillReturn<TResult>(
    [property: Id(0)] TResult Result,
    [property: Id(1)] string? SaleStoreId);

[GenerateSerializer, Immutable, Alias("loyalty.BucketView")]
public sealed record BucketView(
    [property: Id(0)] int Month,
    [property: Id(1)] long Points,
    [property: Id(2)] DateTimeOffset? ExpiresAt);

[GenerateSerializer, Immutable, Alias("loyalty.BalanceView")]
public sealed record BalanceView(
    [property: Id(0)] long Available,
    [property: Id(1)] long ExpiringThisMonth,
    [property: Id(2)] ImmutableArray<BucketView> Buckets,
    [property: Id(3)] long Pending = 0,
    [property: Id(4)] long Credit = 0);

[GenerateSerializer, Immutable, Alias("loyalty.MemberView")]
public sealed record MemberView(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string? Name,
    [property: Id(2)] ImmutableArray<string> Cards,
    [property: Id(3)] BalanceView Balance,
    [property: Id(4)] DateTimeOffset EnrolledAt,
    [property: Id(5)] TierStatus? Tier = null,
    [property: Id(6)] DateOnly? BirthDate = null,
    [property: Id(7)] ImmutableArray<string> Attributes = default,
    [property: Id(8)] bool MarketingConsent = false,
    [property: Id(9)] bool ProfileComplete = false,
    [property: Id(10)] DateOnly? Anniversary = null,
    [property: Id(11)] ImmutableArray<PersonalCouponView> Coupons = default,
    [property: Id(12)] ImmutableArray<MemberOffer> Offers = default);

/// <summary>
/// A campaign the member can get now, shown at Identify: active, its conditions about the member and
/// the time hold, and the per-member limit is not used up. Basket conditions (minimum, targets) and the
/// budget are checked by Quote; conditions on what Identify was not told (store, channel, payment) too.
/// </summary>
/// <param name="Personal">The offer depends on who the member is (tier, segment, birthday, first purchase, inactivity, stamps, members only).</param>
/// <param name="StampsOnCard">Stamp cards: units on the current card; the unit after <paramref name="StampsPerCard"/> is the discounted one.</param>
/// <param name="UsesLeft">Redemptions left under the per-member limit; null without one.</param>
[GenerateSerializer, Immutable, Alias("loyalty.MemberOffer")]
public sealed record MemberOffer(
    [property: Id(0)] string CampaignId,
    [property: Id(1)] string Name,
    [property: Id(2)] CampaignKind Kind,
    [property: Id(3)] long MinBasket,
    [property: Id(4)] DateTimeOffset? ValidUntil,
    [property: Id(5)] bool Personal,
    [property: Id(6)] int StampsOnCard = 0,
    [property: Id(7)] int StampsPerCard = 0,
    [property: Id(8)] long? UsesLeft = null);

/// <summary>A personal code issued to the member by an automation and still usable: shown at Identify.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.PersonalCouponView")]
public sealed record PersonalCouponView(
    [property: Id(0)] string Code,
    [property: Id(1)] AutomationKind Kind,
    [property: Id(2)] CouponDefinition Definition);

[GenerateSerializer, Immutable, Alias("loyalty.RefundLine")]
public sealed record RefundLine(
    [property: Id(0)] int LineIndex,
    [property: Id(1)] int Quantity);

[GenerateSerializer, Immutable, Alias("loyalty.RefundCommand")]
public sealed record RefundCommand(
    [property: Id(0)] string RefundId,
    [property: Id(1)] string TransactionId,
    [property: Id(2)] ImmutableArray<RefundLine> Lines);

/// <summary>What one refund reversed, kept in the sale row (<see cref="RefundRecord.Result"/>); ids as for <see cref="CommitResult"/>.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.RefundResult")]
public sealed record RefundResult
{
    [Id(0)]
    public required string RefundId { get; init; }

    [Id(1)]
    public required string TransactionId { get; init; }

    [Id(2)]
    public required long RefundedAmount { get; init; }

    [Id(3)]
    public required long PointsClawedBack { get; init; }

    [Id(4)]
    public required long PointsReturned { get; init; }

    [Id(5)]
    public required long PointsNotRecovered { get; init; }

    [Id(6)]
    public required long AvailableAfter { get; init; }

    [Id(7)]
    public required DateTimeOffset RefundedAt { get; init; }

    [Id(8)]
    public long CreditTakenBack { get; init; }

    [Id(9)]
    public long CreditReturned { get; init; }

    [Id(10)]
    public ImmutableArray<string> CouponsWithdrawn { get; init; }

    [Id(11)]
    public ImmutableArray<string> IssuedCouponsAlreadyUsed { get; init; }
}

[GenerateSerializer, Immutable, Alias("loyalty.LedgerPage")]
public sealed record LedgerPage(
    [property: Id(0)] ImmutableArray<LedgerEntry> Entries,
    [property: Id(1)] long NextAfterSeq,
    [property: Id(2)] long Balance,
    [property: Id(3)] long Credit = 0);
