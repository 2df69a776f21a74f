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

        // Campaigns are defined one by one (DefineCampaignAsync); redefining the program keeps them.
        settings = settings with { Campaigns = state.State.Settings?.Campaigns ?? [] };
        state.State.Settings = settings;
        await state.WriteOrDeactivateAsync(this);
        await GrainFactory.GetGrain<IAutomationGrain>(settings.ProgramId).ScheduleAsync(settings.Automations);
        return settings;
    }

    public async Task<CampaignDefinition> DefineCampaignAsync(CampaignDefinition campaign)
    {
        Campaigns.Validate(campaign);
        var settings = await GetAsync();
        Segments.EnsureDefined(settings, campaign);
        var campaigns = settings.Campaigns.IsDefault ? [] : settings.Campaigns;
        state.State.Settings = settings with
        {
            Campaigns = [.. campaigns.Where(c => c.CampaignId != campaign.CampaignId), campaign],
        };
        await state.WriteOrDeactivateAsync(this);
        return campaign;
    }

    public Task<ProgramSettings> GetAsync() =>
        state.State.Settings is { } settings
            ? Task.FromResult(settings)
            : throw new LoyaltyException(ErrorReason.ProgramNotFound, "no such program");
}
