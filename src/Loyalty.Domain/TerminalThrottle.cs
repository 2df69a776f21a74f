using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// One terminal's failed coupon guesses and member lookups that found nobody, in a sliding window: more than
/// <see cref="MaxFailures"/> failed codes within <see cref="Window"/> throttles the terminal until the window has room
/// again; lookups past the caller's limit answer until when. With 64-bit codes and a check character a throttled brute
/// force has no practical chance; a cashier mistyping a few codes never notices. In memory only.
/// </summary>
public sealed class TerminalThrottle
{
    public const int MaxFailures = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Queue<DateTimeOffset> _failures = new();
    private readonly Queue<DateTimeOffset> _lookupMisses = new();

    /// <summary>TOO_MANY_COUPON_GUESSES while the window holds <see cref="MaxFailures"/> failed codes.</summary>
    public void EnsureAllowed(DateTimeOffset now)
    {
        Trim(_failures, now);
        if (_failures.Count >= MaxFailures)
        {
            throw new LoyaltyException(
                ErrorReason.TooManyCouponGuesses, $"too many failed coupon codes from this terminal; try again after {_failures.Peek() + Window:HH:mm:ss} UTC");
        }
    }

    public void RecordFailure(DateTimeOffset now)
    {
        Trim(_failures, now);
        _failures.Enqueue(now);
    }

    /// <summary>Counts a lookup that found nobody; past <paramref name="maxPerMinute"/> in the window, until when the terminal is throttled.</summary>
    public DateTimeOffset? RecordLookupMiss(DateTimeOffset now, int maxPerMinute)
    {
        Trim(_lookupMisses, now);
        _lookupMisses.Enqueue(now);
        while (_lookupMisses.Count > maxPerMinute + 1)
        {
            _lookupMisses.Dequeue(); // only the newest ones decide when the window has room again
        }

        return _lookupMisses.Count > maxPerMinute ? _lookupMisses.Peek() + Window : null;
    }

    private static void Trim(Queue<DateTimeOffset> events, DateTimeOffset now)
    {
        while (events.Count > 0 && now - events.Peek() >= Window)
        {
            events.Dequeue();
        }
    }
}
