using System.Security.Cryptography;
using System.Text;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// A member's one-time verification codes (issue #27, finding 2): the proof a till needs to change a card or a
/// contact of a member who has a phone or e-mail on file. A code is sent to that phone or e-mail through the message
/// outbox, never answered to the till; it is valid for <see cref="Lifetime"/> at the terminal that asked for it, for
/// one change, and <see cref="MaxAttempts"/> wrong codes void it. At most <see cref="MaxCodesPerWindow"/> codes are sent
/// per <see cref="SendWindow"/>, so a till cannot flood the member's phone. Held in the member's activation only (a
/// lost code is asked for again), and only as a hash.
/// </summary>
public sealed class VerificationCodes
{
    public const int Digits = 6;
    public const int MaxAttempts = 5;
    public const int MaxCodesPerWindow = 3;
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan SendWindow = TimeSpan.FromMinutes(15);

    private readonly Queue<DateTimeOffset> _sent = new();
    private byte[]? _hash;
    private string? _terminal;
    private DateTimeOffset _expiresAt;
    private int _attemptsLeft;

    /// <summary>
    /// A new code for <paramref name="terminal"/> (the caller's credential); any earlier code is void. TOO_MANY_VERIFICATION_CODES
    /// when <see cref="MaxCodesPerWindow"/> were sent within <see cref="SendWindow"/>.
    /// </summary>
    public (string Code, DateTimeOffset ExpiresAt) Issue(string terminal, DateTimeOffset now)
    {
        while (_sent.Count > 0 && now - _sent.Peek() >= SendWindow)
        {
            _sent.Dequeue();
        }

        if (_sent.Count >= MaxCodesPerWindow)
        {
            throw new LoyaltyException(
                ErrorReason.TooManyVerificationCodes,
                $"{MaxCodesPerWindow} codes were sent to this member within {SendWindow.TotalMinutes:0} minutes; ask again after {_sent.Peek() + SendWindow:HH:mm:ss} UTC");
        }

        _sent.Enqueue(now);
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        _hash = Hash(code);
        _terminal = terminal;
        _expiresAt = now + Lifetime;
        _attemptsLeft = MaxAttempts;
        return (code, _expiresAt);
    }

    /// <summary>
    /// Uses the code up when it is the one sent for <paramref name="terminal"/> and still valid; otherwise
    /// PERMISSION_DENIED VERIFICATION_CODE_INVALID, and a wrong code costs one of the attempts.
    /// </summary>
    public void Consume(string code, string terminal, DateTimeOffset now)
    {
        if (_hash is null || now >= _expiresAt || _attemptsLeft <= 0)
        {
            Void();
            throw Invalid("no valid code: ask for a new one (RequestVerificationCode)");
        }

        if (!string.Equals(_terminal, terminal, StringComparison.Ordinal))
        {
            throw Invalid("the code was sent for another terminal: ask for a new one at this one");
        }

        if (!CryptographicOperations.FixedTimeEquals(_hash, Hash(code)))
        {
            _attemptsLeft--;
            var left = _attemptsLeft;
            if (left == 0)
            {
                Void();
            }

            throw Invalid(left == 0 ? "wrong code; it is now void: ask for a new one" : $"wrong code; {left} attempts left");
        }

        Void();
    }

    /// <summary>Where a code goes: <c>sms</c> to the phone or <c>email</c>; <paramref name="asked"/> empty picks the phone when there is one.</summary>
    public static (string Channel, string Recipient) Destination(string? asked, string? phone, string? email)
    {
        switch (asked)
        {
            case null or "":
                return phone is not null ? ("sms", phone)
                    : email is not null ? ("email", email)
                    : throw new LoyaltyException(
                        ErrorReason.NoContactOnFile,
                        "the member has no phone or e-mail to send a code to: present one of the member's cards, or ask customer service");
            case "sms":
                return ("sms", phone ?? throw new LoyaltyException(ErrorReason.NoContactOnFile, "the member has no phone on file", "channel"));
            case "email":
                return ("email", email ?? throw new LoyaltyException(ErrorReason.NoContactOnFile, "the member has no e-mail on file", "channel"));
            default:
                throw LoyaltyException.Invalid("channel", "channel must be sms, email or empty");
        }
    }

    /// <summary>What a till may show of where the code went: a phone's last two digits, an e-mail's first letter and domain.</summary>
    public static string Masked(string channel, string recipient)
    {
        if (channel == "sms")
        {
            return "•••" + recipient[^2..];
        }

        var at = recipient.IndexOf('@');
        return at <= 0 ? "•••" : recipient[0] + "•••" + recipient[at..];
    }

    /// <summary>The message the member receives; it says why, and that no one will ask for the code.</summary>
    public static string Message(string programName, string code, DateTimeOffset expiresAt) =>
        $"{programName}: your code to confirm a change of your card or contact details at the till is {code}. " +
        $"It expires at {expiresAt:HH:mm} UTC. Give it only to the cashier in front of you; if you did not ask for it, ignore this message.";

    /// <summary>A code message's body as shown to whoever may not read the code.</summary>
    public const string HiddenBody = "(a one-time verification code: shown to operators only)";

    private void Void()
    {
        _hash = null;
        _terminal = null;
    }

    private static byte[] Hash(string code) => SHA256.HashData(Encoding.UTF8.GetBytes(code));

    private static LoyaltyException Invalid(string message) => new(ErrorReason.VerificationCodeInvalid, message, "verification_code");
}
