using System.Collections.Immutable;
using Loyalty.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Loyalty.Grains.Tests;

/// <summary>A cluster of two silos (set up as <see cref="ClusterFixture"/>'s), each with its own program cache.</summary>
public sealed class TwoSiloFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; } = new TestClusterBuilder(2).AddSiloBuilderConfigurator<ClusterFixture.SiloConfigurator>().Build();

    public Task InitializeAsync() => Cluster.DeployAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// Program settings are cached per silo (ProgramCache); a change made through the program grain reaches
/// every silo's cache before the call that made it returns.
/// </summary>
public sealed class ProgramCacheTests(TwoSiloFixture fixture) : IClassFixture<TwoSiloFixture>
{
    private static readonly ImmutableArray<BasketLine> Basket = [new("tea", "food", 2, 1_500, false), new("cup", "home", 1, 2_000, false)];

    [Fact]
    public async Task A_changed_earn_rate_applies_to_the_next_commit_on_every_silo()
    {
        var grains = fixture.Cluster.GrainFactory;
        var programId = "p" + Guid.NewGuid().ToString("N")[..8];
        var program = grains.GetGrain<IProgramGrain>(programId);
        await program.DefineAsync(new ProgramSettings(programId, "Club", "EUR", 1, 100, 12));

        // Enough members that both silos host some, each silo's cache holding the program at 1 point per 1.00.
        var members = Enumerable.Range(0, 40).Select(i => grains.GetGrain<IMemberGrain>(Keys.Scoped(programId, $"m{i}"))).ToList();
        foreach (var member in members)
        {
            await member.EnrollAsync(new EnrollCommand("Eva", null));
            Assert.Equal(50, (await member.CommitAsync(new CommitCommand("t1", "s1", "t1", Basket, null))).PointsEarned);
        }

        // Placement may put every member on one silo: read through each silo's own cache as well, so both
        // silos have registered with the program grain whichever silo hosts it.
        var caches = fixture.Cluster.Silos.Cast<InProcessSiloHandle>().Select(silo => silo.SiloHost.Services.GetRequiredService<ProgramCache>()).ToList();
        Assert.Equal(2, caches.Count);
        foreach (var cache in caches)
        {
            Assert.Equal(1, (await cache.GetAsync(programId)).EarnPoints);
        }

        await program.DefineAsync(new ProgramSettings(programId, "Club", "EUR", 3, 100, 12));

        foreach (var cache in caches)
        {
            Assert.Equal(3, (await cache.GetAsync(programId)).EarnPoints);
        }

        foreach (var member in members)
        {
            Assert.Equal(150, (await member.CommitAsync(new CommitCommand("t2", "s1", "t1", Basket, null))).PointsEarned);
        }
    }

    [Fact]
    public async Task An_undefined_program_is_not_cached_and_is_found_once_defined()
    {
        var grains = fixture.Cluster.GrainFactory;
        var programId = "p" + Guid.NewGuid().ToString("N")[..8];
        var member = grains.GetGrain<IMemberGrain>(Keys.Scoped(programId, "m1"));

        var missing = await Assert.ThrowsAsync<LoyaltyException>(() => member.EnrollAsync(new EnrollCommand("Eva", null)));
        Assert.Equal(ErrorReason.ProgramNotFound, missing.Reason);

        await grains.GetGrain<IProgramGrain>(programId).DefineAsync(new ProgramSettings(programId, "Club", "EUR", 2, 100, 12));
        await member.EnrollAsync(new EnrollCommand("Eva", null));
        Assert.Equal(100, (await member.CommitAsync(new CommitCommand("t1", "s1", "t1", Basket, null))).PointsEarned);
    }
}
