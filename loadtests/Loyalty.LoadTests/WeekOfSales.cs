using Grpc.Core;
using Google.Protobuf.WellKnownTypes;
using Loyalty.Api.V1;
using Loyalty.Client;

namespace Loyalty.LoadTests;

/// <summary>
/// The README's "head of loyalty" walkthrough: a week of a small chain's sales, then the reports read them. Six past
/// days arrive as the tills' offline replays (members earn, walk-ins pay; no promotions on a replay), today is live:
/// a campaign for everyone with a budget, a members-only club price, printed single-use coupons handed to passers-by,
/// a few voids and refunds, and customer service's goodwill adjustments.
/// </summary>
internal static class WeekOfSales
{
    private static readonly string[] Stores = ["store-1", "store-2", "store-3"];

    public static async Task<int> RunAsync(string[] args)
    {
        var address = Tour.Option(args, "--address") ?? "http://127.0.0.1:5080";
        var programId = Tour.Option(args, "--program") ?? "week-demo";
        var perDay = int.Parse(Tour.Option(args, "--receipts-per-day") ?? "200", System.Globalization.CultureInfo.InvariantCulture);
        var (adminChannel, admin) = EngineAccess.Admin(
            Tour.Option(args, "--admin-address") ?? EngineAccess.AdminAddressFor(PosClient.ParseAddresses(address)[0]), EngineAccess.OperatorToken(Tour.Option(args, "--operator-token")));
        using var adminConnection = adminChannel;
        var tills = Stores.Select(store => EngineAccess.Pos(address, programId, admin, store, "pos-1")).ToArray();
        try
        {
            await admin.UpsertProgramAsync(new LoyaltyProgram
            {
                ProgramId = programId, Name = "Week Demo", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 12, PointValue = 1, MaxBurnPercent = 50,
                Tiers = new TierRules
                {
                    Model = TierModel.Lifetime,
                    Levels = { new TierLevel { Name = "member", MinSpend = 0 }, new TierLevel { Name = "gold", MinSpend = 20_000, DiscountPercent = 5 } },
                },
            });
            await admin.DefineCampaignAsync(new Campaign
            {
                ProgramId = programId, CampaignId = "everyone-10", Name = "10% off from 30.00, first 150 receipts", PercentOff = 10, MinBasket = 3_000, MaxRedemptions = 150,
            });
            await admin.DefineCampaignAsync(new Campaign
            {
                ProgramId = programId, CampaignId = "club-coffee", Name = "Club price: 20% off coffee", PercentOff = 20,
                Targets = new CampaignTargets { Categories = { "coffee" } }, Conditions = new CampaignConditions { MembersOnly = true },
            });
            var printed = (await admin.CreateCouponsAsync(new CreateCouponsRequest { ProgramId = programId, Count = 40, Terms = new CouponTerms { AmountOff = 500, MinBasket = 2_000 } })).Codes;
            Console.WriteLine($"program   {programId}: 1 point per 1.00, tiers member/gold (5% off from 200.00 lifetime), campaigns everyone-10 (budget 150) and club-coffee (members only), {printed.Count} printed coupons");

            var random = new Random(7);
            var members = new List<string>();
            for (var i = 0; i < 120; i++)
            {
                members.Add((await tills[i % tills.Length].EnrollAsync(cardNumber: $"{programId}-card-{i:D4}", name: $"Customer {i}")).MemberId);
            }

            var now = DateTimeOffset.UtcNow;
            var (receipts, guests, discounted) = (0, 0, 0);
            var today = new List<(PosClient Till, string Member, CommitResponse Sale)>();
            for (var daysAgo = 6; daysAgo >= 0; daysAgo--)
            {
                for (var n = 0; n < perDay; n++)
                {
                    var till = tills[random.Next(tills.Length)];
                    // Regulars come more often than the rest: a member drawn with a skew, 40% walk-ins.
                    var guest = random.NextDouble() < 0.4;
                    var member = guest ? string.Empty : members[(int)(members.Count * Math.Pow(random.NextDouble(), 2))];
                    var sale = new CommitRequest { MemberId = member, StoreId = till == tills[0] ? Stores[0] : till == tills[1] ? Stores[1] : Stores[2], TerminalId = "pos-1" };
                    sale.Lines.AddRange(Basket(random));
                    if (daysAgo > 0)
                    {
                        // Six days ago … yesterday, during opening hours: the tills replay what they took offline.
                        sale.OccurredAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-daysAgo).AddHours(8 + random.Next(12)).AddMinutes(random.Next(60)));
                    }
                    else if (guest && printed.Count > 0 && random.NextDouble() < 0.3 && sale.Lines.Sum(l => l.Quantity * l.UnitPrice) >= 2_000)
                    {
                        sale.CouponCode = printed[^1];
                        printed.RemoveAt(printed.Count - 1);
                    }

                    var committed = await till.CommitAsync(sale);
                    if (daysAgo == 0)
                    {
                        today.Add((till, member, committed));
                    }

                    (receipts, guests, discounted) = (receipts + 1, guests + (guest ? 1 : 0), discounted + (committed.Discount > 0 ? 1 : 0));
                }
            }

            Console.WriteLine($"sales     {receipts:N0} receipts over 7 days ({guests:N0} walk-ins), {discounted:N0} with a discount (tier, campaigns, coupons)");

            // A few of today's sales go back: voids and a refund of one line.
            foreach (var (till, member, sale) in today.Take(5))
            {
                await till.VoidAsync(member, sale.TransactionId);
            }

            var returned = today[^1];
            await returned.Till.RefundAsync(new RefundRequest { MemberId = returned.Member, TransactionId = returned.Sale.TransactionId, Lines = { new RefundLineRef { LineIndex = 0, Quantity = 1 } } });
            Console.WriteLine("returns   5 sales voided, 1 line refunded");

            foreach (var (member, i) in members.Take(3).Select((m, i) => (m, i)))
            {
                await admin.AdjustAsync(new AdjustRequest
                {
                    ProgramId = programId, MemberId = member, AdjustmentId = $"ticket-{i + 1}", Asset = AdjustmentAsset.Points, Amount = 250, Reason = "goodwill",
                    Note = "complaint about a long queue",
                });
            }

            Console.WriteLine("service   3 goodwill adjustments of 250 points");
            var from = now.UtcDateTime.Date.AddDays(-6).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            var to = now.UtcDateTime.Date.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            Console.WriteLine($"reports   from={from} to={to} (see the README's head-of-loyalty walkthrough)");
            return 0;
        }
        catch (RpcException failure)
        {
            Console.Error.WriteLine($"week: {EngineAccess.Describe(failure)}");
            return 1;
        }
        finally
        {
            foreach (var till in tills)
            {
                till.Dispose();
            }
        }
    }

    private static IEnumerable<BasketLine> Basket(Random random)
    {
        var lines = random.Next(1, 5);
        for (var i = 0; i < lines; i++)
        {
            var coffee = random.NextDouble() < 0.3;
            yield return new BasketLine
            {
                Sku = coffee ? $"coffee-{random.Next(5)}" : $"sku-{random.Next(200):D3}",
                Category = coffee ? "coffee" : "groceries",
                Quantity = random.Next(1, 3),
                UnitPrice = coffee ? 1_250 : 150 + random.Next(2_000),
            };
        }
    }
}
