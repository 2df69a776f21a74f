using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Grains.Tests;

/// <summary><see cref="GrainReferences.Grain{T}"/> must give exactly the reference Orleans' own <c>GetGrain</c> gives.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GrainReferencesTests(ClusterFixture fixture)
{
    public static TheoryData<Type> StringKeyedInterfaces()
    {
        var data = new TheoryData<Type>();
        foreach (var type in typeof(IMemberGrain).Assembly.GetTypes()
            .Where(t => t.IsInterface && typeof(IGrainWithStringKey).IsAssignableFrom(t) && t != typeof(IGrainWithStringKey)))
        {
            data.Add(type);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(StringKeyedInterfaces))]
    public void Every_string_keyed_interface_gets_the_same_grain_id_and_interface_as_GetGrain(Type grainInterface)
    {
        var grains = fixture.Cluster.GrainFactory;
        var ours = typeof(GrainReferences).GetMethod(nameof(GrainReferences.Grain))!.MakeGenericMethod(grainInterface);
        var orleans = typeof(IGrainFactory).GetMethods()
            .Single(m => m.Name == nameof(IGrainFactory.GetGrain) && m.IsGenericMethod
                && m.GetParameters() is [{ ParameterType: var key }, _] && key == typeof(string))
            .MakeGenericMethod(grainInterface);

        // Twice each, and for two keys: the first call resolves the types, the second uses what it kept.
        foreach (var key in new[] { "p1/a", "p2/b", "p1/a" })
        {
            var expected = (GrainReference)orleans.Invoke(grains, [key, null])!;
            var actual = (GrainReference)ours.Invoke(null, [grains, key])!;
            Assert.Equal(expected.GrainId, actual.GrainId);
            Assert.Equal(expected.InterfaceType, actual.InterfaceType);
            Assert.IsAssignableFrom(grainInterface, actual);
        }
    }

    [Fact]
    public async Task A_reference_made_this_way_reaches_the_same_activation()
    {
        var grains = fixture.Cluster.GrainFactory;
        var programId = "p" + Guid.NewGuid().ToString("N")[..8];
        await grains.GetGrain<IProgramGrain>(programId).DefineAsync(new ProgramSettings(programId, "Club", "EUR", 1, 100, 12));
        var key = Keys.Scoped(programId, "m1");
        await grains.Grain<IMemberGrain>(key).EnrollAsync(new EnrollCommand("Eva", null));
        ImmutableArray<BasketLine> basket = [new("tea", "food", 2, 1_500, false)];
        await grains.Grain<IMemberGrain>(key).CommitAsync(new CommitCommand("t1", "s1", "t1", basket, null));

        Assert.Equal(30, (await grains.GetGrain<IMemberGrain>(key).GetAsync()).Balance.Available);
    }
}
