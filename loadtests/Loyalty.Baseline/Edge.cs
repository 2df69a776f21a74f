using System.Collections.Immutable;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using Loyalty.Api.V1;
using Loyalty.Contracts;
using Loyalty.Domain;
using Line = Loyalty.Contracts.BasketLine;

namespace Loyalty.Baseline;

/// <summary>Request validation and proto mapping at the edge, with the same field names and reasons as the engine.</summary>
internal static class Edge
{
    public const int MaxNameLength = 200;
    public const int MaxCouponsPerCall = 10_000;

    public static string Id(string value, string field) =>
        Keys.Problem(value) is { } problem ? throw LoyaltyException.Invalid(field, $"{field} {problem}") : value;

    public static string? OptionalId(string value, string field) => value.Length == 0 ? null : Id(value, field);

    public static string? CouponCode(string value, string field = "coupon_code") =>
        value.Length == 0
            ? null
            : CouponCodes.Normalize(value) ?? throw new LoyaltyException(ErrorReason.CouponCodeMalformed, "not a valid coupon code (check for a typo)", field);

    public static ImmutableArray<Line> Lines(RepeatedField<Api.V1.BasketLine> lines)
    {
        var result = lines.Select(l => new Line(l.Sku, l.Category, l.Quantity, l.UnitPrice, l.OnSale)).ToImmutableArray();
        Pricing.Validate(result);
        return result;
    }

    public static void EnsureCurrency(string requested, ProgramSettings program)
    {
        if (requested.Length != 0 && requested != program.Currency)
        {
            throw new LoyaltyException(ErrorReason.CurrencyMismatch, $"the program's currency is {program.Currency}", "currency");
        }
    }

    public static Timestamp? Time(DateTimeOffset? value) => value is { } v ? Timestamp.FromDateTimeOffset(v) : null;

    public static Balance Balance(IReadOnlyDictionary<int, long> buckets, ProgramSettings program, DateTimeOffset now)
    {
        var view = PointBuckets.View(buckets, program.ExpiryMonths, now);
        var balance = new Balance { Available = view.Available, ExpiringThisMonth = view.ExpiringThisMonth };
        balance.Buckets.AddRange(view.Buckets.Select(b => new PointsBucket { Month = Months.Format(b.Month), Points = b.Points, ExpiresAt = Time(b.ExpiresAt) }));
        return balance;
    }

    public static ProgramSettings ToSettings(LoyaltyProgram p) =>
        new(Id(p.ProgramId, "program_id"), p.Name, p.Currency, p.EarnPoints, p.EarnPerAmount, p.ExpiryMonths);

    public static LoyaltyProgram ToProto(ProgramSettings s) => new()
    {
        ProgramId = s.ProgramId,
        Name = s.Name,
        Currency = s.Currency,
        EarnPoints = s.EarnPoints,
        EarnPerAmount = s.EarnPerAmount,
        ExpiryMonths = s.ExpiryMonths,
    };

    public static CouponDefinition ToDefinition(CouponTerms? terms)
    {
        if (terms is null)
        {
            throw LoyaltyException.Invalid("terms", "coupon terms are required");
        }

        var (kind, value) = terms.EffectCase switch
        {
            CouponTerms.EffectOneofCase.AmountOff => (CouponKind.AmountOff, terms.AmountOff),
            CouponTerms.EffectOneofCase.PercentOff => (CouponKind.PercentOff, (long)terms.PercentOff),
            _ => throw LoyaltyException.Invalid("terms.effect", "a coupon needs amount_off or percent_off"),
        };
        var definition = new CouponDefinition(kind, value, terms.MinBasket, terms.MaxDiscount, terms.ValidFrom?.ToDateTimeOffset(), terms.ValidUntil?.ToDateTimeOffset());
        Coupons.ValidateDefinition(definition);
        return definition;
    }

    public static CampaignDefinition ToDefinition(Api.V1.Campaign c)
    {
        var (kind, value) = c.EffectCase switch
        {
            Api.V1.Campaign.EffectOneofCase.PercentOff => (CampaignKind.PercentOffBasket, (long)c.PercentOff),
            Api.V1.Campaign.EffectOneofCase.AmountOff => (CampaignKind.AmountOffBasket, c.AmountOff),
            _ => throw LoyaltyException.Invalid("effect", "a campaign needs percent_off or amount_off"),
        };
        var definition = new CampaignDefinition(
            Id(c.CampaignId, "campaign_id"), c.Name, kind, value, c.MaxDiscount, c.MinBasket,
            c.ValidFrom?.ToDateTimeOffset(), c.ValidUntil?.ToDateTimeOffset(), c.Priority, c.MaxRedemptions, c.MaxDiscountMoney);
        Campaigns.Validate(definition);
        return definition;
    }

    public static CouponTerms ToTerms(CouponDefinition d)
    {
        var terms = new CouponTerms { MinBasket = d.MinBasket, MaxDiscount = d.MaxDiscount, ValidFrom = Time(d.ValidFrom), ValidUntil = Time(d.ValidUntil) };
        if (d.Kind == CouponKind.PercentOff)
        {
            terms.PercentOff = (int)d.Value;
        }
        else
        {
            terms.AmountOff = d.Value;
        }

        return terms;
    }
}
