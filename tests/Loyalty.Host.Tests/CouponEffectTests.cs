using Loyalty.Api.V1;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

[Collection(EngineCollection.Name)]
public sealed class CouponEffectTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task Free_item_and_bonus_point_coupons_apply_at_commit_and_a_void_takes_everything_back()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        var codes = await Engine.Admin.CreateCouponsAsync(new CreateCouponsRequest
        {
            ProgramId = program, Count = 1, Terms = new CouponTerms { FreeSku = "perfume", Targets = new CampaignTargets { Categories = { "fragrance" } } },
        });
        var bonus = await Engine.Admin.CreateCouponsAsync(new CreateCouponsRequest { ProgramId = program, Count = 1, Terms = new CouponTerms { BonusPoints = 250 } });

        // The basket: shampoo 4,345 + 2 × perfume 4,000 = 12,345; one perfume free.
        var free = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "free-1", codes.Codes[0]));
        Assert.Equal((4_000L, 8_345L), (free.Discount, free.Total));
        Assert.Equal(83, free.PointsEarned);

        var plain = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "plain-1"));
        var withBonus = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "bonus-1", bonus.Codes[0]));
        Assert.Equal(0, withBonus.Discount);
        Assert.Equal(plain.AvailableAfter + plain.PointsEarned + 250, withBonus.AvailableAfter);

        var voided = await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = member, TransactionId = "bonus-1" });
        Assert.Equal(plain.AvailableAfter, voided.AvailableAfter);
        Assert.True(voided.CouponRestored);
    }
}
