using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>Member profile rules: contact validation, the phone lookup key, attributes and when a profile is complete.</summary>
public static class Profiles
{
    /// <summary>
    /// A card or contact change is made by an operator, or at a till with the one-time code sent to the member's phone or
    /// e-mail (used up here: <see cref="VerificationCodes.Consume"/>). A member with neither on file has only a card to
    /// prove who they are: one of their current cards presented at the till (a blocked card proves nothing). A phone
    /// number, a member id or, for a member with contacts, a card number alone is never enough (issue #27, finding 2).
    /// </summary>
    public static void EnsureProof(
        IEnumerable<string> currentCards, bool hasContact, MemberProof proof, VerificationCodes codes, DateTimeOffset now, string change)
    {
        if (proof.ByOperator)
        {
            return;
        }

        if (proof.Code is { } code)
        {
            codes.Consume(code, proof.Terminal ?? string.Empty, now);
            return;
        }

        if (!hasContact && proof.PresentedCard is { } card && currentCards.Contains(card, StringComparer.Ordinal))
        {
            return;
        }

        throw hasContact
            ? new LoyaltyException(
                ErrorReason.MemberProofRequired,
                $"{change} needs the one-time code sent to the member's phone or e-mail (RequestVerificationCode, then verification_code), or customer service with an operator token",
                "verification_code")
            : new LoyaltyException(
                ErrorReason.MemberProofRequired,
                $"{change} needs one of the member's cards presented at the till (presented_card_number), or customer service with an operator token",
                "presented_card_number");
    }

    public const int MaxEmailLength = 254;
    public const int MaxAttributes = 32;

    /// <summary>
    /// A phone in E.164 form: "+", then 8..15 digits. Spaces, dashes, dots and brackets typed at the
    /// till are dropped; anything else is INVALID_ARGUMENT naming <paramref name="field"/>.
    /// </summary>
    public static string NormalizePhone(string phone, string field = "phone")
    {
        var digits = new StringBuilder(phone.Length);
        for (var i = 0; i < phone.Length; i++)
        {
            var c = phone[i];
            if (char.IsAsciiDigit(c))
            {
                digits.Append(c);
            }
            else if (!(c is ' ' or '-' or '.' or '(' or ')' || (c == '+' && i == 0)))
            {
                throw LoyaltyException.Invalid(field, "phone may contain only digits, spaces, - . ( ) and a leading +");
            }
        }

        if (!phone.StartsWith('+') || digits.Length is < 8 or > 15)
        {
            throw LoyaltyException.Invalid(field, "phone must be in international form: + and 8 to 15 digits");
        }

        return "+" + digits;
    }

    /// <summary>Trimmed, one '@' with text on both sides and a dot in the domain, at most 254 characters.</summary>
    public static string NormalizeEmail(string email, string field = "email")
    {
        var value = email.Trim();
        var at = value.IndexOf('@', StringComparison.Ordinal);
        if (value.Length > MaxEmailLength || at <= 0 || at != value.LastIndexOf('@') || at == value.Length - 1
            || !value[(at + 1)..].Contains('.', StringComparison.Ordinal) || value.Any(char.IsWhiteSpace))
        {
            throw LoyaltyException.Invalid(field, "email must look like name@example.com (at most 254 characters)");
        }

        // The domain is case-insensitive; the local part is kept as typed.
        return value[..at] + "@" + value[(at + 1)..].ToLowerInvariant();
    }

    /// <summary>Attributes ("pensioner", "student") are ids: validated, lower-cased, de-duplicated and sorted.</summary>
    public static ImmutableArray<string> NormalizeAttributes(IEnumerable<string> attributes, string field = "attributes")
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var attribute in attributes)
        {
            if (Keys.Problem(attribute) is { } problem)
            {
                throw LoyaltyException.Invalid(field, $"attribute '{attribute}' {problem}");
            }

            set.Add(attribute.ToLowerInvariant());
        }

        return set.Count > MaxAttributes
            ? throw LoyaltyException.Invalid(field, $"a member has at most {MaxAttributes} attributes")
            : [.. set];
    }

    /// <summary>How every phone key starts (a card number never needs to: the two are kept apart by kind).</summary>
    public const string PhoneKeyPrefix = "tel:";

    /// <summary>
    /// The index key a phone is found by: "tel:" and 32 hex digits of HMAC-SHA256(pepper, program | phone).
    /// The plain number is never a grain key or a storage key. Phone numbers have little entropy, so the
    /// pepper (configuration, not the database) is what keeps the key from being reversed by brute force.
    /// </summary>
    public static string PhoneKey(string pepper, string programId, string normalizedPhone)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(pepper), Encoding.UTF8.GetBytes(programId + "|" + normalizedPhone));
        return PhoneKeyPrefix + Convert.ToHexString(mac, 0, 16).ToLowerInvariant();
    }

    /// <summary>
    /// A card number as a till that identified the member may see it: every character but the last four
    /// replaced by '*' (all of a card of four characters or fewer), so a lookup by phone or member id does
    /// not hand out a card that identifies the member at another till.
    /// </summary>
    public static string MaskCard(string card) =>
        card.Length <= 4 ? new string('*', card.Length) : string.Concat(new string('*', card.Length - 4), card.AsSpan(card.Length - 4));

    /// <summary>A birthday without its year (ISO 8601 "--MM-DD"): enough to wish it, not to verify an identity.</summary>
    public static string BirthdayWithoutYear(DateOnly birthDate) =>
        "--" + birthDate.ToString("MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A profile is complete with a name, a phone, an email and a birth date.</summary>
    public static bool IsComplete(string? name, string? phone, string? email, DateOnly? birthDate) =>
        !string.IsNullOrWhiteSpace(name) && phone is not null && email is not null && birthDate is not null;

    /// <summary>A member cannot refer themselves (SELF_REFERRAL).</summary>
    public static void EnsureNotSelf(string referrerId, string memberId)
    {
        if (referrerId == memberId)
        {
            throw new LoyaltyException(ErrorReason.SelfReferral, "a member cannot refer themselves");
        }
    }
}
