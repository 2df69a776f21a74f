using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// A walk-in customer's basket (issue #15, docs/guest-checkout.md) over real gRPC and PostgreSQL: campaigns, coupons
/// and flash budgets apply exactly as for members and under the same concurrency; nothing member-only does; a guest
/// sale is durable, idempotent by its transaction id, and voided and refunded like a member's.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class GuestCheckoutTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_flash_campaign_with_budget_300_raced_by_1000_guest_commits_discounts_exactly_300()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign
        {
            ProgramId = program, CampaignId = "flash", Name = "First 300 get 30% off", PercentOff = 30, MaxRedemptions = 300,
        });

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 1_000).Select(async i =>
        {
            try
            {
                return (Reply: await Engine.Pos.CommitAsync(Sales.Commit(program, string.Empty, $"walk-in-{i}")), Reason: (string?)null);
            }
            catch (RpcException e)
            {
                return (Reply: (CommitResponse?)null, Reason: e.Reason());
            }
        }));

        Assert.All(outcomes, o => Assert.Null(o.Reason));
        var granted = outcomes.Where(o => o.Reply!.CampaignDiscount > 0).ToList();
        Assert.Equal(300, granted.Count);
        Assert.All(granted, o => Assert.Equal(("flash", 3_703L, 0L), (o.Reply!.CampaignId, o.Reply.CampaignDiscount, o.Reply.PointsEarned)));
        Assert.All(outcomes.Where(o => o.Reply!.CampaignDiscount == 0), o => Assert.Equal("BUDGET_EXHAUSTED", Assert.Single(o.Reply!.Dropped).Reason));

        var status = await Engine.Admin.GetCampaignStatusAsync(new GetCampaignStatusRequest { ProgramId = program, CampaignId = "flash" });
        Assert.Equal((300L, 300L * 3_703, true), (status.Redemptions, status.DiscountGiven, status.Exhausted));

        // Every guest sale is a durable row, marked as a guest's, with the facts the reports read.
        Assert.Equal("1000|300", await ScalarAsync<string>(
            "SELECT count(*) || '|' || count(*) FILTER (WHERE discount > 0) FROM member_sales WHERE program_id = $1 AND member_id = '' AND guest", program));
    }

    [Fact]
    public async Task A_single_use_coupon_raced_by_guests_and_members_is_redeemed_exactly_once()
    {
        var program = await fixture.NewProgramAsync();
        var code = (await Engine.Admin.CreateCouponsAsync(new CreateCouponsRequest { ProgramId = program, Count = 1, Terms = new CouponTerms { AmountOff = 1_000 } })).Codes.Single();
        var members = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => fixture.NewMemberAsync(program)));
        var buyers = members.Concat(Enumerable.Repeat(string.Empty, 20)).ToArray();

        var outcomes = await Task.WhenAll(buyers.Select(async (member, i) =>
        {
            try
            {
                return (Reply: await Engine.Pos.CommitAsync(Sales.Commit(program, member, $"race-{i}", code)), Reason: (string?)null);
            }
            catch (RpcException e)
            {
                return (Reply: (CommitResponse?)null, Reason: e.Reason());
            }
        }));

        Assert.Single(outcomes, o => o.Reply is not null);
        Assert.All(outcomes.Where(o => o.Reply is null), o => Assert.Equal("COUPON_ALREADY_REDEEMED", o.Reason));
        var coupon = await Engine.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = program, Code = code });
        Assert.Equal(outcomes.Single(o => o.Reply is not null).Reply!.TransactionId, coupon.RedeemedByTransaction);
    }

    [Fact]
    public async Task A_guest_sale_is_idempotent_by_transaction_id_and_voided_and_refunded_once()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "ten", Name = "10% off", PercentOff = 10, MaxRedemptions = 5 });
        var code = (await Engine.Admin.CreateCouponsAsync(new CreateCouponsRequest { ProgramId = program, Count = 1, Terms = new CouponTerms { AmountOff = 500 } })).Codes.Single();

        var first = await Engine.Pos.CommitAsync(Sales.Commit(program, string.Empty, "g-1", code));
        var retry = await Engine.Pos.CommitAsync(Sales.Commit(program, string.Empty, "g-1", code));
        Assert.Equal(first, retry);
        Assert.Equal((1_234L, 500L, 0L), (first.CampaignDiscount, first.Discount - first.CampaignDiscount, first.PointsEarned));

        // The same id with another body is refused; nothing changes.
        var other = Sales.Commit(program, string.Empty, "g-1");
        other.Lines[0].Quantity = 2;
        Assert.Equal((StatusCode.AlreadyExists, "TRANSACTION_ID_REUSED"), await RefusedAsync(() => Engine.Pos.CommitAsync(other).ResponseAsync));

        // A retry after many other guest sales (the till remembers nothing: the row answers).
        for (var i = 0; i < 30; i++)
        {
            await Engine.Pos.CommitAsync(Sales.Commit(program, string.Empty, $"g-later-{i}"));
        }

        Assert.Equal(first, await Engine.Pos.CommitAsync(Sales.Commit(program, string.Empty, "g-1", code)));

        // A refund of one line, retried, counts once.
        var refund = new RefundRequest { ProgramId = program, TransactionId = "g-1", RefundId = "r-1", Lines = { new RefundLineRef { LineIndex = 1, Quantity = 1 } } };
        var refunded = await Engine.Pos.RefundAsync(refund);
        Assert.Equal(4_000L, refunded.RefundedAmount);
        Assert.Equal(refunded, await Engine.Pos.RefundAsync(refund));

        // The void gives the coupon back (usable again) and the campaign's budget; voiding twice is harmless.
        var voided = await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, TransactionId = "g-1" });
        Assert.True(voided.CouponRestored);
        Assert.True((await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, TransactionId = "g-1" })).AlreadyVoided);
        var again = await Engine.Pos.CommitAsync(Sales.Commit(program, string.Empty, "g-2", code));
        Assert.Equal(500L, again.Discount - again.CampaignDiscount);
        var status = await Engine.Admin.GetCampaignStatusAsync(new GetCampaignStatusRequest { ProgramId = program, CampaignId = "ten" });
        Assert.Equal(5L, status.Redemptions); // g-1 given back, g-later-0..3 and g-2

        Assert.Equal((StatusCode.NotFound, "TRANSACTION_NOT_FOUND"),
            await RefusedAsync(() => Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, TransactionId = "never" }).ResponseAsync));
    }

    [Fact]
    public async Task Nothing_member_only_applies_to_a_guest_and_the_quote_names_the_members_only_campaigns()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign
        {
            ProgramId = program, CampaignId = "club", Name = "Club price: 20% off", PercentOff = 20, Conditions = new CampaignConditions { MembersOnly = true },
        });
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "double", Name = "Double points", PointsMultiplierPercent = 200 });
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "all", Name = "5 off for everyone", AmountOff = 500 });

        var quote = new QuoteRequest { ProgramId = program, StoreId = "store-1" };
        quote.Lines.Add(Sales.Line("x", 1, 10_000));
        var guestQuote = await Engine.Pos.QuoteAsync(quote);
        Assert.Equal(["all"], guestQuote.Campaigns.Select(c => c.CampaignId));
        Assert.Equal((500L, 0L), (guestQuote.Discount, guestQuote.PointsToEarn));
        Assert.Equal(["club", "double"], guestQuote.MembersOnly.Select(h => h.SourceId).Order());
        Assert.Contains("members only", guestQuote.MembersOnly[0].Message);

        var guest = await Engine.Pos.CommitAsync(Sales.Commit(program, string.Empty, "walk-in"));
        Assert.Equal(["all"], guest.Campaigns.Select(c => c.CampaignId));
        Assert.Equal((0L, 0L), (guest.PointsEarned, guest.BonusPoints));
        var member = await Engine.Pos.CommitAsync(Sales.Commit(program, await fixture.NewMemberAsync(program), "member"));
        Assert.Contains("club", member.Campaigns.Select(c => c.CampaignId));

        // Points, store credit and rewards need a member: refused by name, nothing recorded.
        var spending = Sales.Commit(program, string.Empty, "walk-in-points");
        spending.PointsToSpend = 10;
        Assert.Equal((StatusCode.InvalidArgument, "points_to_spend"), await RefusedFieldAsync(() => Engine.Pos.CommitAsync(spending).ResponseAsync));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM member_sales WHERE program_id = $1 AND transaction_id = 'walk-in-points'", program));
    }

    [Fact]
    public async Task Guest_and_member_sales_committed_through_the_engine_are_what_the_reports_count()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "tenth", Name = "10% off", PercentOff = 10 });
        var member = await fixture.NewMemberAsync(program);

        // Each basket: 4,345 + 2 × 4,000 = 12,345, 3 items, 10% off = 1,234 (rounded down) → 11,111.
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "m-1"));
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "m-2"));
        await Engine.Pos.CommitAsync(Sales.Commit(program, string.Empty, "g-1"));
        await Engine.Pos.CommitAsync(Sales.Commit(program, string.Empty, "g-2"));
        await Engine.Pos.CommitAsync(Sales.Commit(program, string.Empty, "g-3"));
        await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, TransactionId = "g-3" }); // voided: not counted

        var today = DateTime.UtcNow.Date;
        var period = new ReportRequest { ProgramId = program, From = today.AddDays(-1).ToString("yyyy-MM-dd"), To = today.AddDays(1).ToString("yyyy-MM-dd") };
        var split = await Engine.Admin.GetMembersVsGuestsReportAsync(period);
        Assert.Equal((2L, 22_222L, 11_111L, "3.00", 2_468L), (split.Members.Receipts, split.Members.SalesTotal, split.Members.AverageCheck, split.Members.ItemsPerReceipt, split.Members.Discount));
        Assert.Equal((2L, 22_222L, 11_111L, "3.00", 2_468L), (split.Guests.Receipts, split.Guests.SalesTotal, split.Guests.AverageCheck, split.Guests.ItemsPerReceipt, split.Guests.Discount));

        var cost = (await Engine.Admin.GetPromotionCostReportAsync(period)).Promotions.Single(p => p.Id == "tenth");
        Assert.Equal(("campaign", 4L, 4_936L, 49_380L, 44_444L), (cost.Source, cost.Redemptions, cost.Discount, cost.Subtotal, cost.Total));
    }

    private static async Task<(StatusCode, string?)> RefusedAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        return (e.StatusCode, e.Reason());
    }

    private static async Task<(StatusCode, string?)> RefusedFieldAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        return (e.StatusCode, e.Field());
    }

    private Task<T> ScalarAsync<T>(string sql, params string[] values) => TestPostgres.ScalarAsync<T>(fixture.ConnectionString, sql, values);
}
