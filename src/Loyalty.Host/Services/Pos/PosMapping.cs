using Loyalty.Api.V1;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Host.Services.Pos;

/// <summary>Contract → proto mapping of the till's answers: Identify, Commit, Void and Refund, with their discount lines, campaigns and hints.</summary>
internal static class PosMapping
{
    /// <summary>
    /// A member as the caller may see it: an operator (customer service) whole; a till or a marketer never learns what
    /// proves identity elsewhere (<see cref="ToIdentifyProto"/>), whatever the call.
    /// </summary>
    public static MemberResponse ForCaller(bool byOperator, string programId, MemberView view) =>
        byOperator ? SharedMapping.ToProto(programId, view) : ToIdentifyProto(programId, view);

    /// <summary>
    /// What a till is shown of a member (Identify, and Enroll, ReplaceCard, UpdateProfile from a till): the member as <see cref="SharedMapping.ToProto(string, MemberView)"/> shows it, with card
    /// numbers masked and the birth date without its year (issue #13: an Identify by phone must not hand out
    /// what identifies the member elsewhere).
    /// </summary>
    public static MemberResponse ToIdentifyProto(string programId, MemberView view)
    {
        var response = SharedMapping.ToProto(programId, view);
        for (var i = 0; i < response.CardNumbers.Count; i++)
        {
            response.CardNumbers[i] = Profiles.MaskCard(response.CardNumbers[i]);
        }

        response.BirthDate = view.BirthDate is { } birthDate ? Profiles.BirthdayWithoutYear(birthDate) : string.Empty;
        return response;
    }

    /// <summary>What a quote promises, as the terminal reads it (the coupon's reason as its machine-readable code).</summary>
    public static QuoteResponse ToProto(QuoteResult quote) => new()
    {
        Currency = quote.Currency,
        Subtotal = quote.Subtotal,
        Discount = quote.Discount,
        Total = quote.Total,
        PointsToEarn = quote.PointsToEarn,
        Coupon = quote.Coupon is { } coupon
            ? new CouponCheck
            {
                Code = coupon.Code,
                Valid = coupon.Valid,
                Reason = coupon.Reason is { } reason ? ErrorReasons.Code(reason) : string.Empty,
                Message = coupon.Message ?? string.Empty,
                Discount = coupon.Discount,
            }
            : null,
        TierDiscount = quote.TierDiscount,
        Tier = quote.TierName ?? string.Empty,
        RewardDiscount = quote.RewardDiscount,
        RewardPoints = quote.RewardPoints,
        CampaignId = quote.CampaignId ?? string.Empty,
        CampaignDiscount = quote.CampaignDiscount,
        CampaignPoints = quote.CampaignPoints,
        Discounts = { quote.DiscountLines.Select(l => ToProto(l, quote.Coupon?.Code)) },
        Campaigns = { quote.Campaigns.Select(PosMapping.ToProto) },
        Hints = { quote.Hints.Select(PosMapping.ToProto) },
        MembersOnly = { quote.MembersOnly.IsDefault ? [] : quote.MembersOnly.Select(PosMapping.ToProto) },
    };

    public static CommitResponse ToProto(CommitResult result) => new()
    {
        TransactionId = result.TransactionId,
        Subtotal = result.Subtotal,
        Discount = result.Discount,
        Total = result.Total,
        PointsEarned = result.PointsEarned,
        CouponCode = result.CouponCode ?? string.Empty,
        AvailableAfter = result.AvailableAfter,
        CommittedAt = SharedMapping.Time(result.CommittedAt),
        PointsSpent = result.PointsSpent,
        PointsValue = result.PointsValue,
        PointsPending = result.PointsPending,
        AmountDue = result.AmountDue,
        TierDiscount = result.TierDiscount,
        BonusPoints = result.BonusPoints,
        Tier = result.TierName ?? string.Empty,
        CreditSpent = result.CreditSpent,
        CreditEarned = result.CreditEarned,
        CreditAfter = result.CreditAfter,
        RewardDiscount = result.RewardDiscount,
        RewardPoints = result.RewardPoints,
        CampaignId = result.CampaignId ?? string.Empty,
        CampaignDiscount = result.CampaignDiscount,
        Discounts = { result.DiscountLines.IsDefault ? [] : result.DiscountLines.Select(l => ToProto(l, result.CouponCode)) },
        Campaigns = { result.Campaigns.IsDefault ? [] : result.Campaigns.Select(ToProto) },
        Hints = { result.Hints.IsDefault ? [] : result.Hints.Select(ToProto) },
        Dropped = { result.Dropped.IsDefault ? [] : result.Dropped.Select(ToProto) },
        Status = result.Status switch
        {
            Contracts.SaleStatus.Voided => Api.V1.SaleStatus.Voided,
            Contracts.SaleStatus.Refunded => Api.V1.SaleStatus.Refunded,
            Contracts.SaleStatus.PartiallyRefunded => Api.V1.SaleStatus.PartiallyRefunded,
            _ => Api.V1.SaleStatus.Committed,
        },
    };

    public static Api.V1.DroppedPromotion ToProto(Contracts.DroppedPromotion dropped) => new()
    {
        Source = (Api.V1.DiscountSource)(int)dropped.Source,
        SourceId = dropped.SourceId,
        Reason = ErrorReasons.Code(dropped.Reason),
        Message = dropped.Message,
    };

    public static Api.V1.DiscountLine ToProto(Contracts.DiscountLine line, string? couponCode) => new()
    {
        Source = (Api.V1.DiscountSource)(int)line.Source,
        SourceId = line.Source == Contracts.DiscountSource.Coupon ? couponCode ?? string.Empty : line.SourceId,
        LineIndex = line.LineIndex,
        Amount = line.Amount,
    };

    public static Api.V1.AppliedCampaign ToProto(Contracts.AppliedCampaign campaign) => new()
    {
        CampaignId = campaign.CampaignId,
        Discount = campaign.Discount,
        BonusPoints = campaign.BonusPoints,
        MultiplierPercent = campaign.MultiplierPercent,
        StampsAdded = campaign.StampsAdded,
        StampsAfter = campaign.StampsAfter,
        IssuedCoupon = campaign.IssuedCoupon ?? string.Empty,
    };

    public static Api.V1.PromotionHint ToProto(Contracts.PromotionHint hint) => new()
    {
        SourceId = hint.CampaignId, AmountMissing = hint.AmountMissing, QuantityMissing = hint.QuantityMissing, Message = hint.Message,
    };

    public static VoidSaleResponse ToProto(VoidResult result) => new()
    {
        TransactionId = result.TransactionId,
        PointsRemoved = result.PointsRemoved,
        CouponRestored = result.CouponRestored,
        AlreadyVoided = result.AlreadyVoided,
        AvailableAfter = result.AvailableAfter,
        VoidedAt = SharedMapping.Time(result.VoidedAt),
        PointsReturned = result.PointsReturned,
        PointsNotRecovered = result.PointsNotRecovered,
        CreditTakenBack = result.CreditTakenBack,
        CreditReturned = result.CreditReturned,
        CouponsWithdrawn = { result.CouponsWithdrawn.IsDefault ? [] : result.CouponsWithdrawn },
        IssuedCouponsAlreadyUsed = { result.IssuedCouponsAlreadyUsed.IsDefault ? [] : result.IssuedCouponsAlreadyUsed },
    };

    public static RefundResponse ToProto(RefundResult result) => new()
    {
        RefundId = result.RefundId,
        TransactionId = result.TransactionId,
        RefundedAmount = result.RefundedAmount,
        PointsClawedBack = result.PointsClawedBack,
        PointsReturned = result.PointsReturned,
        PointsNotRecovered = result.PointsNotRecovered,
        AvailableAfter = result.AvailableAfter,
        RefundedAt = SharedMapping.Time(result.RefundedAt),
        CreditTakenBack = result.CreditTakenBack,
        CreditReturned = result.CreditReturned,
        CouponsWithdrawn = { result.CouponsWithdrawn.IsDefault ? [] : result.CouponsWithdrawn },
        IssuedCouponsAlreadyUsed = { result.IssuedCouponsAlreadyUsed.IsDefault ? [] : result.IssuedCouponsAlreadyUsed },
    };
}
