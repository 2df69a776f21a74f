using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// The authorization matrix (issue #13) over real gRPC and JSON: no credential, a made-up one, a revoked one,
/// another program, another store, another terminal, a terminal on the admin API, the admin API on the terminal
/// port, a marketer on another program or on operator-only calls, an operator. Each refusal has its exact status
/// and reason, and changes nothing: the member's balance, the program and the coupons are read back after it.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class AuthorizationTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_call_without_a_credential_or_with_a_made_up_one_is_unauthenticated_and_changes_nothing()
    {
        var (program, member) = await SetUpAsync();
        var anonymousPos = new PosService.PosServiceClient(Engine.Channel);
        var anonymousAdmin = new AdminService.AdminServiceClient(Engine.AdminChannel);
        await Refused(StatusCode.Unauthenticated, "CREDENTIAL_MISSING", () => anonymousPos.CommitAsync(Sales.Commit(program, member, "anon-1")).ResponseAsync);
        await Refused(StatusCode.Unauthenticated, "CREDENTIAL_MISSING", () => anonymousPos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = member }).ResponseAsync);
        await Refused(StatusCode.Unauthenticated, "CREDENTIAL_MISSING", () => anonymousAdmin.CreateCouponsAsync(Coupons(program)).ResponseAsync);
        await Refused(StatusCode.Unauthenticated, "CREDENTIAL_MISSING", () => anonymousAdmin.WhoAmIAsync(new WhoAmIRequest()).ResponseAsync);
        await Refused(StatusCode.Unauthenticated, "CREDENTIAL_MISSING", () => anonymousAdmin.ListProgramsAsync(new ListProgramsRequest()).ResponseAsync);
        await Refused(StatusCode.Unauthenticated, "CREDENTIAL_MISSING", () => anonymousAdmin.PlanDiscountAsync(Plan()).ResponseAsync);
        await Refused(StatusCode.Unauthenticated, "CREDENTIAL_MISSING", () => anonymousAdmin.AdjustAsync(Adjustment(program, member)).ResponseAsync);
        await Refused(StatusCode.Unauthenticated, "CREDENTIAL_MISSING", () => anonymousAdmin.ApproveAdjustmentAsync(Decision(program, member)).ResponseAsync);

        // The operator's HTTP endpoints from loopback without a token (issue #27, finding 10: loopback is not an operator).
        using (var loopback = new HttpClient { BaseAddress = new Uri(Engine.AdminAddress) })
        {
            foreach (var path in new[] { "/metrics", "/dashboard/", "/admin/silo" })
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await loopback.GetAsync(path)).StatusCode);
            }
        }

        // Well-formed tokens nobody issued (untagged, and with a made-up tag), a malformed one, the right prefix with
        // a wrong secret, a real token with a wrong tag.
        var terminalToken = await Engine.Fleet(program).TokenAsync("store-1", "pos-1", default);
        foreach (var token in new[]
        {
            "pos_0123456789abcdef_" + new string('A', 43), "op_0123456789abcdef_" + new string('b', 43), "pos_0123456789abcdef_" + new string('A', 43) + "_" + new string('A', 22),
            "not a token", terminalToken[..^24] + (terminalToken[^24] == 'A' ? "B" : "A") + terminalToken[^23..], terminalToken[..^4] + "AAAA",
        })
        {
            await Refused(StatusCode.Unauthenticated, "CREDENTIAL_INVALID", () => PosWith(token).CommitAsync(Sales.Commit(program, member, "made-up")).ResponseAsync);
            await Refused(StatusCode.Unauthenticated, "CREDENTIAL_INVALID", () => AdminWith(token).CreateCouponsAsync(Coupons(program)).ResponseAsync);
            await Refused(StatusCode.Unauthenticated, "CREDENTIAL_INVALID", () => AdminWith(token).WhoAmIAsync(new WhoAmIRequest()).ResponseAsync);
            await Refused(StatusCode.Unauthenticated, "CREDENTIAL_INVALID", () => AdminWith(token).ListProgramsAsync(new ListProgramsRequest()).ResponseAsync);
        }

        await AssertUnchangedAsync(program, member);
    }

    [Fact]
    public async Task A_terminal_is_held_to_its_program_store_and_terminal()
    {
        var (program, member) = await SetUpAsync();
        var (other, otherMember) = await SetUpAsync();
        var till = PosWith(await Engine.Fleet(program).TokenAsync("store-1", "pos-1", default));

        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => till.CommitAsync(Sales.Commit(other, otherMember, "x-program")).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => till.GetBalanceAsync(new GetBalanceRequest { ProgramId = other, MemberId = otherMember }).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => till.CommitAsync(With(Sales.Commit(program, member, "x-store"), store: "store-2")).ResponseAsync);

        // Rotating the terminal id (the old way around the coupon-guess throttle) is refused, not a fresh terminal.
        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => till.CommitAsync(With(Sales.Commit(program, member, "x-terminal"), terminal: "pos-9")).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => till.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = member, StoreId = "store-2" }).ResponseAsync);
        await AssertUnchangedAsync(program, member);
        await AssertUnchangedAsync(other, otherMember);

        // Its own program, store and terminal: accepted; a request that names none gets the credential's.
        var sale = With(Sales.Commit(program, member, "own"), store: string.Empty, terminal: string.Empty);
        Assert.Equal(123, (await till.CommitAsync(sale)).PointsEarned);
    }

    [Fact]
    public async Task A_terminal_cannot_use_the_admin_api_and_the_admin_api_is_not_on_the_terminal_port()
    {
        var (program, member) = await SetUpAsync();
        var terminalToken = await Engine.Fleet(program).TokenAsync("store-1", "pos-1", default);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => AdminWith(terminalToken).CreateCouponsAsync(Coupons(program)).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => AdminWith(terminalToken).RegisterTerminalAsync(
            new RegisterTerminalRequest { ProgramId = program, StoreId = "store-1", TerminalId = "pos-77" }).ResponseAsync);

        // Nor the calls any operator or marketer may make (gRPC and JSON).
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => AdminWith(terminalToken).WhoAmIAsync(new WhoAmIRequest()).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => AdminWith(terminalToken).ListProgramsAsync(new ListProgramsRequest()).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => AdminWith(terminalToken).PlanDiscountAsync(Plan()).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => AdminWith(terminalToken).AdjustAsync(Adjustment(program, member)).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => AdminWith(terminalToken).ListPendingAdjustmentsAsync(new ListPendingAdjustmentsRequest { ProgramId = program }).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => AdminWith(terminalToken).ApproveAdjustmentAsync(Decision(program, member)).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => AdminWith(terminalToken).PreviewQuoteAsync(
            new PreviewQuoteRequest { ProgramId = program, Lines = { Sales.Line("x", 1, 1_000) } }).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => FirstPageAsync(AdminWith(terminalToken), program));
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => AdminWith(terminalToken).GetMemberAsync(new GetMemberRequest { ProgramId = program, MemberId = member }).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => AdminWith(terminalToken).FindMemberAsync(new FindMemberRequest { ProgramId = program, Card = "any" }).ResponseAsync);
        using (var terminalOnAdminHttp = new HttpClient { BaseAddress = new Uri(Engine.AdminAddress) })
        {
            terminalOnAdminHttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", terminalToken);
            Assert.Equal(HttpStatusCode.Forbidden, (await terminalOnAdminHttp.GetAsync("/v1/me")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await terminalOnAdminHttp.GetAsync("/v1/programs")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await terminalOnAdminHttp.PostAsJsonAsync("/v1/discount-plans", new { currentSales = 40_000, markupBps = 2_500 })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await terminalOnAdminHttp.PostAsJsonAsync($"/v1/programs/{program}/members/{member}:adjust", new { adjustmentId = "a", asset = "ADJUSTMENT_ASSET_POINTS", amount = 5, reason = "goodwill" })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await terminalOnAdminHttp.GetAsync($"/v1/programs/{program}/coupon-series/any/codes")).StatusCode);
        }

        // Even with the operator token, the terminal port does not serve the admin API (gRPC or JSON), nor the terminal API the admin port.
        // The issue's probes: UpsertProgram, CreateCoupons{amount_off: 10000}, ListMessages on the terminal port.
        var adminOnTerminalPort = new AdminService.AdminServiceClient(Engine.Channel.Intercept(LoyaltyAdmin.WithBearer(TestEngine.OperatorToken)));
        Assert.Equal(StatusCode.Unimplemented, (await Assert.ThrowsAsync<RpcException>(() => adminOnTerminalPort.CreateCouponsAsync(Coupons(program)).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.Unimplemented, (await Assert.ThrowsAsync<RpcException>(() => adminOnTerminalPort.UpsertProgramAsync(
            new LoyaltyProgram { ProgramId = program, Name = "taken over", Currency = "EUR", EarnPoints = 100, EarnPerAmount = 1 }).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.Unimplemented, (await Assert.ThrowsAsync<RpcException>(() => adminOnTerminalPort.ListMessagesAsync(new ListMessagesRequest { ProgramId = program }).ResponseAsync)).StatusCode);
        Assert.Equal("Test club", (await Engine.Admin.GetProgramAsync(new GetProgramRequest { ProgramId = program })).Name);
        var posOnAdminPort = new PosService.PosServiceClient(Engine.AdminChannel.Intercept(LoyaltyAdmin.WithBearer(TestEngine.OperatorToken)));
        Assert.Equal(StatusCode.Unimplemented, (await Assert.ThrowsAsync<RpcException>(() => posOnAdminPort.CommitAsync(Sales.Commit(program, member, "wrong-port")).ResponseAsync)).StatusCode);
        using var terminalPortHttp = new HttpClient { BaseAddress = new Uri(Engine.Address), DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        terminalPortHttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestEngine.OperatorToken);
        Assert.Equal(HttpStatusCode.NotFound, (await terminalPortHttp.PostAsJsonAsync($"/v1/programs/{program}/coupons", new { count = 1, terms = new { amountOff = 10000 } })).StatusCode);
        await AssertUnchangedAsync(program, member);
    }

    [Fact]
    public async Task A_marketer_administers_only_their_programs_and_never_stores_terminals_tokens_or_tills()
    {
        var (program, member) = await SetUpAsync();
        var (other, otherMember) = await SetUpAsync();
        var issued = await Engine.Admin.IssueOperatorTokenAsync(new IssueOperatorTokenRequest { Role = OperatorRole.Marketer, ProgramIds = { program }, Name = "Marketing A" });
        var marketer = AdminWith(issued.Token);

        Assert.Single((await marketer.CreateCouponsAsync(Coupons(program))).Codes);
        Assert.Equal([program], (await marketer.WhoAmIAsync(new WhoAmIRequest())).ProgramIds);
        Assert.Equal([program], (await marketer.ListProgramsAsync(new ListProgramsRequest())).Programs.Select(p => p.ProgramId)); // not `other`
        Assert.Equal(59_713, (await marketer.PlanDiscountAsync(Plan())).RequiredSales); // no program: any marketer
        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => marketer.CreateCouponsAsync(Coupons(other)).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => marketer.GetProgramAsync(new GetProgramRequest { ProgramId = other }).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => marketer.UpsertProgramAsync(new LoyaltyProgram { ProgramId = other, Name = "taken over", Currency = "EUR", EarnPoints = 100, EarnPerAmount = 1 }).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => FirstPageAsync(marketer, other));
        await Refused(StatusCode.NotFound, "COUPON_SERIES_NOT_FOUND", () => FirstPageAsync(marketer, program)); // its own program: past authorization
        Assert.Equal(member, (await marketer.GetMemberAsync(new GetMemberRequest { ProgramId = program, MemberId = member })).MemberId);
        Assert.NotNull(await marketer.PreviewQuoteAsync(new PreviewQuoteRequest { ProgramId = program, Lines = { Sales.Line("x", 1, 1_000) } }));
        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => marketer.PreviewQuoteAsync(new PreviewQuoteRequest { ProgramId = other, Lines = { Sales.Line("x", 1, 1_000) } }).ResponseAsync);
        await Refused(StatusCode.NotFound, "CARD_NOT_FOUND", () => marketer.FindMemberAsync(new FindMemberRequest { ProgramId = program, Card = "no-such-card" }).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => marketer.GetMemberAsync(new GetMemberRequest { ProgramId = other, MemberId = otherMember }).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => marketer.FindMemberAsync(new FindMemberRequest { ProgramId = other, Card = "any" }).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => marketer.AdjustAsync(Adjustment(other, otherMember)).ResponseAsync); // its own program's: AdjustmentTests
        Assert.Empty((await marketer.ListPendingAdjustmentsAsync(new ListPendingAdjustmentsRequest { ProgramId = program })).Adjustments);
        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => marketer.ListPendingAdjustmentsAsync(new ListPendingAdjustmentsRequest { ProgramId = other }).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => marketer.ApproveAdjustmentAsync(Decision(program, member)).ResponseAsync); // a second operator's, never a marketer's
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => marketer.RejectAdjustmentAsync(Decision(program, member)).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => marketer.RegisterStoreAsync(new RegisterStoreRequest { ProgramId = program, StoreId = "s-9" }).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => marketer.RegisterTerminalAsync(new RegisterTerminalRequest { ProgramId = program, StoreId = "store-1", TerminalId = "pos-9" }).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => marketer.IssueOperatorTokenAsync(new IssueOperatorTokenRequest { Role = OperatorRole.Operator, Name = "escalate" }).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => PosWith(issued.Token).CommitAsync(Sales.Commit(program, member, "marketer-sale")).ResponseAsync);

        // JSON: the same answers as HTTP statuses.
        using var http = new HttpClient { BaseAddress = new Uri(Engine.AdminAddress) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issued.Token);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/v1/programs/{program}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"/v1/programs/{other}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"/v1/programs/{other}/coupon-series/any/codes")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"/v1/programs/{other}/members/{otherMember}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"/v1/programs/{other}/members:find?card=any")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsJsonAsync($"/v1/programs/{other}/members/{otherMember}:adjust", new { adjustmentId = "a", asset = "ADJUSTMENT_ASSET_POINTS", amount = 5, reason = "goodwill" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/v1/programs/{program}/members/{member}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("/v1/operator-tokens")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v1/me")).StatusCode);
        using var anonymous = new HttpClient { BaseAddress = new Uri(Engine.AdminAddress) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/v1/programs/{program}/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/programs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/v1/discount-plans", new { currentSales = 40_000, markupBps = 2_500 })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/v1/programs/{program}/members/{member}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync($"/v1/programs/{program}/members:find", new { phone = "+420777000111" })).StatusCode);

        Assert.Equal("Test club", (await Engine.Admin.GetProgramAsync(new GetProgramRequest { ProgramId = other })).Name);
        await AssertUnchangedAsync(program, member);
        await AssertUnchangedAsync(other, otherMember);
    }

    [Fact]
    public async Task A_revoked_or_rotated_terminal_secret_and_a_revoked_operator_token_stop_working_within_seconds()
    {
        var (program, member) = await SetUpAsync();
        await Engine.Admin.RegisterStoreAsync(new RegisterStoreRequest { ProgramId = program, StoreId = "s1", Name = "Main street" });
        var first = await Engine.Admin.RegisterTerminalAsync(new RegisterTerminalRequest { ProgramId = program, StoreId = "s1", TerminalId = "till-1" });
        Assert.Equal(123, (await PosWith(first.Token).CommitAsync(With(Sales.Commit(program, member, "r-1"), "s1", "till-1"))).PointsEarned);

        // Rotation: a new secret works at once; the old one is refused on this silo within the cache time.
        var second = await Engine.Admin.RegisterTerminalAsync(new RegisterTerminalRequest { ProgramId = program, StoreId = "s1", TerminalId = "till-1" });
        Assert.NotEqual(first.Token, second.Token);
        Assert.Equal(246, (await PosWith(second.Token).CommitAsync(With(Sales.Commit(program, member, "r-2"), "s1", "till-1"))).AvailableAfter);
        var balance = new GetBalanceRequest { ProgramId = program, MemberId = member };
        await RefusedWithinAsync(() => PosWith(first.Token).GetBalanceAsync(balance).ResponseAsync);

        var revoked = await Engine.Admin.RevokeTerminalAsync(new RevokeTerminalRequest { ProgramId = program, StoreId = "s1", TerminalId = "till-1" });
        Assert.NotNull(revoked.RevokedAt);
        Assert.Equal(string.Empty, revoked.CredentialId);
        await RefusedWithinAsync(() => PosWith(second.Token).GetBalanceAsync(balance).ResponseAsync);
        await Refused(StatusCode.Unauthenticated, "CREDENTIAL_INVALID", () => PosWith(second.Token).CommitAsync(With(Sales.Commit(program, member, "r-3"), "s1", "till-1")).ResponseAsync);
        Assert.Equal(246, (await Engine.OperatorPos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance.Available);
        var listed = (await Engine.Admin.ListTerminalsAsync(new ListTerminalsRequest { ProgramId = program })).Terminals.Single(t => t.StoreId == "s1");
        Assert.Equal(("s1", "till-1", true), (listed.StoreId, listed.TerminalId, listed.RevokedAt is not null));

        var operatorToken = await Engine.Admin.IssueOperatorTokenAsync(new IssueOperatorTokenRequest { Role = OperatorRole.Operator, Name = "night shift" });
        Assert.NotEmpty((await AdminWith(operatorToken.Token).ListStoresAsync(new ListStoresRequest { ProgramId = program })).Stores);
        await Engine.Admin.RevokeOperatorTokenAsync(new RevokeOperatorTokenRequest { CredentialId = operatorToken.OperatorToken.CredentialId });
        await RefusedWithinAsync(() => AdminWith(operatorToken.Token).ListStoresAsync(new ListStoresRequest { ProgramId = program }).ResponseAsync);
        Assert.DoesNotContain(operatorToken.Token, (await Engine.Admin.ListOperatorTokensAsync(new ListOperatorTokensRequest())).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registering_a_terminal_needs_a_registered_store_and_names_are_checked()
    {
        var (program, _) = await SetUpAsync();
        await Refused(StatusCode.NotFound, "STORE_NOT_FOUND", () => Engine.Admin.RegisterTerminalAsync(
            new RegisterTerminalRequest { ProgramId = program, StoreId = "nowhere", TerminalId = "t" }).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "INVALID_ARGUMENT", () => Engine.Admin.RegisterStoreAsync(
            new RegisterStoreRequest { ProgramId = program, StoreId = "s1", Name = "Main\r\nstreet" }).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "INVALID_ARGUMENT", () => Engine.Admin.IssueOperatorTokenAsync(
            new IssueOperatorTokenRequest { Role = OperatorRole.Marketer, Name = "no programs" }).ResponseAsync);
        await Refused(StatusCode.NotFound, "TERMINAL_NOT_FOUND", () => Engine.Admin.RevokeTerminalAsync(
            new RevokeTerminalRequest { ProgramId = program, StoreId = "s1", TerminalId = "never" }).ResponseAsync);
        var stores = (await Engine.Admin.ListStoresAsync(new ListStoresRequest { ProgramId = program })).Stores.Select(s => s.StoreId);
        Assert.Equal(["store-1"], stores); // the test fleet's own store (enrollment), nothing from the refused calls
    }

    [Fact]
    public async Task A_terminal_that_keeps_looking_up_nobody_is_throttled_and_other_terminals_and_operators_are_not()
    {
        var (program, member) = await SetUpAsync();
        await Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "holder", CardNumber = "card-real-1" });
        var prober = PosWith(await Engine.Fleet(program).TokenAsync("store-1", "pos-probe", default));
        for (var i = 0; i < 30; i++)
        {
            var key = (i % 3) switch
            {
                0 => new IdentifyRequest { ProgramId = program, CardNumber = $"guess-{i}" },
                1 => new IdentifyRequest { ProgramId = program, Phone = $"+42060100{i:D4}" },
                _ => new IdentifyRequest { ProgramId = program, MemberId = $"nobody-{i}" },
            };
            var miss = await Assert.ThrowsAsync<RpcException>(() => prober.IdentifyAsync(key).ResponseAsync);
            Assert.Equal(StatusCode.NotFound, miss.StatusCode);
        }

        // The 31st miss in a minute throttles the terminal: from then on even a card that exists is refused there.
        await Refused(StatusCode.ResourceExhausted, "TOO_MANY_LOOKUPS", () => prober.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = "guess-31" }).ResponseAsync);
        await Refused(StatusCode.ResourceExhausted, "TOO_MANY_LOOKUPS", () => prober.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = "card-real-1" }).ResponseAsync);

        var neighbour = PosWith(await Engine.Fleet(program).TokenAsync("store-1", "pos-next", default));
        Assert.Equal("holder", (await neighbour.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = "card-real-1" })).MemberId);
        for (var i = 0; i < 40; i++)
        {
            await Assert.ThrowsAsync<RpcException>(() => Engine.OperatorPos.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = $"service-{i}" }).ResponseAsync);
        }

        Assert.Equal("holder", (await Engine.OperatorPos.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = "card-real-1" })).MemberId);
        await AssertUnchangedAsync(program, member);
    }

    [Fact]
    public async Task A_till_voids_and_refunds_only_its_own_stores_sales_and_spends_only_with_the_member_present()
    {
        // Issue #27 (TillReachTests has the cases in full): a till's reach is its store; spending needs the member present.
        var (program, member) = await SetUpAsync();
        await Engine.Pos.CommitAsync(Sales.Commit(program, string.Empty, "guest-1")); // a walk-in's sale at store-1
        var otherStore = PosWith(await Engine.Fleet(program).TokenAsync("store-2", "pos-1", default));
        await Refused(StatusCode.PermissionDenied, "SALE_OF_ANOTHER_STORE", () => otherStore.VoidAsync(new VoidSaleRequest { ProgramId = program, TransactionId = "guest-1" }).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "SALE_OF_ANOTHER_STORE", () => otherStore.RefundAsync(
            new RefundRequest { ProgramId = program, TransactionId = "guest-1", RefundId = "r-1", Lines = { new RefundLineRef { LineIndex = 0, Quantity = 1 } } }).ResponseAsync);
        var spend = With(Sales.Commit(program, member, "spend-1"), store: string.Empty, terminal: string.Empty);
        spend.CreditToSpend = 1; // store credit: this program burns no points
        await Refused(StatusCode.FailedPrecondition, "MEMBER_NOT_PRESENT", () => otherStore.CommitAsync(spend).ResponseAsync);
        await AssertUnchangedAsync(program, member);

        // Customer service (an operator) reaches every store's sale.
        Assert.False((await Engine.OperatorPos.VoidAsync(new VoidSaleRequest { ProgramId = program, TransactionId = "guest-1" })).AlreadyVoided);
    }

    [Fact]
    public async Task Admin_actions_that_create_value_are_in_the_audit_trail_with_who_and_when_and_without_the_codes()
    {
        var (program, _) = await SetUpAsync();
        var issued = await Engine.Admin.IssueOperatorTokenAsync(new IssueOperatorTokenRequest { Role = OperatorRole.Marketer, ProgramIds = { program }, Name = "Marketing B" });
        var marketer = AdminWith(issued.Token);
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        var (first, second) = (Loyalty.Domain.CouponCodes.Next(), Loyalty.Domain.CouponCodes.Next());
        await marketer.CreateCouponsAsync(new CreateCouponsRequest { ProgramId = program, Codes = { first, second }, Terms = new CouponTerms { AmountOff = 2_500 } });
        await marketer.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "spring", Name = "Spring", PercentOff = 10 });
        await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => marketer.CreateCouponsAsync(Coupons("someone-elses")).ResponseAsync);
        await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => marketer.ListAuditAsync(new ListAuditRequest()).ResponseAsync);

        var trail = (await Engine.Admin.ListAuditAsync(new ListAuditRequest { FilterProgramId = program })).Entries;
        var mine = trail.Where(e => e.CredentialId == issued.OperatorToken.CredentialId).ToList();
        Assert.Equal(["DefineCampaign", "CreateCoupons"], mine.Select(e => e.Method)); // newest first; the refused calls are not there
        Assert.All(mine, e => Assert.Equal((OperatorRole.Marketer, program), (e.Role, e.ProgramId)));
        Assert.All(mine, e => Assert.True(e.At.ToDateTimeOffset() >= before));
        Assert.Contains("2 codes given", mine[1].Detail, StringComparison.Ordinal);
        Assert.Contains("2500", mine[1].Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(first, mine[1].Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(second, mine[1].Detail, StringComparison.Ordinal);
        Assert.Contains(trail, e => e.Method == "UpsertProgram" && e.CredentialId == "configured"); // the program itself, by the configured operator token

        // The token that was issued is in the trail under the issuing operator, never with its secret.
        var all = (await Engine.Admin.ListAuditAsync(new ListAuditRequest { Limit = 1000 })).Entries;
        Assert.Contains(all, e => e.Method == "IssueOperatorToken" && e.Detail.Contains("Marketing B", StringComparison.Ordinal));
        Assert.DoesNotContain(all, e => e.Detail.Contains(issued.Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reports_are_for_operators_and_the_programs_own_marketers_and_need_a_credential()
    {
        var (program, member) = await SetUpAsync();
        var (other, _) = await SetUpAsync();
        var marketerToken = (await Engine.Admin.IssueOperatorTokenAsync(new IssueOperatorTokenRequest { Role = OperatorRole.Marketer, ProgramIds = { program }, Name = "Reports A" })).Token;
        var marketer = AdminWith(marketerToken);
        var anonymous = new AdminService.AdminServiceClient(Engine.AdminChannel);
        var terminal = AdminWith(await Engine.Fleet(program).TokenAsync("store-1", "pos-1", default));
        var calls = new Func<AdminService.AdminServiceClient, string, Task>[]
        {
            (admin, p) => admin.GetLiabilityReportAsync(Report(p)).ResponseAsync,
            (admin, p) => admin.GetPromotionCostReportAsync(Report(p)).ResponseAsync,
            (admin, p) => admin.GetMembersVsGuestsReportAsync(Report(p)).ResponseAsync,
            (admin, p) => admin.GetMemberActivityReportAsync(Report(p)).ResponseAsync,
            (admin, p) => admin.ExportReportAsync(new ExportReportRequest { ProgramId = p, Report = "liability", From = "2026-01-01", To = "2026-02-01" }).ResponseAsync,
        };
        foreach (var call in calls)
        {
            await Refused(StatusCode.Unauthenticated, "CREDENTIAL_MISSING", () => call(anonymous, program));
            await Refused(StatusCode.PermissionDenied, "OUT_OF_SCOPE", () => call(marketer, other));
            await Refused(StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED", () => call(terminal, program));
            await call(marketer, program); // its own program
            await call(Engine.Admin, other); // an operator: any program
        }

        // The JSON and CSV downloads go through the same checks.
        var query = "?from=2026-01-01&to=2026-02-01";
        using var anonymousHttp = new HttpClient { BaseAddress = new Uri(Engine.AdminAddress) };
        using var marketerHttp = new HttpClient { BaseAddress = new Uri(Engine.AdminAddress) };
        marketerHttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", marketerToken);
        foreach (var path in new[] { "liability", "promotion-cost", "members-vs-guests", "member-activity", "liability.csv", "member-activity.csv" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymousHttp.GetAsync($"/v1/programs/{program}/reports/{path}{query}")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await marketerHttp.GetAsync($"/v1/programs/{other}/reports/{path}{query}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await marketerHttp.GetAsync($"/v1/programs/{program}/reports/{path}{query}")).StatusCode);
        }

        await AssertUnchangedAsync(program, member);
    }

    private static ReportRequest Report(string program) => new() { ProgramId = program, From = "2026-01-01", To = "2026-02-01" };

    private async Task<(string Program, string Member)> SetUpAsync()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        return (program, member);
    }

    /// <summary>Nothing changed: no points, no ledger entry, no coupon minted beyond what the test made itself.</summary>
    private async Task AssertUnchangedAsync(string program, string member)
    {
        var balance = await Engine.OperatorPos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member });
        var ledger = await Engine.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = member, PageSize = 100 });
        Assert.Equal(0, balance.Balance.Available);
        Assert.Empty(ledger.Entries);
    }

    private PosService.PosServiceClient PosWith(string token) => new(Engine.Channel.Intercept(LoyaltyAdmin.WithBearer(token)));

    private AdminService.AdminServiceClient AdminWith(string token) => LoyaltyAdmin.Create(Engine.AdminChannel, token);

    /// <summary>Reads the first page of a series export (a server stream: a refusal arrives with it).</summary>
    private static async Task FirstPageAsync(AdminService.AdminServiceClient admin, string program)
    {
        using var call = admin.ExportCouponSeries(new ExportCouponSeriesRequest { ProgramId = program, SeriesId = "any" });
        await call.ResponseStream.MoveNext(CancellationToken.None);
    }

    /// <summary>The planner's worked example (40,000 at 2%, 25% markup, 7% with 1,000 more margin: 59,713).</summary>
    private static PlanDiscountRequest Plan() => new() { CurrentSales = 40_000, CurrentDiscountBps = 200, MarkupBps = 2_500, DiscountBps = 700, MarginIncrease = 1_000 };

    /// <summary>A manual adjustment that would add points (refused calls must add none).</summary>
    private static AdjustRequest Adjustment(string program, string member) =>
        new() { ProgramId = program, MemberId = member, AdjustmentId = "auth-" + Guid.NewGuid().ToString("N")[..8], Asset = AdjustmentAsset.Points, Amount = 1_000, Reason = "goodwill" };

    /// <summary>A decision on a held adjustment (refused calls must apply none).</summary>
    private static DecideAdjustmentRequest Decision(string program, string member) => new() { ProgramId = program, MemberId = member, AdjustmentId = "held-1" };

    private static CreateCouponsRequest Coupons(string program) => new() { ProgramId = program, Count = 1, Terms = new CouponTerms { AmountOff = 10_000 } };

    private static CommitRequest With(CommitRequest request, string? store = null, string? terminal = null)
    {
        request.StoreId = store ?? request.StoreId;
        request.TerminalId = terminal ?? request.TerminalId;
        return request;
    }

    private static async Task Refused(StatusCode status, string reason, Func<Task> call)
    {
        var failure = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal((status, reason), (failure.StatusCode, failure.Reason()));
    }

    /// <summary>Refused UNAUTHENTICATED/CREDENTIAL_INVALID within the credential cache time (5 s) plus slack.</summary>
    private static async Task RefusedWithinAsync(Func<Task> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(12);
        while (true)
        {
            try
            {
                await call();
            }
            catch (RpcException failure) when (failure.StatusCode == StatusCode.Unauthenticated)
            {
                Assert.Equal("CREDENTIAL_INVALID", failure.Reason());
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "the revoked credential still worked 12 s later");
            await Task.Delay(250);
        }
    }
}
