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
            if (!Enum.IsDefined(rule.Kind) || rule.Kind == AutomationKind.CampaignCoupon)
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
}
