using Loyalty.Contracts;
using Orleans;

namespace Loyalty.Domain;

/// <summary>What a reservation of a campaign's budget got: a new grant, the transaction's pending hold, or nothing.</summary>
public enum BudgetReservation
{
    Granted,
    AlreadyHeld,
    Refused,
}

/// <summary>
/// A campaign's budget and what each operation does to it (the budget grain queues the operations, decides a batch
/// with these methods in arrival order and writes it once: docs/flash-budget.md). A grant is a hold until the member's
/// sale is durable; a confirmation makes it final, a release (a sale that never completed) gives it back, a return
/// (a void) gives back a final one once; campaigns without limits only count.
/// </summary>
/// <remarks>Serialized ids and the alias are those it had in <c>Loyalty.Grains</c>: stored budgets load unchanged.</remarks>
[GenerateSerializer, Alias("loyalty.CampaignBudgetState")]
public sealed class CampaignBudgetState
{
    [Id(0)]
    public long Redemptions { get; internal set; }

    [Id(1)]
    public long DiscountGiven { get; internal set; }

    /// <summary>Grants whose sale is not yet known to be durable: transaction id → hold.</summary>
    [Id(2)]
    internal Dictionary<string, BudgetHold> HoldsById { get; set; } = [];

    public IReadOnlyDictionary<string, BudgetHold> Holds => HoldsById;

    /// <summary>Voided transactions whose budget came back (so a repeated return counts once).</summary>
    [Id(3)]
    internal HashSet<string> ReturnedIds { get; set; } = [];

    public IReadOnlySet<string> Returned => ReturnedIds;

    /// <summary>Redemptions per store (for per-store limits), counted in the same group commit.</summary>
    [Id(4)]
    internal Dictionary<string, long> RedemptionsByStore { get; set; } = [];

    public IReadOnlyDictionary<string, long> StoreRedemptions => RedemptionsByStore;

    /// <summary>Whether the budget (global, money, this store's) can grant <paramref name="discount"/> now (<see cref="Campaigns.CanGrant"/>).</summary>
    public bool CanGrant(CampaignDefinition? campaign, string storeId, long discount) =>
        campaign is not null && Campaigns.CanGrant(campaign, Redemptions, DiscountGiven, discount, RedemptionsByStore.GetValueOrDefault(storeId));

    /// <summary>Whether nothing more can be granted (GetCampaignStatus: exhausted).</summary>
    public bool IsExhausted(CampaignDefinition? campaign) => campaign is null || !Campaigns.CanGrant(campaign, Redemptions, DiscountGiven, 1);

    /// <summary>
    /// Holds a grant for the transaction when the budget can give it; the transaction that already holds one gets
    /// <see cref="BudgetReservation.AlreadyHeld"/> (a retry; the budget counted it once).
    /// </summary>
    public BudgetReservation Reserve(CampaignDefinition? campaign, string transactionId, string memberId, long discount, string storeId, DateTimeOffset now)
    {
        if (HoldsById.ContainsKey(transactionId))
        {
            return BudgetReservation.AlreadyHeld;
        }

        if (!CanGrant(campaign, storeId, discount))
        {
            return BudgetReservation.Refused;
        }

        Count(discount, storeId);
        HoldsById[transactionId] = new BudgetHold { MemberId = memberId, Discount = discount, Since = now, StoreId = storeId };
        return BudgetReservation.Granted;
    }

    /// <summary>The sale holding a grant is durable: the grant becomes final. Returns whether the state changed.</summary>
    public bool Confirm(string transactionId) => HoldsById.Remove(transactionId);

    /// <summary>A hold whose sale never completed (or was refused) goes back to the budget. Returns whether the state changed.</summary>
    public bool Release(string transactionId)
    {
        if (!HoldsById.Remove(transactionId, out var hold))
        {
            return false;
        }

        Redemptions--;
        DiscountGiven -= hold.Discount;
        Uncount(hold.StoreId);
        return true;
    }

    /// <summary>A voided sale's final grant goes back to the budget, once per transaction (never below zero). Returns whether the state changed.</summary>
    public bool Return(string transactionId, long discount, string storeId)
    {
        if (HoldsById.ContainsKey(transactionId) || !ReturnedIds.Add(transactionId))
        {
            return false;
        }

        Redemptions = Math.Max(0, Redemptions - 1);
        DiscountGiven = Math.Max(0, DiscountGiven - discount);
        Uncount(storeId);
        return true;
    }

    /// <summary>A redemption counted (a grant, or a campaign without limits that applied: statistics).</summary>
    public void Count(long discount, string storeId)
    {
        Redemptions++;
        DiscountGiven += discount;
        RedemptionsByStore[storeId] = RedemptionsByStore.GetValueOrDefault(storeId) + 1;
    }

    private void Uncount(string storeId)
    {
        if (RedemptionsByStore.TryGetValue(storeId, out var count))
        {
            RedemptionsByStore[storeId] = Math.Max(0, count - 1);
        }
    }
}

[GenerateSerializer, Immutable, Alias("loyalty.BudgetHold")]
public sealed class BudgetHold
{
    [Id(0)]
    public required string MemberId { get; init; }

    [Id(1)]
    public long Discount { get; init; }

    [Id(2)]
    public DateTimeOffset Since { get; init; }

    [Id(3)]
    public string StoreId { get; init; } = string.Empty;
}
