using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.LoadTests.Scenarios;
using Loyalty.LoadTests.Tests.Infrastructure;

namespace Loyalty.LoadTests.Tests;

/// <summary>
/// A walk-in customer's sale (no member id) on both targets, as the checkout mix sends it: the baseline must
/// answer it as the engine does, or the benchmark compares different work.
/// </summary>
[Collection(TargetsCollection.Name)]
public sealed class GuestCheckoutTests(Targets targets)
{
    public static TheoryData<string, bool> TargetsAndCoupon => new()
    {
        { "engine", true },
        { "engine", false },
        { "baseline", true },
        { "baseline", false },
    };

    [Theory]
    [MemberData(nameof(TargetsAndCoupon))]
    public async Task Racing_retries_of_one_guest_sale_are_answered_with_that_one_sale(string target, bool withCoupon)
    {
        using var workload = await SeedAsync(target);
        var coupon = withCoupon ? (await workload.CreateCouponsAsync(1, new CouponTerms { AmountOff = 300, MinBasket = 500 }, CancellationToken.None)).Single() : null;
        var sale = Sale("guest-race-" + withCoupon, coupon);

        var quote = await workload.Pos.QuoteAsync(new QuoteRequest { StoreId = "s000", TerminalId = "t00", CouponCode = coupon ?? string.Empty, Lines = { sale.Lines } });
        // A terminal that lost the answer retries while the first call is still running: eight at once.
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => workload.Pos.CommitAsync(sale.Clone())));

        Assert.Equal(0, quote.PointsToEarn);
        Assert.Single(answers.Select(a => (a.CommittedAt, a.Total, a.PointsEarned)).Distinct());
        Assert.Equal(0, answers[0].PointsEarned);
        Assert.Equal(quote.Total, answers[0].Total);
        if (coupon is not null)
        {
            Assert.Equal(300, answers[0].Discount);
            Assert.Equal(sale.TransactionId, (await CouponAsync(workload, coupon)).RedeemedByTransaction);
        }

        var reused = await Assert.ThrowsAsync<RpcException>(() => workload.Pos.CommitAsync(Sale(sale.TransactionId, coupon: null, quantity: 2)));
        Assert.Equal("TRANSACTION_ID_REUSED", reused.Reason());
    }

    [Theory]
    [InlineData("engine")]
    [InlineData("baseline")]
    public async Task A_voided_guest_sale_gives_its_coupon_back_once(string target)
    {
        using var workload = await SeedAsync(target);
        var coupon = (await workload.CreateCouponsAsync(1, new CouponTerms { AmountOff = 300, MinBasket = 500 }, CancellationToken.None)).Single();
        var first = Sale("guest-void-1", coupon);
        await workload.Pos.CommitAsync(first);

        var taken = await Assert.ThrowsAsync<RpcException>(() => workload.Pos.CommitAsync(Sale("guest-void-2", coupon)));
        var voided = await workload.Pos.VoidAsync(string.Empty, first.TransactionId, "s000", "t00");
        var again = await workload.Pos.VoidAsync(string.Empty, first.TransactionId, "s000", "t00");
        var second = await workload.Pos.CommitAsync(Sale("guest-void-3", coupon));

        Assert.Equal("COUPON_ALREADY_REDEEMED", taken.Reason());
        Assert.True(voided.CouponRestored);
        Assert.False(voided.AlreadyVoided);
        Assert.True(again.AlreadyVoided);
        Assert.Equal(0, voided.PointsRemoved);
        Assert.Equal(300, second.Discount);
        Assert.Equal("guest-void-3", (await CouponAsync(workload, coupon)).RedeemedByTransaction);
        var notGuests = await Assert.ThrowsAsync<RpcException>(() => workload.Pos.VoidAsync(workload.Members[0], "guest-void-3"));
        Assert.Equal("TRANSACTION_NOT_FOUND", notGuests.Reason());
    }

    [Theory]
    [InlineData("engine")]
    [InlineData("baseline")]
    public async Task A_guest_cannot_pay_with_points(string target)
    {
        using var workload = await SeedAsync(target);
        var sale = Sale("guest-points", coupon: null);
        sale.PointsToSpend = 100;

        var refused = await Assert.ThrowsAsync<RpcException>(() => workload.Pos.CommitAsync(sale));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
    }

    private static CommitRequest Sale(string transactionId, string? coupon, int quantity = 1) => new()
    {
        TransactionId = transactionId,
        StoreId = "s000",
        TerminalId = "t00",
        CouponCode = coupon ?? string.Empty,
        Lines = { new BasketLine { Sku = "sku-coffee", Category = "drinks", Quantity = quantity, UnitPrice = 650 } },
    };

    private static Task<Coupon> CouponAsync(Workload workload, string code) =>
        workload.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = workload.ProgramId, Code = code }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync;

    private Task<Workload> SeedAsync(string target) => Workload.SeedAsync(new RunOptions
    {
        Target = target,
        Address = target == "engine" ? targets.EngineAddress : targets.BaselineAddress,
        Members = 2,
        Stores = 1,
        TerminalsPerStore = 1,
        Live = false,
    });
}
