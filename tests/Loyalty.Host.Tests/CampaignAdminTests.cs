using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>Marketing reads campaigns back (normalised, with state and statistics) and ends them.</summary>
[Collection(EngineCollection.Name)]
public sealed class CampaignAdminTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task Define_get_and_list_answer_the_normalised_definition_the_engine_applies()
    {
        var program = await fixture.NewProgramAsync();
        var stamps = new Campaign
        {
            ProgramId = program, CampaignId = "coffee-card", Name = "11th coffee free",
            StampCard = new StampCard { Stamps = 10 }, // reward_percent_off 0 means 100 (free)
            Targets = new CampaignTargets { Skus = { "coffee" } },
            Conditions = new CampaignConditions { HoursFrom = "08:00", HoursUntil = "24:00", DaysOfWeek = { Weekday.Sunday, Weekday.Monday } },
        };
        var bundle = new Campaign
        {
            ProgramId = program, CampaignId = "cross-sell", Name = "Buy a phone, case at -20%",
            Bundle = new Bundle { Buy = new CampaignTargets { Skus = { "phone" } }, GetPercentOff = 20 }, // quantities 0 mean 1
            Targets = new CampaignTargets { Categories = { "cases" } },
        };
        var issue = new Campaign
        {
            ProgramId = program, CampaignId = "next-visit", Name = "5.00 off next time",
            IssueCoupon = new CouponTerms { AmountOff = 500, MinBasket = 2_000 }, // coupon_valid_days 0 means 30
            MinBasket = 10_000,
        };

        var defined = new List<Campaign>();
        foreach (var campaign in new[] { stamps, bundle, issue })
        {
            defined.Add(await Engine.Admin.DefineCampaignAsync(campaign));
        }

        Assert.Equal(100, defined[0].StampCard.RewardPercentOff);
        Assert.Equal(("08:00", "24:00"), (defined[0].Conditions.HoursFrom, defined[0].Conditions.HoursUntil));
        Assert.Equal([Weekday.Sunday, Weekday.Monday], defined[0].Conditions.DaysOfWeek);
        Assert.Equal((1, 1, 20), (defined[1].Bundle.BuyQuantity, defined[1].Bundle.GetQuantity, defined[1].Bundle.GetPercentOff));
        Assert.Equal(["phone"], defined[1].Bundle.Buy.Skus);
        Assert.Equal((30, 500L, 2_000L), (defined[2].CouponValidDays, defined[2].IssueCoupon.AmountOff, defined[2].IssueCoupon.MinBasket));
        Assert.All(defined, c => Assert.Equal((program, CampaignState.Live, (Timestamp?)null, 0L), (c.ProgramId, c.State, c.EndedAt, c.Statistics.Redemptions)));

        var read = await Task.WhenAll(defined.Select(c => Engine.Admin.GetCampaignAsync(new GetCampaignRequest { ProgramId = program, CampaignId = c.CampaignId }).ResponseAsync));
        Assert.Equal(defined, read);
        var list = await Engine.Admin.ListCampaignsAsync(new ListCampaignsRequest { ProgramId = program });
        Assert.Equal(["coffee-card", "cross-sell", "next-visit"], list.Campaigns.Select(c => c.CampaignId));
        Assert.Equal(defined.OrderBy(c => c.CampaignId, StringComparer.Ordinal), list.Campaigns);

        // What was read back defines the same campaign again: the normalised form is a fixed point.
        foreach (var campaign in read)
        {
            Assert.Equal(campaign, await Engine.Admin.DefineCampaignAsync(campaign));
        }
    }

    [Fact]
    public async Task State_follows_the_window_and_the_budget()
    {
        var program = await fixture.NewProgramAsync();
        var now = DateTimeOffset.UtcNow;
        await Define(program, "later", c => c.ValidFrom = Timestamp.FromDateTimeOffset(now.AddDays(1)));
        await Define(program, "over", c => (c.ValidFrom, c.ValidUntil) = (Timestamp.FromDateTimeOffset(now.AddDays(-2)), Timestamp.FromDateTimeOffset(now.AddDays(-1))));
        await Define(program, "one-only", c => c.MaxRedemptions = 1);
        await Define(program, "open", c => c.ValidUntil = Timestamp.FromDateTimeOffset(now.AddDays(1)));
        var member = await fixture.NewMemberAsync(program);
        var sale = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "state-1"));
        Assert.Contains(sale.Campaigns, c => c.CampaignId == "one-only");

        var list = (await Engine.Admin.ListCampaignsAsync(new ListCampaignsRequest { ProgramId = program })).Campaigns.ToDictionary(c => c.CampaignId);

        Assert.Equal(CampaignState.Scheduled, list["later"].State);
        Assert.Equal((CampaignState.Ended, Timestamp.FromDateTimeOffset(now.AddDays(-1))), (list["over"].State, list["over"].EndedAt));
        Assert.Equal((CampaignState.Exhausted, 1L, true), (list["one-only"].State, list["one-only"].Statistics.Redemptions, list["one-only"].Statistics.Exhausted));
        Assert.Equal((CampaignState.Live, (Timestamp?)null), (list["open"].State, list["open"].EndedAt));
    }

    [Fact]
    public async Task The_status_shows_the_limits_what_remains_and_the_grants_refused_once_the_budget_ran_out()
    {
        const int budget = 3;
        const int beyond = 2;
        var program = await fixture.NewProgramAsync();
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        await Define(program, "flash", c => (c.PercentOff, c.MaxRedemptions, c.MaxPerStore) = (10, budget, 50));
        await Define(program, "money", c => (c.AmountOff, c.MaxDiscountMoney) = (100, 1_000));
        await Define(program, "open", c => c.BonusPoints = 7);
        var fresh = await Status(program, "flash");
        Assert.Equal((0L, 3L, 3L, -1L, 0L, false), (fresh.Redemptions, fresh.MaxRedemptions, fresh.RedemptionsRemaining, fresh.DiscountRemaining, fresh.Refusals, fresh.Exhausted));

        var member = await fixture.NewMemberAsync(program);
        var sales = new List<CommitResponse>();
        for (var i = 0; i < budget + beyond; i++)
        {
            sales.Add(await Engine.Pos.CommitAsync(Sales.Commit(program, member, $"board-{i}")));
        }

        Assert.Equal(budget, sales.Count(s => s.Campaigns.Any(c => c.CampaignId == "flash")));
        Assert.Equal(beyond, sales.Count(s => s.Dropped.Any(d => (d.SourceId, d.Reason) == ("flash", "BUDGET_EXHAUSTED"))));

        var flash = await Status(program, "flash");
        Assert.Equal((3L, 0L, true, 50L), (flash.Redemptions, flash.RedemptionsRemaining, flash.Exhausted, flash.MaxPerStore));
        Assert.True(flash.Refusals >= beyond, $"{flash.Refusals} refusals counted for {beyond} sales refused the campaign");
        Assert.InRange(flash.RefusalsSince.ToDateTimeOffset(), before, DateTimeOffset.UtcNow);
        var money = await Status(program, "money");
        Assert.Equal((1_000L, 500L, -1L, 0L), (money.MaxDiscountMoney, money.DiscountRemaining, money.RedemptionsRemaining, money.Refusals));
        var open = await Status(program, "open");
        Assert.Equal((-1L, -1L, 0L, 0L), (open.RedemptionsRemaining, open.DiscountRemaining, open.MaxRedemptions, open.Refusals));

        // The campaign's statistics say the same; JSON as a board reads it (int64 as strings, -1 = no limit).
        Assert.Equal(flash.Refusals, (await Engine.Admin.GetCampaignAsync(new GetCampaignRequest { ProgramId = program, CampaignId = "flash" })).Statistics.Refusals);
        using var http = Engine.AdminHttp();
        var json = await http.GetFromJsonAsync<JsonElement>($"/v1/programs/{program}/campaigns/flash/status");
        Assert.Equal(("3", "3", "0", "-1", true), (json.GetProperty("redemptions").GetString(), json.GetProperty("maxRedemptions").GetString(),
            json.GetProperty("redemptionsRemaining").GetString(), json.GetProperty("discountRemaining").GetString(), json.GetProperty("exhausted").GetBoolean()));
        Assert.True(long.Parse(json.GetProperty("refusals").GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= beyond);
        Assert.Equal(JsonValueKind.String, json.GetProperty("refusalsSince").ValueKind); // RFC 3339
    }

    [Fact]
    public async Task A_preview_prices_a_sample_basket_as_the_till_quotes_it_and_changes_nothing()
    {
        var program = await fixture.NewProgramAsync();
        await Define(program, "ten", c => (c.PercentOff, c.MaxRedemptions) = (10, 5));
        await Define(program, "members", c => (c.AmountOff, c.Conditions) = (300, new CampaignConditions { MembersOnly = true }));
        var member = await fixture.NewMemberAsync(program);
        foreach (var who in new[] { string.Empty, member })
        {
            var preview = new PreviewQuoteRequest { ProgramId = program, MemberId = who, StoreId = "store-1" };
            preview.Lines.Add(Sales.Line("coffee", 2, 2_500));
            var quote = new QuoteRequest { ProgramId = program, MemberId = who, StoreId = "store-1" };
            quote.Lines.Add(Sales.Line("coffee", 2, 2_500));

            var previewed = await Engine.Admin.PreviewQuoteAsync(preview);
            Assert.Equal(await Engine.Pos.QuoteAsync(quote), previewed); // one pricing path
            Assert.True(previewed.Campaigns.Any(c => c.CampaignId == "ten" && c.Discount > 0), previewed.ToString());
            Assert.Equal(previewed.Discount, previewed.Discounts.Sum(d => d.Amount)); // every line names its source
            Assert.All(previewed.Discounts, d => Assert.Equal((DiscountSource.Campaign, true), (d.Source, d.SourceId is "ten" or "members")));
        }

        // A preview holds and spends nothing: the budget of 5 is untouched.
        var status = await Engine.Admin.GetCampaignStatusAsync(new GetCampaignStatusRequest { ProgramId = program, CampaignId = "ten" });
        Assert.Equal((0L, 0, 5L), (status.Redemptions, status.PendingHolds, status.RedemptionsRemaining));

        var bad = new PreviewQuoteRequest { ProgramId = program };
        bad.Lines.Add(Sales.Line("coffee", -1, 2_500));
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.PreviewQuoteAsync(bad).ResponseAsync)).StatusCode);
    }

    [Fact]
    public async Task An_ended_campaign_no_longer_applies_keeps_its_statistics_and_ending_again_changes_nothing()
    {
        var program = await fixture.NewProgramAsync();
        await Define(program, "ten", c => (c.PercentOff, c.MaxRedemptions) = (10, 1_000));
        var member = await fixture.NewMemberAsync(program);
        var before = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "end-1"));
        Assert.Equal("ten", before.CampaignId);

        var ended = await Engine.Admin.EndCampaignAsync(new EndCampaignRequest { ProgramId = program, CampaignId = "ten" });
        Assert.Equal((CampaignState.Ended, 10, 1L), (ended.State, ended.PercentOff, ended.Statistics.Redemptions));
        Assert.NotNull(ended.EndedAt);

        var quote = new QuoteRequest { ProgramId = program, MemberId = member };
        quote.Lines.Add(Sales.Line("x", 1, 10_000));
        Assert.Empty((await Engine.Pos.QuoteAsync(quote)).Campaigns);
        var after = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "end-2"));
        Assert.Equal((string.Empty, 0L), (after.CampaignId, after.CampaignDiscount));
        Assert.Empty((await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = member })).Offers);

        var status = await Engine.Admin.GetCampaignStatusAsync(new GetCampaignStatusRequest { ProgramId = program, CampaignId = "ten" });
        Assert.Equal((1L, before.CampaignDiscount), (status.Redemptions, status.DiscountGiven));
        var again = await Engine.Admin.EndCampaignAsync(new EndCampaignRequest { ProgramId = program, CampaignId = "ten" });
        Assert.Equal(ended, again);

        // Defining it again would silently revive it (a script re-applying its campaigns): refused, nothing changes.
        var redefine = await Assert.ThrowsAsync<RpcException>(() => Define(program, "ten", c => c.PercentOff = 20));
        Assert.Equal((StatusCode.FailedPrecondition, "CAMPAIGN_ENDED"), (redefine.StatusCode, redefine.Reason()));
        Assert.Equal(ended, await Engine.Admin.GetCampaignAsync(new GetCampaignRequest { ProgramId = program, CampaignId = "ten" }));
    }

    [Fact]
    public async Task An_unknown_campaign_is_not_found_with_its_reason()
    {
        var program = await fixture.NewProgramAsync();
        var calls = new Func<Task>[]
        {
            () => Engine.Admin.GetCampaignAsync(new GetCampaignRequest { ProgramId = program, CampaignId = "nope" }).ResponseAsync,
            () => Engine.Admin.EndCampaignAsync(new EndCampaignRequest { ProgramId = program, CampaignId = "nope" }).ResponseAsync,
            () => Engine.Admin.GetCampaignStatusAsync(new GetCampaignStatusRequest { ProgramId = program, CampaignId = "nope" }).ResponseAsync,
        };
        foreach (var call in calls)
        {
            var refusal = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal((StatusCode.NotFound, "CAMPAIGN_NOT_FOUND"), (refusal.StatusCode, refusal.Reason()));
        }

        Assert.Empty((await Engine.Admin.ListCampaignsAsync(new ListCampaignsRequest { ProgramId = program })).Campaigns);
        var noProgram = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.ListCampaignsAsync(new ListCampaignsRequest { ProgramId = "no-such-program" }).ResponseAsync);
        Assert.Equal((StatusCode.NotFound, "PROGRAM_NOT_FOUND"), (noProgram.StatusCode, noProgram.Reason()));
    }

    private async Task<CampaignStatus> Status(string program, string campaign) =>
        await Engine.Admin.GetCampaignStatusAsync(new GetCampaignStatusRequest { ProgramId = program, CampaignId = campaign });

    private async Task<Campaign> Define(string program, string id, Action<Campaign> shape)
    {
        var campaign = new Campaign { ProgramId = program, CampaignId = id, Name = id, PercentOff = 5 };
        shape(campaign);
        return await Engine.Admin.DefineCampaignAsync(campaign);
    }
}
