using System.Collections.Immutable;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Host.Services;

/// <summary>
/// Request validation at the edge, the one set of checks both services use: ids, coupon codes, basket lines,
/// reward ids, times and dates, currency and profile fields. A malformed field is refused here, by name,
/// without a grain call.
/// </summary>
internal static class Requests
{
    public static string Id(string value, string field)
    {
        if (Keys.Problem(value) is { } problem)
        {
            throw LoyaltyException.Invalid(field, $"{field} {problem}");
        }

        return value;
    }

    public static string? OptionalId(string value, string field) => value.Length == 0 ? null : Id(value, field);

    /// <summary>Normalizes a coupon code, refusing a malformed one (bad characters, length or check character) without a grain call.</summary>
    public static string? CouponCode(string value, string field = "coupon_code") =>
        value.Length == 0
            ? null
            : CouponCodes.Normalize(value) ?? throw new LoyaltyException(ErrorReason.CouponCodeMalformed, "not a valid coupon code (check for a typo)", field);

    public static ImmutableArray<Contracts.BasketLine> Lines(RepeatedField<Api.V1.BasketLine> lines)
    {
        var result = lines.Select(l => new Contracts.BasketLine(l.Sku, l.Category, l.Quantity, l.UnitPrice, l.OnSale)).ToImmutableArray();
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

    public static DateOnly? BirthDate(string value) => Date(value, "birth_date");

    /// <summary>
    /// A timestamp from a request, or INVALID_ARGUMENT naming the field when it is not one (seconds outside
    /// 0001-01-01..9999-12-31, nanos outside 0..999,999,999): never an exception the edge would call transient.
    /// </summary>
    public static DateTimeOffset? Time(Timestamp? value, string field) =>
        value is null ? null
        : value.Nanos is < 0 or > 999_999_999 || value.Seconds < MinTimestampSeconds || value.Seconds > MaxTimestampSeconds
            ? throw LoyaltyException.Invalid(field, $"{field} must be a time between 0001-01-01 and 9999-12-31 (nanos 0..999,999,999)")
            : value.ToDateTimeOffset();

    private const long MinTimestampSeconds = -62_135_596_800;

    private const long MaxTimestampSeconds = 253_402_300_799;

    /// <summary>An optional "YYYY-MM-DD" date (1900 or later); empty → null.</summary>
    public static DateOnly? Date(string value, string field) =>
        value.Length == 0
            ? null
            : DateOnly.TryParseExact(value, "yyyy-MM-dd", out var date) && date.Year >= 1900
                ? date
                : throw LoyaltyException.Invalid(field, $"{field.Replace('_', ' ')} must be YYYY-MM-DD");

    /// <summary>Phone, email and attributes from a request, validated and normalised; empty strings are "not given".</summary>
    public static MemberProfile Profile(string? phone, string? email, IEnumerable<string>? attributes, bool? consent, string? anniversary) => new(
        string.IsNullOrEmpty(phone) ? null : Profiles.NormalizePhone(phone),
        string.IsNullOrEmpty(email) ? null : Profiles.NormalizeEmail(email),
        attributes is null ? default : Profiles.NormalizeAttributes(attributes),
        consent,
        anniversary is null ? null : Date(anniversary, "anniversary"));

    public static ImmutableArray<string> RewardIds(RepeatedField<string> ids)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            Id(ids[i], $"reward_ids[{i}]");
        }

        return ids.Count > 20 ? throw LoyaltyException.Invalid("reward_ids", "at most 20 rewards per sale") : [.. ids];
    }
}
