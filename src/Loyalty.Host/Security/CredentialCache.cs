using System.Collections.Concurrent;
using System.Security.Cryptography;
using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Host.Hosting;
using Microsoft.Extensions.Options;

namespace Loyalty.Host.Security;

/// <summary>
/// Resolves bearer tokens to credentials, per silo. A token is checked against its stored hash once and
/// then trusted for <see cref="SecurityOptions.CredentialCacheSeconds"/> (no grain call, no database round trip
/// per request); after that it is looked up again, so a revocation reaches every silo within that time.
/// Unknown tokens are remembered for the same time, so a flood of made-up tokens costs one lookup each. When the
/// credential's grain cannot be reached (its silo died), a credential known less than a minute ago is still trusted.
/// </summary>
public sealed class CredentialCache(IGrainFactory grains, IOptions<LoyaltyOptions> options)
{
    /// <summary>Past this many remembered tokens the cache starts over (bounds memory under a flood of made-up tokens).</summary>
    public const int MaxEntries = 100_000;

    /// <summary>How long past its expiry a known credential is still trusted while its grain cannot be reached.</summary>
    private const long StaleIfErrorMs = 60_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly long _ttlMs = options.Value.Security.CredentialCacheSeconds * 1000L;
    private readonly byte[]? _bootstrapHash = options.Value.Security.OperatorToken is { Length: > 0 } token ? AccessTokens.Hash(token) : null;

    /// <summary>The credential the configured operator token stands for.</summary>
    public static readonly Credential Bootstrap = new("configured", AccessRole.Operator, [], null, null, null, [], "operator token from configuration", DateTimeOffset.MinValue, null);

    /// <summary>The credential for <paramref name="token"/>, or null when it is unknown, malformed or revoked.</summary>
    public ValueTask<Credential?> ResolveAsync(string token)
    {
        var now = Environment.TickCount64;
        if (_entries.TryGetValue(token, out var entry) && entry.ExpiresAt > now)
        {
            return ValueTask.FromResult(entry.Credential);
        }

        if (_bootstrapHash is not null && CryptographicOperations.FixedTimeEquals(_bootstrapHash, AccessTokens.Hash(token)))
        {
            return ValueTask.FromResult<Credential?>(Bootstrap);
        }

        return AccessTokens.CredentialIdOf(token) is { } id ? LookUpAsync(token, id, now) : ValueTask.FromResult<Credential?>(null);
    }

    private async ValueTask<Credential?> LookUpAsync(string token, string credentialId, long now)
    {
        Credential? stored;
        try
        {
            stored = await grains.Grain<ICredentialGrain>(credentialId).GetAsync();
        }
        catch (Exception failure) when (failure is TimeoutException or OrleansException
            && _entries.TryGetValue(token, out var previous) && previous.Credential is not null && now - previous.ExpiresAt < StaleIfErrorMs)
        {
            // The credential's grain is unreachable (its silo just died and is not yet declared dead): a till that was
            // valid seconds ago stays valid until the grain answers again, rather than every till failing at once.
            return previous.Credential;
        }

        var credential = stored is not null && AccessTokens.Verifies(stored, token) ? stored : null;
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        _entries[token] = new Entry(credential, now + _ttlMs);
        return credential;
    }

    private sealed record Entry(Credential? Credential, long ExpiresAt);
}
