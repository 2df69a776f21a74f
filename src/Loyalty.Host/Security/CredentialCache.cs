using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.RateLimiting;
using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Grains;
using Loyalty.Host.Hosting;
using Microsoft.Extensions.Options;

namespace Loyalty.Host.Security;

/// <summary>
/// Resolves bearer tokens to credentials, per silo (docs/security.md, "Credentials"). A token's tag is checked
/// with the server key first: a malformed token or a forged tag is refused without any lookup. A tagged token is
/// checked against its stored hash once and then trusted for <see cref="SecurityOptions.CredentialCacheSeconds"/>
/// (no grain call, no database round trip per request); after that it is looked up again, so a revocation reaches
/// every silo within that time. A token from before tags can only be told from a made-up one by a lookup: those
/// lookups stop for a remote address once it has failed <see cref="SecurityOptions.FailedAuthenticationsPerMinute"/>
/// times in a sliding minute. Unknown tokens are remembered for the same time, apart from the known ones, and each
/// store drops its oldest entries one by one when full: a flood of made-up tokens never pushes out a valid one.
/// When the credential's grain cannot be reached (its silo died), a credential known less than a minute ago is
/// still trusted.
/// </summary>
public sealed partial class CredentialCache : IDisposable
{
    /// <summary>Most tokens remembered as valid, and most remembered as unknown (each: about 30 MB when full).</summary>
    public const int MaxEntries = 100_000;

    /// <summary>How long past its expiry a known credential is still trusted while its grain cannot be reached.</summary>
    private const long StaleIfErrorMs = 60_000;

    private readonly IGrainFactory _grains;
    private readonly ILogger<CredentialCache> _logger;
    private readonly Entries _known = new(MaxEntries, StaleIfErrorMs);
    private readonly Entries _unknown = new(MaxEntries, 0);
    private readonly long _ttlMs;
    private readonly byte[]? _bootstrapHash;
    private readonly byte[] _tokenKey;
    private readonly bool _acceptUntagged;
    private readonly PartitionedRateLimiter<IPAddress> _failures;

    public CredentialCache(IGrainFactory grains, PersonalData secrets, IOptions<LoyaltyOptions> options, ILogger<CredentialCache> logger)
    {
        var security = options.Value.Security;
        _grains = grains;
        _logger = logger;
        _ttlMs = security.CredentialCacheSeconds * 1000L;
        _bootstrapHash = security.OperatorToken is { Length: > 0 } token ? AccessTokens.Hash(token) : null;
        _tokenKey = secrets.TokenKey;
        _acceptUntagged = security.AcceptUntaggedTokens;

        // One sliding minute per address: the partitioned limiter drops an address's window once it has been full
        // again for a few seconds, so it holds only addresses that failed within the last minute.
        var perMinute = security.FailedAuthenticationsPerMinute;
        _failures = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetSlidingWindowLimiter(address, _ =>
            new SlidingWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), SegmentsPerWindow = 6, QueueLimit = 0 }));
    }

    /// <summary>The credential the configured operator token stands for.</summary>
    public static readonly Credential Bootstrap = new("configured", AccessRole.Operator, [], null, null, null, [], "operator token from configuration", DateTimeOffset.MinValue, null);

    /// <summary>
    /// The credential for <paramref name="token"/> sent from <paramref name="remote"/>, or null when it is unknown,
    /// malformed, forged or revoked (each such answer counts as a failure of that address).
    /// </summary>
    public async ValueTask<Credential?> ResolveAsync(string token, IPAddress? remote)
    {
        var now = Environment.TickCount64;
        if (_known.TryGet(token, out var entry) && entry.ExpiresAt > now)
        {
            return entry.Credential;
        }

        if (_bootstrapHash is not null && CryptographicOperations.FixedTimeEquals(_bootstrapHash, AccessTokens.Hash(token)))
        {
            return Bootstrap;
        }

        var address = PartitionOf(remote);
        var parsed = AccessTokens.Parse(token, _tokenKey);
        var credential = parsed.Form switch
        {
            TokenForm.Signed => await LookUpAsync(token, parsed.CredentialId!, now),

            // Untagged: only a lookup tells it from a made-up one, so an address that keeps failing gets none, except
            // for a token this silo has seen valid (a till behind the same address as the one failing).
            TokenForm.Legacy when _acceptUntagged && (entry is not null || !IsBlocked(address)) => await LookUpAsync(token, parsed.CredentialId!, now),
            _ => null,
        };

        if (credential is null)
        {
            CountFailure(address);
        }

        return credential;
    }

    private async ValueTask<Credential?> LookUpAsync(string token, string credentialId, long now)
    {
        if (_unknown.TryGet(token, out var unknown) && unknown.ExpiresAt > now)
        {
            return null;
        }

        Credential? stored;
        try
        {
            stored = await _grains.Grain<ICredentialGrain>(credentialId).GetAsync();
        }
        catch (Exception failure) when (failure is TimeoutException or OrleansException
            && _known.TryGet(token, out var previous) && now - previous.ExpiresAt < StaleIfErrorMs)
        {
            // The credential's grain is unreachable (its silo just died and is not yet declared dead): a till that was
            // valid seconds ago stays valid until the grain answers again, rather than every till failing at once.
            return previous.Credential;
        }

        var credential = stored is not null && AccessTokens.Verifies(stored, token) ? stored : null;
        if (credential is null)
        {
            _known.Remove(token);
            _unknown.Set(token, new Entry(null, now + _ttlMs), now);
        }
        else
        {
            _known.Set(token, new Entry(credential, now + _ttlMs), now);
        }

        return credential;
    }

    /// <summary>An IPv4 address as itself, an IPv6 one by its /64 (one host holds a whole /64); no address as one "none".</summary>
    private static IPAddress PartitionOf(IPAddress? remote)
    {
        if (remote is null)
        {
            return IPAddress.None;
        }

        if (remote.IsIPv4MappedToIPv6)
        {
            return remote.MapToIPv4();
        }

        if (remote.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return remote;
        }

        Span<byte> bytes = stackalloc byte[16];
        remote.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    private bool IsBlocked(IPAddress address)
    {
        using var lease = _failures.AttemptAcquire(address, 0);
        return !lease.IsAcquired;
    }

    private void CountFailure(IPAddress address)
    {
        using var lease = _failures.AttemptAcquire(address, 1);
        if (lease.IsAcquired && _failures.GetStatistics(address)?.CurrentAvailablePermits == 0)
        {
            LogBlocked(_logger, address);
        }
    }

    public void Dispose() => _failures.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Too many failed authentications from {Address}: its tokens without a tag are not looked up for up to a minute")]
    private static partial void LogBlocked(ILogger logger, IPAddress address);

    private sealed record Entry(Credential? Credential, long ExpiresAt);

    /// <summary>
    /// Remembered tokens, at most <paramref name="capacity"/>: each entry past that drops the oldest one, never the
    /// whole store. Insertion order is a queue; its records of entries since replaced, or expired for longer than
    /// <paramref name="keepMs"/>, are dropped as they reach its head.
    /// </summary>
    private sealed class Entries(int capacity, long keepMs)
    {
        private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
        private readonly Queue<KeyValuePair<string, Entry>> _order = new();

        public bool TryGet(string token, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Entry? entry) => _entries.TryGetValue(token, out entry);

        public void Remove(string token) => _entries.TryRemove(token, out _);

        public void Set(string token, Entry entry, long now)
        {
            _entries[token] = entry;
            lock (_order)
            {
                _order.Enqueue(new KeyValuePair<string, Entry>(token, entry));
                while (_order.TryPeek(out var oldest)
                    && (_entries.Count > capacity || oldest.Value.ExpiresAt + keepMs < now || !_entries.TryGetValue(oldest.Key, out var current) || !ReferenceEquals(current, oldest.Value)))
                {
                    _order.Dequeue();
                    _entries.TryRemove(oldest); // only if it is still that entry
                }
            }
        }
    }
}
