using Loyalty.Contracts;

namespace Loyalty.Grains;

/// <summary>
/// Rate-limits failed coupon guesses and member lookups that find nobody, per terminal: more than <see cref="MaxFailures"/> failures
/// within <see cref="Window"/> throttles the terminal until the window has room again. With 64-bit
/// codes and a check character, a throttled brute force has no practical chance; a cashier
/// mistyping a few codes never notices. State is in memory: after a restart the count starts over.
/// </summary>
public sealed class TerminalGuardGrain(LoyaltyClock clock) : Grain, ITerminalGuardGrain
{
    public const int MaxFailures = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Queue<DateTimeOffset> _failures = new();
    private readonly Queue<DateTimeOffset> _lookupMisses = new();

    public Task EnsureAllowedAsync()
    {
        Trim();
        return _failures.Count >= MaxFailures
            ? throw new LoyaltyException(ErrorReason.TooManyCouponGuesses, $"too many failed coupon codes from this terminal; try again after {_failures.Peek() + Window:HH:mm:ss} UTC")
            : Task.CompletedTask;
    }

    public Task RecordFailureAsync()
    {
        Trim();
        _failures.Enqueue(clock.UtcNow);
        return Task.CompletedTask;
    }

    public Task<DateTimeOffset?> RecordLookupMissAsync(int maxPerMinute)
    {
        Trim(_lookupMisses);
        _lookupMisses.Enqueue(clock.UtcNow);
        while (_lookupMisses.Count > maxPerMinute + 1)
        {
            _lookupMisses.Dequeue(); // only the newest ones decide when the window has room again
        }

        return Task.FromResult<DateTimeOffset?>(_lookupMisses.Count > maxPerMinute ? _lookupMisses.Peek() + Window : null);
    }

    private void Trim() => Trim(_failures);

    private void Trim(Queue<DateTimeOffset> events)
    {
        while (events.Count > 0 && clock.UtcNow - events.Peek() >= Window)
        {
            events.Dequeue();
        }
    }
}
