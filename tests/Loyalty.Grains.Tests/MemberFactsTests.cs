using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Grains.Tests;

/// <summary>The member's facts (what promotions see) are built once per stored version: each write must show in the next call.</summary>
[Collection(ClusterCollection.Name)]
public sealed class MemberFactsTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Facts_follow_every_write_of_the_member()
    {
        var grains = fixture.Cluster.GrainFactory;
        var programId = "p" + Guid.NewGuid().ToString("N")[..8];
        await grains.GetGrain<IProgramGrain>(programId).DefineAsync(new ProgramSettings(programId, "Club", "EUR", 1, 100, 12));
        var member = grains.Grain<IMemberGrain>(Keys.Scoped(programId, "m1"));
        await member.EnrollAsync(new EnrollCommand("Eva", null));
        ImmutableArray<BasketLine> basket = [new("tea", "food", 2, 1_500, false)];

        Assert.Equal(0, (await member.GetForQuoteAsync()).Facts.Purchases);
        Assert.Equal(0, (await member.GetForQuoteAsync()).Facts.Purchases);

        await member.CommitAsync(new CommitCommand("t1", "s1", "t1", basket, null));
        var afterSale = (await member.GetForQuoteAsync()).Facts;
        Assert.Equal(1, afterSale.Purchases);
        Assert.Equal(3_000, afterSale.LifetimeSpend);

        await member.UpdateProfileAsync(new ProfileUpdate(null, null, new MemberProfile(Attributes: ["vip"])), MemberProof.Operator);
        var afterProfile = (await member.GetForQuoteAsync()).Facts;
        Assert.Equal(["vip"], afterProfile.Attributes.ToArray());
        Assert.Equal(1, afterProfile.Purchases);

        await member.VoidAsync("t1");
        Assert.Equal(0, (await member.GetForQuoteAsync()).Facts.LifetimeSpend);
    }
}
