using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains;

/// <summary>
/// Guards one terminal against guessing coupon codes and member keys (the rule: <see cref="TerminalThrottle"/>). State is
/// in memory: after a restart the count starts over.
/// </summary>
public sealed class TerminalGuardGrain(LoyaltyClock clock) : Grain, ITerminalGuardGrain
{
    private readonly TerminalThrottle _throttle = new();

    public Task EnsureAllowedAsync()
    {
        _throttle.EnsureAllowed(clock.UtcNow);
        return Task.CompletedTask;
    }

    public Task RecordFailureAsync()
    {
        _throttle.RecordFailure(clock.UtcNow);
        return Task.CompletedTask;
    }

    public Task<DateTimeOffset?> RecordLookupMissAsync(int maxPerMinute) => Task.FromResult(_throttle.RecordLookupMiss(clock.UtcNow, maxPerMinute));
}
