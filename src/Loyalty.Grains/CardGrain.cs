using Loyalty.Contracts;

namespace Loyalty.Grains;

[GenerateSerializer, Alias("loyalty.CardState")]
public sealed class CardState
{
    [Id(0)]
    public string? MemberId { get; set; }

    /// <summary>A lost card: it stays bound to its member (never reused) but identifies nobody.</summary>
    [Id(1)]
    public bool Blocked { get; set; }
}

public sealed class CardGrain(
    [PersistentState("card", ProviderNames.GrainStorage)] IPersistentState<CardState> state)
    : Grain, ICardGrain
{
    public async Task<string> ClaimAsync(string memberId)
    {
        if (state.State.MemberId is { } owner)
        {
            return owner;
        }

        state.State.MemberId = memberId;
        await state.WriteOrDeactivateAsync(this);
        return memberId;
    }

    public async Task ReleaseAsync(string memberId)
    {
        if (state.State.MemberId == memberId)
        {
            state.State.MemberId = null;
            await state.WriteOrDeactivateAsync(this);
        }
    }

    public async Task BlockAsync(string memberId)
    {
        if (state.State.MemberId == memberId && !state.State.Blocked)
        {
            state.State.Blocked = true;
            await state.WriteOrDeactivateAsync(this);
        }
    }

    public Task<string> LookupAsync()
    {
        switch (state.State)
        {
            case { Blocked: true }:
                throw new LoyaltyException(ErrorReason.CardBlocked, "the card was reported lost and is blocked; use the member's new card");
            case { MemberId: { } owner }:
                return Task.FromResult(owner);
            default:
                // A miss (a mistyped or guessed card or phone) does not keep an activation resident: probing
                // thousands of numbers must not fill the silo with empty card grains (issue #13).
                DeactivateOnIdle();
                throw new LoyaltyException(ErrorReason.CardNotFound, "no member holds this card");
        }
    }
}
