using Loyalty.Contracts;

namespace Loyalty.Domain;

public static class Programs
{
    public const int MaxExpiryMonths = 120;

    public static void Validate(ProgramSettings settings)
    {
        if (Keys.Problem(settings.ProgramId) is { } idProblem)
        {
            throw LoyaltyException.Invalid("program_id", $"program id {idProblem}");
        }

        if (settings.Name.Length > 200)
        {
            throw LoyaltyException.Invalid("name", "name must be at most 200 characters");
        }

        if (settings.Currency.Length != 3 || !settings.Currency.All(char.IsAsciiLetterUpper))
        {
            throw LoyaltyException.Invalid("currency", "currency must be an ISO 4217 code such as EUR");
        }

        if (settings.EarnPoints < 0)
        {
            throw LoyaltyException.Invalid("earn_points", "earn points must not be negative");
        }

        if (settings.EarnPerAmount <= 0)
        {
            throw LoyaltyException.Invalid("earn_per_amount", "earn per amount must be positive");
        }

        if (settings.PointValue < 0)
        {
            throw LoyaltyException.Invalid("point_value", "point value must not be negative");
        }

        if (settings.MaxBurnPercent is < 1 or > 100)
        {
            throw LoyaltyException.Invalid("max_burn_percent", "max burn percent must be between 1 and 100");
        }

        if (settings.CashbackPercent is < 0 or > 100)
        {
            throw LoyaltyException.Invalid("cashback_percent", "cashback percent must be between 0 and 100");
        }

        if (settings.CreditExpiryDays is < 0 or > 3_650)
        {
            throw LoyaltyException.Invalid("credit_expiry_days", "credit expiry must be between 0 (never) and 3650 days");
        }

        if (settings.AdjustmentLimits is { } adjustmentLimits)
        {
            Adjustments.ValidateLimits(adjustmentLimits);
        }

        Automations.Validate(settings.Automations);
        Segments.Validate(settings.Segments);

        if (settings.PendingDays is < 0 or > 365)
        {
            throw LoyaltyException.Invalid("pending_days", "pending days must be between 0 and 365");
        }

        if (settings.OfflineWindowDays is < 1 or > 90)
        {
            throw LoyaltyException.Invalid("offline_window_days", "offline window must be between 1 and 90 days");
        }

        if (!settings.Rewards.IsDefault)
        {
            for (var i = 0; i < settings.Rewards.Length; i++)
            {
                var reward = settings.Rewards[i];
                if (Keys.Problem(reward.RewardId) is not null || string.IsNullOrWhiteSpace(reward.Sku) || reward.Points <= 0)
                {
                    throw LoyaltyException.Invalid($"rewards[{i}]", "a reward needs an id, a sku and a positive points price");
                }
            }

            if (settings.Rewards.Select(r => r.RewardId).Distinct().Count() != settings.Rewards.Length)
            {
                throw LoyaltyException.Invalid("rewards", "reward ids must be unique");
            }
        }

        if (settings.MaxDiscountPercent is < 0 or > 100)
        {
            throw LoyaltyException.Invalid("max_discount_percent", "max discount percent must be between 0 (no cap) and 100");
        }

        if (settings.TimeZone is { Length: > 0 } zone && !IsTimeZone(zone))
        {
            throw LoyaltyException.Invalid("time_zone", "time zone must be an IANA id such as Europe/Prague");
        }

        if (settings.Tiers is { } tiers)
        {
            Tiers.Validate(tiers);
        }

        if (settings.Earn is { } earn)
        {
            ValidateEarn(earn);
        }

        if (settings.ExpiryMonths is < 0 or > MaxExpiryMonths)
        {
            throw LoyaltyException.Invalid("expiry_months", $"expiry months must be between 0 (never) and {MaxExpiryMonths}");
        }
    }

    private static bool IsTimeZone(string id)
    {
        try
        {
            return id.Length <= 64 && TimeZoneInfo.FindSystemTimeZoneById(id) is not null;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }

    private static void ValidateEarn(EarnRules earn)
    {
        foreach (var (multipliers, field) in new[] { (earn.CategoryMultipliers, "earn_rules.category_multipliers"), (earn.ProductMultipliers, "earn_rules.product_multipliers") })
        {
            for (var i = 0; i < multipliers.Length; i++)
            {
                if (string.IsNullOrWhiteSpace(multipliers[i].Key) || multipliers[i].Key.Length > Keys.MaxIdLength)
                {
                    throw LoyaltyException.Invalid($"{field}[{i}].key", "a multiplier needs a category or sku");
                }

                if (multipliers[i].Percent is < 0 or > 1_000)
                {
                    throw LoyaltyException.Invalid($"{field}[{i}].percent", "a multiplier must be between 0 and 1000 percent");
                }
            }
        }

        for (var i = 0; i < earn.ProductBonuses.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(earn.ProductBonuses[i].Sku) || earn.ProductBonuses[i].Points is < 0 or > 10_000_000)
            {
                throw LoyaltyException.Invalid($"earn_rules.product_bonuses[{i}]", "a product bonus needs a sku and 0..10,000,000 points");
            }
        }

        if (earn.EnrollmentBonus < 0 || earn.FirstPurchaseBonus < 0 || earn.BirthdayMonthBonus < 0)
        {
            throw LoyaltyException.Invalid("earn_rules", "bonuses must not be negative");
        }
    }

    /// <summary>
    /// The program with <paramref name="campaign"/> defined (created, or replacing the one with its id), after the
    /// campaign's own checks and its segments'. An ended campaign is not redefined (CAMPAIGN_ENDED): a new run takes a
    /// new id, with fresh statistics.
    /// </summary>
    public static (ProgramSettings Program, CampaignDefinition Campaign) DefineCampaign(ProgramSettings settings, CampaignDefinition campaign)
    {
        Campaigns.Validate(campaign);
        Segments.EnsureDefined(settings, campaign);
        var campaigns = settings.Campaigns.IsDefault ? [] : settings.Campaigns;
        if (campaigns.Any(c => c.CampaignId == campaign.CampaignId && c.EndedAt is not null))
        {
            throw new LoyaltyException(ErrorReason.CampaignEnded, "the campaign was ended; run it again under a new campaign id");
        }

        campaign = campaign with { EndedAt = null };
        return (settings with { Campaigns = [.. campaigns.Where(c => c.CampaignId != campaign.CampaignId), campaign] }, campaign);
    }

    /// <summary>
    /// The program with the campaign ended now (CAMPAIGN_NOT_FOUND when unknown); an ended campaign keeps its first end
    /// time, and then the program is unchanged (null).
    /// </summary>
    public static (ProgramSettings? Program, CampaignDefinition Campaign) EndCampaign(ProgramSettings settings, string campaignId, DateTimeOffset now)
    {
        var campaigns = settings.Campaigns.IsDefault ? [] : settings.Campaigns;
        var current = campaigns.FirstOrDefault(c => c.CampaignId == campaignId)
            ?? throw new LoyaltyException(ErrorReason.CampaignNotFound, "no such campaign");
        if (current.EndedAt is not null)
        {
            return (null, current);
        }

        var ended = current with { EndedAt = now };
        return (settings with { Campaigns = campaigns.Replace(current, ended) }, ended);
    }

    /// <summary>
    /// A program (re)defined under <paramref name="programId"/>: validated, its id the key's, and the campaigns it
    /// already has kept (campaigns are defined one by one, <see cref="DefineCampaign"/>).
    /// </summary>
    public static ProgramSettings Redefine(ProgramSettings? current, ProgramSettings settings, string programId)
    {
        Validate(settings);
        if (settings.ProgramId != programId)
        {
            throw LoyaltyException.Invalid("program_id", "program id does not match the grain key");
        }

        return settings with { Campaigns = current?.Campaigns ?? [] };
    }
}
