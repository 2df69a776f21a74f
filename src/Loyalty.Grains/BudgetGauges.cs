using System.Collections.Concurrent;
using Loyalty.Contracts;

namespace Loyalty.Grains;

/// <summary>
/// What each campaign budget active on this silo has left, for the metrics endpoint
/// (<c>loyalty.campaign.budget.remaining</c>). A campaign's budget grain lives on one silo at a time,
/// so every silo reports the campaigns it hosts and a scrape across silos never counts one twice.
/// </summary>
public static class BudgetGauges
{
    private static readonly ConcurrentDictionary<(string Program, string Campaign), Remaining> Budgets = new();

    /// <summary>Left to give: redemptions and money; null where the campaign has no such limit.</summary>
    public readonly record struct Remaining(long? Redemptions, long? Money);

    public static IEnumerable<KeyValuePair<(string Program, string Campaign), Remaining>> Snapshot => Budgets;

    internal static void Publish(string programId, string campaignId, CampaignDefinition? campaign, long redemptions, long discountGiven)
    {
        if (campaign is null)
        {
            Budgets.TryRemove((programId, campaignId), out _);
            return;
        }

        Budgets[(programId, campaignId)] = new Remaining(
            campaign.MaxRedemptions > 0 ? Math.Max(0, campaign.MaxRedemptions - redemptions) : null,
            campaign.MaxDiscountMoney > 0 ? Math.Max(0, campaign.MaxDiscountMoney - discountGiven) : null);
    }

    internal static void Forget(string programId, string campaignId) => Budgets.TryRemove((programId, campaignId), out _);
}
