using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>Campaign rules: validation, which campaign a basket gets, its discount, and budget decisions.</summary>
public static class Campaigns
{
    public static void Validate(CampaignDefinition campaign)
    {
        if (Keys.Problem(campaign.CampaignId) is { } problem)
        {
            throw LoyaltyException.Invalid("campaign_id", $"campaign id {problem}");
        }

        switch (campaign.Kind)
        {
            case CampaignKind.PercentOffBasket when campaign.Value is <= 0 or > 100:
                throw LoyaltyException.Invalid("percent_off", "percent off must be between 1 and 100");
            case CampaignKind.AmountOffBasket when campaign.Value <= 0:
                throw LoyaltyException.Invalid("amount_off", "amount off must be positive");
            case CampaignKind.PercentOffBasket or CampaignKind.AmountOffBasket:
                break;
            default:
                throw LoyaltyException.Invalid("effect", "a campaign needs percent_off or amount_off");
        }

        if (campaign.MaxDiscount < 0 || campaign.MinBasket < 0 || campaign.MaxRedemptions < 0 || campaign.MaxDiscountMoney < 0)
        {
            throw LoyaltyException.Invalid("budget", "limits must not be negative");
        }

        if (campaign.ValidFrom is { } from && campaign.ValidUntil is { } until && until <= from)
        {
            throw LoyaltyException.Invalid("valid_until", "valid_until must be after valid_from");
        }
    }

    public static bool IsActive(CampaignDefinition campaign, DateTimeOffset now) =>
        (campaign.ValidFrom is not { } from || now >= from) && (campaign.ValidUntil is not { } until || now < until);

    public static long Discount(CampaignDefinition campaign, long basket)
    {
        if (basket < campaign.MinBasket || basket <= 0)
        {
            return 0;
        }

        var discount = campaign.Kind == CampaignKind.PercentOffBasket ? (long)((Int128)basket * campaign.Value / 100) : campaign.Value;
        if (campaign.MaxDiscount > 0)
        {
            discount = Math.Min(discount, campaign.MaxDiscount);
        }

        return Math.Clamp(discount, 0, basket);
    }

    /// <summary>
    /// The campaign a basket gets: among the active ones that give a discount, the highest priority,
    /// then the largest discount, then the smallest id — deterministic whatever the order they were defined in.
    /// </summary>
    public static CampaignDefinition? Best(
        ProgramSettings program, ImmutableArray<BasketLine> lines, TierLevel? tier, ImmutableArray<string> rewardIds, DateTimeOffset now, Func<string, bool>? exhausted = null)
    {
        if (program.Campaigns.IsDefaultOrEmpty)
        {
            return null;
        }

        var basket = Pricing.Price(lines, program, coupon: null, tier, rewardIds).Total;
        return program.Campaigns
            .Where(c => IsActive(c, now) && exhausted?.Invoke(c.CampaignId) != true)
            .Select(c => (Campaign: c, Discount: Discount(c, basket)))
            .Where(c => c.Discount > 0)
            .OrderByDescending(c => c.Campaign.Priority)
            .ThenByDescending(c => c.Discount)
            .ThenBy(c => c.Campaign.CampaignId, StringComparer.Ordinal)
            .Select(c => c.Campaign)
            .FirstOrDefault();
    }

    /// <summary>Whether the budget can cover one more redemption of <paramref name="discount"/>.</summary>
    public static bool CanGrant(CampaignDefinition campaign, long redemptions, long discountGiven, long discount) =>
        (campaign.MaxRedemptions == 0 || redemptions + 1 <= campaign.MaxRedemptions)
        && (campaign.MaxDiscountMoney == 0 || discountGiven + discount <= campaign.MaxDiscountMoney);
}
