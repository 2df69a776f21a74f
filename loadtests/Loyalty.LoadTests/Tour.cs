using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;

namespace Loyalty.LoadTests;

/// <summary>The README's 60-second tour, as real POS calls through the SDK.</summary>
internal static class Tour
{
    public static async Task<int> RunAsync(string[] args)
    {
        var address = Option(args, "--address") ?? "http://127.0.0.1:5080";
        var programId = Option(args, "--program") ?? "demo";
        var (adminChannel, admin) = EngineAccess.Admin(
            Option(args, "--admin-address") ?? EngineAccess.AdminAddressFor(PosClient.ParseAddresses(address)[0]), EngineAccess.OperatorToken(Option(args, "--operator-token")));
        using var adminConnection = adminChannel;
        try
        {
            var program = await admin.UpsertProgramAsync(new LoyaltyProgram
            {
                ProgramId = programId,
                Name = "Demo Club",
                Currency = "EUR",
                EarnPoints = 1,
                EarnPerAmount = 100,
                ExpiryMonths = 1,
            });
            Console.WriteLine($"program   {program.ProgramId}: 1 point per 1.00 {program.Currency}, points expire at the end of the month after they were earned");

            // A till gets in with its own credential: the operator registers the store and the terminal once.
            await admin.RegisterStoreAsync(new RegisterStoreRequest { ProgramId = programId, StoreId = "store-7", Name = "Store 7" });
            var till = await admin.RegisterTerminalAsync(new RegisterTerminalRequest { ProgramId = programId, StoreId = "store-7", TerminalId = "pos-2" });
            Console.WriteLine($"terminal  store-7/pos-2 registered: its token pos_{till.Terminal.CredentialId}_… goes in authorization: Bearer on each call");
            using var pos = PosClient.Connect(address, programId, till.Token);

            var card = "card-" + Random.Shared.Next(100_000, 999_999);
            var member = await pos.EnrollAsync(cardNumber: card, name: "Ana Tour");
            Console.WriteLine($"enrolled  member {member.MemberId} with card {card}");

            var coupon = (await admin.CreateCouponsAsync(new CreateCouponsRequest
            {
                ProgramId = programId,
                Count = 1,
                Terms = new CouponTerms { AmountOff = 500, MinBasket = 2_000 },
            })).Codes[0];
            Console.WriteLine($"coupon    {coupon}: 5.00 off a basket of 20.00 or more, single use");

            var sale = new CommitRequest { MemberId = member.MemberId, StoreId = "store-7", TerminalId = "pos-2", CouponCode = coupon };
            sale.Lines.Add(new BasketLine { Sku = "espresso-beans", Category = "coffee", Quantity = 2, UnitPrice = 1_250 });
            sale.Lines.Add(new BasketLine { Sku = "mug", Category = "homeware", Quantity = 1, UnitPrice = 899 });
            var quote = await pos.QuoteAsync(new QuoteRequest { MemberId = member.MemberId, CouponCode = coupon, Lines = { sale.Lines } });
            Console.WriteLine($"quote     subtotal {Money(quote.Subtotal)}, coupon {(quote.Coupon.Valid ? "valid" : quote.Coupon.Reason)}, total {Money(quote.Total)}, earns {quote.PointsToEarn} points");

            var committed = await pos.CommitAsync(sale);
            Console.WriteLine($"commit    {committed.TransactionId}: paid {Money(committed.Total)}, earned {committed.PointsEarned} points, balance {committed.AvailableAfter}");
            var retried = await pos.CommitAsync(sale);
            Console.WriteLine($"retry     same transaction id → same result, balance still {retried.AvailableAfter}");

            var identified = await pos.IdentifyByCardAsync(card);
            Console.WriteLine($"identify  card {card} → {identified.MemberId}, {identified.Balance.Available} points, {identified.Balance.ExpiringThisMonth} expiring this month");
            foreach (var bucket in identified.Balance.Buckets)
            {
                Console.WriteLine($"          {bucket.Points} points earned {bucket.Month}, expire {bucket.ExpiresAt?.ToDateTime():yyyy-MM-dd HH:mm} UTC");
            }

            try
            {
                await pos.CommitAsync(new CommitRequest { MemberId = member.MemberId, CouponCode = coupon, Lines = { sale.Lines } });
            }
            catch (RpcException refusal)
            {
                Console.WriteLine($"reuse     the coupon again on a new sale → {refusal.StatusCode} {refusal.Reason()}");
            }

            var voided = await pos.VoidAsync(member.MemberId, committed.TransactionId);
            Console.WriteLine($"void      removed {voided.PointsRemoved} points, coupon restored: {voided.CouponRestored}, balance {voided.AvailableAfter}");

            // A walk-in customer: no member id, so no points, but the coupon (free again after the void) still counts.
            var walkIn = await pos.CommitAsync(new CommitRequest { StoreId = "store-7", TerminalId = "pos-2", CouponCode = coupon, Lines = { sale.Lines } });
            Console.WriteLine($"guest     the same basket and coupon without a member: paid {Money(walkIn.Total)}, earned {walkIn.PointsEarned} points");
            return 0;
        }
        catch (RpcException failure)
        {
            Console.Error.WriteLine($"failed: {failure.StatusCode} {failure.Reason()} {failure.Status.Detail}");
            return 1;
        }
    }

    internal static string Money(long minor) => $"{minor / 100}.{minor % 100:D2}";

    internal static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
