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
}
