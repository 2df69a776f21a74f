using System.Globalization;
using Loyalty.Grains;
using Orleans.Storage;

namespace Loyalty.Host.Storage;

/// <summary>
/// The hot grains' storage (docs/write-path.md): writes of the states named in
/// <see cref="HotStates"/> go to the silo-wide <see cref="GrainStateWriter"/>, which commits the
/// writes of many grains in one PostgreSQL transaction, each row still checked against its own
/// version. Reads, clears and every other state pass to Orleans' ADO.NET provider, which reads the
/// same rows: a state written by either loads in the other, so no migration is needed. A state that
/// carries rows (<see cref="PendingRows"/>: the member's sales and ledger entries) has them written
/// in its own statement, in the same transaction.
/// </summary>
public sealed class BatchedGrainStorage(IGrainStorage inner, GrainStateWriter writer, IGrainStorageSerializer serializer)
    : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>
    /// String-keyed grains written on every checkout: members (with their cards and phones as rows), the
    /// coupons they redeem and the campaign budgets they draw on (each of the last two still group-commits its own calls).
    /// </summary>
    public static readonly IReadOnlySet<string> HotStates = new HashSet<string>(StringComparer.Ordinal) { "member", "guest-till", "coupon", "campaign-budget" };

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (!HotStates.Contains(stateName))
        {
            await inner.WriteStateAsync(stateName, grainId, grainState);
            return;
        }

        int? version = grainState.ETag is { } etag ? int.Parse(etag, NumberStyles.None, CultureInfo.InvariantCulture) : null;
        var pending = PendingRows.Find(grainState.State);
        var rows = pending?.Take();
        var payload = serializer.Serialize(grainState.State).ToMemory();
        var side = rows is null ? null : new SideRows(rows, [.. Enumerable.Range(0, rows.Sales.Count).Select(i => SaleRecord(rows, i))]);
        var written = await writer.WriteAsync(stateName, grainId.Key.ToString()!, version, payload, side);
        if (written.TakenKind is { } kind)
        {
            // Likewise: another member holds a card or phone the write claims; nothing was written.
            pending!.MarkKeyTaken(kind);
            return;
        }

        if (written.Duplicate)
        {
            // Not an error of storage (which Orleans would log as one): nothing was written, and the grain,
            // told through the state's pending rows, answers the retry from the sale's row.
            pending!.MarkDuplicate();
            return;
        }

        if (written.Version is not { } newVersion)
        {
            throw new InconsistentStateException(
                $"the {stateName} state of {grainId} was written by another activation (version {grainState.ETag ?? "none"} is stale)",
                storedEtag: "unknown",
                currentEtag: grainState.ETag ?? string.Empty);
        }

        grainState.ETag = newVersion.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <summary>
    /// A sale's record as this storage's serializer writes it. With Orleans' own serializer (the default) the bytes
    /// the member grain made for its recent-sales cache are exactly that (tested), so the sale is not serialized twice.
    /// </summary>
    private byte[] SaleRecord(MemberRows rows, int index) =>
        (serializer is OrleansGrainStorageSerializer ? rows.SerializedSale(index) : null) ?? serializer.Serialize(rows.Sales[index]).ToArray();

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);

    public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);

    /// <summary>Puts the batched writes in front of the ADO.NET provider registered as <paramref name="name"/>.</summary>
    public static void Decorate(IServiceCollection services, string name, int writers)
    {
        var descriptor = services.LastOrDefault(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, name))
            ?? throw new InvalidOperationException($"grain storage '{name}' is not registered");
        var create = descriptor.KeyedImplementationFactory
            ?? throw new InvalidOperationException($"grain storage '{name}' is not registered by a factory");
        services.Remove(descriptor);
        services.AddSingleton(provider => new GrainStateWriter(
            provider.GetRequiredService<Npgsql.NpgsqlDataSource>(),
            provider.ServiceId(),
            writers));
        services.AddKeyedSingleton<IGrainStorage>(name, (provider, key) => new BatchedGrainStorage(
            (IGrainStorage)create(provider, key),
            provider.GetRequiredService<GrainStateWriter>(),
            provider.GrainStateSerializer(name)));
    }
}
