using System.Collections.Immutable;

namespace Loyalty.Contracts;

public enum CampaignKind
{
    /// <summary>Percent off the basket (after the tier discount), rounded down, capped by MaxDiscount when set.</summary>
    PercentOffBasket = 1,

    /// <summary>A fixed amount off the basket.</summary>
    AmountOffBasket = 2,
}

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
    [property: Id(10)] long MaxDiscountMoney);

/// <summary>A campaign's budget use, as counted by its budget grain.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.CampaignBudgetStatus")]
public sealed record CampaignBudgetStatus(
    [property: Id(0)] long Redemptions,
    [property: Id(1)] long DiscountGiven,
    [property: Id(2)] int PendingHolds,
    [property: Id(3)] bool Exhausted);

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
    /// Reserves <paramref name="discount"/> for the transaction; the same transaction asking again
    /// gets the same answer. BUDGET_EXHAUSTED when the budget cannot cover it.
    /// </summary>
    [Alias("Reserve")]
    Task ReserveAsync(string transactionId, string memberId, long discount);

    /// <summary>The member's sale is durable: the hold becomes a final redemption.</summary>
    [Alias("Confirm")]
    Task ConfirmAsync(string transactionId);

    /// <summary>The sale that held budget was refused or voided: give the budget back.</summary>
    [Alias("Release")]
    Task ReleaseAsync(string transactionId);

    /// <summary>A confirmed sale was voided: its redemption and discount go back to the budget (once per transaction).</summary>
    [Alias("Return")]
    Task ReturnAsync(string transactionId, long discount);

    [Alias("GetStatus")]
    Task<CampaignBudgetStatus> GetStatusAsync();
}
