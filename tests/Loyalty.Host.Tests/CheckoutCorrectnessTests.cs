using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// What an independent POS integrator found wrong at checkout (issue #10), over real gRPC and PostgreSQL:
/// the live tolerance, sold-out campaigns, voids of expired points, refunds of bonuses and stamps, the
/// coupon's own discount, the next tier, the cap order and the minimum-basket base (docs/promotions.md, docs/ledger.md).
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class CheckoutCorrectnessTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_sale_stamped_by_the_till_30_seconds_ago_is_live_and_gets_the_quoted_campaign()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "thousand", Name = "1,000 off", AmountOff = 1_000 });
        var member = await fixture.NewMemberAsync(program);
        var commit = Sales.Commit(program, member, "till-stamped");
        var quote = await Engine.Pos.QuoteAsync(new QuoteRequest { ProgramId = program, MemberId = member, StoreId = "store-1", Lines = { commit.Lines } });
        commit.OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(-30));

        var committed = await Engine.Pos.CommitAsync(commit);

        Assert.Equal(1_000, quote.Discount);
        Assert.Equal((quote.Discount, quote.Total, quote.PointsToEarn), (committed.Discount, committed.Total, committed.PointsEarned));
        Assert.Equal(["thousand"], committed.Campaigns.Select(c => c.CampaignId));
    }

    [Fact]
    public async Task A_campaign_that_sells_out_between_quote_and_commit_drops_out_and_the_sale_still_commits()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "flash", Name = "30% for the first one", PercentOff = 30, MaxRedemptions = 1 });
        var (ana, bo) = (await fixture.NewMemberAsync(program), await fixture.NewMemberAsync(program));
        var basket = Sales.Commit(program, bo, "bo-1");
        var quoted = await Engine.Pos.QuoteAsync(new QuoteRequest { ProgramId = program, MemberId = bo, StoreId = "store-1", Lines = { basket.Lines } });
        Assert.Equal(3_703, quoted.CampaignDiscount);

        // Ana takes the last unit of the budget after Bo's quote.
        Assert.Equal(3_703, (await Engine.Pos.CommitAsync(Sales.Commit(program, ana, "ana-1"))).CampaignDiscount);

        // Strict pricing: the terminal sends the total it showed; the commit is refused precisely and changes nothing.
        var strict = Sales.Commit(program, bo, "bo-strict");
        strict.ExpectedTotal = quoted.Total;
        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(strict).ResponseAsync);
        Assert.Equal((StatusCode.FailedPrecondition, "TOTAL_CHANGED"), (refusal.StatusCode, refusal.Reason()));
        Assert.Equal(0, (await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = bo })).Balance.Available);

        // Without it the sale commits at full price and says what was dropped and why; a retry answers the same.
        var committed = await Engine.Pos.CommitAsync(basket);
        Assert.Equal((0L, 12_345L, 123L), (committed.Discount, committed.Total, committed.PointsEarned));
        var dropped = Assert.Single(committed.Dropped);
        Assert.Equal((DiscountSource.Campaign, "flash", "BUDGET_EXHAUSTED"), (dropped.Source, dropped.SourceId, dropped.Reason));
        Assert.Equal(committed, await Engine.Pos.CommitAsync(basket));

        // A strict commit whose total is still right goes through.
        var right = Sales.Commit(program, bo, "bo-right");
        right.ExpectedTotal = 12_345;
        Assert.Equal(12_345, (await Engine.Pos.CommitAsync(right)).Total);
        var status = await Engine.Admin.GetCampaignStatusAsync(new GetCampaignStatusRequest { ProgramId = program, CampaignId = "flash" });
        Assert.Equal(1, status.Redemptions);
    }

    [Fact]
    public async Task Voiding_a_sale_whose_points_already_expired_leaves_the_members_other_points_alone()
    {
        var program = await NewProgramAsync(p => p.OfflineWindowDays = 90);
        var member = await fixture.NewMemberAsync(program);
        await Engine.Pos.CommitAsync(new CommitRequest { ProgramId = program, MemberId = member, TransactionId = "live", StoreId = "s", Lines = { Sales.Line("a", 1, 30_000) } });

        // Replayed from two months back: its month (N = 1) has expired, so its 100 points land and expire at once.
        var now = DateTime.UtcNow;
        var twoMonthsAgo = new DateTime(now.Year, now.Month, 15, 12, 0, 0, DateTimeKind.Utc).AddMonths(-2);
        await Engine.Pos.CommitAsync(new CommitRequest
        {
            ProgramId = program, MemberId = member, TransactionId = "offline", StoreId = "s", Lines = { Sales.Line("b", 1, 10_000) },
            OccurredAt = Timestamp.FromDateTime(twoMonthsAgo),
        });
        Assert.Equal(300, await AvailableAsync(program, member));

        var voided = await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = member, TransactionId = "offline", StoreId = "s" });

        Assert.Equal(0, voided.PointsRemoved);
        Assert.Equal(300, await AvailableAsync(program, member));
        var ledger = await Engine.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = member, PageSize = 1000 });
        Assert.Equal(300, ledger.Balance);
        Assert.Equal(ledger.Balance, ledger.Entries.Where(e => e.Asset == "points").Sum(e => e.Points));
    }

    [Fact]
    public async Task A_full_return_line_by_line_claws_back_the_campaign_bonus_too()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "bonus", Name = "500 bonus points", BonusPoints = 500 });
        var member = await fixture.NewMemberAsync(program);
        var sale = await Engine.Pos.CommitAsync(new CommitRequest
        {
            ProgramId = program, MemberId = member, TransactionId = "t", StoreId = "s", Lines = { Sales.Line("a", 1, 60_000), Sales.Line("b", 2, 20_000) },
        });
        Assert.Equal((1_000L, 500L), (sale.PointsEarned, sale.BonusPoints));

        var first = await Engine.Pos.RefundAsync(new RefundRequest { ProgramId = program, MemberId = member, TransactionId = "t", StoreId = "s", RefundId = "r1", Lines = { new RefundLineRef { LineIndex = 0, Quantity = 1 } } });
        Assert.Equal(900, first.PointsClawedBack);   // 60% of 1,500
        await Engine.Pos.RefundAsync(new RefundRequest { ProgramId = program, MemberId = member, TransactionId = "t", StoreId = "s", RefundId = "r2", Lines = { new RefundLineRef { LineIndex = 1, Quantity = 2 } } });

        Assert.Equal(0, await AvailableAsync(program, member));
        var retried = await Engine.Pos.CommitAsync(new CommitRequest
        {
            ProgramId = program, MemberId = member, TransactionId = "t", StoreId = "s", Lines = { Sales.Line("a", 1, 60_000), Sales.Line("b", 2, 20_000) },
        });
        Assert.Equal(SaleStatus.Refunded, retried.Status);
    }

    [Fact]
    public async Task Returned_stamp_card_units_take_their_stamps_back()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign
        {
            ProgramId = program, CampaignId = "lenses", Name = "11th pair free", StampCard = new StampCard { Stamps = 10 },
            Targets = new CampaignTargets { Categories = { "lenses" } },
        });
        var member = await fixture.NewMemberAsync(program);
        await Engine.Pos.CommitAsync(new CommitRequest
        {
            ProgramId = program, MemberId = member, TransactionId = "ten", StoreId = "s", Lines = { Sales.Line("acuvue", 10, 3_000, "lenses"), Sales.Line("case", 1, 500, "other") },
        });
        Assert.Equal(10, await StampsAsync(program, member));

        await Engine.Pos.RefundAsync(new RefundRequest { ProgramId = program, MemberId = member, TransactionId = "ten", StoreId = "s", RefundId = "r1", Lines = { new RefundLineRef { LineIndex = 1, Quantity = 1 } } });
        Assert.Equal(10, await StampsAsync(program, member));   // the case was not stamped
        await Engine.Pos.RefundAsync(new RefundRequest { ProgramId = program, MemberId = member, TransactionId = "ten", StoreId = "s", RefundId = "r2", Lines = { new RefundLineRef { LineIndex = 0, Quantity = 4 } } });
        Assert.Equal(6, await StampsAsync(program, member));
        await Engine.Pos.RefundAsync(new RefundRequest { ProgramId = program, MemberId = member, TransactionId = "ten", StoreId = "s", RefundId = "r3", Lines = { new RefundLineRef { LineIndex = 0, Quantity = 6 } } });
        Assert.Equal(0, await StampsAsync(program, member));

        var next = await Engine.Pos.QuoteAsync(new QuoteRequest { ProgramId = program, MemberId = member, Lines = { Sales.Line("acuvue", 1, 3_000, "lenses") } });
        Assert.Equal(0, next.CampaignDiscount);
    }

    [Fact]
    public async Task The_quote_shows_the_coupons_own_discount_beside_a_campaigns()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "ten", Name = "1,000 off", AmountOff = 1_000 });
        var coupon = await fixture.NewCouponAsync(program, amountOff: 500);
        var member = await fixture.NewMemberAsync(program);

        var quote = await Engine.Pos.QuoteAsync(new QuoteRequest { ProgramId = program, MemberId = member, CouponCode = coupon, Lines = { Sales.Line("a", 1, 12_345) } });

        Assert.True(quote.Coupon.Valid);
        Assert.Equal((500L, 1_500L), (quote.Coupon.Discount, quote.Discount));
    }

    [Fact]
    public async Task A_silver_member_is_told_how_far_gold_is_not_silver_again()
    {
        var program = await NewProgramAsync(p =>
        {
            p.OfflineWindowDays = 60;
            p.Tiers = new TierRules
            {
                Model = TierModel.PreviousMonth,
                Levels =
                {
                    new Api.V1.TierLevel { Name = "bronze", MinSpend = 0, DiscountPercent = 3 },
                    new Api.V1.TierLevel { Name = "silver", MinSpend = 1_000_000, DiscountPercent = 10 },
                    new Api.V1.TierLevel { Name = "gold", MinSpend = 1_500_000, DiscountPercent = 15 },
                },
            };
        });
        var member = await fixture.NewMemberAsync(program);
        var now = DateTime.UtcNow;
        var lastMonth = new DateTime(now.Year, now.Month, 10, 12, 0, 0, DateTimeKind.Utc).AddMonths(-1);
        await Engine.Pos.CommitAsync(new CommitRequest
        {
            ProgramId = program, MemberId = member, TransactionId = "last-month", StoreId = "s", Lines = { Sales.Line("a", 1, 1_200_000) },
            OccurredAt = Timestamp.FromDateTime(lastMonth),
        });

        var tier = (await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = member })).Tier;

        Assert.Equal(("silver", "gold", 1_500_000L), (tier.Name, tier.NextTier, tier.AmountToNextTier));
    }

    [Fact]
    public async Task A_coupon_the_discount_cap_leaves_nothing_for_is_not_redeemed_and_the_quote_says_why()
    {
        var program = await NewProgramAsync(p => p.MaxDiscountPercent = 10);
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "ten", Name = "10% off", PercentOff = 10 });
        var coupon = await fixture.NewCouponAsync(program, amountOff: 1_000);
        var (ana, bo) = (await fixture.NewMemberAsync(program), await fixture.NewMemberAsync(program));

        var quote = await Engine.Pos.QuoteAsync(new QuoteRequest { ProgramId = program, MemberId = ana, CouponCode = coupon, Lines = { Sales.Line("a", 1, 10_000) } });
        Assert.Equal((false, "COUPON_NO_DISCOUNT", 0L, 1_000L), (quote.Coupon.Valid, quote.Coupon.Reason, quote.Coupon.Discount, quote.Discount));

        var committed = await Engine.Pos.CommitAsync(new CommitRequest
        {
            ProgramId = program, MemberId = ana, TransactionId = "capped", StoreId = "s", CouponCode = coupon, Lines = { Sales.Line("a", 1, 10_000) },
        });
        Assert.Equal((1_000L, string.Empty), (committed.Discount, committed.CouponCode));
        var dropped = Assert.Single(committed.Dropped);
        Assert.Equal((DiscountSource.Coupon, "COUPON_NO_DISCOUNT"), (dropped.Source, dropped.Reason));
        Assert.False((await Engine.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = program, Code = coupon })).Redeemed);

        // Still usable where the cap leaves room: no campaign in Bo's basket at a store where it is excluded is not needed — a bigger cap is.
        await Engine.Admin.UpsertProgramAsync(await ProgramWithAsync(program, p => p.MaxDiscountPercent = 30));
        var used = await Engine.Pos.CommitAsync(new CommitRequest
        {
            ProgramId = program, MemberId = bo, TransactionId = "room", StoreId = "s", CouponCode = coupon, Lines = { Sales.Line("a", 1, 10_000) },
        });
        Assert.Equal((2_000L, coupon), (used.Discount, used.CouponCode));
    }

    [Fact]
    public async Task A_retried_commit_of_a_voided_sale_says_it_was_voided()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        var commit = Sales.Commit(program, member, "to-void");
        Assert.Equal(SaleStatus.Committed, (await Engine.Pos.CommitAsync(commit)).Status);
        await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = member, TransactionId = "to-void" });

        var retried = await Engine.Pos.CommitAsync(commit);

        Assert.Equal((SaleStatus.Voided, 123L), (retried.Status, retried.PointsEarned));
        Assert.Equal(0, await AvailableAsync(program, member));
    }

    [Fact]
    public async Task A_campaign_minimum_counts_the_basket_as_rung_up_even_after_a_tier_discount()
    {
        var program = await NewProgramAsync(p => p.Tiers = new TierRules
        {
            Model = TierModel.Lifetime,
            Levels = { new Api.V1.TierLevel { Name = "member", MinSpend = 0, DiscountPercent = 10 } },
        });
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "big", Name = "5,000 off from 60,000", AmountOff = 5_000, MinBasket = 60_000 });
        var member = await fixture.NewMemberAsync(program);

        var committed = await Engine.Pos.CommitAsync(new CommitRequest { ProgramId = program, MemberId = member, TransactionId = "t", StoreId = "s", Lines = { Sales.Line("a", 1, 60_000) } });

        Assert.Equal((6_000L, 5_000L), (committed.TierDiscount, committed.CampaignDiscount));
    }

    private async Task<string> NewProgramAsync(Action<LoyaltyProgram> configure)
    {
        var id = await fixture.NewProgramAsync();
        await Engine.Admin.UpsertProgramAsync(await ProgramWithAsync(id, configure));
        return id;
    }

    private async Task<LoyaltyProgram> ProgramWithAsync(string id, Action<LoyaltyProgram> configure)
    {
        var program = await Engine.Admin.GetProgramAsync(new GetProgramRequest { ProgramId = id });
        configure(program);
        return program;
    }

    private async Task<long> AvailableAsync(string program, string member) =>
        (await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance.Available;

    private async Task<int> StampsAsync(string program, string member) =>
        (await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = member })).Offers.Single(o => o.CampaignId == "lenses").StampsOnCard;
}
