using Loyalty.Contracts;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;

namespace Loyalty.Host.Storage;

/// <summary>What the project's own PostgreSQL code shares with Orleans' grain storage: the serializer of its states and the service id of its rows.</summary>
public static class StorageServices
{
    /// <summary>The serializer the grain storage named <paramref name="name"/> writes its states with (their sale records and legacy rows too).</summary>
    public static IGrainStorageSerializer GrainStateSerializer(this IServiceProvider services, string name = ProviderNames.GrainStorage) =>
        services.GetRequiredService<IOptionsMonitor<AdoNetGrainStorageOptions>>().Get(name).GrainStorageSerializer;

    /// <summary>The cluster's service id, the first column of every row the engine writes.</summary>
    public static string ServiceId(this IServiceProvider services) => services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId;
}
