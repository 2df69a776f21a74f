using System.Collections.Concurrent;
using Loyalty.Contracts;
using Loyalty.Host.Hosting;
using Microsoft.Extensions.Options;

namespace Loyalty.Host.Security;

/// <summary>
/// Throttles member lookups (by card, phone or member id) that find nobody, per authenticated terminal and program:
/// more than <see cref="SecurityOptions.LookupMissesPerMinute"/> misses in a sliding minute and the terminal's lookups
/// are refused (RESOURCE_EXHAUSTED TOO_MANY_LOOKUPS) until the minute has room again. A hit costs nothing: misses are
/// counted by the terminal's guard grain (one per cluster), and a silo remembers a throttled terminal, so refusing
/// it costs no grain call either. A till identifies a customer or two a minute; an enumeration misses hundreds.
/// </summary>
public sealed class LookupThrottle(IGrainFactory grains, IOptions<LoyaltyOptions> options)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _throttledUntil = new(StringComparer.Ordinal);
    private readonly int _maxPerMinute = options.Value.Security.LookupMissesPerMinute;

    /// <summary>Refuses at once while the terminal (by its credential id) is throttled.</summary>
    public void EnsureAllowed(string credentialId, DateTimeOffset now)
    {
        if (_throttledUntil.TryGetValue(credentialId, out var until))
        {
            if (until > now)
            {
                throw Throttled(until);
            }

            _throttledUntil.TryRemove(new KeyValuePair<string, DateTimeOffset>(credentialId, until));
        }
    }

    /// <summary>Counts a miss on the terminal's guard grain (<paramref name="guardKey"/>: program/store/terminal); throws TOO_MANY_LOOKUPS when it was one too many.</summary>
    public async Task RecordMissAsync(string credentialId, string guardKey)
    {
        if (await grains.Grain<ITerminalGuardGrain>(guardKey).RecordLookupMissAsync(_maxPerMinute) is { } until)
        {
            if (_throttledUntil.Count > 100_000)
            {
                // Entry by entry, never wholesale: only the ones whose throttle is over go (the guard grain still counts).
                var now = DateTimeOffset.UtcNow;
                foreach (var (terminal, throttledUntil) in _throttledUntil)
                {
                    if (throttledUntil <= now)
                    {
                        _throttledUntil.TryRemove(new KeyValuePair<string, DateTimeOffset>(terminal, throttledUntil));
                    }
                }
            }

            _throttledUntil[credentialId] = until;
            throw Throttled(until);
        }
    }

    private static LoyaltyException Throttled(DateTimeOffset until) =>
        new(ErrorReason.TooManyLookups, $"too many lookups that found nobody from this terminal; try again after {until:HH:mm:ss} UTC");
}
