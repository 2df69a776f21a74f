using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains;

[GenerateSerializer, Alias("loyalty.ProgramState")]
public sealed class ProgramState
{
    [Id(0)]
    public ProgramSettings? Settings { get; set; }

    /// <summary>Grows by one with every change: a silo's cache keeps the highest version it has seen.</summary>
    [Id(1)]
    public long Version { get; set; }
}

public sealed class ProgramGrain(
    [PersistentState(ProgramGrain.StateName, ProviderNames.GrainStorage)] IPersistentState<ProgramState> state,
    LoyaltyClock clock,
    IProgramDirectory directory)
    : Grain, IProgramGrain
{
    /// <summary>The name of its state in the grain storage (the <c>state_name</c> of its <c>grain_state</c> row).</summary>
    public const string StateName = "program";

    /// <summary>How long a silo's cache may wait to hear of a change before the change's caller is answered anyway.</summary>
    private static readonly TimeSpan NotifyTimeout = TimeSpan.FromSeconds(2);

    // The program caches of the silos that read this program since this activation started (one per silo).
    private readonly HashSet<IProgramWatcher> _watchers = [];

    public async Task<ProgramSettings> DefineAsync(ProgramSettings settings)
    {
        settings = Programs.Redefine(state.State.Settings, settings, this.GetPrimaryKeyString());
        await SaveAsync(settings);
        await directory.RecordAsync(settings.ProgramId);
        await GrainFactory.Grain<IAutomationGrain>(settings.ProgramId).ScheduleAsync(settings.Automations);
        return settings;
    }

    public async Task<CampaignDefinition> DefineCampaignAsync(CampaignDefinition campaign)
    {
        var (settings, defined) = Programs.DefineCampaign(await GetAsync(), campaign);
        await SaveAsync(settings);
        return defined;
    }

    public async Task<CampaignDefinition> EndCampaignAsync(string campaignId)
    {
        var (settings, ended) = Programs.EndCampaign(await GetAsync(), campaignId, clock.UtcNow);
        if (settings is not null)
        {
            await SaveAsync(settings);
        }

        return ended;
    }

    public Task<ProgramSettings> GetAsync() =>
        state.State.Settings is { } settings
            ? Task.FromResult(settings)
            : throw new LoyaltyException(ErrorReason.ProgramNotFound, "no such program");

    public async Task<VersionedProgram> WatchAsync(IProgramWatcher watcher)
    {
        var settings = await GetAsync();
        _watchers.Add(watcher);
        return new VersionedProgram(settings, state.State.Version);
    }

    /// <summary>
    /// Writes the new settings, then tells every silo's cache before the caller is answered, so a commit on any silo
    /// after an admin change sees it. A cache that does not answer within <see cref="NotifyTimeout"/> (its silo
    /// died or is cut off) is dropped: it re-registers when it next refreshes (ProgramCache.Lifetime).
    /// </summary>
    private async Task SaveAsync(ProgramSettings settings)
    {
        state.State.Settings = settings;
        state.State.Version++;
        await state.WriteOrDeactivateAsync(this);
        var changed = new VersionedProgram(settings, state.State.Version);
        var told = _watchers.Select(async watcher =>
        {
            try
            {
                await watcher.ChangedAsync(changed).WaitAsync(NotifyTimeout);
                return null;
            }
            catch (Exception)
            {
                return watcher;
            }
        }).ToList();
        foreach (var gone in await Task.WhenAll(told))
        {
            if (gone is not null)
            {
                _watchers.Remove(gone);
            }
        }
    }
}
