using System.Security.Cryptography;
using System.Text;

namespace Loyalty.Domain;

/// <summary>
/// Personal data encrypted at rest (issue #13): a value is stored as <c>enc:v1:&lt;key id&gt;:&lt;base64 nonce | ciphertext | tag&gt;</c>,
/// AES-256-GCM with a random 96-bit nonce, bound to its context (the member's key and the field), so a sealed value
/// copied to another member or field does not open. Several keys may be configured: the first seals, every one
/// opens (rotation: add a new key first, keep the old ones until nothing is sealed under them). A value without
/// the prefix is plain text written before encryption was configured: it opens as it is and is sealed on its next write.
/// </summary>
public sealed class Sealing
{
    public const string Prefix = "enc:v1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly (string Id, byte[] Key)[] _keys;

    /// <param name="keys">"id:base64 of 32 bytes", comma-separated, the current key first; empty: no encryption (development).</param>
    public Sealing(string? keys)
    {
        _keys = [.. (keys ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse)];
        if (_keys.Select(k => k.Id).Distinct(StringComparer.Ordinal).Count() != _keys.Length)
        {
            throw new ArgumentException("personal data keys: each key id once", nameof(keys));
        }
    }

    public bool Enabled => _keys.Length > 0;

    /// <summary>The id of the key that seals (null without encryption).</summary>
    public string? CurrentKeyId => Enabled ? _keys[0].Id : null;

    /// <summary>A new random key in the configuration's format.</summary>
    public static string NewKey(string id) => $"{id}:{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}";

    public string? Seal(string? value, string context)
    {
        if (value is null || !Enabled)
        {
            return value;
        }

        var (id, key) = _keys[0];
        var plain = Encoding.UTF8.GetBytes(value);
        var sealedBytes = new byte[NonceSize + plain.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceSize, plain.Length), sealedBytes.AsSpan(NonceSize + plain.Length), Encoding.UTF8.GetBytes(context));
        return $"{Prefix}{id}:{Convert.ToBase64String(sealedBytes)}";
    }

    /// <summary>The plain value; a value that is not sealed is returned as it is. Throws when its key is not configured or it was tampered with.</summary>
    public string? Open(string? stored, string context)
    {
        if (stored is null || !stored.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return stored;
        }

        var rest = stored.AsSpan(Prefix.Length);
        var colon = rest.IndexOf(':');
        var id = colon > 0 ? rest[..colon].ToString() : throw new CryptographicException("a sealed value without a key id");
        var key = _keys.FirstOrDefault(k => k.Id == id).Key
            ?? throw new CryptographicException($"personal data sealed under key '{id}', which is not configured (Loyalty:PersonalDataKeys)");
        var sealedBytes = Convert.FromBase64String(rest[(colon + 1)..].ToString());
        var length = sealedBytes.Length - NonceSize - TagSize;
        if (length < 0)
        {
            throw new CryptographicException("a sealed value too short to hold its nonce and tag");
        }

        var plain = new byte[length];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, length), sealedBytes.AsSpan(NonceSize + length), plain, Encoding.UTF8.GetBytes(context));
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>Whether a stored value should be sealed again: plain text while encryption is on, or sealed under an older key.</summary>
    public bool NeedsResealing(string? stored) =>
        stored is not null && Enabled && !stored.StartsWith($"{Prefix}{_keys[0].Id}:", StringComparison.Ordinal);

    private static (string Id, byte[] Key) Parse(string entry)
    {
        var colon = entry.IndexOf(':');
        var id = colon > 0 ? entry[..colon] : throw new ArgumentException("a personal data key is \"id:base64 of 32 bytes\"");
        if (id.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_'))
        {
            throw new ArgumentException($"personal data key id '{id}': letters, digits, - and _ only");
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(entry[(colon + 1)..]);
        }
        catch (FormatException)
        {
            throw new ArgumentException($"personal data key '{id}' is not base64");
        }

        return key.Length == 32 ? (id, key) : throw new ArgumentException($"personal data key '{id}' must be 32 bytes (256 bits), not {key.Length}");
    }
}
