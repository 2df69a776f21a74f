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
    [PersistentState("program", ProviderNames.GrainStorage)] IPersistentState<ProgramState> state,
    LoyaltyClock clock)
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
        if (campaigns.Any(c => c.CampaignId == campaign.CampaignId && c.EndedAt is not null))
        {
            throw new LoyaltyException(ErrorReason.CampaignEnded, "the campaign was ended; run it again under a new campaign id");
        }

        campaign = campaign with { EndedAt = null };
        state.State.Settings = settings with
        {
            Campaigns = [.. campaigns.Where(c => c.CampaignId != campaign.CampaignId), campaign],
        };
        await state.WriteOrDeactivateAsync(this);
        return campaign;
    }

    public async Task<CampaignDefinition> EndCampaignAsync(string campaignId)
    {
        var settings = await GetAsync();
        var campaigns = settings.Campaigns.IsDefault ? [] : settings.Campaigns;
        var current = campaigns.FirstOrDefault(c => c.CampaignId == campaignId)
            ?? throw new LoyaltyException(ErrorReason.CampaignNotFound, "no such campaign");
        if (current.EndedAt is not null)
        {
            return current;
        }

        var ended = current with { EndedAt = clock.UtcNow };
        state.State.Settings = settings with { Campaigns = campaigns.Replace(current, ended) };
        await state.WriteOrDeactivateAsync(this);
        return ended;
    }

    public Task<ProgramSettings> GetAsync() =>
        state.State.Settings is { } settings
            ? Task.FromResult(settings)
            : throw new LoyaltyException(ErrorReason.ProgramNotFound, "no such program");
}
