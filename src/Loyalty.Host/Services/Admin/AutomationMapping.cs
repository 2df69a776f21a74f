using Google.Protobuf.WellKnownTypes;
using Loyalty.Contracts;

namespace Loyalty.Host.Services.Admin;

/// <summary>Proto ⇄ contract mapping of automations and outbox messages.</summary>
internal static class AutomationMapping
{
    public static System.Collections.Immutable.ImmutableArray<AutomationRule> ToContract(IEnumerable<Api.V1.Automation> automations) =>
        [.. automations.Select((a, i) => new AutomationRule(
            ToContract(a.Kind, $"automations[{i}].kind"),
            a.Template,
            a.Coupon is null ? null : AdminMapping.ToContract(a.Coupon),
            a.CouponValidDays == 0 ? 30 : a.CouponValidDays,
            a.Days,
            a.Points))];

    public static IEnumerable<Api.V1.Automation> ToProto(System.Collections.Immutable.ImmutableArray<AutomationRule> rules) =>
        rules.IsDefault
            ? []
            : rules.Select(r => new Api.V1.Automation
            {
                Kind = ToProto(r.Kind),
                Template = r.Template,
                Coupon = r.Coupon is null ? null : AdminMapping.ToProto(r.Coupon),
                CouponValidDays = r.CouponValidDays,
                Days = r.Days,
                Points = r.Points,
            });

    public static Api.V1.OutboxMessage ToProto(Contracts.OutboxMessage message) => new()
    {
        MemberId = message.MemberId,
        Key = message.Key,
        Kind = ToProto(message.Kind),
        Channel = message.Channel,
        Recipient = message.Recipient,
        Body = message.Body,
        CouponCode = message.CouponCode ?? string.Empty,
        CreatedAt = Timestamp.FromDateTimeOffset(message.CreatedAt),
    };

    public static Api.V1.AutomationReport ToProto(Contracts.AutomationReport report) => new()
    {
        Candidates = report.Candidates,
        Fired = report.Fired,
        Failed = report.Failed,
        RanAt = Timestamp.FromDateTimeOffset(report.RanAt),
    };

    private static Contracts.AutomationKind ToContract(Api.V1.AutomationKind kind, string field) => kind switch
    {
        Api.V1.AutomationKind.Welcome => Contracts.AutomationKind.Welcome,
        Api.V1.AutomationKind.Birthday => Contracts.AutomationKind.Birthday,
        Api.V1.AutomationKind.WinBack => Contracts.AutomationKind.WinBack,
        Api.V1.AutomationKind.Referral => Contracts.AutomationKind.Referral,
        Api.V1.AutomationKind.PointsExpiring => Contracts.AutomationKind.PointsExpiring,
        _ => throw LoyaltyException.Invalid(field, "kind must be WELCOME, BIRTHDAY, WIN_BACK, REFERRAL or POINTS_EXPIRING"),
    };

    private static Api.V1.AutomationKind ToProto(Contracts.AutomationKind kind) => kind switch
    {
        Contracts.AutomationKind.Welcome => Api.V1.AutomationKind.Welcome,
        Contracts.AutomationKind.Birthday => Api.V1.AutomationKind.Birthday,
        Contracts.AutomationKind.WinBack => Api.V1.AutomationKind.WinBack,
        Contracts.AutomationKind.Referral => Api.V1.AutomationKind.Referral,
        Contracts.AutomationKind.CampaignCoupon => Api.V1.AutomationKind.CampaignCoupon,
        Contracts.AutomationKind.VerificationCode => Api.V1.AutomationKind.VerificationCode,
        _ => Api.V1.AutomationKind.PointsExpiring,
    };
}
