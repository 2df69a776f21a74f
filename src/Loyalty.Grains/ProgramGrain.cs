using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains;

[GenerateSerializer, Alias("loyalty.ProgramState")]
public sealed class ProgramState
{
    [Id(0)]
    public ProgramSettings? Settings { get; set; }
}

public sealed class ProgramGrain(
    [PersistentState("program", ProviderNames.GrainStorage)] IPersistentState<ProgramState> state)
    : Grain, IProgramGrain
{
    public async Task<ProgramSettings> DefineAsync(ProgramSettings settings)
    {
        Programs.Validate(settings);
        if (settings.ProgramId != this.GetPrimaryKeyString())
        {
            throw LoyaltyException.Invalid("program_id", "program id does not match the grain key");
        }

        if (state.State.Settings != settings)
        {
            state.State.Settings = settings;
            await state.WriteOrDeactivateAsync(this);
        }

        return settings;
    }

    public Task<ProgramSettings> GetAsync() =>
        state.State.Settings is { } settings
            ? Task.FromResult(settings)
            : throw new LoyaltyException(ErrorReason.ProgramNotFound, "no such program");
}
