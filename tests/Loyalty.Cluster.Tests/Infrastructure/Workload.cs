using Loyalty.Api.V1;
using Loyalty.Client;

namespace Loyalty.Cluster.Tests.Infrastructure;

/// <summary>
/// One program with members and single-use coupons, set up through the POS SDK. The numbers are
/// chosen so every sale earns at least one point (a basket is at least 1,000 and a coupon takes 500
/// off; 1 point per 100), which makes each member's running balance strictly increasing.
/// </summary>
public sealed class Workload
{
    public const long CouponAmountOff = 500;

    private Workload(string programId, IReadOnlyList<string> members, IReadOnlyList<string> coupons)
    {
        ProgramId = programId;
        Members = members;
        Coupons = coupons;
    }

    public string ProgramId { get; }

    public IReadOnlyList<string> Members { get; }

    public IReadOnlyList<string> Coupons { get; }

    public static string NewProgramId() => "club-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Defines <paramref name="client"/>'s program, enrolls the members and creates the coupons.</summary>
    public static async Task<Workload> CreateAsync(PosClient client, int members, int coupons)
    {
        var programId = client.ProgramId;
        await Retry(() => TestCluster.Admin(client).UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = programId,
            Name = "Cluster test club",
            Currency = "EUR",
            EarnPoints = 1,
            EarnPerAmount = 100,
            ExpiryMonths = 12,
        }, deadline: Deadline()).ResponseAsync);

        var memberIds = Enumerable.Range(1, members).Select(i => $"m{i:D3}").ToList();
        await Parallel.ForEachAsync(memberIds, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (member, _) =>
            await client.EnrollAsync(member, name: "Test Member " + member));

        // Codes made here (valid check character) and created in small batches: a batch that fails
        // (say, a storage fault) is sent again as it was, and creating an existing code is a no-op.
        var codes = Enumerable.Range(0, coupons).Select(_ => Loyalty.Domain.CouponCodes.Next()).ToList();
        await Parallel.ForEachAsync(codes.Chunk(25), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (batch, _) =>
        {
            var request = new CreateCouponsRequest
            {
                ProgramId = programId,
                Terms = new CouponTerms { AmountOff = CouponAmountOff, MinBasket = 1_000 },
            };
            request.Codes.AddRange(batch);
            await Retry(() => TestCluster.Admin(client).CreateCouponsAsync(request, deadline: Deadline()).ResponseAsync);
        });

        return new Workload(programId, memberIds, codes);
    }

    /// <summary>A sale of 1–3 lines worth 1,000–30,000 in all.</summary>
    public static CommitRequest Sale(string memberId, string transactionId, string? coupon, Random random)
    {
        var request = new CommitRequest
        {
            MemberId = memberId,
            TransactionId = transactionId,
            StoreId = "store-" + random.Next(1, 9),
            TerminalId = "pos-" + random.Next(1, 5),
            CouponCode = coupon ?? string.Empty,
        };
        var lines = random.Next(1, 4);
        for (var i = 0; i < lines; i++)
        {
            request.Lines.Add(new BasketLine
            {
                Sku = "sku-" + random.Next(1, 500),
                Category = random.Next(3) switch { 0 => "cosmetics", 1 => "fragrance", _ => "general" },
                Quantity = random.Next(1, 3),
                UnitPrice = random.Next(10, 51) * 100,
            });
        }

        return request;
    }

    private static DateTime Deadline() => DateTime.UtcNow.AddSeconds(30);

    private static async Task<T> Retry<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Grpc.Core.RpcException e) when (attempt < 40 && PosClient.IsRetryable(e))
            {
                await Task.Delay(250);
            }
        }
    }
}
