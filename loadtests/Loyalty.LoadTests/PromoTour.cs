using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;

namespace Loyalty.LoadTests;

/// <summary>The README's marketing walkthrough: campaigns defined over the admin API, a basket quoted and committed.</summary>
internal static class PromoTour
{
    public static async Task<int> RunAsync(string[] args)
    {
        var address = Tour.Option(args, "--address") ?? "http://127.0.0.1:5080";
        var programId = Tour.Option(args, "--program") ?? "promo-demo";
        var (adminChannel, admin) = EngineAccess.Admin(
            Tour.Option(args, "--admin-address") ?? EngineAccess.AdminAddressFor(PosClient.ParseAddresses(address)[0]), EngineAccess.OperatorToken(Tour.Option(args, "--operator-token")));
        using var adminConnection = adminChannel;
        using var pos = EngineAccess.Pos(address, programId, admin, "store-1", "pos-1");
        try
        {
            await admin.UpsertProgramAsync(new LoyaltyProgram
            {
                ProgramId = programId, Name = "Promo Club", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 12,
                TimeZone = "Europe/Prague", MaxDiscountPercent = 30,
            });
            Console.WriteLine($"program   {programId}: time zone Europe/Prague, discounts capped at 30% of a basket");

            await admin.DefineCampaignAsync(new Campaign
            {
                ProgramId = programId, CampaignId = "coffee-3for2", Name = "3 for 2 on coffee", Priority = 10,
                BuyGet = new BuyGet { Buy = 2, Get = 1 }, Targets = new CampaignTargets { Categories = { "coffee" } },
            });
            await admin.DefineCampaignAsync(new Campaign
            {
                ProgramId = programId, CampaignId = "big-basket", Name = "10.00 off from 60.00", Priority = 5, AmountOff = 1_000, MinBasket = 6_000,
                MaxPerMember = 1,
            });
            await admin.DefineCampaignAsync(new Campaign
            {
                ProgramId = programId, CampaignId = "flash-40", Name = "40% alone, first 100", Priority = 1, PercentOff = 40, Exclusive = true, MaxRedemptions = 100,
            });
            Console.WriteLine("campaigns coffee-3for2 (stackable, priority 10), big-basket (10.00 off from 60.00, once per member), flash-40 (exclusive, 100 redemptions)");

            var member = await pos.EnrollAsync(cardNumber: "card-" + Random.Shared.Next(100_000, 999_999), name: "Ana Promo");
            var sale = new CommitRequest { MemberId = member.MemberId, StoreId = "store-7", TerminalId = "pos-2", Channel = "store", PaymentMethod = "card" };
            sale.Lines.Add(new BasketLine { Sku = "espresso-beans", Category = "coffee", Quantity = 3, UnitPrice = 1_250 });
            sale.Lines.Add(new BasketLine { Sku = "mug", Category = "homeware", Quantity = 1, UnitPrice = 899 });
            var quote = await pos.QuoteAsync(new QuoteRequest
            {
                MemberId = member.MemberId, StoreId = "store-7", Channel = "store", PaymentMethod = "card", Lines = { sale.Lines },
            });
            Console.WriteLine($"quote     subtotal {Tour.Money(quote.Subtotal)}, discount {Tour.Money(quote.Discount)}, total {Tour.Money(quote.Total)}");
            foreach (var line in quote.Discounts)
            {
                Console.WriteLine($"          line {line.LineIndex} ({sale.Lines[line.LineIndex].Sku}): -{Tour.Money(line.Amount)} by {line.Source} {line.SourceId}");
            }

            foreach (var hint in quote.Hints)
            {
                Console.WriteLine($"hint      {hint.Message}");
            }

            var committed = await pos.CommitAsync(sale);
            Console.WriteLine($"commit    paid {Tour.Money(committed.Total)} with {string.Join(" + ", committed.Campaigns.Select(c => $"{c.CampaignId} -{Tour.Money(c.Discount)}"))}; same as the quote: {committed.Discount == quote.Discount}");
            return 0;
        }
        catch (RpcException failure)
        {
            Console.Error.WriteLine($"failed: {failure.StatusCode} {failure.Reason()} {failure.Status.Detail}");
            return 1;
        }
    }
}
