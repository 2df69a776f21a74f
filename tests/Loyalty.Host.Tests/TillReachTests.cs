using Grpc.Core;
using Grpc.Core.Interceptors;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// Issue #27 over real gRPC and PostgreSQL: a till's reach is its store (findings 3), one lookup throttle for every call
/// that names a member (finding 4), and spending at a till needs the member present (finding 2). Each refusal has its
/// exact status and reason and changes nothing: the balance and the sale are read back after it.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class TillReachTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_till_of_another_store_cannot_void_or_refund_a_members_sale_and_the_sale_stays_as_it_was()
    {
        var program = await ProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        Assert.Equal(123, (await Engine.Pos.CommitAsync(Sales.Commit(program, member, "a-1"))).PointsEarned); // store-1
        var storeB = await TillAsync(program, "store-2", "pos-1");

        await Refused(StatusCode.PermissionDenied, "SALE_OF_ANOTHER_STORE", () => storeB.VoidAsync(Void(program, member, "a-1")).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "SALE_OF_ANOTHER_STORE", () => storeB.RefundAsync(Refund(program, member, "a-1", "r-1")).ResponseAsync);
        Assert.Equal(123, await AvailableAsync(program, member));

        // Its own store's till voids it (nothing was refunded: every point is still there to take back), a retry answers
        // as before, and the other store's retry is still refused.
        var voided = await Engine.Pos.VoidAsync(Void(program, member, "a-1"));
        Assert.Equal((123, false), (voided.PointsRemoved, voided.AlreadyVoided));
        Assert.True((await Engine.Pos.VoidAsync(Void(program, member, "a-1"))).AlreadyVoided);
        await Refused(StatusCode.PermissionDenied, "SALE_OF_ANOTHER_STORE", () => storeB.VoidAsync(Void(program, member, "a-1")).ResponseAsync);

        // Its own store's refund, retried, answers the same; customer service reaches every store's sale.
        Assert.Equal(123, (await Engine.Pos.CommitAsync(Sales.Commit(program, member, "a-2"))).PointsEarned);
        var refunded = await Engine.Pos.RefundAsync(Refund(program, member, "a-2", "r-2"));
        Assert.Equal(refunded, await Engine.Pos.RefundAsync(Refund(program, member, "a-2", "r-2")));
        Assert.Equal(123, (await Engine.Pos.CommitAsync(Sales.Commit(program, member, "a-3"))).PointsEarned);
        Assert.Equal(123, (await Engine.OperatorPos.VoidAsync(Void(program, member, "a-3"))).PointsRemoved);
    }

    [Fact]
    public async Task A_till_of_another_store_cannot_void_or_refund_a_guest_sale_and_the_sale_stays_as_it_was()
    {
        var program = await ProgramAsync();
        var sale = Sales.Commit(program, string.Empty, "g-1");
        var total = (await Engine.Pos.CommitAsync(sale)).Subtotal;
        var storeB = await TillAsync(program, "store-2", "pos-1");

        await Refused(StatusCode.PermissionDenied, "SALE_OF_ANOTHER_STORE", () => storeB.VoidAsync(Void(program, string.Empty, "g-1")).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "SALE_OF_ANOTHER_STORE", () => storeB.RefundAsync(Refund(program, string.Empty, "g-1", "gr-1")).ResponseAsync);

        // Unchanged: its own store returns every line (the whole sale is still there to return), then cannot void it twice.
        var refund = Refund(program, string.Empty, "g-1", "gr-2");
        refund.Lines.Add(new RefundLineRef { LineIndex = 1, Quantity = 2 });
        Assert.Equal(total, (await Engine.Pos.RefundAsync(refund)).RefundedAmount);
        await Refused(StatusCode.PermissionDenied, "SALE_OF_ANOTHER_STORE", () => storeB.RefundAsync(Refund(program, string.Empty, "g-1", "gr-2")).ResponseAsync);
        Assert.Equal(0, (await Engine.OperatorPos.VoidAsync(Void(program, string.Empty, "g-1"))).PointsRemoved); // customer service
    }

    [Fact]
    public async Task With_cross_store_returns_on_a_till_returns_another_stores_sale_and_the_audit_trail_names_both_stores()
    {
        var program = await ProgramAsync(crossStoreReturns: true);
        var member = await fixture.NewMemberAsync(program);
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "x-1"));
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "x-own"));
        await Engine.Pos.CommitAsync(Sales.Commit(program, string.Empty, "x-guest"));
        var storeB = await TillAsync(program, "store-2", "pos-4");

        Assert.Equal(123, (await storeB.VoidAsync(Void(program, member, "x-1"))).PointsRemoved);
        Assert.True((await storeB.RefundAsync(Refund(program, string.Empty, "x-guest", "xr-1"))).RefundedAmount > 0);
        await Engine.Pos.VoidAsync(Void(program, member, "x-own")); // its own store: not a cross-store return
        Assert.Equal(0, await AvailableAsync(program, member));

        var trail = (await Engine.Admin.ListAuditAsync(new ListAuditRequest { FilterProgramId = program })).Entries
            .Where(e => e.Method.StartsWith("CrossStore", StringComparison.Ordinal)).ToList();
        Assert.Equal(["CrossStoreRefund", "CrossStoreVoid"], trail.Select(e => e.Method)); // newest first
        Assert.All(trail, e => Assert.Contains("\"saleStoreId\":\"store-1\"", e.Detail, StringComparison.Ordinal));
        Assert.All(trail, e => Assert.Contains("\"tillStoreId\":\"store-2\"", e.Detail, StringComparison.Ordinal));
        Assert.Contains("x-1", trail[1].Detail, StringComparison.Ordinal);
        Assert.Contains("x-guest", trail[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_till_walking_member_ids_through_balance_quote_and_commit_is_throttled_and_then_every_member_lookup_is_refused()
    {
        var program = await ProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        await Engine.OperatorPos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "holder", CardNumber = "card-walk-1" });
        var prober = await TillAsync(program, "store-1", "pos-walk");
        for (var i = 0; i < 30; i++)
        {
            Func<Task> call = (i % 3) switch
            {
                0 => () => prober.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = $"nobody-{i}" }).ResponseAsync,
                1 => () => prober.QuoteAsync(new QuoteRequest { ProgramId = program, MemberId = $"nobody-{i}", Lines = { Sales.Line("soap", 1, 100) } }).ResponseAsync,
                _ => () => prober.CommitAsync(AtTill(Sales.Commit(program, $"nobody-{i}", $"walk-{i}"))).ResponseAsync,
            };
            await Refused(StatusCode.NotFound, "MEMBER_NOT_FOUND", call);
        }

        // The 31st miss in a minute throttles the terminal: then every call naming a member or card is refused there.
        await Refused(StatusCode.ResourceExhausted, "TOO_MANY_LOOKUPS", () => prober.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = "nobody-31" }).ResponseAsync);
        await Refused(StatusCode.ResourceExhausted, "TOO_MANY_LOOKUPS", () => prober.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member }).ResponseAsync);
        await Refused(StatusCode.ResourceExhausted, "TOO_MANY_LOOKUPS", () => prober.QuoteAsync(new QuoteRequest { ProgramId = program, MemberId = member, Lines = { Sales.Line("soap", 1, 100) } }).ResponseAsync);
        await Refused(StatusCode.ResourceExhausted, "TOO_MANY_LOOKUPS", () => prober.CommitAsync(AtTill(Sales.Commit(program, member, "walk-hit"))).ResponseAsync);
        await Refused(StatusCode.ResourceExhausted, "TOO_MANY_LOOKUPS", () => prober.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = "card-walk-1" }).ResponseAsync);
        await Refused(StatusCode.ResourceExhausted, "TOO_MANY_LOOKUPS", () => prober.EnrollAsync(new EnrollRequest { ProgramId = program, CardNumber = "card-walk-1" }).ResponseAsync);
        Assert.Equal(0, await AvailableAsync(program, member));

        // Another terminal and customer service are not throttled; a guest sale names nobody and goes through.
        var neighbour = await TillAsync(program, "store-1", "pos-next");
        Assert.Equal("holder", (await neighbour.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = "card-walk-1" })).MemberId);
        for (var i = 0; i < 40; i++)
        {
            await Refused(StatusCode.NotFound, "MEMBER_NOT_FOUND", () => Engine.OperatorPos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = $"service-{i}" }).ResponseAsync);
        }

        Assert.Equal(0, (await Engine.OperatorPos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance.Available);
        Assert.Equal(0, (await prober.CommitAsync(AtTill(Sales.Commit(program, string.Empty, "walk-guest")))).PointsEarned);
    }

    [Fact]
    public async Task Spending_points_at_a_till_needs_the_member_present_by_card_or_phone_in_the_request_or_an_identify_at_that_terminal()
    {
        var program = await ProgramAsync();
        await Engine.OperatorPos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "spender", CardNumber = "card-spend-1", Phone = "+420601000111" });
        Assert.Equal(123, (await Engine.Pos.CommitAsync(Sales.Commit(program, "spender", "earn"))).PointsEarned); // earning needs no presence
        var till = await TillAsync(program, "store-1", "pos-spend");

        // A bare member id, or a card or phone that is not the member's: refused, nothing spent.
        await Refused(StatusCode.FailedPrecondition, "MEMBER_NOT_PRESENT", () => till.CommitAsync(Spend(program, "s-1")).ResponseAsync);
        await Refused(StatusCode.FailedPrecondition, "MEMBER_NOT_PRESENT", () => till.CommitAsync(Spend(program, "s-2", card: "card-other")).ResponseAsync);
        await Refused(StatusCode.FailedPrecondition, "MEMBER_NOT_PRESENT", () => till.CommitAsync(Spend(program, "s-3", phone: "+420601000999")).ResponseAsync);
        var credit = AtTill(Sales.Commit(program, "spender", "s-4"));
        credit.CreditToSpend = 1;
        await Refused(StatusCode.FailedPrecondition, "MEMBER_NOT_PRESENT", () => till.CommitAsync(credit).ResponseAsync);

        // An Identify by member id proves nothing; one at another terminal neither.
        await till.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = "spender" });
        var elsewhere = await TillAsync(program, "store-1", "pos-elsewhere");
        await elsewhere.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = "card-spend-1" });
        await Refused(StatusCode.FailedPrecondition, "MEMBER_NOT_PRESENT", () => till.CommitAsync(Spend(program, "s-5")).ResponseAsync);
        Assert.Equal(123, await AvailableAsync(program, "spender"));

        // The member's card or phone in the request, or an Identify by card or phone at this terminal: spent.
        Assert.Equal(10, (await till.CommitAsync(Spend(program, "s-6", card: "card-spend-1"))).PointsSpent);
        Assert.Equal(10, (await till.CommitAsync(Spend(program, "s-7", phone: "+420 601 000 111"))).PointsSpent);
        Assert.Equal(10, (await elsewhere.CommitAsync(Spend(program, "s-8"))).PointsSpent);
        var byPhone = await TillAsync(program, "store-1", "pos-phone");
        await byPhone.IdentifyAsync(new IdentifyRequest { ProgramId = program, Phone = "+420601000111" });
        Assert.Equal(10, (await byPhone.CommitAsync(Spend(program, "s-9"))).PointsSpent);

        // Customer service spends by member id.
        Assert.Equal(10, (await Engine.OperatorPos.CommitAsync(Spend(program, "s-10"))).PointsSpent);
    }

    private static CommitRequest Spend(string program, string transactionId, string? card = null, string? phone = null)
    {
        var request = AtTill(Sales.Commit(program, "spender", transactionId));
        request.PointsToSpend = 10;
        request.PresentedCardNumber = card ?? string.Empty;
        request.PresentedPhone = phone ?? string.Empty;
        return request;
    }

    /// <summary>The sale as a till sends it without naming its store and terminal: the credential's are taken.</summary>
    private static CommitRequest AtTill(CommitRequest request)
    {
        request.StoreId = string.Empty;
        request.TerminalId = string.Empty;
        return request;
    }

    /// <summary>A program as the fixture's (1 point per 100), where a point pays 1 minor unit, with cross-store returns as asked.</summary>
    private async Task<string> ProgramAsync(bool crossStoreReturns = false)
    {
        var id = "till-" + Guid.NewGuid().ToString("N")[..10];
        await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = id, Name = "Till club", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1, PointValue = 1,
            CrossStoreReturns = crossStoreReturns,
        });
        return id;
    }

    private async Task<PosService.PosServiceClient> TillAsync(string program, string store, string terminal) =>
        new(Engine.Channel.Intercept(LoyaltyAdmin.WithBearer(await Engine.Fleet(program).TokenAsync(store, terminal, default))));

    private async Task<long> AvailableAsync(string program, string member) =>
        (await Engine.OperatorPos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance.Available;

    private static VoidSaleRequest Void(string program, string member, string transactionId) =>
        new() { ProgramId = program, MemberId = member, TransactionId = transactionId };

    /// <summary>A refund of the first line (one shampoo).</summary>
    private static RefundRequest Refund(string program, string member, string transactionId, string refundId) =>
        new() { ProgramId = program, MemberId = member, TransactionId = transactionId, RefundId = refundId, Lines = { new RefundLineRef { LineIndex = 0, Quantity = 1 } } };

    private static async Task Refused(StatusCode status, string reason, Func<Task> call)
    {
        var failure = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal((status, reason), (failure.StatusCode, failure.Reason()));
    }
}
