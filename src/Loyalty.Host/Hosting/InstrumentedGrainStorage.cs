using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Storage;

namespace Loyalty.Host.Hosting;

/// <summary>
/// Wraps the grain storage provider: times every write (by state name and outcome) and, only when
/// <c>Loyalty:StorageFaults</c> asks for it in a test, makes a share of the writes fail. Reads and
/// the provider's own lifecycle pass straight through.
/// </summary>
public sealed partial class InstrumentedGrainStorage(
    IGrainStorage inner,
    LoyaltyMetrics metrics,
    StorageFaultOptions faults,
    ILogger<InstrumentedGrainStorage> logger)
    : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly HashSet<string>? _faultStates = string.IsNullOrWhiteSpace(faults.StateNames)
        ? null
        : faults.StateNames.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        inner.ReadStateAsync(stateName, grainId, grainState, cancellationToken);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        MeasureAsync(stateName, () => inner.WriteStateAsync(stateName, grainId, grainState));

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        MeasureAsync(stateName, () => inner.WriteStateAsync(stateName, grainId, grainState, cancellationToken));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        MeasureAsync(stateName, () => inner.ClearStateAsync(stateName, grainId, grainState));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        MeasureAsync(stateName, () => inner.ClearStateAsync(stateName, grainId, grainState, cancellationToken));

    public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);

    private async Task MeasureAsync(string stateName, Func<Task> write)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "error";
        try
        {
            MaybeFail(stateName, "before", faults.FailBeforeWritePercent);
            await write();
            MaybeFail(stateName, "after", faults.FailAfterWritePercent);
            outcome = "ok";
        }
        catch (InconsistentStateException)
        {
            outcome = "conflict";
            throw;
        }
        finally
        {
            metrics.StorageWrite(stateName, outcome, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private void MaybeFail(string stateName, string when, int percent)
    {
        if (percent <= 0 || (_faultStates is not null && !_faultStates.Contains(stateName)) || Random.Shared.Next(100) >= percent)
        {
            return;
        }

        metrics.FaultInjected(stateName, when);
        LogInjected(logger, stateName, when);
        throw new NpgsqlException($"injected storage fault ({when} the {stateName} write; Loyalty:StorageFaults)");
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Injected a storage fault {When} a {State} write")]
    private static partial void LogInjected(ILogger logger, string state, string when);

    /// <summary>
    /// Replaces the keyed registration of storage provider <paramref name="name"/> with this decorator
    /// around it. Orleans registers a provider as a keyed singleton and also resolves it by that key as
    /// a silo lifecycle participant, which the decorator forwards to the provider.
    /// </summary>
    public static void Decorate(IServiceCollection services, string name)
    {
        var descriptor = services.LastOrDefault(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, name))
            ?? throw new InvalidOperationException($"grain storage '{name}' is not registered");
        var create = descriptor.KeyedImplementationFactory
            ?? throw new InvalidOperationException($"grain storage '{name}' is not registered by a factory");
        services.Remove(descriptor);
        services.AddKeyedSingleton<IGrainStorage>(name, (provider, key) => new InstrumentedGrainStorage(
            (IGrainStorage)create(provider, key),
            provider.GetRequiredService<LoyaltyMetrics>(),
            provider.GetRequiredService<IOptions<LoyaltyOptions>>().Value.StorageFaults,
            provider.GetRequiredService<ILogger<InstrumentedGrainStorage>>()));
    }
}
