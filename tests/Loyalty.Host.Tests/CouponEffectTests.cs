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

[Collection(EngineCollection.Name)]
public sealed class IssueCouponCampaignTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_campaign_issues_a_personal_coupon_printed_on_the_receipt_and_usable_next_visit_only_by_that_member()
    {
        var program = await fixture.NewProgramAsync();
        var (ana, bo) = (await fixture.NewMemberAsync(program), await fixture.NewMemberAsync(program));
        await Engine.Admin.DefineCampaignAsync(new Campaign
        {
            ProgramId = program, CampaignId = "next-visit", Name = "Spend 100, get 5 off next time", MinBasket = 10_000,
            IssueCoupon = new CouponTerms { AmountOff = 500 }, CouponValidDays = 14,
        });

        var small = await Engine.Pos.CommitAsync(Sales.Commit(program, ana, "small", null) is var s1 && s1.Lines.Count > 1 ? Trim(s1) : s1);
        Assert.DoesNotContain(small.Campaigns, c => c.IssuedCoupon.Length > 0);

        var sale = Sales.Commit(program, ana, "big");
        var receipt = await Engine.Pos.CommitAsync(sale);
        var code = Assert.Single(receipt.Campaigns, c => c.CampaignId == "next-visit").IssuedCoupon;
        Assert.NotEmpty(code);
        Assert.Equal(code, Assert.Single((await Engine.Pos.CommitAsync(sale.Clone())).Campaigns).IssuedCoupon); // a retry: the same code

        var identified = await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = ana });
        Assert.Contains(identified.Coupons, c => c.Code == code && c.Occasion == "campaign_coupon" && c.AmountOff == 500);

        var stolen = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => Engine.Pos.CommitAsync(Sales.Commit(program, bo, "bo-1", code)).ResponseAsync);
        Assert.Equal("COUPON_NOT_FOR_MEMBER", Loyalty.Client.LoyaltyErrors.Reason(stolen));
        var next = await Engine.Pos.CommitAsync(Sales.Commit(program, ana, "next", code));
        Assert.True(next.Discount >= 500);
    }

    [Fact]
    public async Task Voiding_the_sale_that_issued_a_coupon_withdraws_the_coupon_and_reports_one_already_used()
    {
        var program = await fixture.NewProgramAsync();
        var ana = await fixture.NewMemberAsync(program);
        await Engine.Admin.DefineCampaignAsync(new Campaign
        {
            ProgramId = program, CampaignId = "next-visit", Name = "Spend 100, get 5 off next time", MinBasket = 10_000,
            IssueCoupon = new CouponTerms { AmountOff = 500 }, CouponValidDays = 14,
        });
        async Task<string?> Reason(Func<Task> call) =>
            Loyalty.Client.LoyaltyErrors.Reason(await Assert.ThrowsAsync<Grpc.Core.RpcException>(call));

        // Issued, then the issuing sale is voided before the code was used: the code is gone.
        var first = Assert.Single((await Engine.Pos.CommitAsync(Sales.Commit(program, ana, "buy-1"))).Campaigns).IssuedCoupon;
        var voided = await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = ana, TransactionId = "buy-1" });
        Assert.Equal([first], voided.CouponsWithdrawn);
        Assert.Empty(voided.IssuedCouponsAlreadyUsed);
        var again = await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = ana, TransactionId = "buy-1" });
        Assert.True(again.AlreadyVoided);
        Assert.Equal([first], again.CouponsWithdrawn);

        Assert.DoesNotContain((await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = ana })).Coupons, c => c.Code == first);
        var quote = await Engine.Pos.QuoteAsync(new QuoteRequest { ProgramId = program, MemberId = ana, CouponCode = first, Lines = { Sales.Commit(program, ana, "q").Lines } });
        Assert.Equal((false, "COUPON_WITHDRAWN"), (quote.Coupon.Valid, quote.Coupon.Reason));
        Assert.Equal("COUPON_WITHDRAWN", await Reason(() => Engine.Pos.CommitAsync(Sales.Commit(program, ana, "use-withdrawn", first)).ResponseAsync));
        Assert.NotNull((await Engine.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = program, Code = first })).WithdrawnAt);
        var balance = (await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = ana })).Balance.Available;

        // Issued and already used by the next sale when the issuing sale is voided: that discount stays
        // given, the void says so, and the code cannot come back even if the sale that used it is voided.
        var second = Assert.Single((await Engine.Pos.CommitAsync(Sales.Commit(program, ana, "buy-2"))).Campaigns).IssuedCoupon;
        var used = await Engine.Pos.CommitAsync(Sales.Commit(program, ana, "use-2", second));
        Assert.True(used.Discount >= 500);
        var late = await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = ana, TransactionId = "buy-2" });
        Assert.Empty(late.CouponsWithdrawn);
        Assert.Equal([second], late.IssuedCouponsAlreadyUsed);
        var undone = await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = ana, TransactionId = "use-2" });
        Assert.True(undone.CouponRestored);
        Assert.Equal("COUPON_WITHDRAWN", await Reason(() => Engine.Pos.CommitAsync(Sales.Commit(program, ana, "use-2-again", second)).ResponseAsync));

        // The refused commits changed nothing: the balance is what the two voids left.
        Assert.Equal(balance, (await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = ana })).Balance.Available);

        // A return days later, in two refunds: the code stays while goods are kept, and goes with the last of them.
        var third = Assert.Single((await Engine.Pos.CommitAsync(Sales.Commit(program, ana, "buy-3"))).Campaigns).IssuedCoupon;
        RefundRequest Return(string id, int line, int quantity) => new()
        {
            ProgramId = program, MemberId = ana, TransactionId = "buy-3", RefundId = id, Lines = { new RefundLineRef { LineIndex = line, Quantity = quantity } },
        };
        Assert.Empty((await Engine.Pos.RefundAsync(Return("r1", 1, 2))).CouponsWithdrawn);
        Assert.Contains((await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = ana })).Coupons, c => c.Code == third);
        Assert.Equal("REFUND_EXCEEDS_SALE", await Reason(() => Engine.Pos.RefundAsync(Return("r-bad", 0, 2)).ResponseAsync));
        Assert.Null((await Engine.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = program, Code = third })).WithdrawnAt);
        var last = await Engine.Pos.RefundAsync(Return("r2", 0, 1));
        Assert.Equal([third], last.CouponsWithdrawn);
        Assert.Equal([third], (await Engine.Pos.RefundAsync(Return("r2", 0, 1))).CouponsWithdrawn); // a retried refund: the same answer
        Assert.Equal("COUPON_WITHDRAWN", await Reason(() => Engine.Pos.CommitAsync(Sales.Commit(program, ana, "use-3", third)).ResponseAsync));
    }

    private static CommitRequest Trim(CommitRequest request)
    {
        request.Lines.RemoveAt(1); // 4,345 only: under the 10,000 minimum
        return request;
    }
}
