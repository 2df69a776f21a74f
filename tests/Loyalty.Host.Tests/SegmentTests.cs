using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

[Collection(EngineCollection.Name)]
public sealed class SegmentTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_segment_campaign_starts_applying_once_the_member_qualifies()
    {
        var program = "seg-" + Guid.NewGuid().ToString("N")[..8];
        await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = program, Name = "Club", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 12,
            Segments = { new Segment { SegmentId = "regulars", MinPurchases = 2, MaxDaysSinceLastPurchase = 30 } },
        });
        var undefined = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.DefineCampaignAsync(new Campaign
        {
            ProgramId = program, CampaignId = "x", Name = "x", PercentOff = 5, Conditions = new CampaignConditions { Segments = { "nobody" } },
        }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "conditions.segments"), (undefined.StatusCode, undefined.Field()));
        await Engine.Admin.DefineCampaignAsync(new Campaign
        {
            ProgramId = program, CampaignId = "regulars-10", Name = "10% for regulars", PercentOff = 10,
            Conditions = new CampaignConditions { Segments = { "regulars" } },
        });
        var member = await fixture.NewMemberAsync(program);
        var coupon = (await Engine.Admin.CreateCouponsAsync(new CreateCouponsRequest
        {
            ProgramId = program, Count = 1, Terms = new CouponTerms { AmountOff = 300, Segments = { "regulars" } },
        })).Codes[0];

        // Not a regular yet: the segment coupon is refused and stays usable.
        var early = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(Sales.Commit(program, member, "early", coupon)).ResponseAsync);
        Assert.Equal("COUPON_NOT_APPLICABLE", early.Reason());
        var quoted = await Engine.Pos.QuoteAsync(new QuoteRequest
        {
            ProgramId = program, MemberId = member, CouponCode = coupon, Lines = { Sales.Commit(program, member, "q").Lines },
        });
        Assert.Equal((false, "COUPON_NOT_APPLICABLE"), (quoted.Coupon.Valid, quoted.Coupon.Reason));

        var first = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "s1"));
        var second = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "s2"));
        Assert.Equal((0L, 0L), (first.CampaignDiscount, second.CampaignDiscount));

        var third = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "s3"));
        Assert.Equal(("regulars-10", 1_234L), (third.CampaignId, third.CampaignDiscount));
        var withCoupon = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "s4", coupon));
        Assert.Equal(1_234L + 300, withCoupon.Discount);
    }

    [Fact]
    public async Task A_categories_bought_segment_counts_the_members_purchases_in_those_categories_and_months()
    {
        var program = "seg-" + Guid.NewGuid().ToString("N")[..8];
        await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = program, Name = "Optics", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 12,
            Segments = { new Segment { SegmentId = "lens-wearers", CategoriesBought = { "lenses", "care" }, CategoryMonths = 3 } },
        });
        var bad = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = program, Name = "Optics", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 12,
            Segments = { new Segment { SegmentId = "lens-wearers", CategoryMonths = 3 } },
        }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "segments[0].category_months"), (bad.StatusCode, bad.Field()));
        var stored = await Engine.Admin.GetProgramAsync(new GetProgramRequest { ProgramId = program });
        Assert.Equal(["lenses", "care"], stored.Segments.Single().CategoriesBought);
        Assert.Equal(3, stored.Segments.Single().CategoryMonths);
        await Engine.Admin.DefineCampaignAsync(new Campaign
        {
            ProgramId = program, CampaignId = "wearers-10", Name = "10% for lens wearers", PercentOff = 10,
            Conditions = new CampaignConditions { Segments = { "lens-wearers" } },
        });
        var member = await fixture.NewMemberAsync(program);
        CommitRequest Sale(string id, params string[] categories)
        {
            var sale = Sales.Commit(program, member, id);
            sale.Lines.Clear();
            sale.Lines.AddRange(categories.Select(c => Sales.Line(c + "-item", 1, 10_000, c)));
            return sale;
        }

        // Lenses alone, then care products: only with both is the member in the segment.
        Assert.Equal(0, (await Engine.Pos.CommitAsync(Sale("s1", "lenses"))).CampaignDiscount);
        Assert.Equal(0, (await Engine.Pos.CommitAsync(Sale("s2", "frames"))).CampaignDiscount);
        Assert.Equal(0, (await Engine.Pos.CommitAsync(Sale("s3", "care"))).CampaignDiscount);
        var quote = await Engine.Pos.QuoteAsync(new QuoteRequest { ProgramId = program, MemberId = member, Lines = { Sale("q", "frames").Lines } });
        Assert.Equal(1_000, quote.Discount);
        var fourth = await Engine.Pos.CommitAsync(Sale("s4", "frames"));
        Assert.Equal(("wearers-10", 1_000L), (fourth.CampaignId, fourth.CampaignDiscount));

        // Another member who only bought frames is not in it.
        var other = await fixture.NewMemberAsync(program);
        await Engine.Pos.CommitAsync(Sales.Commit(program, other, "o1"));
        Assert.Equal(0, (await Engine.Pos.QuoteAsync(new QuoteRequest { ProgramId = program, MemberId = other, Lines = { Sale("q", "frames").Lines } })).Discount);
    }
}
