using Orleans.Serialization;
using Orleans.Storage;
using Orleans.Configuration;
using Loyalty.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Loyalty.Grains.Tests;

/// <summary>An in-process Orleans test cluster with in-memory storage and a clock the tests move.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    /// <summary>Business time, shared with the in-process silo: tests set it to cross month boundaries.</summary>
    public static TestClock Clock { get; } = new();

    /// <summary>The coupon hold timeout in the test silo (the default is two minutes).</summary>
    public static TimeSpan CouponHoldTimeout { get; } = TimeSpan.FromSeconds(30);

    public TestCluster Cluster { get; } = new TestClusterBuilder(1).AddSiloBuilderConfigurator<SiloConfigurator>().Build();

    public IGrainFactory Grains => Cluster.GrainFactory;

    public Task InitializeAsync() => Cluster.DeployAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>The test silos' setup: in-memory storage and reminders, the grains with the test clock (also used by <see cref="TwoSiloFixture"/>).</summary>
    internal sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo) => silo
            .AddMemoryGrainStorage(ProviderNames.GrainStorage)
            .UseInMemoryReminderService()
            .ConfigureServices(services => services
                // States stored as the engine stores them: Orleans' serializer (private fields, [Id]s), not JSON.
                .AddOptions<MemoryGrainStorageOptions>(ProviderNames.GrainStorage)
                .Configure<IServiceProvider>((o, provider) => o.GrainStorageSerializer = new OrleansGrainStorageSerializer(provider.GetRequiredService<Serializer>()))
                .Services
                .AddLoyaltyGrains(Clock)
                .Configure<CouponOptions>(o => o.HoldTimeout = CouponHoldTimeout));
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "test cluster";
}

/// <summary>A settable clock: real time unless a test pins it.</summary>
public sealed class TestClock : TimeProvider
{
    private DateTimeOffset? _pinned;

    public override DateTimeOffset GetUtcNow() => _pinned ?? base.GetUtcNow();

    public void Pin(DateTimeOffset now) => _pinned = now;

    public void Release() => _pinned = null;
}
