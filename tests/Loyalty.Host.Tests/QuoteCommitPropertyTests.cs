using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Loyalty.Host.Tests;

/// <summary>
/// Quote and Commit price through one step (issue #14, docs/architecture.md): random programs (earn rate, tiers, the
/// discount cap), campaign sets (money, items, buy-get, stamps, bonus points, multipliers, budgets, per-member
/// limits, minimum baskets, exclusivity) and coupons (amount, percent, free item, bonus points; single-use and
/// shared; minimum baskets) drive random baskets through Quote and then Commit over real gRPC and PostgreSQL. With
/// nothing changed in between, the commit applies exactly what the quote promised: every amount, every discount
/// line with its source, every campaign, the points; a coupon the quote called unusable refuses the commit with the
/// same reason.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class QuoteCommitPropertyTests(EngineFixture fixture, ITestOutputHelper output)
{
    private static readonly (string Sku, string Category)[] Catalog =
        [("apple", "fruit"), ("pear", "fruit"), ("cola", "drinks"), ("coffee", "drinks"), ("soap", "home"), ("towel", "home")];

    private string? _lastCode;

    private TestEngine Engine => fixture.Engine;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task A_commit_applies_exactly_what_the_quote_of_the_same_basket_promised(int seed)
    {
        var random = new Random(seed * 7919);
        var checkedSales = 0;
        var couponRefusals = 0;
        for (var round = 0; round < 4; round++)
        {
            var program = await NewProgramAsync(random);
            var campaigns = await DefineCampaignsAsync(random, program);
            var member = await fixture.NewMemberAsync(program);
            for (var sale = 0; sale < 6; sale++)
            {
                var context = $"seed {seed}, round {round}, sale {sale}, campaigns [{string.Join("; ", campaigns)}]";
                var request = await NewSaleAsync(random, program, member, $"t-{round}-{sale}");
                var quote = await Engine.Pos.QuoteAsync(new QuoteRequest
                {
                    ProgramId = program, MemberId = member, StoreId = request.StoreId, TerminalId = request.TerminalId, Lines = { request.Lines },
                    CouponCode = request.CouponCode, Channel = request.Channel,
                });

                if (quote.Coupon is { Valid: false } refused && refused.Reason != "COUPON_NO_DISCOUNT")
                {
                    var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(request).ResponseAsync);
                    Assert.True(refused.Reason == refusal.Reason(), $"{context}: quote said {refused.Reason}, commit {refusal.Reason()} ({refusal.Status.Detail})");
                    couponRefusals++;
                    continue;
                }

                var committed = await Engine.Pos.CommitAsync(request);
                output.WriteLine($"{context}: {quote.Subtotal} - {quote.Discount} = {quote.Total}, {quote.PointsToEarn}+{quote.CampaignPoints} points");
                AssertSame(context, quote, committed);
                checkedSales++;
            }
        }

        // The generator must exercise both roads, or the property says little.
        Assert.True(checkedSales >= 12, $"only {checkedSales} sales committed");
        output.WriteLine($"{checkedSales} sales compared, {couponRefusals} coupon refusals compared");
    }

    private static void AssertSame(string context, QuoteResponse quote, CommitResponse committed)
    {
        Assert.True(
            (quote.Subtotal, quote.Discount, quote.Total, quote.TierDiscount, quote.RewardDiscount, quote.CampaignDiscount, quote.Tier)
                == (committed.Subtotal, committed.Discount, committed.Total, committed.TierDiscount, committed.RewardDiscount, committed.CampaignDiscount, committed.Tier),
            $"{context}: amounts differ\nquote  {quote}\ncommit {committed}");
        Assert.True(
            (quote.PointsToEarn, quote.CampaignPoints) == (committed.PointsEarned, committed.BonusPoints),
            $"{context}: points differ: quote {quote.PointsToEarn}+{quote.CampaignPoints}, commit {committed.PointsEarned}+{committed.BonusPoints}");
        Assert.True(quote.Discounts.SequenceEqual(committed.Discounts), $"{context}: discount lines differ\nquote  {quote.Discounts}\ncommit {committed.Discounts}");
        Assert.True(quote.Campaigns.SequenceEqual(committed.Campaigns), $"{context}: campaigns differ\nquote  {quote.Campaigns}\ncommit {committed.Campaigns}");
        Assert.Equal(quote.CampaignId, committed.CampaignId);
        if (quote.Coupon is { Valid: false } capped)
        {
            // The cap left nothing for the coupon: the quote says so, the commit leaves it unused and names it.
            var dropped = Assert.Single(committed.Dropped);
            Assert.Equal((DiscountSource.Coupon, capped.Reason), (dropped.Source, dropped.Reason));
            Assert.Equal(string.Empty, committed.CouponCode);
        }
        else
        {
            Assert.Empty(committed.Dropped);
            Assert.Equal(quote.Coupon?.Code ?? string.Empty, committed.CouponCode);
        }
    }

    private async Task<string> NewProgramAsync(Random random)
    {
        var id = "prop-" + Guid.NewGuid().ToString("N")[..10];
        var program = new LoyaltyProgram
        {
            ProgramId = id,
            Name = "Property club",
            Currency = "EUR",
            EarnPoints = random.Next(1, 4),
            EarnPerAmount = random.Next(1, 4) * 100,
            ExpiryMonths = 12,
            MaxDiscountPercent = random.Next(3) switch { 0 => 0, 1 => 25, _ => 60 },
        };
        if (random.Next(2) == 0)
        {
            // A floor everyone is in and a level a few sales reach: the tier changes during a round.
            program.Tiers = new TierRules
            {
                Model = TierModel.Lifetime,
                DiscountExcludesSaleItems = random.Next(2) == 0,
                Levels =
                {
                    new TierLevel { Name = "basic", MinSpend = 0, DiscountPercent = random.Next(0, 4) },
                    new TierLevel { Name = "gold", MinSpend = 30_000, DiscountPercent = random.Next(5, 15), EarnMultiplierPercent = 150 },
                },
            };
        }

        await Engine.Admin.UpsertProgramAsync(program);
        return id;
    }

    private async Task<List<string>> DefineCampaignsAsync(Random random, string program)
    {
        var described = new List<string>();
        var count = random.Next(0, 4);
        for (var i = 0; i < count; i++)
        {
            var campaign = new Campaign { ProgramId = program, CampaignId = $"c{i}", Name = $"campaign {i}", Priority = random.Next(3) };
            var category = Catalog[random.Next(Catalog.Length)].Category;
            switch (random.Next(7))
            {
                case 0:
                    campaign.PercentOff = random.Next(5, 40);
                    break;
                case 1:
                    campaign.AmountOff = random.Next(1, 30) * 100;
                    break;
                case 2:
                    campaign.ItemsPercentOff = random.Next(10, 50);
                    campaign.Targets = new CampaignTargets { Categories = { category } };
                    break;
                case 3:
                    campaign.BuyGet = new BuyGet { Buy = 2, Get = 1 };
                    campaign.Targets = new CampaignTargets { Categories = { category } };
                    break;
                case 4:
                    campaign.StampCard = new StampCard { Stamps = random.Next(2, 6) };
                    campaign.Targets = new CampaignTargets { Categories = { category } };
                    break;
                case 5:
                    campaign.BonusPoints = random.Next(1, 50) * 10;
                    break;
                default:
                    campaign.PointsMultiplierPercent = random.Next(150, 400);
                    campaign.Targets = new CampaignTargets { Categories = { category } };
                    break;
            }

            campaign.MinBasket = random.Next(3) == 0 ? random.Next(1, 40) * 1_000 : 0;
            campaign.MaxRedemptions = random.Next(2) == 0 ? 1_000 : 0;
            campaign.MaxPerMember = random.Next(3) == 0 ? 2 : 0;
            campaign.Exclusive = random.Next(5) == 0;
            await Engine.Admin.DefineCampaignAsync(campaign);
            described.Add(campaign.ToString());
        }

        return described;
    }

    private async Task<CommitRequest> NewSaleAsync(Random random, string program, string member, string transactionId)
    {
        var request = new CommitRequest
        {
            ProgramId = program, MemberId = member, TransactionId = transactionId, StoreId = "store-1", TerminalId = "pos-1", Channel = "store",
        };
        var lines = random.Next(1, 6);
        for (var i = 0; i < lines; i++)
        {
            var (sku, category) = Catalog[random.Next(Catalog.Length)];
            var line = Sales.Line(sku, random.Next(1, 5), random.Next(1, 200) * 100 + random.Next(100), category);
            line.OnSale = random.Next(5) == 0;
            request.Lines.Add(line);
        }

        if (random.Next(5) < 3)
        {
            if (_lastCode is not null && random.Next(6) == 0)
            {
                // A code used before: single-use ones are taken (both roads must say so), shared ones go on.
                request.CouponCode = _lastCode;
                return request;
            }

            var terms = new CouponTerms { MinBasket = random.Next(3) == 0 ? random.Next(1, 150) * 1_000 : 0 };
            switch (random.Next(4))
            {
                case 0:
                    terms.AmountOff = random.Next(1, 50) * 100;
                    break;
                case 1:
                    terms.PercentOff = random.Next(5, 60);
                    break;
                case 2:
                    terms.FreeSku = request.Lines[random.Next(request.Lines.Count)].Sku;
                    break;
                default:
                    terms.BonusPoints = random.Next(1, 30) * 10;
                    break;
            }

            if (random.Next(2) == 0)
            {
                terms.Use = CouponUse.Shared;
                terms.MaxRedemptions = 100;
            }

            var created = await Engine.Admin.CreateCouponsAsync(new CreateCouponsRequest { ProgramId = program, Count = 1, Terms = terms });
            request.CouponCode = _lastCode = created.Codes.Single();
        }

        return request;
    }
}
