using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Loyalty.Api.V1;
using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Host.Storage;

namespace Loyalty.Host.Services;

/// <summary>Contract → proto mapping both services answer with: a member (balance, tier, coupons, offers) and times.</summary>
internal static class SharedMapping
{
    public static Timestamp? Time(DateTimeOffset? value) => value is { } v ? Timestamp.FromDateTimeOffset(v) : null;

    public static Balance ToProto(BalanceView view)
    {
        var balance = new Balance { Available = view.Available, ExpiringThisMonth = view.ExpiringThisMonth, Pending = view.Pending, Credit = view.Credit };
        balance.Buckets.AddRange(view.Buckets.Select(b => new PointsBucket
        {
            Month = Months.Format(b.Month),
            Points = b.Points,
            ExpiresAt = Time(b.ExpiresAt),
        }));
        return balance;
    }

    public static MemberResponse ToProto(string programId, MemberView view)
    {
        var response = new MemberResponse
        {
            ProgramId = programId,
            MemberId = view.MemberId,
            Name = view.Name ?? string.Empty,
            Balance = ToProto(view.Balance),
            EnrolledAt = Time(view.EnrolledAt),
            Tier = view.Tier is { } tier ? ToProto(tier) : null,
            MarketingConsent = view.MarketingConsent,
            ProfileComplete = view.ProfileComplete,
            BirthDate = view.BirthDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? string.Empty,
        };
        response.CardNumbers.AddRange(view.Cards);
        response.Attributes.AddRange(view.Attributes.IsDefault ? [] : view.Attributes);
        response.Coupons.AddRange(view.Coupons.IsDefault ? [] : view.Coupons.Select(c => new PersonalCoupon
        {
            Code = c.Code,
            Occasion = PostgresAutomationStore.KindName(c.Kind),
            AmountOff = c.Definition.Kind == CouponKind.AmountOff ? c.Definition.Value : 0,
            PercentOff = c.Definition.Kind == CouponKind.PercentOff ? (int)c.Definition.Value : 0,
            MinBasket = c.Definition.MinBasket,
            ValidUntil = c.Definition.ValidUntil is { } until ? Time(until) : null,
        }));
        response.Offers.AddRange(view.Offers.IsDefault ? [] : view.Offers.Select(ToProto));
        return response;
    }

    public static Offer ToProto(MemberOffer offer)
    {
        var proto = new Offer
        {
            CampaignId = offer.CampaignId,
            Name = offer.Name,
            Kind = System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(offer.Kind.ToString()),
            MinBasket = offer.MinBasket,
            ValidUntil = Time(offer.ValidUntil),
            Personal = offer.Personal,
            StampsOnCard = offer.StampsOnCard,
            StampsPerCard = offer.StampsPerCard,
        };
        if (offer.UsesLeft is { } left)
        {
            proto.UsesLeft = left;
        }

        return proto;
    }

    public static Api.V1.TierStatus ToProto(Contracts.TierStatus status)
    {
        var tier = new Api.V1.TierStatus
        {
            Name = status.Level.Name,
            DiscountPercent = status.Level.DiscountPercent,
            EarnMultiplierPercent = status.Level.EarnMultiplierPercent,
            SpendInWindow = status.SpendInWindow,
            NextTier = status.Next?.Name ?? string.Empty,
            AmountToNextTier = status.AmountToNext,
        };
        tier.Perks.AddRange(status.Level.Perks);
        return tier;
    }
}
