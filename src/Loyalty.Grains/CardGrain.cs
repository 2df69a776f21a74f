using Loyalty.Contracts;

namespace Loyalty.Grains;

[GenerateSerializer, Alias("loyalty.CardState")]
public sealed class CardState
{
    [Id(0)]
    public string? MemberId { get; set; }
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

    public Task<string> LookupAsync() =>
        state.State.MemberId is { } owner
            ? Task.FromResult(owner)
            : throw new LoyaltyException(ErrorReason.CardNotFound, "no member holds this card");
}
