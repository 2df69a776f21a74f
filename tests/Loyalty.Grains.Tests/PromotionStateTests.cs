using Loyalty.Domain;
using System.Collections.Immutable;
using Loyalty.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Loyalty.Grains.Tests;

/// <summary>The promotion types survive Orleans' binary serializer (grain storage and calls between silos use it).</summary>
[Collection(ClusterCollection.Name)]
public sealed class PromotionStateTests(ClusterFixture fixture)
{
    private Serializer Serializer => fixture.Cluster.ServiceProvider.GetRequiredService<Serializer>();

    [Fact]
    public void Campaign_definitions_member_state_and_results_round_trip_through_the_serializer()
    {
        var campaign = new CampaignDefinition(
            "c", "Morning", CampaignKind.BuyGet, 0, 500, 1_000, null, DateTimeOffset.UnixEpoch.AddDays(1), 3, 10, 1_000,
            new CampaignTargets(["a"], ["x"], ["b"], ["y"], true),
            new CampaignConditions(new DateOnly(2026, 11, 25), [DayOfWeek.Monday], 0, 720, [15], true, ["gold"], ["student"], true, 3, 30, ["s1"], ["web"], ["card"]),
            true, 2, 1, 100, null, ScaleBasis.Amount, [new ScaleStep(3, 5)], [new MeltStep(24, 5)], 1, 2);
        var copy = Serializer.Deserialize<CampaignDefinition>(Serializer.SerializeToArray(campaign))!;
        Assert.Equal(campaign.Conditions!.DaysOfWeek.ToArray(), copy.Conditions!.DaysOfWeek.ToArray());
        Assert.Equal((campaign.Conditions.OnDate, campaign.Conditions.BirthdayWindowDays, campaign.Exclusive, campaign.MaxPerStore), (copy.Conditions.OnDate, copy.Conditions.BirthdayWindowDays, copy.Exclusive, copy.MaxPerStore));
        Assert.Equal(campaign.Targets!.ExcludedCategories.ToArray(), copy.Targets!.ExcludedCategories.ToArray());
        Assert.Equal(campaign.Melting.ToArray(), copy.Melting.ToArray());

        var facts = new MemberFacts(["student"], 2, DateTimeOffset.UnixEpoch, new DateOnly(1990, 1, 1), ImmutableDictionary<string, int>.Empty.Add("c", 7), ImmutableDictionary<string, int>.Empty, DateTimeOffset.UnixEpoch);
        Assert.Equal(7, Serializer.Deserialize<MemberFacts>(Serializer.SerializeToArray(facts))!.Stamps["c"]);

        var state = Serializer.Deserialize<MemberState>(Convert.FromBase64String(MemberStateShapeTests.UsedBefore))!;
        var stateCopy = Serializer.Deserialize<MemberState>(Serializer.SerializeToArray(state))!;
        Assert.Equal((3, 1, "student"), (stateCopy.Stamps["stamp"], stateCopy.CampaignUses["camp"], stateCopy.Attributes.Single()));

        var budget = new CampaignBudgetState { RedemptionsByStore = { ["s1"] = 4 }, HoldsById = { ["t"] = new BudgetHold { MemberId = "m", StoreId = "s1" } } };
        var budgetCopy = Serializer.Deserialize<CampaignBudgetState>(Serializer.SerializeToArray(budget))!;
        Assert.Equal((4L, "s1"), (budgetCopy.StoreRedemptions["s1"], budgetCopy.Holds["t"].StoreId));
    }
}
