using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// Everything the promotion engine knows about a checkout besides the basket: when (UTC), where
/// (store, channel, payment method), who (member facts; null for an anonymous quote) and which
/// campaigns the caller already knows it cannot grant (<see cref="Unavailable"/>: budget used up).
/// </summary>
public sealed record PromotionContext(
    DateTimeOffset Now,
    string? StoreId = null,
    string? Channel = null,
    string? PaymentMethod = null,
    MemberFacts? Member = null,
    ImmutableHashSet<string>? Unavailable = null);

/// <summary>The campaigns that applied, their per-line discount lines, points effects and hints.</summary>
public sealed record PromotionResult(
    ImmutableArray<AppliedCampaign> Applied,
    ImmutableArray<DiscountLine> Lines,
    long BonusPoints,
    int[] ExtraMultiplier,
    ImmutableArray<PromotionHint> Hints);

/// <summary>
/// The campaign engine (docs/promotions.md). Pure: campaigns are walked in a fixed order —
/// priority descending, then campaign id (ordinal) — so the result never depends on the order they
/// were defined in. A campaign applies when it is active, its conditions hold, its budget and
/// per-member limit allow it, the basket reaches its minimum and its effect gives something. A
/// stackable campaign applies on top of what applied before it; an exclusive campaign applies
/// only when no campaign applied before it, and then ends the walk — so an exclusive campaign
/// never combines with another. Money effects work on what is left of each line after rewards,
/// the tier discount and earlier campaigns, so a line never goes below zero. Rounding: every
/// percent rounds down (per line for item effects; once per basket for basket and scale effects,
/// then spread over the lines by largest remainder); unit effects price a unit at its share of the
/// line after the tier discount, rounded down.
/// </summary>
public static class Promotions
{
    public const int MaxHints = 3;

    public static PromotionResult Evaluate(
        ProgramSettings program, ImmutableArray<BasketLine> lines, PromotionContext context, TierLevel? tier, long[] remaining, int[] freeUnits, long subtotal)
    {
        var applied = ImmutableArray.CreateBuilder<AppliedCampaign>();
        var discountLines = ImmutableArray.CreateBuilder<DiscountLine>();
        var hints = new List<PromotionHint>();
        var extra = new int[lines.Length];
        long bonus = 0;
        if (program.Campaigns.IsDefaultOrEmpty)
        {
            return new PromotionResult([], [], 0, extra, []);
        }

        var units = lines.Select((l, i) => l.Quantity - freeUnits[i]).ToArray();
        var unitBase = (long[])remaining.Clone();
        // The minimum basket is measured on the subtotal, the lines as rung up (before rewards, tier and
        // other discounts): the same base as a coupon's minimum (docs/promotions.md, "Minimum basket").
        var basketBase = subtotal;
        var claimed = new int[lines.Length];
        var local = LocalTime(program, context.Now);
        foreach (var campaign in Ordered(program.Campaigns))
        {
            if (!Campaigns.IsActive(campaign, context.Now)
                || !ConditionsHold(campaign, context, tier, local, program)
                || context.Unavailable?.Contains(campaign.CampaignId) == true
                || (campaign.MaxPerMember > 0 && context.Member is { } member && member.Uses.GetValueOrDefault(campaign.CampaignId) >= campaign.MaxPerMember))
            {
                continue;
            }

            if (basketBase < campaign.MinBasket)
            {
                var missing = campaign.MinBasket - basketBase;
                hints.Add(new PromotionHint(campaign.CampaignId, missing, 0, $"spend {missing} more to unlock {Label(campaign)}"));
                continue;
            }

            if (campaign.Exclusive && applied.Count > 0)
            {
                continue;
            }

            var eligible = lines.Select(l => Matches(campaign.Targets, l)).ToArray();
            var effect = new Effect(lines, eligible, remaining, unitBase, units, (int[])claimed.Clone());
            var outcome = Apply(campaign, context, effect, hints);
            if (outcome.Discount.All(d => d == 0) && outcome.Bonus == 0 && outcome.Multiplier == 0 && outcome.StampsAdded == 0 && !outcome.Issues)
            {
                continue;
            }

            for (var i = 0; i < lines.Length; i++)
            {
                remaining[i] -= outcome.Discount[i];
                if (outcome.Discount[i] > 0)
                {
                    discountLines.Add(new DiscountLine(DiscountSource.Campaign, campaign.CampaignId, i, outcome.Discount[i]));
                }

                if (outcome.Multiplier > 0 && eligible[i])
                {
                    extra[i] += outcome.Multiplier - Earning.Hundred;
                }
            }

            claimed = effect.Claimed;
            bonus += outcome.Bonus;
            var entry = new AppliedCampaign(
                campaign.CampaignId, outcome.Discount.Sum(), outcome.Bonus, outcome.Multiplier, outcome.StampsAdded, outcome.StampsAfter, IssuesCoupon: outcome.Issues);
            applied.Add(entry with { Budgeted = campaign.HasBudget && entry.Redeemed });
            if (campaign.Exclusive)
            {
                break;
            }
        }

        var nearest = hints
            .OrderBy(h => h.AmountMissing == 0 ? long.MaxValue : h.AmountMissing)
            .ThenBy(h => h.QuantityMissing)
            .ThenBy(h => h.CampaignId, StringComparer.Ordinal)
            .Take(MaxHints);
        return new PromotionResult(applied.ToImmutable(), discountLines.ToImmutable(), bonus, extra, [.. nearest]);
    }

    /// <summary>
    /// What the member can get now (Identify's offers), in walk order: active campaigns whose
    /// conditions hold for this member at this time and whose per-member limit is not used up.
    /// Conditions on what the context does not know (store, channel, payment method) are left to Quote.
    /// </summary>
    public static ImmutableArray<MemberOffer> Offers(ProgramSettings program, PromotionContext context, TierLevel? tier)
    {
        if (program.Campaigns.IsDefaultOrEmpty || context.Member is not { } member)
        {
            return [];
        }

        var local = LocalTime(program, context.Now);
        var offers = ImmutableArray.CreateBuilder<MemberOffer>();
        foreach (var campaign in Ordered(program.Campaigns))
        {
            var uses = member.Uses.GetValueOrDefault(campaign.CampaignId);
            if (!Campaigns.IsActive(campaign, context.Now)
                || (campaign.MaxPerMember > 0 && uses >= campaign.MaxPerMember)
                || !ConditionsHold(WithoutUnknowns(campaign, context), context, tier, local, program))
            {
                continue;
            }

            var c = campaign.Conditions;
            var personal = campaign.Kind == CampaignKind.StampCard || (c is not null && (c.MembersOnly || !c.Tiers.IsDefaultOrEmpty
                || !c.Attributes.IsDefaultOrEmpty || c.FirstPurchase || c.BirthdayWindowDays is not null || c.InactiveDays > 0 || !c.Segments.IsDefaultOrEmpty));
            var perCard = campaign.Kind == CampaignKind.StampCard ? campaign.BuyQuantity : 0;
            var onCard = perCard > 0 ? member.Stamps.GetValueOrDefault(campaign.CampaignId) % (perCard + 1) : 0;
            offers.Add(new MemberOffer(
                campaign.CampaignId, Label(campaign), campaign.Kind, campaign.MinBasket, campaign.ValidUntil, personal, onCard, perCard,
                campaign.MaxPerMember > 0 ? campaign.MaxPerMember - uses : null));
        }

        return offers.ToImmutable();
    }

    private static CampaignDefinition WithoutUnknowns(CampaignDefinition campaign, PromotionContext context) =>
        campaign.Conditions is not { } c || (context.StoreId is not null && context.Channel is not null && context.PaymentMethod is not null)
            ? campaign
            : campaign with
            {
                Conditions = c with
                {
                    Stores = context.StoreId is null ? default : c.Stores,
                    Channels = context.Channel is null ? default : c.Channels,
                    PaymentMethods = context.PaymentMethod is null ? default : c.PaymentMethods,
                },
            };

    /// <summary>The walk order: priority descending, then id (ordinal). Ids are unique in a program.</summary>
    public static IEnumerable<CampaignDefinition> Ordered(IEnumerable<CampaignDefinition> campaigns) =>
        campaigns.OrderByDescending(c => c.Priority).ThenBy(c => c.CampaignId, StringComparer.Ordinal);

    /// <summary>The program's local time (IANA time zone; UTC when unset).</summary>
    public static DateTimeOffset LocalTime(ProgramSettings program, DateTimeOffset now) =>
        string.IsNullOrEmpty(program.TimeZone) ? now.ToUniversalTime() : TimeZoneInfo.ConvertTime(now, TimeZoneInfo.FindSystemTimeZoneById(program.TimeZone));

    public static bool Matches(CampaignTargets? targets, BasketLine line)
    {
        if (targets is null)
        {
            return true;
        }

        var included = !targets.HasIncludes
            || (!targets.Skus.IsDefaultOrEmpty && targets.Skus.Contains(line.Sku))
            || (!targets.Categories.IsDefaultOrEmpty && targets.Categories.Contains(line.Category));
        return included
            && (targets.ExcludedSkus.IsDefaultOrEmpty || !targets.ExcludedSkus.Contains(line.Sku))
            && (targets.ExcludedCategories.IsDefaultOrEmpty || !targets.ExcludedCategories.Contains(line.Category))
            && !(targets.ExcludeOnSale && line.OnSale);
    }

    public static bool ConditionsHold(CampaignDefinition campaign, PromotionContext context, TierLevel? tier, DateTimeOffset local, ProgramSettings? program = null)
    {
        var member = context.Member;
        if (member is null && Campaigns.NeedsMember(campaign))
        {
            return false; // stamps, points and issued coupons belong to a member; members-only is for members
        }

        if (campaign.Conditions is not { } c)
        {
            return true;
        }

        var today = DateOnly.FromDateTime(local.DateTime);
        var minute = (local.Hour * 60) + local.Minute;
        return (c.OnDate is not { } day || day == today)
            && (c.DaysOfWeek.IsDefaultOrEmpty || c.DaysOfWeek.Contains(local.DayOfWeek))
            && InHours(c.FromMinute, c.UntilMinute, minute)
            && (c.DaysOfMonth.IsDefaultOrEmpty || c.DaysOfMonth.Contains(local.Day))
            && (!c.MembersOnly || member is not null)
            && (c.Tiers.IsDefaultOrEmpty || (tier is not null && c.Tiers.Contains(tier.Name, StringComparer.OrdinalIgnoreCase)))
            && (c.Attributes.IsDefaultOrEmpty || (member is not null && !member.Attributes.IsDefault
                && member.Attributes.Any(a => c.Attributes.Contains(a, StringComparer.OrdinalIgnoreCase))))
            && (!c.FirstPurchase || member is { Purchases: 0 })
            && (c.BirthdayWindowDays is not { } window || (member?.BirthDate is { } birth && DaysFromBirthday(birth, today) <= window))
            && (c.InactiveDays <= 0 || (member is not null && context.Now - (member.LastPurchaseAt ?? member.EnrolledAt) >= TimeSpan.FromDays(c.InactiveDays)))
            && In(c.Stores, context.StoreId)
            && In(c.Channels, context.Channel)
            && In(c.PaymentMethods, context.PaymentMethod)
            && (c.Segments.IsDefaultOrEmpty || Segments.InAny(program, c.Segments, member, tier, context.Now));
    }

    /// <summary>Days between <paramref name="today"/> and the nearest anniversary of the birth date (29 Feb → 28 Feb in common years).</summary>
    public static int DaysFromBirthday(DateOnly birth, DateOnly today)
    {
        var best = int.MaxValue;
        for (var year = today.Year - 1; year <= today.Year + 1; year++)
        {
            var day = Math.Min(birth.Day, DateTime.DaysInMonth(year, birth.Month));
            best = Math.Min(best, Math.Abs(new DateOnly(year, birth.Month, day).DayNumber - today.DayNumber));
        }

        return best;
    }

    /// <summary>The percent in force: the base value, or the melting step whose window the deadline is in (the nearest deadline wins).</summary>
    public static long MeltedPercent(CampaignDefinition campaign, DateTimeOffset now)
    {
        if (campaign.Melting.IsDefaultOrEmpty || campaign.ValidUntil is not { } until)
        {
            return campaign.Value;
        }

        var left = until - now;
        return campaign.Melting
            .Where(s => left <= TimeSpan.FromHours(s.HoursBeforeEnd))
            .OrderBy(s => s.HoursBeforeEnd)
            .Select(s => (long)s.Percent)
            .DefaultIfEmpty(campaign.Value)
            .First();
    }

    private static bool InHours(int? from, int? until, int minute)
    {
        if (from is not { } f || until is not { } u)
        {
            return true;
        }

        return f < u ? minute >= f && minute < u : minute >= f || minute < u; // overnight windows wrap
    }

    private static bool In(ImmutableArray<string> allowed, string? value) =>
        allowed.IsDefaultOrEmpty || (value is not null && allowed.Contains(value, StringComparer.OrdinalIgnoreCase));

    /// <summary>
    /// What a walk-in customer's basket would get by identifying as (or becoming) a member: the campaigns live now, at
    /// this store, channel and payment, that only a member gets (<see cref="Campaigns.NeedsMember"/>). A guest quote
    /// says so, so the till can ask for the card.
    /// </summary>
    public static ImmutableArray<PromotionHint> MembersOnly(ProgramSettings program, PromotionContext context)
    {
        if (program.Campaigns.IsDefaultOrEmpty)
        {
            return [];
        }

        var hints = ImmutableArray.CreateBuilder<PromotionHint>();
        var local = LocalTime(program, context.Now);
        foreach (var campaign in Ordered(program.Campaigns))
        {
            if (Campaigns.IsActive(campaign, context.Now) && Campaigns.NeedsMember(campaign)
                && ConditionsHold(WithoutUnknowns(campaign, context), context with { Member = MemberFacts.Anonymous(context.Now) }, null, local, program))
            {
                hints.Add(new PromotionHint(campaign.CampaignId, 0, 0, $"members only: {Label(campaign)}; identify or enroll the customer to get it"));
            }
        }

        return hints.ToImmutable();
    }

    private static string Label(CampaignDefinition campaign) => campaign.Name.Length > 0 ? campaign.Name : campaign.CampaignId;

    private sealed record Outcome(long[] Discount, long Bonus = 0, int Multiplier = 0, int StampsAdded = 0, int StampsAfter = 0, bool Issues = false);

    /// <summary>The basket as a campaign sees it: what is left of each line, and units not yet taken by a unit effect.</summary>
    private sealed class Effect(ImmutableArray<BasketLine> lines, bool[] eligible, long[] remaining, long[] unitBase, int[] units, int[] claimed)
    {
        public ImmutableArray<BasketLine> Lines => lines;

        public bool[] Eligible => eligible;

        public long[] Remaining => remaining;

        public int[] Claimed => claimed;

        public int Free(int i) => units[i] - claimed[i];

        public int EligibleUnits => Enumerable.Range(0, lines.Length).Where(i => eligible[i]).Sum(Free);

        public long EligibleRemaining => Enumerable.Range(0, lines.Length).Where(i => eligible[i]).Sum(i => remaining[i]);

        /// <summary>
        /// Takes the <paramref name="count"/> cheapest unclaimed units of the lines in <paramref name="pool"/>
        /// at <paramref name="percent"/> off: a unit is priced at its share of the line after the tier
        /// discount; rounded down per line.
        /// </summary>
        public long[] Cheapest(bool[] pool, long count, long percent)
        {
            var discount = new long[lines.Length];
            foreach (var i in Enumerable.Range(0, lines.Length).Where(i => pool[i] && Free(i) > 0).OrderBy(i => lines[i].UnitPrice).ThenBy(i => i))
            {
                if (count <= 0)
                {
                    break;
                }

                var take = (int)Math.Min(count, Free(i));
                claimed[i] += take;
                count -= take;
                discount[i] = Math.Min(remaining[i], (long)((Int128)unitBase[i] * take * percent / ((Int128)100 * units[i])));
            }

            return discount;
        }

        /// <summary>A basket-level amount spread over the eligible lines in proportion to what is left of them (largest remainder).</summary>
        public long[] Spread(long amount)
        {
            var basis = Enumerable.Range(0, lines.Length).Select(i => eligible[i] ? remaining[i] : 0).ToArray();
            var paid = Earning.Allocate(basis, Math.Min(amount, basis.Sum()));
            return basis.Select((b, i) => b - paid[i]).ToArray();
        }
    }

    private static Outcome Apply(CampaignDefinition campaign, PromotionContext context, Effect basket, List<PromotionHint> hints)
    {
        var n = basket.Lines.Length;
        var none = new long[n];
        long[] discount;
        switch (campaign.Kind)
        {
            case CampaignKind.PercentOffBasket:
                discount = basket.Spread((long)((Int128)basket.EligibleRemaining * MeltedPercent(campaign, context.Now) / 100));
                break;
            case CampaignKind.AmountOffBasket:
                discount = basket.Spread(campaign.Value);
                break;
            case CampaignKind.PercentOffItems:
            {
                var percent = MeltedPercent(campaign, context.Now);
                discount = Enumerable.Range(0, n).Select(i => basket.Eligible[i] ? (long)((Int128)basket.Remaining[i] * percent / 100) : 0).ToArray();
                break;
            }

            case CampaignKind.AmountOffItems:
                discount = Enumerable.Range(0, n)
                    .Select(i => basket.Eligible[i] ? (long)Int128.Min((Int128)campaign.Value * basket.Free(i), basket.Remaining[i]) : 0)
                    .ToArray();
                break;
            case CampaignKind.BuyGet:
            {
                var group = campaign.BuyQuantity + campaign.GetQuantity;
                var eligibleUnits = basket.EligibleUnits;
                var rest = eligibleUnits % group;
                if (rest >= campaign.BuyQuantity)
                {
                    var missing = group - rest;
                    hints.Add(new PromotionHint(campaign.CampaignId, 0, missing, $"add {missing} more to get {campaign.GetQuantity} with {Label(campaign)}"));
                }

                discount = basket.Cheapest(basket.Eligible, (long)(eligibleUnits / group) * campaign.GetQuantity, campaign.GetPercent);
                break;
            }

            case CampaignKind.StampCard:
            {
                var before = context.Member!.Stamps.GetValueOrDefault(campaign.CampaignId);
                var bought = basket.EligibleUnits;
                var cycle = (long)campaign.BuyQuantity + 1;
                var free = ((before + (long)bought) / cycle) - (before / cycle);
                var after = (int)Math.Min(int.MaxValue, (long)before + bought);
                if (free == 0 && bought > 0)
                {
                    var missing = (int)(cycle - (after % cycle));
                    hints.Add(new PromotionHint(campaign.CampaignId, 0, missing, $"{missing} more for a free one with {Label(campaign)}"));
                }

                discount = basket.Cheapest(basket.Eligible, free, campaign.GetPercent);
                return Capped(campaign, new Outcome(discount, StampsAdded: bought, StampsAfter: after));
            }

            case CampaignKind.Bundle:
            {
                var trigger = basket.Lines.Select((l, i) => Matches(campaign.Trigger, l) && !basket.Eligible[i]).ToArray();
                var bought = Enumerable.Range(0, n).Where(i => trigger[i]).Sum(basket.Free);
                if (bought < campaign.BuyQuantity && basket.EligibleUnits > 0)
                {
                    var missing = campaign.BuyQuantity - bought;
                    hints.Add(new PromotionHint(campaign.CampaignId, 0, missing, $"add {missing} more to unlock {Label(campaign)}"));
                }

                discount = basket.Cheapest(basket.Eligible, (long)(bought / campaign.BuyQuantity) * campaign.GetQuantity, campaign.GetPercent);
                break;
            }

            case CampaignKind.VolumeScale:
            {
                var measure = campaign.ScaleBasis == ScaleBasis.Amount ? basket.EligibleRemaining : basket.EligibleUnits;
                var steps = campaign.Scale.OrderBy(s => s.Threshold).ToList();
                var reached = steps.LastOrDefault(s => s.Threshold <= measure);
                var next = steps.FirstOrDefault(s => s.Threshold > measure);
                if (next is not null && measure > 0)
                {
                    var missing = next.Threshold - measure;
                    hints.Add(campaign.ScaleBasis == ScaleBasis.Amount
                        ? new PromotionHint(campaign.CampaignId, missing, 0, $"spend {missing} more for {next.Percent}% with {Label(campaign)}")
                        : new PromotionHint(campaign.CampaignId, 0, (int)missing, $"add {missing} more for {next.Percent}% with {Label(campaign)}"));
                }

                discount = reached is null ? none : basket.Spread((long)((Int128)basket.EligibleRemaining * reached.Percent / 100));
                break;
            }

            case CampaignKind.BonusPoints:
                return new Outcome(none, Bonus: basket.Eligible.Any(e => e) ? campaign.Value : 0);
            case CampaignKind.PointsMultiplier:
                return new Outcome(none, Multiplier: basket.Eligible.Any(e => e) ? (int)campaign.Value : 0);
            case CampaignKind.IssueCoupon:
                return new Outcome(none, Issues: basket.Eligible.Any(e => e));
            default:
                return new Outcome(none);
        }

        return Capped(campaign, new Outcome(discount));
    }

    /// <summary>A campaign's MaxDiscount caps its money per basket; the excess is taken off the last lines first.</summary>
    private static Outcome Capped(CampaignDefinition campaign, Outcome outcome)
    {
        if (campaign.MaxDiscount > 0)
        {
            Trim(outcome.Discount, outcome.Discount.Sum() - campaign.MaxDiscount);
        }

        return outcome;
    }

    /// <summary>Reduces per-line amounts by <paramref name="excess"/>, from the last line backwards; returns what was taken.</summary>
    public static long Trim(long[] amounts, long excess)
    {
        long taken = 0;
        for (var i = amounts.Length - 1; i >= 0 && excess > taken; i--)
        {
            var cut = Math.Min(amounts[i], excess - taken);
            amounts[i] -= cut;
            taken += cut;
        }

        return taken;
    }
}
