using System.Collections.Concurrent;
using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Grains;

namespace Loyalty.Host.Services;

/// <summary>
/// Identify by card or phone (docs/write-path.md, "Cards and phones as rows"): the key's owner is read from
/// <c>member_keys</c> once and then kept by this silo, so a till's identify is one grain call and no database
/// round trip. A cached owner is only a guess: the member grain answers only while it still holds the key
/// (<see cref="IMemberGrain.IdentifyByKeyAsync"/>); when it does not (a phone number moved to another
/// member, a card blocked or replaced) the entry is dropped and the key read again. A key nobody holds is
/// never cached (misses are throttled per terminal instead) and activates no grain.
/// </summary>
public sealed class MemberKeyLookup(IMemberRowStore rows, IGrainFactory grains, PersonalData personalData)
{
    /// <summary>Entries kept at most; the cache starts over beyond (≈ 150 bytes each).</summary>
    public const int MaxEntries = 500_000;

    private readonly ConcurrentDictionary<(string Program, string Kind, string Key), string> _owners = new();

    /// <summary>The member holding the key, as the terminal shows it; <paramref name="terminal"/> (a till's credential id) makes the member present there.</summary>
    public async Task<MemberView> IdentifyAsync(string programId, string kind, string key, string? storeId, string? channel, string? terminal = null)
    {
        var id = (programId, kind, key);
        if (_owners.TryGetValue(id, out var cached))
        {
            try
            {
                return await Member(programId, cached).IdentifyByKeyAsync(kind, key, storeId, channel, terminal);
            }
            catch (LoyaltyException moved) when (moved.Reason is ErrorReason.CardNotFound or ErrorReason.PhoneNotFound
                or ErrorReason.CardBlocked or ErrorReason.MemberNotFound)
            {
                _owners.TryRemove(new KeyValuePair<(string, string, string), string>(id, cached));
            }
        }

        var owner = await OwnerAsync(programId, kind, key) ?? throw MemberKeyErrors.NotFound(kind);
        var view = await Member(programId, owner).IdentifyByKeyAsync(kind, key, storeId, channel, terminal);
        if (_owners.Count >= MaxEntries)
        {
            _owners.Clear();
        }

        _owners[id] = owner;
        return view;
    }

    /// <summary>
    /// <see cref="IdentifyAsync"/> by a phone number in any typing ("+420 601-234 567"): found through its peppered
    /// lookup key, never the number itself; INVALID_ARGUMENT naming <paramref name="field"/> when it is not a phone number.
    /// </summary>
    public Task<MemberView> IdentifyByPhoneAsync(string programId, string phone, string? storeId, string? channel, string field = "phone", string? terminal = null) =>
        IdentifyAsync(programId, MemberKeys.Phone, PhoneKey(programId, phone, field), storeId, channel, terminal);

    /// <summary>The peppered lookup key of a phone number in any typing; INVALID_ARGUMENT naming <paramref name="field"/> when it is not one.</summary>
    public string PhoneKey(string programId, string phone, string field) => personalData.PhoneKey(programId, Domain.Profiles.NormalizePhone(phone, field));

    /// <summary>The member that holds the key now (read from storage, not the cache); CARD_BLOCKED for a blocked card, null when nobody holds it.</summary>
    public async Task<string?> OwnerAsync(string programId, string kind, string key) =>
        await rows.FindKeyAsync(programId, kind, key) switch
        {
            null => null,
            { Blocked: true } => throw MemberKeyErrors.Blocked(),
            { MemberId: var member } => member,
        };

    private IMemberGrain Member(string programId, string memberId) => grains.Grain<IMemberGrain>(Keys.Scoped(programId, memberId));
}
