using System.Globalization;
using Loyalty.Api.V1;
using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Host.Storage;

namespace Loyalty.Host.Services.Admin;

/// <summary>Proto ⇄ contract mapping of the admin API: programs, campaigns, coupons and series, ledger entries. Generated proto types stop here.</summary>
internal static class AdminMapping
{
    public static CampaignDefinition ToContract(Campaign campaign)
    {
        var definition = new CampaignDefinition(
            Requests.Id(campaign.CampaignId, "campaign_id"),
            campaign.Name,
            CampaignKind.PercentOffBasket,
            0,
            campaign.MaxDiscount,
            campaign.MinBasket,
            Requests.Time(campaign.ValidFrom, "valid_from"),
            Requests.Time(campaign.ValidUntil, "valid_until"),
            campaign.Priority,
            campaign.MaxRedemptions,
            campaign.MaxDiscountMoney,
            campaign.Targets is { } targets ? ToContract(targets) : null,
            campaign.Conditions is { } conditions ? ToContract(conditions) : null,
            campaign.Exclusive,
            MaxPerMember: campaign.MaxPerMember,
            MaxPerStore: campaign.MaxPerStore,
            Melting: [.. campaign.Melting.Select(m => new Contracts.MeltStep(m.HoursBeforeEnd, m.PercentOff))]);
        definition = campaign.EffectCase switch
        {
            Campaign.EffectOneofCase.PercentOff => definition with { Kind = CampaignKind.PercentOffBasket, Value = campaign.PercentOff },
            Campaign.EffectOneofCase.AmountOff => definition with { Kind = CampaignKind.AmountOffBasket, Value = campaign.AmountOff },
            Campaign.EffectOneofCase.ItemsPercentOff => definition with { Kind = CampaignKind.PercentOffItems, Value = campaign.ItemsPercentOff },
            Campaign.EffectOneofCase.ItemsAmountOff => definition with { Kind = CampaignKind.AmountOffItems, Value = campaign.ItemsAmountOff },
            Campaign.EffectOneofCase.BuyGet => definition with
            {
                Kind = CampaignKind.BuyGet, BuyQuantity = campaign.BuyGet.Buy, GetQuantity = campaign.BuyGet.Get, GetPercent = Free(campaign.BuyGet.GetPercentOff),
            },
            Campaign.EffectOneofCase.StampCard => definition with
            {
                Kind = CampaignKind.StampCard, BuyQuantity = campaign.StampCard.Stamps, GetQuantity = 1, GetPercent = Free(campaign.StampCard.RewardPercentOff),
            },
            Campaign.EffectOneofCase.Bundle => definition with
            {
                Kind = CampaignKind.Bundle,
                Trigger = campaign.Bundle.Buy is { } buy ? ToContract(buy) : null,
                BuyQuantity = campaign.Bundle.BuyQuantity == 0 ? 1 : campaign.Bundle.BuyQuantity,
                GetQuantity = campaign.Bundle.GetQuantity == 0 ? 1 : campaign.Bundle.GetQuantity,
                GetPercent = campaign.Bundle.GetPercentOff,
            },
            Campaign.EffectOneofCase.VolumeScale => definition with
            {
                Kind = CampaignKind.VolumeScale,
                ScaleBasis = campaign.VolumeScale.Basis switch
                {
                    Api.V1.ScaleBasis.Quantity => Contracts.ScaleBasis.Quantity,
                    Api.V1.ScaleBasis.Amount => Contracts.ScaleBasis.Amount,
                    _ => throw LoyaltyException.Invalid("volume_scale.basis", "basis must be SCALE_BASIS_QUANTITY or SCALE_BASIS_AMOUNT"),
                },
                Scale = [.. campaign.VolumeScale.Steps.Select(s => new Contracts.ScaleStep(s.Threshold, s.PercentOff))],
            },
            Campaign.EffectOneofCase.BonusPoints => definition with { Kind = CampaignKind.BonusPoints, Value = campaign.BonusPoints },
            Campaign.EffectOneofCase.PointsMultiplierPercent => definition with { Kind = CampaignKind.PointsMultiplier, Value = campaign.PointsMultiplierPercent },
            Campaign.EffectOneofCase.IssueCoupon => definition with
            {
                Kind = CampaignKind.IssueCoupon, Coupon = IssuedTerms(campaign.IssueCoupon), CouponValidDays = campaign.CouponValidDays == 0 ? 30 : campaign.CouponValidDays,
            },
            _ => throw LoyaltyException.Invalid("effect", "a campaign needs an effect (percent_off, amount_off, items_percent_off, ...)"),
        };
        Campaigns.Validate(definition);
        return definition;
    }

    /// <summary>
    /// A stored campaign as marketing reads it back: the normalised definition (the defaults
    /// <see cref="ToContract(Campaign)"/> filled in), so it is what the engine applies, and defining
    /// it again changes nothing. State, end time and statistics are the caller's to add.
    /// </summary>
    public static Campaign ToProto(CampaignDefinition definition, string programId)
    {
        var campaign = new Campaign
        {
            ProgramId = programId,
            CampaignId = definition.CampaignId,
            Name = definition.Name,
            MaxDiscount = definition.MaxDiscount,
            MinBasket = definition.MinBasket,
            ValidFrom = SharedMapping.Time(definition.ValidFrom),
            ValidUntil = SharedMapping.Time(definition.ValidUntil),
            Priority = definition.Priority,
            MaxRedemptions = definition.MaxRedemptions,
            MaxDiscountMoney = definition.MaxDiscountMoney,
            Targets = definition.Targets is { } targets ? ToProto(targets) : null,
            Conditions = definition.Conditions is { } conditions ? ToProto(conditions) : null,
            Exclusive = definition.Exclusive,
            MaxPerMember = definition.MaxPerMember,
            MaxPerStore = definition.MaxPerStore,
            Melting = { definition.Melting.IsDefault ? [] : definition.Melting.Select(m => new Api.V1.MeltStep { HoursBeforeEnd = m.HoursBeforeEnd, PercentOff = m.Percent }) },
        };
        switch (definition.Kind)
        {
            case CampaignKind.PercentOffBasket:
                campaign.PercentOff = (int)definition.Value;
                break;
            case CampaignKind.AmountOffBasket:
                campaign.AmountOff = definition.Value;
                break;
            case CampaignKind.PercentOffItems:
                campaign.ItemsPercentOff = (int)definition.Value;
                break;
            case CampaignKind.AmountOffItems:
                campaign.ItemsAmountOff = definition.Value;
                break;
            case CampaignKind.BuyGet:
                campaign.BuyGet = new BuyGet { Buy = definition.BuyQuantity, Get = definition.GetQuantity, GetPercentOff = definition.GetPercent };
                break;
            case CampaignKind.StampCard:
                campaign.StampCard = new StampCard { Stamps = definition.BuyQuantity, RewardPercentOff = definition.GetPercent };
                break;
            case CampaignKind.Bundle:
                campaign.Bundle = new Bundle
                {
                    Buy = definition.Trigger is { } trigger ? ToProto(trigger) : null,
                    BuyQuantity = definition.BuyQuantity,
                    GetQuantity = definition.GetQuantity,
                    GetPercentOff = definition.GetPercent,
                };
                break;
            case CampaignKind.VolumeScale:
                campaign.VolumeScale = new VolumeScale
                {
                    Basis = definition.ScaleBasis == Contracts.ScaleBasis.Amount ? Api.V1.ScaleBasis.Amount : Api.V1.ScaleBasis.Quantity,
                    Steps = { definition.Scale.IsDefault ? [] : definition.Scale.Select(s => new Api.V1.ScaleStep { Threshold = s.Threshold, PercentOff = s.Percent }) },
                };
                break;
            case CampaignKind.BonusPoints:
                campaign.BonusPoints = definition.Value;
                break;
            case CampaignKind.PointsMultiplier:
                campaign.PointsMultiplierPercent = (int)definition.Value;
                break;
            case CampaignKind.IssueCoupon:
                campaign.IssueCoupon = definition.Coupon is { } coupon ? ToProto(coupon) : null;
                campaign.CouponValidDays = definition.CouponValidDays;
                break;
        }

        return campaign;
    }

    public static Api.V1.CampaignState ToProto(Contracts.CampaignState state) => state switch
    {
        Contracts.CampaignState.Scheduled => Api.V1.CampaignState.Scheduled,
        Contracts.CampaignState.Live => Api.V1.CampaignState.Live,
        Contracts.CampaignState.Exhausted => Api.V1.CampaignState.Exhausted,
        Contracts.CampaignState.Ended => Api.V1.CampaignState.Ended,
        _ => Api.V1.CampaignState.Unspecified,
    };

    private static Api.V1.CampaignTargets ToProto(Contracts.CampaignTargets targets) => new()
    {
        Skus = { targets.Skus.IsDefault ? [] : targets.Skus },
        Categories = { targets.Categories.IsDefault ? [] : targets.Categories },
        ExcludedSkus = { targets.ExcludedSkus.IsDefault ? [] : targets.ExcludedSkus },
        ExcludedCategories = { targets.ExcludedCategories.IsDefault ? [] : targets.ExcludedCategories },
        ExcludeOnSale = targets.ExcludeOnSale,
    };

    private static Api.V1.CampaignConditions ToProto(Contracts.CampaignConditions c)
    {
        var conditions = new Api.V1.CampaignConditions
        {
            Date = c.OnDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? string.Empty,
            DaysOfWeek = { c.DaysOfWeek.IsDefault ? [] : c.DaysOfWeek.Select(d => d == DayOfWeek.Sunday ? Weekday.Sunday : (Weekday)(int)d) },
            HoursFrom = HoursAndMinutes(c.FromMinute),
            HoursUntil = HoursAndMinutes(c.UntilMinute),
            DaysOfMonth = { c.DaysOfMonth.IsDefault ? [] : c.DaysOfMonth },
            MembersOnly = c.MembersOnly,
            Tiers = { c.Tiers.IsDefault ? [] : c.Tiers },
            Attributes = { c.Attributes.IsDefault ? [] : c.Attributes },
            FirstPurchase = c.FirstPurchase,
            InactiveDays = c.InactiveDays,
            Stores = { c.Stores.IsDefault ? [] : c.Stores },
            Channels = { c.Channels.IsDefault ? [] : c.Channels },
            PaymentMethods = { c.PaymentMethods.IsDefault ? [] : c.PaymentMethods },
            Segments = { c.Segments.IsDefault ? [] : c.Segments },
        };
        if (c.BirthdayWindowDays is { } window)
        {
            conditions.BirthdayWindowDays = window;
        }

        return conditions;
    }

    /// <summary>Minutes after midnight → "HH:MM" (1440 → "24:00"), the inverse of <see cref="Minute"/>.</summary>
    private static string HoursAndMinutes(int? minute) =>
        minute is { } m ? string.Create(CultureInfo.InvariantCulture, $"{m / 60:00}:{m % 60:00}") : string.Empty;

    private static int Free(int percent) => percent == 0 ? 100 : percent;

    /// <summary>The terms of the coupons an issue-coupon campaign gives: personal codes, so use and member are set at issue.</summary>
    private static CouponDefinition IssuedTerms(CouponTerms terms)
    {
        try
        {
            return ToContract(terms);
        }
        catch (LoyaltyException refusal) when (refusal.Field is { } field)
        {
            throw LoyaltyException.Invalid("issue_coupon." + field[(field.IndexOf('.') + 1)..], refusal.Message);
        }
    }

    private static Contracts.CampaignTargets ToContract(Api.V1.CampaignTargets targets) => new(
        [.. targets.Skus], [.. targets.Categories], [.. targets.ExcludedSkus], [.. targets.ExcludedCategories], targets.ExcludeOnSale);

    private static Contracts.CampaignConditions ToContract(Api.V1.CampaignConditions c) => new(
        c.Date.Length == 0
            ? null
            : DateOnly.TryParseExact(c.Date, "yyyy-MM-dd", out var date) ? date : throw LoyaltyException.Invalid("conditions.date", "date must be YYYY-MM-DD"),
        [.. c.DaysOfWeek.Select((d, i) => d switch
        {
            >= Weekday.Monday and <= Weekday.Saturday => (DayOfWeek)(int)d,
            Weekday.Sunday => DayOfWeek.Sunday,
            _ => throw LoyaltyException.Invalid($"conditions.days_of_week[{i}]", "a day of the week must be WEEKDAY_MONDAY..WEEKDAY_SUNDAY"),
        })],
        Minute(c.HoursFrom, "conditions.hours_from"),
        Minute(c.HoursUntil, "conditions.hours_until"),
        [.. c.DaysOfMonth],
        c.MembersOnly,
        [.. c.Tiers],
        [.. c.Attributes],
        c.FirstPurchase,
        c.HasBirthdayWindowDays ? c.BirthdayWindowDays : null,
        c.InactiveDays,
        [.. c.Stores],
        [.. c.Channels],
        [.. c.PaymentMethods],
        [.. c.Segments]);

    /// <summary>"HH:MM" → minutes after midnight; "24:00" is the end of the day.</summary>
    private static int? Minute(string value, string field) =>
        value.Length == 0
            ? null
            : value == "24:00"
                ? 1_440
                : TimeOnly.TryParseExact(value, "HH:mm", out var time) ? (time.Hour * 60) + time.Minute : throw LoyaltyException.Invalid(field, "a time of day must be HH:MM");

    public static LedgerEntryView ToProto(LedgerEntry entry) => new()
    {
        Seq = entry.Seq,
        Type = LedgerNames.Type(entry.Type),
        Points = entry.Points,
        BucketMonth = Months.Format(entry.BucketMonth),
        TransactionId = entry.TransactionId ?? string.Empty,
        At = SharedMapping.Time(entry.At),
        Asset = LedgerNames.Asset(entry.Asset),
        Reason = entry.Reason ?? string.Empty,
        Note = entry.Note ?? string.Empty,
        Actor = entry.Actor ?? string.Empty,
    };

    public static ProgramSettings ToContract(LoyaltyProgram program) => new(
        Requests.Id(program.ProgramId, "program_id"),
        program.Name,
        program.Currency,
        program.EarnPoints,
        program.EarnPerAmount,
        program.ExpiryMonths,
        program.PointValue,
        program.MaxBurnPercent == 0 ? 100 : program.MaxBurnPercent,
        program.PendingDays,
        program.OfflineWindowDays == 0 ? ProgramSettings.DefaultOfflineWindowDays : program.OfflineWindowDays,
        program.EarnRules is { } earn ? ToContract(earn) : null,
        program.Tiers is { } tiers ? ToContract(tiers) : null,
        program.CashbackPercent,
        program.CreditExpiryDays,
        [.. program.Rewards.Select(r => new Contracts.Reward(r.RewardId, r.Sku, r.Points))],
        TimeZone: program.TimeZone.Length == 0 ? null : program.TimeZone,
        MaxDiscountPercent: program.MaxDiscountPercent,
        CrossStoreReturns: program.CrossStoreReturns,
        AdjustmentLimits: AdjustmentMapping.ToContract(program.AdjustmentLimits));

    private static Contracts.EarnRules ToContract(Api.V1.EarnRules earn) => new(
        [.. earn.CategoryMultipliers.Select(m => new Contracts.Multiplier(m.Key, m.Percent))],
        [.. earn.ProductMultipliers.Select(m => new Contracts.Multiplier(m.Key, m.Percent))],
        [.. earn.ProductBonuses.Select(b => new Contracts.ProductBonus(b.Sku, b.Points))],
        earn.EnrollmentBonus,
        earn.FirstPurchaseBonus,
        earn.BirthdayMonthBonus,
        earn.ProfileCompletedBonus);

    private static Contracts.TierRules ToContract(Api.V1.TierRules tiers) => new(
        tiers.Model switch
        {
            Api.V1.TierModel.PreviousMonth => Contracts.TierModel.PreviousMonth,
            Api.V1.TierModel.Rolling12Months => Contracts.TierModel.Rolling12Months,
            Api.V1.TierModel.Lifetime => Contracts.TierModel.Lifetime,
            _ => throw LoyaltyException.Invalid("tiers.model", "tier model must be PREVIOUS_MONTH, ROLLING_12_MONTHS or LIFETIME"),
        },
        [.. tiers.Levels.Select(l => new Contracts.TierLevel(l.Name, l.MinSpend, l.DiscountPercent, l.EarnMultiplierPercent == 0 ? 100 : l.EarnMultiplierPercent, [.. l.Perks]))],
        tiers.DiscountExcludesSaleItems);

    private static Api.V1.EarnRules ToProto(Contracts.EarnRules earn)
    {
        var proto = new Api.V1.EarnRules { EnrollmentBonus = earn.EnrollmentBonus, FirstPurchaseBonus = earn.FirstPurchaseBonus, BirthdayMonthBonus = earn.BirthdayMonthBonus, ProfileCompletedBonus = earn.ProfileCompletedBonus };
        proto.CategoryMultipliers.AddRange(earn.CategoryMultipliers.Select(m => new Api.V1.Multiplier { Key = m.Key, Percent = m.Percent }));
        proto.ProductMultipliers.AddRange(earn.ProductMultipliers.Select(m => new Api.V1.Multiplier { Key = m.Key, Percent = m.Percent }));
        proto.ProductBonuses.AddRange(earn.ProductBonuses.Select(b => new Api.V1.ProductBonus { Sku = b.Sku, Points = b.Points }));
        return proto;
    }

    private static Api.V1.TierRules ToProto(Contracts.TierRules tiers)
    {
        var proto = new Api.V1.TierRules
        {
            Model = tiers.Model switch
            {
                Contracts.TierModel.PreviousMonth => Api.V1.TierModel.PreviousMonth,
                Contracts.TierModel.Rolling12Months => Api.V1.TierModel.Rolling12Months,
                _ => Api.V1.TierModel.Lifetime,
            },
            DiscountExcludesSaleItems = tiers.DiscountExcludesSaleItems,
        };
        foreach (var level in tiers.Levels)
        {
            var l = new Api.V1.TierLevel { Name = level.Name, MinSpend = level.MinSpend, DiscountPercent = level.DiscountPercent, EarnMultiplierPercent = level.EarnMultiplierPercent };
            l.Perks.AddRange(level.Perks);
            proto.Levels.Add(l);
        }

        return proto;
    }

    public static LoyaltyProgram ToProto(ProgramSettings settings) => new()
    {
        ProgramId = settings.ProgramId,
        Name = settings.Name,
        Currency = settings.Currency,
        EarnPoints = settings.EarnPoints,
        EarnPerAmount = settings.EarnPerAmount,
        ExpiryMonths = settings.ExpiryMonths,
        PointValue = settings.PointValue,
        MaxBurnPercent = settings.MaxBurnPercent,
        PendingDays = settings.PendingDays,
        OfflineWindowDays = settings.OfflineWindowDays,
        EarnRules = settings.Earn is { } earn ? ToProto(earn) : null,
        Tiers = settings.Tiers is { } tiers ? ToProto(tiers) : null,
        CashbackPercent = settings.CashbackPercent,
        CreditExpiryDays = settings.CreditExpiryDays,
        Rewards = { settings.Rewards.IsDefault ? [] : settings.Rewards.Select(r => new Api.V1.Reward { RewardId = r.RewardId, Sku = r.Sku, Points = r.Points }) },
        TimeZone = settings.TimeZone ?? string.Empty,
        MaxDiscountPercent = settings.MaxDiscountPercent,
        CrossStoreReturns = settings.CrossStoreReturns,
        AdjustmentLimits = AdjustmentMapping.ToProto(settings.AdjustmentLimits),
    };

    public static CouponDefinition ToContract(CouponTerms? terms)
    {
        if (terms is null)
        {
            throw LoyaltyException.Invalid("terms", "coupon terms are required");
        }

        var (kind, value) = terms.EffectCase switch
        {
            CouponTerms.EffectOneofCase.AmountOff => (CouponKind.AmountOff, terms.AmountOff),
            CouponTerms.EffectOneofCase.PercentOff => (CouponKind.PercentOff, (long)terms.PercentOff),
            CouponTerms.EffectOneofCase.FreeSku => (CouponKind.FreeItem, 0L),
            CouponTerms.EffectOneofCase.BonusPoints => (CouponKind.BonusPoints, terms.BonusPoints),
            _ => throw LoyaltyException.Invalid("terms.effect", "a coupon needs amount_off, percent_off, free_sku or bonus_points"),
        };
        var use = terms.Use switch
        {
            Api.V1.CouponUse.Unspecified or Api.V1.CouponUse.SingleUse => Contracts.CouponUse.SingleUse,
            Api.V1.CouponUse.Shared => Contracts.CouponUse.Shared,
            Api.V1.CouponUse.Personal => Contracts.CouponUse.Personal,
            _ => throw LoyaltyException.Invalid("terms.use", "use must be SINGLE_USE, SHARED or PERSONAL"),
        };
        if (terms.OncePerMember && terms.PerMemberLimit > 1)
        {
            throw LoyaltyException.Invalid("terms.per_member_limit", "once_per_member contradicts a per_member_limit above 1");
        }

        var definition = new CouponDefinition(
            kind,
            value,
            terms.MinBasket,
            terms.MaxDiscount,
            Requests.Time(terms.ValidFrom, "terms.valid_from"),
            Requests.Time(terms.ValidUntil, "terms.valid_until"),
            use,
            terms.MaxRedemptions,
            terms.OncePerMember ? 1 : terms.PerMemberLimit,
            terms.MemberId.Length == 0 ? null : terms.MemberId,
            terms.FirstPurchaseOnly,
            [.. terms.StoreIds],
            [.. terms.TierNames],
            terms.Targets is null ? null : ToContract(terms.Targets),
            terms.EffectCase == CouponTerms.EffectOneofCase.FreeSku ? terms.FreeSku : null,
            [.. terms.Segments]);
        try
        {
            Coupons.ValidateDefinition(definition);
        }
        catch (LoyaltyException refusal) when (refusal.Field is { } field)
        {
            throw LoyaltyException.Invalid("terms." + field, refusal.Message);
        }

        return definition;
    }

    public static CouponSeries ToProto(CouponSeriesInfo info) => new()
    {
        ProgramId = info.ProgramId,
        SeriesId = info.SeriesId,
        Count = info.Count,
        Generated = info.Generated,
        State = info.Complete ? CouponSeriesState.Complete : CouponSeriesState.Generating,
        Redeemed = info.Redeemed,
        Terms = ToProto(info.Definition),
        CreatedAt = SharedMapping.Time(info.CreatedAt),
        CompletedAt = SharedMapping.Time(info.CompletedAt),
    };

    public static Api.V1.CouponSeriesCode ToProto(Contracts.CouponSeriesCode code) => new()
    {
        Code = code.Code,
        Redeemed = code.Redeemed,
        RedeemedAt = SharedMapping.Time(code.RedeemedAt),
        MemberId = code.MemberId ?? string.Empty,
        TransactionId = code.TransactionId ?? string.Empty,
    };

    public static CouponTerms ToProto(CouponDefinition definition)
    {
        var terms = new CouponTerms
        {
            MinBasket = definition.MinBasket,
            MaxDiscount = definition.MaxDiscount,
            ValidFrom = SharedMapping.Time(definition.ValidFrom),
            ValidUntil = SharedMapping.Time(definition.ValidUntil),
            Use = definition.Use switch
            {
                Contracts.CouponUse.Shared => Api.V1.CouponUse.Shared,
                Contracts.CouponUse.Personal => Api.V1.CouponUse.Personal,
                _ => Api.V1.CouponUse.SingleUse,
            },
            MaxRedemptions = definition.MaxRedemptions,
            PerMemberLimit = definition.PerMemberLimit,
            OncePerMember = definition.PerMemberLimit == 1,
            MemberId = definition.MemberId ?? string.Empty,
            FirstPurchaseOnly = definition.FirstPurchaseOnly,
        };
        terms.StoreIds.AddRange(definition.StoreIds.IsDefault ? [] : definition.StoreIds);
        terms.TierNames.AddRange(definition.TierNames.IsDefault ? [] : definition.TierNames);
        terms.Segments.AddRange(definition.Segments.IsDefault ? [] : definition.Segments);
        switch (definition.Kind)
        {
            case CouponKind.PercentOff:
                terms.PercentOff = (int)definition.Value;
                break;
            case CouponKind.FreeItem:
                terms.FreeSku = definition.FreeSku ?? string.Empty;
                break;
            case CouponKind.BonusPoints:
                terms.BonusPoints = definition.Value;
                break;
            default:
                terms.AmountOff = definition.Value;
                break;
        }

        if (definition.Targets is { } targets)
        {
            terms.Targets = new Api.V1.CampaignTargets { ExcludeOnSale = targets.ExcludeOnSale };
            terms.Targets.Skus.AddRange(targets.Skus.IsDefault ? [] : targets.Skus);
            terms.Targets.Categories.AddRange(targets.Categories.IsDefault ? [] : targets.Categories);
            terms.Targets.ExcludedSkus.AddRange(targets.ExcludedSkus.IsDefault ? [] : targets.ExcludedSkus);
            terms.Targets.ExcludedCategories.AddRange(targets.ExcludedCategories.IsDefault ? [] : targets.ExcludedCategories);
        }

        return terms;
    }
}
