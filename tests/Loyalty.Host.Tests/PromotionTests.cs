using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>The promotions engine over real gRPC: stacking, discount lines, limits (docs/promotions.md).</summary>
[Collection(EngineCollection.Name)]
public sealed class PromotionTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_stackable_and_an_exclusive_campaign_quote_exactly_what_commit_applies_with_named_discount_lines()
    {
        var program = await fixture.NewProgramAsync();
        var fragrance = new Campaign
        {
            ProgramId = program, CampaignId = "fragrance20", Name = "20% on fragrance", ItemsPercentOff = 20, Priority = 5,
            Targets = new CampaignTargets { Categories = { "fragrance" } },
            Conditions = new CampaignConditions { Channels = { "store" }, PaymentMethods = { "card" } },
        };
        await Engine.Admin.DefineCampaignAsync(fragrance);
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "solo30", Name = "30% alone", PercentOff = 30, Priority = 1, Exclusive = true });
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "less500", Name = "500 off", AmountOff = 500, Priority = 3 });
        var member = await fixture.NewMemberAsync(program);

        // shampoo 1 × 4,345 + perfume 2 × 4,000: 20% of the perfume, then 500 spread over what is left; the exclusive one stays out.
        var commit = Sales.Commit(program, member, "stack-1");
        commit.Channel = "store";
        commit.PaymentMethod = "card";
        var quote = new QuoteRequest { ProgramId = program, MemberId = member, StoreId = "store-1", Channel = "store", PaymentMethod = "card", Lines = { commit.Lines } };
        var quoted = await Engine.Pos.QuoteAsync(quote);
        var committed = await Engine.Pos.CommitAsync(commit);

        Assert.Equal(["fragrance20", "less500"], committed.Campaigns.Select(c => c.CampaignId));
        Assert.Equal(
            [("fragrance20", 1, 1_600L), ("less500", 0, 202L), ("less500", 1, 298L)],
            committed.Discounts.Select(d => (d.SourceId, d.LineIndex, d.Amount)));
        Assert.All(committed.Discounts, d => Assert.Equal(DiscountSource.Campaign, d.Source));
        Assert.Equal(quoted.Discounts, committed.Discounts);
        Assert.Equal((quoted.Discount, quoted.Total, quoted.PointsToEarn), (committed.Discount, committed.Total, committed.PointsEarned));
        Assert.Equal(2_100, committed.CampaignDiscount);

        // Paid cash, the fragrance campaign does not apply and the stackable 500 off goes first, so the exclusive one is still out;
        // without the stackable (a basket under its reach is not possible), the exclusive one alone: shampoo only, online.
        var cash = Sales.Commit(program, member, "stack-2");
        cash.PaymentMethod = "cash";
        var paidCash = await Engine.Pos.CommitAsync(cash);
        Assert.Equal(["less500"], paidCash.Campaigns.Select(c => c.CampaignId));

        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "less500", Name = "500 off", AmountOff = 500, Priority = 3, MinBasket = 50_000 });
        var alone = Sales.Commit(program, member, "stack-3");
        var quotedAlone = await Engine.Pos.QuoteAsync(new QuoteRequest { ProgramId = program, MemberId = member, StoreId = "store-1", Lines = { alone.Lines } });
        var committedAlone = await Engine.Pos.CommitAsync(alone);
        Assert.Equal(("solo30", 3_703L), (Assert.Single(committedAlone.Campaigns).CampaignId, committedAlone.CampaignDiscount));
        Assert.Equal(quotedAlone.Discounts, committedAlone.Discounts);
        var hint = Assert.Single(quotedAlone.Hints, h => h.SourceId == "less500");
        Assert.Equal(50_000 - 12_345, hint.AmountMissing);
    }

    [Fact]
    public async Task A_per_member_limit_counts_exactly_and_a_void_gives_the_use_back()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "welcome", Name = "1,000 off once", AmountOff = 1_000, MaxPerMember = 1 });
        var (ana, bo) = (await fixture.NewMemberAsync(program), await fixture.NewMemberAsync(program));

        // Ten racing commits of one member: exactly one gets the campaign.
        var race = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Engine.Pos.CommitAsync(Sales.Commit(program, ana, $"ana-{i}")).ResponseAsync));
        Assert.Equal(1, race.Count(r => r.CampaignDiscount == 1_000));
        Assert.Equal(9, race.Count(r => r.CampaignDiscount == 0 && r.Campaigns.Count == 0));
        var quote = new QuoteRequest { ProgramId = program, MemberId = ana, Lines = { Sales.Line("x", 1, 10_000) } };
        Assert.Empty((await Engine.Pos.QuoteAsync(quote)).Campaigns);
        Assert.Equal(1_000, (await Engine.Pos.CommitAsync(Sales.Commit(program, bo, "bo-1"))).CampaignDiscount);

        var used = race.Single(r => r.CampaignDiscount == 1_000);
        await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = ana, TransactionId = used.TransactionId });
        Assert.Equal(1_000, (await Engine.Pos.CommitAsync(Sales.Commit(program, ana, "ana-again"))).CampaignDiscount);
    }

    [Fact]
    public async Task A_per_store_limit_is_counted_by_the_budget_and_other_stores_still_get_the_campaign()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "opening", Name = "Store opening", PercentOff = 10, MaxPerStore = 1 });
        var (ana, bo) = (await fixture.NewMemberAsync(program), await fixture.NewMemberAsync(program));

        Assert.Equal(1_234, (await Engine.Pos.CommitAsync(Sales.Commit(program, ana, "a1"))).CampaignDiscount);
        var quote = new QuoteRequest { ProgramId = program, MemberId = bo, StoreId = "store-1", Lines = { Sales.Line("x", 1, 10_000) } };
        Assert.Empty((await Engine.Pos.QuoteAsync(quote)).Campaigns);
        var full = await Engine.Pos.CommitAsync(Sales.Commit(program, bo, "b1"));
        Assert.Equal((0L, "opening", "BUDGET_EXHAUSTED"), (full.CampaignDiscount, Assert.Single(full.Dropped).SourceId, full.Dropped[0].Reason));

        var elsewhere = Sales.Commit(program, bo, "b2");
        elsewhere.StoreId = "store-2";
        Assert.Equal(1_234, (await Engine.Pos.CommitAsync(elsewhere)).CampaignDiscount);
    }

    [Fact]
    public async Task The_11th_pair_of_lenses_is_free_after_10_bought_over_several_visits_and_a_void_takes_the_stamps_back()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign
        {
            ProgramId = program, CampaignId = "lenses", Name = "11th pair free", StampCard = new StampCard { Stamps = 10 },
            Targets = new CampaignTargets { Categories = { "lenses" } },
        });
        var member = await fixture.NewMemberAsync(program);
        CommitRequest Pairs(string transactionId, int pairs) => new()
        {
            ProgramId = program, MemberId = member, TransactionId = transactionId, StoreId = "optic-1", Lines = { Sales.Line("acuvue", pairs, 3_000, "lenses") },
        };

        var first = await Engine.Pos.CommitAsync(Pairs("v1", 4));
        var second = await Engine.Pos.CommitAsync(Pairs("v2", 6));
        Assert.Equal((0L, 4, 0L, 10), (first.CampaignDiscount, first.Campaigns.Single().StampsAfter, second.CampaignDiscount, second.Campaigns.Single().StampsAfter));

        var quote = await Engine.Pos.QuoteAsync(new QuoteRequest { ProgramId = program, MemberId = member, Lines = { Sales.Line("acuvue", 1, 3_000, "lenses") } });
        var eleventh = await Engine.Pos.CommitAsync(Pairs("v3", 1));
        Assert.Equal((3_000L, 11), (eleventh.CampaignDiscount, eleventh.Campaigns.Single().StampsAfter));
        Assert.Equal(quote.Discounts, eleventh.Discounts);

        await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = member, TransactionId = "v3", StoreId = "optic-1" });
        Assert.Equal(3_000, (await Engine.Pos.CommitAsync(Pairs("v4", 1))).CampaignDiscount);
        Assert.Equal(0, (await Engine.Pos.CommitAsync(Pairs("v5", 1))).CampaignDiscount);

        // Voiding an older visit after a later one took the free pair: v1's 4 pairs go, but the free
        // pair v4 took stays counted, so the next free pair needs a full card of 11 from that one on.
        var olderVoid = await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = member, TransactionId = "v1", StoreId = "optic-1" });
        Assert.False(olderVoid.AlreadyVoided);
        var afterVoid = await Engine.Pos.CommitAsync(Pairs("v6", 10));
        Assert.Equal((0L, 21), (afterVoid.CampaignDiscount, afterVoid.Campaigns.Single().StampsAfter));
        Assert.Equal(3_000, (await Engine.Pos.CommitAsync(Pairs("v7", 1))).CampaignDiscount);
    }

    [Fact]
    public async Task Identify_lists_the_members_offers_with_stamp_progress_and_checks_the_store_it_is_told()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign
        {
            ProgramId = program, CampaignId = "lenses", Name = "11th pair free", StampCard = new StampCard { Stamps = 10 },
            Targets = new CampaignTargets { Categories = { "lenses" } },
        });
        await Engine.Admin.DefineCampaignAsync(new Campaign
        {
            ProgramId = program, CampaignId = "downtown", Name = "Downtown 5%", PercentOff = 5, MinBasket = 2_000, MaxPerMember = 3,
            Conditions = new CampaignConditions { Stores = { "downtown" } },
        });
        var member = await fixture.NewMemberAsync(program);
        await Engine.Pos.CommitAsync(new CommitRequest
        {
            ProgramId = program, MemberId = member, TransactionId = "t1", StoreId = "mall", Lines = { Sales.Line("acuvue", 4, 3_000, "lenses") },
        });

        // A till is always at its store (the credential's); customer service, with an operator token, sees every store's offers.
        var anywhere = await Engine.OperatorPos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = member });
        Assert.Equal(["downtown", "lenses"], anywhere.Offers.Select(o => o.CampaignId));
        var card = anywhere.Offers.Single(o => o.CampaignId == "lenses");
        Assert.Equal(("stamp_card", true, 4, 10), (card.Kind, card.Personal, card.StampsOnCard, card.StampsPerCard));
        var downtown = anywhere.Offers.Single(o => o.CampaignId == "downtown");
        Assert.Equal(("percent_off_basket", false, 2_000L, 3L), (downtown.Kind, downtown.Personal, downtown.MinBasket, downtown.UsesLeft));
        Assert.False(card.HasUsesLeft);

        var atMall = await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = member, StoreId = "mall" });
        Assert.Equal(["lenses"], atMall.Offers.Select(o => o.CampaignId));
        var bad = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = member, StoreId = "no store" }).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, bad.StatusCode);
    }

    public static TheoryData<string, Campaign, string> BadCampaigns => new()
    {
        { "no effect", new Campaign { CampaignId = "c" }, "effect" },
        { "items without targets", new Campaign { CampaignId = "c", ItemsPercentOff = 10 }, "targets" },
        { "3 for 2 without get", new Campaign { CampaignId = "c", BuyGet = new BuyGet { Buy = 2 }, Targets = new CampaignTargets { Skus = { "a" } } }, "buy_get.get" },
        { "scale without basis", new Campaign { CampaignId = "c", VolumeScale = new VolumeScale { Steps = { new ScaleStep { Threshold = 3, PercentOff = 5 } } } }, "volume_scale.basis" },
        { "bad weekday", new Campaign { CampaignId = "c", PercentOff = 5, Conditions = new CampaignConditions { DaysOfWeek = { (Weekday)9 } } }, "conditions.days_of_week[0]" },
        { "bad hour", new Campaign { CampaignId = "c", PercentOff = 5, Conditions = new CampaignConditions { HoursFrom = "25:00", HoursUntil = "12:00" } }, "conditions.hours_from" },
        { "melting on an amount", new Campaign { CampaignId = "c", AmountOff = 5, Melting = { new MeltStep { HoursBeforeEnd = 2, PercentOff = 1 } } }, "melting" },
        { "negative per-store limit", new Campaign { CampaignId = "c", PercentOff = 5, MaxPerStore = -1 }, "max_per_store" },
    };

    [Theory]
    [MemberData(nameof(BadCampaigns))]
    public async Task Invalid_campaigns_are_invalid_argument_naming_the_field(string because, Campaign campaign, string field)
    {
        campaign.ProgramId = await fixture.NewProgramAsync();
        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.DefineCampaignAsync(campaign).ResponseAsync);
        Assert.True(refusal.StatusCode == StatusCode.InvalidArgument, because);
        Assert.Equal(field, refusal.Field());
    }
}
