using Loyalty.Domain;

namespace Loyalty.Grains;

/// <summary>The pepper of personal-data lookup hashes (configuration, never stored with the data).</summary>
public sealed class PersonalData(string pepper)
{
    public string PhoneKey(string programId, string normalizedPhone) => Profiles.PhoneKey(pepper, programId, normalizedPhone);
}
