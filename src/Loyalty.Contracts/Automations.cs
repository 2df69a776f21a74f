using System.Collections.Immutable;

namespace Loyalty.Contracts;

public enum AutomationKind
{
    /// <summary>On enrollment: a personal coupon and a welcome message.</summary>
    Welcome = 1,

    /// <summary><see cref="AutomationRule.Days"/> days before the birthday (0 = on the day): a personal coupon and a message, once a year.</summary>
    Birthday = 2,

    /// <summary>No purchase for <see cref="AutomationRule.Days"/> days: a personal coupon and a message, once per lapse.</summary>
    WinBack = 3,

    /// <summary>
    /// A member enrolled with a referrer: the friend gets the coupon and the message at once; the referrer
    /// gets <see cref="AutomationRule.Points"/> after the friend's first purchase.
    /// </summary>
    Referral = 4,

    /// <summary>Within <see cref="AutomationRule.Days"/> days of a month end at which points expire: a notice with the amount.</summary>
    PointsExpiring = 5,

    /// <summary>Not a program automation: the personal coupon an issue-coupon campaign gave on a sale (occasion "campaign:&lt;id&gt;:&lt;transaction&gt;").</summary>
    CampaignCoupon = 6,

    /// <summary>Not a program automation: a one-time code a till asked for to change a card or contact (sent whatever the consent).</summary>
    VerificationCode = 7,
}

/// <summary>
/// One automation of a program. The template may use {name}, {code}, {points}, {expires_on} and {days};
/// a coupon, when given, is issued as a personal code valid for <see cref="CouponValidDays"/> days.
/// </summary>
[GenerateSerializer, Immutable, Alias("loyalty.AutomationRule")]
public sealed record AutomationRule(
    [property: Id(0)] AutomationKind Kind,
    [property: Id(1)] string Template,
    [property: Id(2)] CouponDefinition? Coupon = null,
    [property: Id(3)] int CouponValidDays = 30,
    [property: Id(4)] int Days = 0,
    [property: Id(5)] long Points = 0);

/// <summary>A rendered message for the outbox table; someone else sends it. Key: (program, member, message key).</summary>
[GenerateSerializer, Immutable, Alias("loyalty.OutboxMessage")]
public sealed record OutboxMessage(
    [property: Id(0)] string ProgramId,
    [property: Id(1)] string MemberId,
    [property: Id(2)] string Key,
    [property: Id(3)] AutomationKind Kind,
    [property: Id(4)] string Channel,
    [property: Id(5)] string Recipient,
    [property: Id(6)] string Body,
    [property: Id(7)] string? CouponCode,
    [property: Id(8)] DateTimeOffset CreatedAt);

/// <summary>What one automation pass over a program did.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.AutomationReport")]
public sealed record AutomationReport(
    [property: Id(0)] int Candidates,
    [property: Id(1)] int Fired,
    [property: Id(2)] int Failed,
    [property: Id(3)] DateTimeOffset RanAt);

/// <summary>
/// The time-driven automations of a program (birthday, win-back, points expiring): an Orleans
/// reminder runs a pass every hour; a pass asks the store for candidate members and lets each member
/// decide from its own state (so a repeated or missed pass never fires twice or skips anyone). Key: program id.
/// </summary>
[Alias("loyalty.IAutomationGrain")]
public interface IAutomationGrain : IGrainWithStringKey
{
    /// <summary>Registers (or removes) the hourly reminder to match the program's rules (passed in: the program grain calls this).</summary>
    [Alias("Schedule")]
    Task ScheduleAsync(ImmutableArray<AutomationRule> rules);

    /// <summary>Runs one pass now.</summary>
    [Alias("Run")]
    Task<AutomationReport> RunAsync();
}
