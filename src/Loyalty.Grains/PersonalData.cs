using Loyalty.Domain;

namespace Loyalty.Grains;

/// <summary>
/// The secrets of personal data, from configuration and never stored with the data: the pepper of lookup hashes
/// (the phone index) and the keys that seal phone numbers and e-mail addresses at rest (<see cref="Sealing"/>).
/// </summary>
public sealed class PersonalData(string pepper, string? keys = null)
{
    private readonly Sealing _sealing = new(keys);

    public bool Encrypted => _sealing.Enabled;

    /// <summary>The key of access-token tags, derived from the pepper with a label of its own (<see cref="AccessTokens.MacKey"/>).</summary>
    public byte[] TokenKey { get; } = AccessTokens.MacKey(pepper);

    public string PhoneKey(string programId, string normalizedPhone) => Profiles.PhoneKey(pepper, programId, normalizedPhone);

    /// <summary>Seals a contact of the member <paramref name="memberKey"/> (<paramref name="field"/>: phone, email).</summary>
    public string? Seal(string? value, string memberKey, string field) => _sealing.Seal(value, $"{memberKey}|{field}");

    public string? Open(string? stored, string memberKey, string field) => _sealing.Open(stored, $"{memberKey}|{field}");

    public bool NeedsResealing(string? stored) => _sealing.NeedsResealing(stored);

    /// <summary>A message's recipient, sealed in the outbox.</summary>
    public string? SealRecipient(string? value, string programId, string memberId) => _sealing.Seal(value, $"{programId}/{memberId}|recipient");

    public string? OpenRecipient(string? stored, string programId, string memberId) => _sealing.Open(stored, $"{programId}/{memberId}|recipient");
}
