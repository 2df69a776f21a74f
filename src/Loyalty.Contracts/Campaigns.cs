using System.Collections.Immutable;

namespace Loyalty.Contracts;

public enum CampaignKind
{
    /// <summary>Percent off the basket (after the tier discount), rounded down, capped by MaxDiscount when set.</summary>
    PercentOffBasket = 1,

    /// <summary>A fixed amount off the basket.</summary>
    AmountOffBasket = 2,

    /// <summary>Percent off each targeted line (rounded down per line).</summary>
    PercentOffItems = 3,

    /// <summary>A fixed amount off every targeted unit (never below zero).</summary>
    AmountOffItems = 4,

    /// <summary>Buy <c>BuyQuantity</c>, get <c>GetQuantity</c> at <c>GetPercent</c> off; the cheapest targeted units are the discounted ones.</summary>
    BuyGet = 5,

    /// <summary>Stamp card: every (<c>BuyQuantity</c>+1)th targeted unit, counted per member across purchases, at <c>GetPercent</c> off (100 = free).</summary>
    StampCard = 6,

    /// <summary>Cross-sell: every <c>BuyQuantity</c> units of the <c>Trigger</c> products give <c>GetQuantity</c> targeted units at <c>GetPercent</c> off.</summary>
    Bundle = 7,

    /// <summary>Volume scale: the highest reached step's percent off the targeted lines, by quantity or by amount.</summary>
    VolumeScale = 8,

    /// <summary>Fixed bonus points (<c>Value</c>) on a qualifying purchase.</summary>
    BonusPoints = 9,

    /// <summary>Earn multiplier in percent (<c>Value</c>, 200 = double points) on the targeted lines.</summary>
    PointsMultiplier = 10,

    /// <summary>Issues the member a personal coupon (<c>Coupon</c>, valid <c>CouponValidDays</c>) for a next visit; its code is on the receipt.</summary>
    IssueCoupon = 11,
}

public enum ScaleBasis
{
    Quantity = 1,
    Amount = 2,
}

/// <summary>Which lines a campaign's effect (and eligibility) applies to. Empty include lists mean every line.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.CampaignTargets")]
public sealed record CampaignTargets(
    [property: Id(0)] ImmutableArray<string> Skus = default,
    [property: Id(1)] ImmutableArray<string> Categories = default,
    [property: Id(2)] ImmutableArray<string> ExcludedSkus = default,
    [property: Id(3)] ImmutableArray<string> ExcludedCategories = default,
    [property: Id(4)] bool ExcludeOnSale = false)
{
    public bool HasIncludes => !Skus.IsDefaultOrEmpty || !Categories.IsDefaultOrEmpty;
}

/// <summary>One step of a volume scale: from <c>Threshold</c> (units or minor units) on, <c>Percent</c> off.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.ScaleStep")]
public sealed record ScaleStep(
    [property: Id(0)] long Threshold,
    [property: Id(1)] int Percent);

/// <summary>A melting step: within <c>HoursBeforeEnd</c> hours of <c>ValidUntil</c> the percent drops to <c>Percent</c>.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.MeltStep")]
public sealed record MeltStep(
    [property: Id(0)] int HoursBeforeEnd,
    [property: Id(1)] int Percent);

/// <summary>
/// When and for whom a campaign applies. Time conditions use the program's local time
/// (<see cref="ProgramSettings.TimeZone"/>). Empty lists and nulls mean "no condition".
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.CampaignConditions")]
public sealed record CampaignConditions(
    [property: Id(0)] DateOnly? OnDate = null,
    [property: Id(1)] ImmutableArray<DayOfWeek> DaysOfWeek = default,
    [property: Id(2)] int? FromMinute = null,
    [property: Id(3)] int? UntilMinute = null,
    [property: Id(4)] ImmutableArray<int> DaysOfMonth = default,
    [property: Id(5)] bool MembersOnly = false,
    [property: Id(6)] ImmutableArray<string> Tiers = default,
    [property: Id(7)] ImmutableArray<string> Attributes = default,
    [property: Id(8)] bool FirstPurchase = false,
    [property: Id(9)] int? BirthdayWindowDays = null,
    [property: Id(10)] int InactiveDays = 0,
    [property: Id(11)] ImmutableArray<string> Stores = default,
    [property: Id(12)] ImmutableArray<string> Channels = default,
    [property: Id(13)] ImmutableArray<string> PaymentMethods = default,
    [property: Id(14)] ImmutableArray<string> Segments = default);

/// <summary>
/// A promotion: an effect on the basket, conditions, a priority and a budget. Budgets are counted
/// exactly by the campaign's budget grain (docs/flash-budget.md).
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.CampaignDefinition")]
public sealed record CampaignDefinition(
    [property: Id(0)] string CampaignId,
    [property: Id(1)] string Name,
    [property: Id(2)] CampaignKind Kind,
    [property: Id(3)] long Value,
    [property: Id(4)] long MaxDiscount,
    [property: Id(5)] long MinBasket,
    [property: Id(6)] DateTimeOffset? ValidFrom,
    [property: Id(7)] DateTimeOffset? ValidUntil,
    [property: Id(8)] int Priority,
    [property: Id(9)] long MaxRedemptions,
    [property: Id(10)] long MaxDiscountMoney,
    [property: Id(11)] CampaignTargets? Targets = null,
    [property: Id(12)] CampaignConditions? Conditions = null,
    [property: Id(13)] bool Exclusive = false,
    [property: Id(14)] int BuyQuantity = 0,
    [property: Id(15)] int GetQuantity = 0,
    [property: Id(16)] int GetPercent = 0,
    [property: Id(17)] CampaignTargets? Trigger = null,
    [property: Id(18)] ScaleBasis ScaleBasis = ScaleBasis.Quantity,
    [property: Id(19)] ImmutableArray<ScaleStep> Scale = default,
    [property: Id(20)] ImmutableArray<MeltStep> Melting = default,
    [property: Id(21)] long MaxPerMember = 0,
    [property: Id(22)] long MaxPerStore = 0,
    [property: Id(23)] CouponDefinition? Coupon = null,
    [property: Id(24)] int CouponValidDays = 30,
    [property: Id(25)] DateTimeOffset? EndedAt = null)
{
    /// <summary>Whether the budget grain counts this campaign (a global, money or per-store limit).</summary>
    public bool HasBudget => MaxRedemptions > 0 || MaxDiscountMoney > 0 || MaxPerStore > 0;
}

/// <summary>Where a campaign stands for marketing (<c>Campaigns.StateAt</c>); only <see cref="Live"/> ever applies to a sale.</summary>
public enum CampaignState
{
    /// <summary>Before <c>ValidFrom</c>.</summary>
    Scheduled = 1,

    /// <summary>In its window, not ended, and its budget can still grant.</summary>
    Live = 2,

    /// <summary>In its window, but its budget cannot grant one more redemption.</summary>
    Exhausted = 3,

    /// <summary>Ended by marketing (<c>EndedAt</c>) or past <c>ValidUntil</c>; its statistics stay.</summary>
    Ended = 4,
}

/// <summary>Where a discount on a receipt came from.</summary>
public enum DiscountSource
{
    Reward = 1,
    Tier = 2,
    Campaign = 3,
    Coupon = 4,
}

/// <summary>
/// A campaign or coupon that the quote could have given but the commit did not apply, and why: a campaign
/// whose budget ran out in between (<c>BUDGET_EXHAUSTED</c>), a coupon the discount cap left nothing for
/// (<c>COUPON_NO_DISCOUNT</c>). The sale commits without it (docs/promotions.md, "Sold out between quote and commit").
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.DroppedPromotion")]
public sealed record DroppedPromotion(
    [property: Id(0)] DiscountSource Source,
    [property: Id(1)] string SourceId,
    [property: Id(2)] ErrorReason Reason,
    [property: Id(3)] string Message);

/// <summary>Where a committed sale stands now: a retried commit says so beside the original receipt.</summary>
public enum SaleStatus
{
    Committed = 0,
    PartiallyRefunded = 1,
    Refunded = 2,
    Voided = 3,
}

/// <summary>One discount on one basket line, naming its source (reward id, tier name, campaign id, coupon code).</summary>
[GenerateSerializer, Immutable, Alias("loyalty.DiscountLine")]
public sealed record DiscountLine(
    [property: Id(0)] DiscountSource Source,
    [property: Id(1)] string SourceId,
    [property: Id(2)] int LineIndex,
    [property: Id(3)] long Amount);

/// <summary>
/// A campaign that applied to a basket: its discount (after the program cap), bonus points, earn
/// multiplier, and the stamps it counted. <c>Budgeted</c> says whether its budget grain holds a grant.
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.AppliedCampaign")]
public sealed record AppliedCampaign(
    [property: Id(0)] string CampaignId,
    [property: Id(1)] long Discount,
    [property: Id(2)] long BonusPoints = 0,
    [property: Id(3)] int MultiplierPercent = 0,
    [property: Id(4)] int StampsAdded = 0,
    [property: Id(5)] int StampsAfter = 0,
    [property: Id(6)] bool Budgeted = false,
    [property: Id(7)] bool IssuesCoupon = false,
    [property: Id(8)] string? IssuedCoupon = null)
{
    /// <summary>A redemption (counted against budgets and per-member limits): it gave money, points or a coupon.</summary>
    public bool Redeemed => Discount > 0 || BonusPoints > 0 || MultiplierPercent > 0 || IssuesCoupon;

    /// <summary>The campaign a receipt names among those applied: the first that gave money, else the first; null when none applied.</summary>
    public static string? ReceiptCampaignId(ImmutableArray<AppliedCampaign> applied) =>
        applied.FirstOrDefault(c => c.Discount > 0)?.CampaignId ?? applied.FirstOrDefault()?.CampaignId;
}

/// <summary>"Spend X more (or add N more units) to unlock Y."</summary>
[GenerateSerializer, Immutable, Alias("loyalty.PromotionHint")]
public sealed record PromotionHint(
    [property: Id(0)] string CampaignId,
    [property: Id(1)] long AmountMissing,
    [property: Id(2)] int QuantityMissing,
    [property: Id(3)] string Message);

/// <summary>A member as a quote sees it: the view (tier, balance) and the promotion facts, read together.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.MemberQuoteView")]
public sealed record MemberQuoteView(
    [property: Id(0)] MemberView View,
    [property: Id(1)] MemberFacts Facts);

/// <summary>What the promotion engine needs to know about the member (for quotes read from the member grain).</summary>
[GenerateSerializer, Immutable, Alias("loyalty.MemberFacts")]
public sealed record MemberFacts(
    [property: Id(1)] ImmutableArray<string> Attributes,
    [property: Id(2)] int Purchases,
    [property: Id(3)] DateTimeOffset? LastPurchaseAt,
    [property: Id(4)] DateOnly? BirthDate,
    [property: Id(5)] ImmutableDictionary<string, int> Stamps,
    [property: Id(6)] ImmutableDictionary<string, int> Uses,
    [property: Id(7)] DateTimeOffset EnrolledAt,
    [property: Id(8)] long LifetimeSpend = 0,
    [property: Id(9)] ImmutableDictionary<int, long>? SpendByMonth = null,
    [property: Id(10)] ImmutableDictionary<string, int>? CategoryLastMonth = null)
{
    public static MemberFacts Anonymous(DateTimeOffset now) => new([], 0, null, null, ImmutableDictionary<string, int>.Empty, ImmutableDictionary<string, int>.Empty, now);
}

/// <summary>A campaign's budget use, as counted by its budget grain.</summary>
/// <param name="Refusals">Reservations refused for want of budget since <paramref name="RefusalsSince"/> (the activation): in memory only.</param>
[GenerateSerializer, Immutable, Alias("loyalty.CampaignBudgetStatus")]
public sealed record CampaignBudgetStatus(
    [property: Id(0)] long Redemptions,
    [property: Id(1)] long DiscountGiven,
    [property: Id(2)] int PendingHolds,
    [property: Id(3)] bool Exhausted,
    [property: Id(4)] long Refusals = 0,
    [property: Id(5)] DateTimeOffset? RefusalsSince = null);

/// <summary>
/// A campaign's budget. Reentrant by design: reservations arriving together are decided in order
/// against the persisted remainder and written with ONE durable write (group commit), so a hot
/// campaign is not a one-write-per-grant bottleneck; nobody is answered before that write.
/// Key: program/campaign.
/// </summary>
[Alias("loyalty.ICampaignBudgetGrain")]
public interface ICampaignBudgetGrain : IGrainWithStringKey
{
    /// <summary>
    /// Reserves <paramref name="discount"/> for the transaction; the same transaction asking again while
    /// its hold is pending gets the same grant. BUDGET_EXHAUSTED when the budget cannot cover it.
    /// Answers true when this call counted a new grant, false when it found the transaction's pending hold:
    /// a hold already confirmed is not remembered, so a retry of a durable sale is granted anew and must give
    /// that grant back (the member does, when it answers the retry from the sale's row).
    /// </summary>
    [Alias("Reserve")]
    Task<bool> ReserveAsync(string transactionId, string memberId, long discount, string storeId = "");

    /// <summary>
    /// The member's sale is durable: the hold becomes a final redemption. One-way (no answer is sent):
    /// a lost or failed confirmation leaves the hold, which is settled later by asking the member.
    /// </summary>
    [Alias("Confirm")]
    [Orleans.Concurrency.OneWay]
    Task ConfirmAsync(string transactionId);

    /// <summary>The sale that held budget was refused or voided: give the budget back.</summary>
    [Alias("Release")]
    Task ReleaseAsync(string transactionId);

    /// <summary>
    /// Statistics for a campaign without limits: a durable sale used it. Sent after the member's write,
    /// one-way (no budget to protect, no answer sent): a crash or failed write in between under-counts
    /// by one, never over-counts.
    /// </summary>
    [Alias("Count")]
    [Orleans.Concurrency.OneWay]
    Task CountAsync(string transactionId, long discount, string storeId = "");

    /// <summary>A confirmed sale was voided: its redemption and discount go back to the budget (once per transaction).</summary>
    [Alias("Return")]
    Task ReturnAsync(string transactionId, long discount, string storeId = "");

    /// <summary>Whether a grant of <paramref name="discount"/> at this store would be made now (read only: quotes).</summary>
    [Alias("CanGrant")]
    Task<bool> CanGrantAsync(string storeId, long discount);

    [Alias("GetStatus")]
    Task<CampaignBudgetStatus> GetStatusAsync();
}
