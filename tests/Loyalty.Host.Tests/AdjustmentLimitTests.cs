using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// Limits on manual adjustments and the second operator's approval (issue #27, finding 8) over real gRPC and
/// PostgreSQL: per call and per day per credential (exact under concurrency), held above the approval threshold,
/// applied once by a second operator, never by the one who asked, never after a rejection; audited both times.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class AdjustmentLimitTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_marketer_over_the_per_call_limit_is_refused_naming_the_limit_and_nothing_changes()
    {
        var (program, member) = await SetUpAsync(); // the default limits
        var marketer = await MarketerAsync(program);

        // The issue's probe: 900,000,000,000,000 points in one call.
        var refusal = await Refused(() => marketer.AdjustAsync(Adjust(program, member, "huge", 900_000_000_000_000)).ResponseAsync);
        Assert.Contains("10000 points per call", refusal.Status.Detail, StringComparison.Ordinal);
        await Refused(() => marketer.AdjustAsync(Adjust(program, member, "just-over", 10_001)).ResponseAsync);
        await Refused(() => marketer.AdjustAsync(Adjust(program, member, "credit-over", 10_001, AdjustmentAsset.Credit)).ResponseAsync);
        await AssertBalanceAsync(program, member, 0);

        // At the limit: applied. A debit counts as much as a credit.
        Assert.Equal(AdjustmentStatus.Applied, (await marketer.AdjustAsync(Adjust(program, member, "at-limit", 10_000))).Status);
        await Refused(() => marketer.AdjustAsync(Adjust(program, member, "take-over", -10_001)).ResponseAsync);
        await AssertBalanceAsync(program, member, 10_000);
        Assert.Single((await Engine.Admin.ListAuditAsync(new ListAuditRequest { FilterProgramId = program })).Entries, e => e.Method == "Adjust");

        // The defaults are what GetProgram answers.
        var limits = (await Engine.Admin.GetProgramAsync(new GetProgramRequest { ProgramId = program })).AdjustmentLimits;
        Assert.Equal((10_000L, 100_000L, 100_000L, 50_000L), (limits.MarketerPoints.PerCall, limits.MarketerPoints.PerDay, limits.OperatorPoints.PerCall, limits.ApprovalAbovePoints));
    }

    [Fact]
    public async Task A_credentials_day_limit_holds_across_calls_and_twenty_parallel_calls_never_pass_it()
    {
        var (program, member) = await SetUpAsync(new AdjustmentLimits { MarketerPoints = new AdjustmentLimit { PerCall = 100, PerDay = 1_000 } });
        var marketer = await MarketerAsync(program);
        for (var i = 0; i < 3; i++)
        {
            await marketer.AdjustAsync(Adjust(program, member, $"seq-{i}", 100));
        }

        var calls = Enumerable.Range(0, 20).Select(async i =>
        {
            try
            {
                return (await marketer.AdjustAsync(Adjust(program, member, $"par-{i}", i % 2 == 0 ? 100 : 90))).Amount;
            }
            catch (RpcException refused) when (refused.Reason() == "ADJUSTMENT_LIMIT_EXCEEDED")
            {
                return 0;
            }
        });
        var applied = (await Task.WhenAll(calls)).Sum();

        Assert.InRange(applied, 601, 700); // 700 was left: what was applied never passes it, and the refusals were for want of room
        await AssertBalanceAsync(program, member, 300 + applied);
        var refusal = await Refused(() => marketer.AdjustAsync(Adjust(program, member, "one-more", 100)).ResponseAsync);
        Assert.Contains("1000 points per UTC day", refusal.Status.Detail, StringComparison.Ordinal);

        // A retry of an applied adjustment is not counted again; another marketer has a day of its own.
        Assert.Equal(100, (await marketer.AdjustAsync(Adjust(program, member, "seq-0", 100))).Amount);
        var colleague = await MarketerAsync(program);
        Assert.Equal(100, (await colleague.AdjustAsync(Adjust(program, member, "colleague-1", 100))).Amount);
        await AssertBalanceAsync(program, member, 400 + applied);
    }

    [Fact]
    public async Task Above_the_threshold_an_adjustment_waits_for_a_second_operator_who_applies_it_once()
    {
        var (program, member) = await SetUpAsync(new AdjustmentLimits { ApprovalAbovePoints = 1_000, OperatorPoints = new AdjustmentLimit { PerCall = 10_000, PerDay = 20_000 } });
        var (first, firstId) = await OperatorAsync();
        var request = Adjust(program, member, "big-1", 5_000, note: "lost parcel");

        var held = await first.AdjustAsync(request);
        Assert.Equal((AdjustmentStatus.Pending, firstId, member, 5_000L), (held.Status, held.Actor, held.MemberId, held.Amount));
        Assert.Empty(held.Entries);
        await AssertBalanceAsync(program, member, 0);
        Assert.Equal(AdjustmentStatus.Pending, (await first.AdjustAsync(request)).Status); // a retry: still waiting, not applied
        await Refused(() => first.AdjustAsync(Adjust(program, member, "big-1", 6_000)).ResponseAsync, StatusCode.AlreadyExists, "ADJUSTMENT_ID_REUSED");
        await Refused(() => first.AdjustAsync(Adjust(program, member, "big-2", 10_001)).ResponseAsync); // over the per-call limit: not even held
        var pending = Assert.Single((await Engine.Admin.ListPendingAdjustmentsAsync(new ListPendingAdjustmentsRequest { ProgramId = program })).Adjustments);
        Assert.Equal(("big-1", member, firstId, "lost parcel"), (pending.AdjustmentId, pending.MemberId, pending.Actor, pending.Note));

        // Not by the one who asked, nor by a marketer.
        var decision = new DecideAdjustmentRequest { ProgramId = program, MemberId = member, AdjustmentId = "big-1" };
        await Refused(() => first.ApproveAdjustmentAsync(decision).ResponseAsync, StatusCode.PermissionDenied, "SECOND_APPROVER_REQUIRED");
        var marketer = await MarketerAsync(program);
        await Refused(() => marketer.ApproveAdjustmentAsync(decision).ResponseAsync, StatusCode.PermissionDenied, "ROLE_NOT_ALLOWED");
        await AssertBalanceAsync(program, member, 0);

        // A second operator: applied, once (approving again, or the first retrying, answers the same adjustment).
        var approved = await Engine.Admin.ApproveAdjustmentAsync(decision);
        Assert.Equal((AdjustmentStatus.Applied, 5_000L, firstId, 5_000L), (approved.Status, approved.Amount, approved.Actor, approved.Balance.Available));
        var again = await Engine.Admin.ApproveAdjustmentAsync(decision);
        Assert.Equal(approved.Entries, again.Entries);
        Assert.Equal(approved.Entries, (await first.AdjustAsync(request)).Entries);
        await AssertBalanceAsync(program, member, 5_000);
        Assert.Single((await Engine.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = member })).Entries);
        Assert.Empty((await Engine.Admin.ListPendingAdjustmentsAsync(new ListPendingAdjustmentsRequest { ProgramId = program })).Adjustments);
        await Refused(() => Engine.Admin.RejectAdjustmentAsync(decision).ResponseAsync, StatusCode.FailedPrecondition, "ADJUSTMENT_NOT_PENDING");

        // Audited both times: who asked, who approved.
        var audit = (await Engine.Admin.ListAuditAsync(new ListAuditRequest { FilterProgramId = program })).Entries;
        Assert.Contains(audit, e => e.Method == "Adjust" && e.CredentialId == firstId && e.Detail.Contains("big-1", StringComparison.Ordinal));
        Assert.Contains(audit, e => e.Method == "ApproveAdjustment" && e.CredentialId == "configured" && e.Detail.Contains("big-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rejected_adjustment_is_never_applied_and_an_unknown_one_is_not_found()
    {
        var (program, member) = await SetUpAsync(new AdjustmentLimits { ApprovalAbovePoints = 1_000 });
        var (first, _) = await OperatorAsync();
        await first.AdjustAsync(Adjust(program, member, "big-r", 2_000));
        var decision = new DecideAdjustmentRequest { ProgramId = program, MemberId = member, AdjustmentId = "big-r" };

        var rejected = await Engine.Admin.RejectAdjustmentAsync(decision);
        Assert.Equal((AdjustmentStatus.Rejected, "configured"), (rejected.Status, rejected.DecidedBy));
        Assert.Equal(AdjustmentStatus.Rejected, (await Engine.Admin.RejectAdjustmentAsync(decision)).Status); // idempotent
        await Refused(() => Engine.Admin.ApproveAdjustmentAsync(decision).ResponseAsync, StatusCode.FailedPrecondition, "ADJUSTMENT_NOT_PENDING");
        Assert.Equal(AdjustmentStatus.Rejected, (await first.AdjustAsync(Adjust(program, member, "big-r", 2_000))).Status); // a retry is not a new request
        await AssertBalanceAsync(program, member, 0);
        Assert.Empty((await Engine.Admin.ListPendingAdjustmentsAsync(new ListPendingAdjustmentsRequest { ProgramId = program })).Adjustments);
        Assert.Contains((await Engine.Admin.ListAuditAsync(new ListAuditRequest { FilterProgramId = program })).Entries, e => e.Method == "RejectAdjustment");

        await Refused(
            () => Engine.Admin.ApproveAdjustmentAsync(new DecideAdjustmentRequest { ProgramId = program, MemberId = member, AdjustmentId = "never" }).ResponseAsync,
            StatusCode.NotFound,
            "ADJUSTMENT_NOT_FOUND");
        await Refused(() => first.AdjustAsync(Adjust(program, "nobody-" + Guid.NewGuid().ToString("N")[..6], "big-x", 2_000)).ResponseAsync, StatusCode.NotFound, "MEMBER_NOT_FOUND"); // not held for nobody
    }

    [Fact]
    public async Task A_held_adjustment_survives_a_restart_and_is_approved_after_it()
    {
        var serviceId = "held-" + Guid.NewGuid().ToString("N")[..8];
        var program = "lim-" + Guid.NewGuid().ToString("N")[..10];
        var decision = new DecideAdjustmentRequest { ProgramId = program, MemberId = "m-1", AdjustmentId = "big-restart" };
        await using (var before = await TestEngine.StartAsync(fixture.ConnectionString, serviceId))
        {
            await before.Admin.UpsertProgramAsync(Program(program, new AdjustmentLimits { ApprovalAbovePoints = 100 }));
            await before.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "m-1", Name = "Bo" });
            var issued = await before.Admin.IssueOperatorTokenAsync(new IssueOperatorTokenRequest { Role = OperatorRole.Operator, Name = "Night shift" });
            var asked = await LoyaltyAdmin.Create(before.AdminChannel, issued.Token).AdjustAsync(Adjust(program, "m-1", "big-restart", 500));
            Assert.Equal(AdjustmentStatus.Pending, asked.Status);
        }

        await using var after = await TestEngine.StartAsync(fixture.ConnectionString, serviceId);
        Assert.Equal("big-restart", Assert.Single((await after.Admin.ListPendingAdjustmentsAsync(new ListPendingAdjustmentsRequest { ProgramId = program })).Adjustments).AdjustmentId);
        Assert.Equal(500, (await after.Admin.ApproveAdjustmentAsync(decision)).Balance.Available);
        Assert.Equal(500, (await after.Admin.ApproveAdjustmentAsync(decision)).Balance.Available);
        Assert.Single((await after.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = "m-1" })).Entries);
    }

    [Fact]
    public async Task Limits_that_make_no_sense_are_refused_naming_the_field()
    {
        var program = "lim-" + Guid.NewGuid().ToString("N")[..10];
        var failure = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.UpsertProgramAsync(Program(program, new AdjustmentLimits { MarketerPoints = new AdjustmentLimit { PerCall = 500, PerDay = 100 } })).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "adjustment_limits.marketer_points"), (failure.StatusCode, failure.Field()));
        failure = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.UpsertProgramAsync(Program(program, new AdjustmentLimits { OperatorCredit = new AdjustmentLimit { PerCall = -1 } })).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "adjustment_limits.operator_credit"), (failure.StatusCode, failure.Field()));
    }

    private static AdjustRequest Adjust(string program, string member, string id, long amount, AdjustmentAsset asset = AdjustmentAsset.Points, string note = "") =>
        new() { ProgramId = program, MemberId = member, AdjustmentId = id, Asset = asset, Amount = amount, Reason = "goodwill", Note = note };

    private static LoyaltyProgram Program(string program, AdjustmentLimits? limits) =>
        new() { ProgramId = program, Name = "Limits club", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1, AdjustmentLimits = limits };

    private async Task<(string Program, string Member)> SetUpAsync(AdjustmentLimits? limits = null)
    {
        var program = "lim-" + Guid.NewGuid().ToString("N")[..10];
        await Engine.Admin.UpsertProgramAsync(Program(program, limits));
        return (program, await fixture.NewMemberAsync(program));
    }

    private async Task<AdminService.AdminServiceClient> MarketerAsync(string program)
    {
        var issued = await Engine.Admin.IssueOperatorTokenAsync(new IssueOperatorTokenRequest { Role = OperatorRole.Marketer, ProgramIds = { program }, Name = "Support desk" });
        return LoyaltyAdmin.Create(Engine.AdminChannel, issued.Token);
    }

    private async Task<(AdminService.AdminServiceClient Client, string CredentialId)> OperatorAsync()
    {
        var issued = await Engine.Admin.IssueOperatorTokenAsync(new IssueOperatorTokenRequest { Role = OperatorRole.Operator, Name = "Shift lead" });
        return (LoyaltyAdmin.Create(Engine.AdminChannel, issued.Token), issued.OperatorToken.CredentialId);
    }

    private async Task AssertBalanceAsync(string program, string member, long points)
    {
        var balance = (await Engine.OperatorPos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance;
        Assert.Equal(points, balance.Available);
    }

    private static async Task<RpcException> Refused(Func<Task> call, StatusCode status = StatusCode.ResourceExhausted, string reason = "ADJUSTMENT_LIMIT_EXCEEDED")
    {
        var failure = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal((status, reason), (failure.StatusCode, failure.Reason()));
        return failure;
    }
}
