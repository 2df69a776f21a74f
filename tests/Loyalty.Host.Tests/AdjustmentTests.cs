using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// Manual adjustments by customer service (issue #15) over real gRPC, JSON and PostgreSQL: points and store credit
/// in and out, once per adjustment id (also after a restart), never below zero, in the ledger and the audit trail.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class AdjustmentTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    private static AdjustRequest Adjust(string program, string member, string id, long amount, AdjustmentAsset asset = AdjustmentAsset.Points, string reason = "goodwill", string note = "") =>
        new() { ProgramId = program, MemberId = member, AdjustmentId = id, Asset = asset, Amount = amount, Reason = reason, Note = note };

    [Fact]
    public async Task Customer_service_credits_and_debits_points_and_store_credit_and_the_ledger_names_reason_note_and_operator()
    {
        var (program, member) = await SetUpAsync();

        var added = await Engine.Admin.AdjustAsync(Adjust(program, member, "t-100", 500, note: "parcel lost in the post"));
        Assert.Equal((500L, AdjustmentAsset.Points, "goodwill", "parcel lost in the post", "configured"), (added.Amount, added.Asset, added.Reason, added.Note, added.Actor));
        var entry = Assert.Single(added.Entries);
        Assert.Equal(("adjust", 500L, "points", "adj:t-100"), (entry.Type, entry.Points, entry.Asset, entry.TransactionId));
        Assert.Equal(DateTime.UtcNow.ToString("yyyy-MM"), entry.BucketMonth); // this month's bucket
        Assert.Equal(500, added.Balance.Available);

        var taken = await Engine.Admin.AdjustAsync(Adjust(program, member, "t-101", -200, reason: "till-error"));
        Assert.Equal(300, taken.Balance.Available);
        var credit = await Engine.Admin.AdjustAsync(Adjust(program, member, "t-102", 5_000, AdjustmentAsset.Credit, note: "refund as credit"));
        Assert.Equal((300L, 5_000L), (credit.Balance.Available, credit.Balance.Credit));
        var creditTaken = await Engine.Admin.AdjustAsync(Adjust(program, member, "t-103", -1_500, AdjustmentAsset.Credit, reason: "till-error"));
        Assert.Equal(3_500, creditTaken.Balance.Credit);

        // The terminal sees the same balance; the ledger lists every movement with who and why.
        var balance = (await Engine.OperatorPos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance;
        Assert.Equal((300L, 3_500L), (balance.Available, balance.Credit));
        var ledger = await Engine.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = member });
        Assert.Equal((300L, 3_500L), (ledger.Balance, ledger.Credit));
        Assert.Equal(
            [
                ("adjust", 500L, "points", "goodwill", "parcel lost in the post", "configured"),
                ("adjust", -200L, "points", "till-error", string.Empty, "configured"),
                ("adjust", 5_000L, "credit", "goodwill", "refund as credit", "configured"),
                ("adjust", -1_500L, "credit", "till-error", string.Empty, "configured"),
            ],
            ledger.Entries.Select(e => (e.Type, e.Points, e.Asset, e.Reason, e.Note, e.Actor)));

        // A sale's entries carry none of it.
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "sale-1"));
        var sale = (await Engine.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = member, AfterSeq = ledger.NextAfterSeq })).Entries.First();
        Assert.Equal(("earn", string.Empty, string.Empty, string.Empty), (sale.Type, sale.Reason, sale.Note, sale.Actor));
    }

    [Fact]
    public async Task A_retry_answers_the_same_adjustment_applied_once_and_a_reused_id_with_another_body_is_refused()
    {
        var (program, member) = await SetUpAsync();
        var request = Adjust(program, member, "ticket-7", 300, note: "apology");

        var first = await Engine.Admin.AdjustAsync(request);
        var retry = await Engine.Admin.AdjustAsync(request);

        Assert.Equal(first, retry); // every field: the entries, their time, the operator, the balance
        await AssertLedgerAsync(program, member, 300, entries: 1);

        foreach (var other in new[]
        {
            Adjust(program, member, "ticket-7", 301, note: "apology"),
            Adjust(program, member, "ticket-7", 300, AdjustmentAsset.Credit, note: "apology"),
            Adjust(program, member, "ticket-7", 300, reason: "complaint", note: "apology"),
            Adjust(program, member, "ticket-7", 300, note: "another text"),
        })
        {
            await Refused(StatusCode.AlreadyExists, "ADJUSTMENT_ID_REUSED", () => Engine.Admin.AdjustAsync(other).ResponseAsync);
        }

        await AssertLedgerAsync(program, member, 300, entries: 1);
    }

    [Fact]
    public async Task Taking_more_than_is_available_is_refused_and_changes_nothing()
    {
        var (program, member) = await SetUpAsync();
        await Engine.Admin.AdjustAsync(Adjust(program, member, "in-1", 100));
        await Engine.Admin.AdjustAsync(Adjust(program, member, "in-2", 50, AdjustmentAsset.Credit));

        await Refused(StatusCode.FailedPrecondition, "INSUFFICIENT_POINTS", () => Engine.Admin.AdjustAsync(Adjust(program, member, "out-1", -101)).ResponseAsync);
        await Refused(StatusCode.FailedPrecondition, "INSUFFICIENT_CREDIT", () => Engine.Admin.AdjustAsync(Adjust(program, member, "out-2", -51, AdjustmentAsset.Credit)).ResponseAsync);
        await AssertLedgerAsync(program, member, 100, entries: 2, credit: 50);

        // The refused ids were never used: they work once there is enough.
        Assert.Equal(0, (await Engine.Admin.AdjustAsync(Adjust(program, member, "out-1", -100))).Balance.Available);
    }

    [Fact]
    public async Task Bad_adjustments_are_invalid_argument_naming_the_field_and_an_unknown_member_is_not_found()
    {
        var (program, member) = await SetUpAsync();
        var cases = new (AdjustRequest Request, string Field)[]
        {
            (Adjust(program, member, "bad-1", 0), "amount"),
            (Adjust(program, member, "bad-2", 10, AdjustmentAsset.Unspecified), "asset"),
            (Adjust(program, member, "bad-3", 10, reason: "Goodwill!"), "reason"),
            (Adjust(program, member, "bad-4", 10, reason: string.Empty), "reason"),
            (Adjust(program, member, "bad-5", 10, note: "two\nlines"), "note"),
            (Adjust(program, member, "bad-6", 10, note: new string('x', 501)), "note"),
            (Adjust(program, member, "bad id", 10), "adjustment_id"),
            (Adjust(program, member, string.Empty, 10), "adjustment_id"),
        };
        foreach (var (request, field) in cases)
        {
            var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.AdjustAsync(request).ResponseAsync);
            Assert.Equal((StatusCode.InvalidArgument, field), (refusal.StatusCode, refusal.Field()));
        }

        await Refused(StatusCode.NotFound, "MEMBER_NOT_FOUND", () => Engine.Admin.AdjustAsync(Adjust(program, "nobody-" + Guid.NewGuid().ToString("N")[..6], "x-1", 10)).ResponseAsync);
        await AssertLedgerAsync(program, member, 0, entries: 0);
    }

    [Fact]
    public async Task An_adjustment_is_in_the_audit_trail_and_a_marketer_of_the_program_may_make_one_under_their_own_name()
    {
        var (program, member) = await SetUpAsync();
        var issued = await Engine.Admin.IssueOperatorTokenAsync(new IssueOperatorTokenRequest { Role = OperatorRole.Marketer, ProgramIds = { program }, Name = "Support desk" });
        var marketer = LoyaltyAdmin.Create(Engine.AdminChannel, issued.Token);

        var made = await marketer.AdjustAsync(Adjust(program, member, "desk-1", 250, note: "birthday gesture"));

        Assert.Equal(issued.OperatorToken.CredentialId, made.Actor);
        Assert.Equal(issued.OperatorToken.CredentialId, (await Engine.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = member })).Entries.Single().Actor);
        var audit = (await Engine.Admin.ListAuditAsync(new ListAuditRequest { FilterProgramId = program })).Entries.First(e => e.Method == "Adjust");
        Assert.Equal((issued.OperatorToken.CredentialId, OperatorRole.Marketer, program), (audit.CredentialId, audit.Role, audit.ProgramId));
        Assert.Contains("desk-1", audit.Detail, StringComparison.Ordinal);
        Assert.Contains("birthday gesture", audit.Detail, StringComparison.Ordinal);

        // A refused adjustment is not audited.
        await Refused(StatusCode.FailedPrecondition, "INSUFFICIENT_POINTS", () => marketer.AdjustAsync(Adjust(program, member, "desk-2", -1_000)).ResponseAsync);
        Assert.Single((await Engine.Admin.ListAuditAsync(new ListAuditRequest { FilterProgramId = program })).Entries, e => e.Method == "Adjust");
    }

    [Fact]
    public async Task Customer_service_adjusts_as_json_and_reads_the_reason_in_the_ledger()
    {
        var (program, member) = await SetUpAsync();
        using var http = Engine.AdminHttp();
        var body = new { adjustmentId = "json-1", asset = "ADJUSTMENT_ASSET_POINTS", amount = 250, reason = "complaint", note = "cold coffee" };

        var response = await http.PostAsJsonAsync($"/v1/programs/{program}/members/{member}:adjust", body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var made = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("250", "ADJUSTMENT_ASSET_POINTS", "configured"), (made.GetProperty("amount").GetString(), made.GetProperty("asset").GetString(), made.GetProperty("actor").GetString()));
        Assert.Equal("250", made.GetProperty("balance").GetProperty("available").GetString());

        // The same body again: 200, applied once. Another amount under the id: 409.
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync($"/v1/programs/{program}/members/{member}:adjust", body)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsJsonAsync($"/v1/programs/{program}/members/{member}:adjust", body with { amount = 999 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync($"/v1/programs/{program}/members/{member}:adjust", new { adjustmentId = "json-2", asset = "ADJUSTMENT_ASSET_CREDIT", amount = 10, reason = "Not a code" })).StatusCode);

        var ledger = await http.GetFromJsonAsync<JsonElement>($"/v1/programs/{program}/members/{member}/ledger");
        var entry = ledger.GetProperty("entries").EnumerateArray().Single();
        Assert.Equal(("adjust", "complaint", "cold coffee", "configured"), (entry.GetProperty("type").GetString(), entry.GetProperty("reason").GetString(), entry.GetProperty("note").GetString(), entry.GetProperty("actor").GetString()));
        Assert.Equal("250", ledger.GetProperty("balance").GetString());
    }

    [Fact]
    public async Task A_retry_after_a_restart_is_answered_from_the_ledger_not_applied_again()
    {
        var serviceId = "adjust-" + Guid.NewGuid().ToString("N")[..8];
        var program = "p-" + Guid.NewGuid().ToString("N")[..8];
        AdjustRequest request;
        AdjustResponse first;
        await using (var before = await TestEngine.StartAsync(fixture.ConnectionString, serviceId))
        {
            await before.Admin.UpsertProgramAsync(new LoyaltyProgram { ProgramId = program, Name = "x", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 3 });
            var member = (await before.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "m-1", Name = "Bo" })).MemberId;
            request = Adjust(program, member, "before-restart", 700, note: "kept");
            first = await before.Admin.AdjustAsync(request);
        }

        await using var after = await TestEngine.StartAsync(fixture.ConnectionString, serviceId);
        var retried = await after.Admin.AdjustAsync(request);

        Assert.Equal(first.Entries, retried.Entries);
        Assert.Equal((first.At, first.Actor, first.Note), (retried.At, retried.Actor, retried.Note));
        Assert.Equal(700, retried.Balance.Available);
        var reused = await Assert.ThrowsAsync<RpcException>(() => after.Admin.AdjustAsync(Adjust(program, request.MemberId, "before-restart", 70)).ResponseAsync);
        Assert.Equal("ADJUSTMENT_ID_REUSED", reused.Reason());
        Assert.Single((await after.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = request.MemberId })).Entries);
    }

    private async Task<(string Program, string Member)> SetUpAsync()
    {
        var program = await fixture.NewProgramAsync();
        return (program, await fixture.NewMemberAsync(program));
    }

    private async Task AssertLedgerAsync(string program, string member, long points, int entries, long credit = 0)
    {
        var ledger = await Engine.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = member });
        Assert.Equal((points, credit, entries), (ledger.Balance, ledger.Credit, ledger.Entries.Count));
        var balance = (await Engine.OperatorPos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance;
        Assert.Equal((points, credit), (balance.Available, balance.Credit));
    }

    private static async Task Refused(StatusCode status, string reason, Func<Task> call)
    {
        var failure = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal((status, reason), (failure.StatusCode, failure.Reason()));
    }
}
