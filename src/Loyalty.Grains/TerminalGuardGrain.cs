using Loyalty.Contracts;

namespace Loyalty.Grains;

/// <summary>
/// Rate-limits failed coupon guesses per terminal: more than <see cref="MaxFailures"/> failures
/// within <see cref="Window"/> throttles the terminal until the window has room again. With 64-bit
/// codes and a check character, a throttled brute force has no practical chance; a cashier
/// mistyping a few codes never notices. State is in memory: after a restart the count starts over.
/// </summary>
public sealed class TerminalGuardGrain(LoyaltyClock clock) : Grain, ITerminalGuardGrain
{
    public const int MaxFailures = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Queue<DateTimeOffset> _failures = new();

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

    private void Trim()
    {
        while (_failures.Count > 0 && clock.UtcNow - _failures.Peek() >= Window)
        {
            _failures.Dequeue();
        }
    }
}
