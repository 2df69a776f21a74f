using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

[Collection(EngineCollection.Name)]
public sealed class CampaignTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_flash_campaign_with_budget_500_raced_by_2000_commits_discounts_exactly_500()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign
        {
            ProgramId = program, CampaignId = "flash", Name = "First 500 get 30% off", PercentOff = 30, MaxRedemptions = 500,
        });
        var members = await Task.WhenAll(Enumerable.Range(0, 2_000).Select(_ => fixture.NewMemberAsync(program)));

        var outcomes = await Task.WhenAll(members.Select(async (member, i) =>
        {
            try
            {
                var reply = await Engine.Pos.CommitAsync(Sales.Commit(program, member, $"flash-{i}"));
                return (Reply: reply, Reason: (string?)null);
            }
            catch (RpcException e)
            {
                return (Reply: (CommitResponse?)null, Reason: e.Reason());
            }
        }));

        // Every sale commits; exactly 500 get the campaign, the others pay full price and are told why.
        Assert.All(outcomes, o => Assert.Null(o.Reason));
        var granted = outcomes.Where(o => o.Reply!.CampaignDiscount > 0).ToList();
        Assert.Equal(500, granted.Count);
        Assert.All(granted, o => Assert.Equal(("flash", 3_703L), (o.Reply!.CampaignId, o.Reply.CampaignDiscount)));
        Assert.All(outcomes.Where(o => o.Reply!.CampaignDiscount == 0), o =>
        {
            Assert.Equal((0L, 12_345L), (o.Reply!.Discount, o.Reply.Total));
            Assert.Equal(("flash", "BUDGET_EXHAUSTED"), (Assert.Single(o.Reply.Dropped).SourceId, o.Reply.Dropped[0].Reason));
        });

        var status = await Engine.Admin.GetCampaignStatusAsync(new GetCampaignStatusRequest { ProgramId = program, CampaignId = "flash" });
        Assert.Equal((500L, 500L * 3_703, true), (status.Redemptions, status.DiscountGiven, status.Exhausted));
        Assert.Equal((500L, 0L, -1L), (status.MaxRedemptions, status.RedemptionsRemaining, status.DiscountRemaining));
        Assert.True(status.Refusals >= 1_500, $"{status.Refusals} refusals counted for 1,500 sales that did not get the campaign");

        // Quote no longer offers the exhausted campaign.
        var quote = new QuoteRequest { ProgramId = program };
        quote.Lines.Add(Sales.Line("x", 1, 10_000));
        Assert.Equal(string.Empty, (await Engine.Pos.QuoteAsync(quote)).CampaignId);
    }

    [Fact]
    public async Task A_voided_campaign_sale_returns_its_budget_and_a_retry_keeps_its_grant()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "one", Name = "x", AmountOff = 1_000, MaxRedemptions = 1 });
        var (ana, bo) = (await fixture.NewMemberAsync(program), await fixture.NewMemberAsync(program));

        var sale = await Engine.Pos.CommitAsync(Sales.Commit(program, ana, "a1"));
        var retry = await Engine.Pos.CommitAsync(Sales.Commit(program, ana, "a1"));
        Assert.Equal((1_000L, sale), (sale.CampaignDiscount, retry));
        var full = await Engine.Pos.CommitAsync(Sales.Commit(program, bo, "b1"));
        Assert.Equal((0L, "BUDGET_EXHAUSTED"), (full.CampaignDiscount, Assert.Single(full.Dropped).Reason));

        await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = ana, TransactionId = "a1" });
        await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = ana, TransactionId = "a1" });

        var second = await Engine.Pos.CommitAsync(Sales.Commit(program, bo, "b2"));
        Assert.Equal(1_000, second.CampaignDiscount);
        var status = await Engine.Admin.GetCampaignStatusAsync(new GetCampaignStatusRequest { ProgramId = program, CampaignId = "one" });
        Assert.Equal(1, status.Redemptions);
    }

    [Fact]
    public async Task A_retry_of_a_sale_whose_grant_was_already_confirmed_is_counted_once()
    {
        // The retry is answered from the sale's row, after the member asked the budget again: the budget had
        // already confirmed the first grant, so that ask is a second grant, which must be given back.
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "few", Name = "x", AmountOff = 1_000, MaxRedemptions = 10 });
        var ana = await fixture.NewMemberAsync(program);
        var first = await Engine.Pos.CommitAsync(Sales.Commit(program, ana, "r0"));
        for (var i = 1; i <= 4; i++)
        {
            // Four later sales: r0 is no longer among the member's recent sales in memory.
            await Engine.Pos.CommitAsync(Sales.Commit(program, ana, $"r{i}"));
        }

        var status = await SettledAsync(program, "few");
        Assert.Equal((5L, 0), (status.Redemptions, status.PendingHolds));

        Assert.Equal(first, await Engine.Pos.CommitAsync(Sales.Commit(program, ana, "r0")));
        status = await SettledAsync(program, "few");
        Assert.Equal((5L, 0, 5_000L), (status.Redemptions, status.PendingHolds, status.DiscountGiven));
    }

    /// <summary>The campaign's status once no hold is pending (confirmations are sent after each sale, not awaited).</summary>
    private async Task<CampaignStatus> SettledAsync(string program, string campaignId)
    {
        var status = await Engine.Admin.GetCampaignStatusAsync(new GetCampaignStatusRequest { ProgramId = program, CampaignId = campaignId });
        for (var attempt = 0; attempt < 50 && status.PendingHolds > 0; attempt++)
        {
            await Task.Delay(100);
            status = await Engine.Admin.GetCampaignStatusAsync(new GetCampaignStatusRequest { ProgramId = program, CampaignId = campaignId });
        }

        return status;
    }

    [Fact]
    public async Task A_campaign_without_limits_still_counts_its_redemptions_for_marketing()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "always", Name = "5% always", PercentOff = 5 });
        var member = await fixture.NewMemberAsync(program);
        var receipts = new List<CommitResponse>();
        for (var i = 0; i < 3; i++)
        {
            receipts.Add(await Engine.Pos.CommitAsync(Sales.Commit(program, member, $"always-{i}")));
        }

        await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = member, TransactionId = "always-0" });
        var expected = (2L, receipts.Skip(1).Sum(r => r.CampaignDiscount));
        var status = await Engine.Admin.GetCampaignStatusAsync(new GetCampaignStatusRequest { ProgramId = program, CampaignId = "always" });
        for (var attempt = 0; attempt < 50 && (status.Redemptions, status.DiscountGiven) != expected; attempt++)
        {
            await Task.Delay(100); // counted after each sale's write, not awaited by the terminal
            status = await Engine.Admin.GetCampaignStatusAsync(new GetCampaignStatusRequest { ProgramId = program, CampaignId = "always" });
        }

        Assert.Equal(expected, (status.Redemptions, status.DiscountGiven));
        Assert.False(status.Exhausted);
    }
}
