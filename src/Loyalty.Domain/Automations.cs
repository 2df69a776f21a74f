using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// Automation rules: validation, when each one is due for a member, the occasion key that makes it
/// fire once, and message rendering. Pure: the member grain supplies the facts and the time.
/// </summary>
public static class Automations
{
    public const int MaxTemplateLength = 1_000;

    public static readonly ImmutableArray<string> Placeholders = ["name", "code", "points", "expires_on", "days"];

    public static void Validate(ImmutableArray<AutomationRule> rules)
    {
        if (rules.IsDefaultOrEmpty)
        {
            return;
        }

        for (var i = 0; i < rules.Length; i++)
        {
            var rule = rules[i];
            var field = $"automations[{i}]";
            if (!Enum.IsDefined(rule.Kind) || rule.Kind is AutomationKind.CampaignCoupon or AutomationKind.VerificationCode)
            {
                throw LoyaltyException.Invalid($"{field}.kind", "kind must be WELCOME, BIRTHDAY, WIN_BACK, REFERRAL or POINTS_EXPIRING");
            }

            if (rules.Take(i).Any(r => r.Kind == rule.Kind))
            {
                throw LoyaltyException.Invalid($"{field}.kind", $"a program has at most one {rule.Kind} automation");
            }

            ValidateTemplate(rule.Template, $"{field}.template");
            if (rule.Coupon is { } coupon)
            {
                Coupons.ValidateDefinition(coupon);
            }

            if (rule.CouponValidDays is < 1 or > 3_650)
            {
                throw LoyaltyException.Invalid($"{field}.coupon_valid_days", "coupon validity must be 1..3650 days");
            }

            var (min, max) = rule.Kind switch
            {
                AutomationKind.Birthday => (0, 60),
                AutomationKind.WinBack => (1, 3_650),
                AutomationKind.PointsExpiring => (1, 31),
                _ => (0, 0),
            };
            if (rule.Days < min || rule.Days > max)
            {
                throw LoyaltyException.Invalid($"{field}.days", $"days must be between {min} and {max} for {rule.Kind}");
            }

            if (rule.Points < 0 || (rule.Points > 0 && rule.Kind != AutomationKind.Referral))
            {
                throw LoyaltyException.Invalid($"{field}.points", "points (for the referrer) are only for REFERRAL and must not be negative");
            }

            if (rule.Coupon is not null && rule.Kind == AutomationKind.PointsExpiring)
            {
                throw LoyaltyException.Invalid($"{field}.coupon", "a points-expiring notice carries no coupon");
            }
        }
    }

    /// <summary>Templates are plain text with {placeholders}; an unknown placeholder or a stray brace is refused.</summary>
    public static void ValidateTemplate(string template, string field)
    {
        if (string.IsNullOrWhiteSpace(template) || template.Length > MaxTemplateLength)
        {
            throw LoyaltyException.Invalid(field, $"a template needs 1..{MaxTemplateLength} characters");
        }

        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] == '}')
            {
                throw LoyaltyException.Invalid(field, "a '}' without its '{'");
            }

            if (template[i] != '{')
            {
                continue;
            }

            var end = template.IndexOf('}', i);
            var name = end < 0 ? null : template[(i + 1)..end];
            if (name is null || !Placeholders.Contains(name))
            {
                throw LoyaltyException.Invalid(field, $"unknown placeholder; use {string.Join(", ", Placeholders.Select(p => "{" + p + "}"))}");
            }

            i = end;
        }
    }

    public static string Render(string template, IReadOnlyDictionary<string, string> values)
    {
        var text = new StringBuilder(template.Length + 32);
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] == '{' && template.IndexOf('}', i) is var end and > 0 && values.TryGetValue(template[(i + 1)..end], out var value))
            {
                // A value (a member's name) never brings line breaks or other control characters into the
                // message: a name cannot add lines of its own ("\r\n URGENT: verify at ...").
                foreach (var c in value)
                {
                    text.Append(char.IsControl(c) ? ' ' : c);
                }

                i = end;
            }
            else
            {
                text.Append(template[i]);
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// The birthday occasion due now, as "birthday:YYYY", when the birthday (Feb 29 → Feb 28 in other
    /// years) falls within the next <paramref name="leadDays"/> days (today included); else null.
    /// </summary>
    public static string? BirthdayOccasion(DateOnly? birthDate, int leadDays, DateOnly today)
    {
        if (birthDate is not { } birth)
        {
            return null;
        }

        foreach (var year in new[] { today.Year, today.Year + 1 })
        {
            var day = Math.Min(birth.Day, DateTime.DaysInMonth(year, birth.Month));
            var next = new DateOnly(year, birth.Month, day);
            var until = next.DayNumber - today.DayNumber;
            if (until >= 0 && until <= leadDays)
            {
                return "birthday:" + year.ToString(CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>
    /// "winback:YYYY-MM-DD" (the day of the last purchase) when the member bought something and nothing for
    /// <paramref name="days"/> days since; one message per lapse: a new purchase starts a new occasion.
    /// </summary>
    public static string? WinBackOccasion(DateTimeOffset? lastPurchase, int days, DateTimeOffset now) =>
        lastPurchase is { } last && now - last >= TimeSpan.FromDays(days)
            ? "winback:" + last.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : null;

    /// <summary>"expiring:YYYYMM" when points expire at the end of this month and that end is within <paramref name="days"/> days.</summary>
    public static string? ExpiringOccasion(long expiringThisMonth, int days, DateTimeOffset now)
    {
        if (expiringThisMonth <= 0)
        {
            return null;
        }

        var end = Months.Start(Months.Add(Months.Of(now), 1));
        return end - now <= TimeSpan.FromDays(days) ? "expiring:" + Months.Of(now).ToString(CultureInfo.InvariantCulture) : null;
    }

    /// <summary>A personal coupon for one member, valid from now for the rule's number of days.</summary>
    public static CouponDefinition PersonalCoupon(AutomationRule rule, string memberId, DateTimeOffset now) =>
        rule.Coupon! with { ValidFrom = null, ValidUntil = now.AddDays(rule.CouponValidDays), Use = CouponUse.Personal, MemberId = memberId };

    /// <summary>The program's automation of this kind (null when it has none).</summary>
    public static AutomationRule? RuleFor(ProgramSettings program, AutomationKind kind) =>
        program.Automations.IsDefault ? null : program.Automations.FirstOrDefault(a => a.Kind == kind);

    /// <summary>The issue-coupon campaign named in a "campaign:id:transaction" occasion, as an automation rule without a message.</summary>
    public static AutomationRule? CampaignRule(ProgramSettings program, string occasion)
    {
        var campaignId = occasion.Split(':')[1];
        var campaign = program.Campaigns.IsDefault ? null : program.Campaigns.FirstOrDefault(c => c.CampaignId == campaignId && c.Coupon is not null);
        return campaign is null ? null : new AutomationRule(AutomationKind.CampaignCoupon, string.Empty, campaign.Coupon, campaign.CouponValidDays);
    }

    /// <summary>
    /// The rule that finishes an occasion recorded but not done: the campaign's for a coupon a sale issued, the
    /// program's otherwise; a referrer's thank-you (<see cref="ReferrerThanks"/>) carries points, not a coupon.
    /// Null when the program no longer has it.
    /// </summary>
    public static AutomationRule? RuleToFinish(ProgramSettings program, string occasion, AutomationRun run)
    {
        var rule = run.Kind == AutomationKind.CampaignCoupon ? CampaignRule(program, occasion) : RuleFor(program, run.Kind);
        return rule is not null && occasion.StartsWith(ReferrerPrefix, StringComparison.Ordinal) ? rule with { Coupon = null } : rule;
    }

    /// <summary>The referrer's thank-you for a friend's first purchase: the referral rule without its coupon, the points in the message.</summary>
    public static (AutomationRule Rule, string Occasion, Dictionary<string, string> Values) ReferrerThanks(AutomationRule referral, string friendId) =>
        (referral with { Coupon = null }, ReferrerPrefix + friendId, new() { ["points"] = referral.Points.ToString(CultureInfo.InvariantCulture) });

    private const string ReferrerPrefix = "referrer:";

    /// <summary>The time-driven occasion of <paramref name="rule"/> due now for the member, with its message values; null when none is.</summary>
    public static (string? Occasion, Dictionary<string, string>? Values) Due(AutomationRule rule, MemberState member, ProgramSettings program, DateTimeOffset now)
    {
        switch (rule.Kind)
        {
            case AutomationKind.Birthday:
                return (BirthdayOccasion(member.BirthDate, rule.Days, DateOnly.FromDateTime(now.UtcDateTime)), null);
            case AutomationKind.WinBack:
                return (WinBackOccasion(member.LastPurchaseAt, rule.Days, now), null);
            case AutomationKind.PointsExpiring:
                var expiring = Ledger.View(member.Account, program.ExpiryMonths, now).ExpiringThisMonth;
                var lastDay = Months.Start(Months.Add(Months.Of(now), 1)).AddDays(-1);
                return (ExpiringOccasion(expiring, rule.Days, now), new()
                {
                    ["points"] = expiring.ToString(CultureInfo.InvariantCulture),
                    ["expires_on"] = lastDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                });
            default:
                return (null, null);
        }
    }

    /// <summary>An occasion about to fire: its personal code is chosen now (so a retry creates the same coupon) when the rule issues one.</summary>
    public static AutomationRun NewRun(AutomationRule rule, DateTimeOffset now, Dictionary<string, string>? values) => new()
    {
        Kind = rule.Kind,
        Code = rule.Coupon is null ? null : CouponCodes.Next(),
        At = now,
        Values = values ?? [],
    };

    /// <summary>
    /// The message an occasion sends, if any: it needs the member's marketing consent, an address (e-mail first, else
    /// the phone by SMS) and a template; the coupon is issued either way (Identify shows it). Contacts in plain text.
    /// </summary>
    public static (string Channel, string Recipient, string Text)? Message(
        AutomationRule rule, AutomationRun run, string? name, bool marketingConsent, string? email, string? phone)
    {
        var (channel, recipient) = email is not null ? ("email", email) : phone is not null ? ("sms", phone) : (null, null);
        if (!marketingConsent || channel is null || recipient is null || rule.Template.Length == 0)
        {
            return null;
        }

        var values = new Dictionary<string, string>(run.Values)
        {
            ["name"] = name ?? string.Empty,
            ["code"] = run.Code ?? string.Empty,
            ["days"] = rule.Days.ToString(CultureInfo.InvariantCulture),
        };
        return (channel, recipient, Render(rule.Template, values));
    }
}
