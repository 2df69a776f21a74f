using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// No input can corrupt a balance (issue #13, "Arithmetic that cannot wrap"), over real gRPC and PostgreSQL:
/// the probes an attacker on the store network tried, each refused precisely with nothing changed, and a
/// property test of extreme values after which the balance always equals the sum of its ledger entries.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class ArithmeticSafetyTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_refund_whose_quantities_would_wrap_is_refused_and_takes_nothing()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        await Engine.Pos.CommitAsync(new CommitRequest { ProgramId = program, MemberId = member, TransactionId = "t", StoreId = "s", Lines = { Sales.Line("a", 1, 10_000) } });

        var wrap = new RefundRequest { ProgramId = program, MemberId = member, TransactionId = "t", StoreId = "s", RefundId = "r1", Lines = { new RefundLineRef { LineIndex = 0, Quantity = 1 }, new RefundLineRef { LineIndex = 0, Quantity = int.MaxValue } } };
        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.RefundAsync(wrap).ResponseAsync);
        Assert.Equal((StatusCode.FailedPrecondition, "REFUND_EXCEEDS_SALE"), (refusal.StatusCode, refusal.Reason()));

        var more = new RefundRequest { ProgramId = program, MemberId = member, TransactionId = "t", StoreId = "s", RefundId = "r2", Lines = { new RefundLineRef { LineIndex = 0, Quantity = 1_000 } } };
        Assert.Equal("REFUND_EXCEEDS_SALE", (await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.RefundAsync(more).ResponseAsync)).Reason());

        Assert.Equal(100, await BalanceMatchingLedgerAsync(program, member));
    }

    [Fact]
    public async Task A_basket_whose_total_or_points_would_overflow_is_refused_and_the_member_keeps_working()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        var huge = new CommitRequest { ProgramId = program, MemberId = member, TransactionId = "huge", StoreId = "s" };
        huge.Lines.AddRange(Enumerable.Range(0, 500).Select(i => Sales.Line($"sku-{i}", 10_000, 1_000_000_000_000)));

        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(huge).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "lines"), (refusal.StatusCode, refusal.Field()));

        // A program that earns a billion points per minor unit: a modest basket would earn past the per-sale cap.
        var generous = await fixture.NewProgramAsync();
        var program2 = await Engine.Admin.GetProgramAsync(new GetProgramRequest { ProgramId = generous });
        program2.EarnPoints = 1_000_000_000;
        program2.EarnPerAmount = 1;
        await Engine.Admin.UpsertProgramAsync(program2);
        var rich = await fixture.NewMemberAsync(generous);
        var tooMuch = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(new CommitRequest
        {
            ProgramId = generous, MemberId = rich, TransactionId = "rich", StoreId = "s", Lines = { Sales.Line("a", 1, 10_000) },
        }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "lines"), (tooMuch.StatusCode, tooMuch.Field()));
        Assert.Equal(0, await BalanceMatchingLedgerAsync(generous, rich));

        // Nothing changed, and the next ordinary sale works.
        await Engine.Pos.CommitAsync(new CommitRequest { ProgramId = program, MemberId = member, TransactionId = "next", StoreId = "s", Lines = { Sales.Line("a", 1, 10_000) } });
        Assert.Equal(100, await BalanceMatchingLedgerAsync(program, member));
    }

    [Theory]
    [InlineData(4_611_686_018_427_387_904L, 0)]   // 2^62 seconds
    [InlineData(0L, -1)]
    [InlineData(-62_135_596_801L, 0)]             // before 0001-01-01
    public async Task A_timestamp_out_of_range_is_an_invalid_argument_not_a_retry(long seconds, int nanos)
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        var commit = Sales.Commit(program, member, "bad-time");
        commit.OccurredAt = new Timestamp { Seconds = seconds, Nanos = nanos };

        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(commit).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "occurred_at"), (refusal.StatusCode, refusal.Field()));
        Assert.Equal(0, await BalanceMatchingLedgerAsync(program, member));
    }

    [Fact]
    public async Task Extreme_values_are_refused_cleanly_or_applied_and_the_balance_always_equals_the_ledger()
    {
        var program = await fixture.NewProgramAsync();
        var members = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => fixture.NewMemberAsync(program)));
        long[] prices = [0, 1, 99, 10_000, int.MaxValue, 1_000_000_000_000, -1, long.MaxValue, long.MinValue];
        int[] quantities = [0, 1, 2, 10_000, 10_001, int.MaxValue, -1, int.MinValue];
        long[] spends = [0, 1, -1, long.MaxValue, long.MinValue];
        var random = new Random(2026);

        // Mostly ordinary values, so that sales exist to refund and void; one draw in three is an extreme.
        long Price() => random.Next(3) == 0 ? prices[random.Next(prices.Length)] : random.Next(1, 50_000);
        int Quantity() => random.Next(3) == 0 ? quantities[random.Next(quantities.Length)] : random.Next(1, 4);
        long Spend() => random.Next(3) == 0 ? spends[random.Next(spends.Length)] : 0;
        var committed = new List<(string Member, string Transaction, int Lines)>();
        var allowed = new HashSet<StatusCode> { StatusCode.InvalidArgument, StatusCode.FailedPrecondition, StatusCode.NotFound, StatusCode.AlreadyExists, StatusCode.ResourceExhausted };

        for (var i = 0; i < 150; i++)
        {
            var member = members[random.Next(members.Length)];
            try
            {
                switch (random.Next(3))
                {
                    case 0:
                        var commit = new CommitRequest { ProgramId = program, MemberId = member, TransactionId = $"x{i}", StoreId = "s", PointsToSpend = Spend() };
                        var lines = random.Next(1, 4);
                        commit.Lines.AddRange(Enumerable.Range(0, lines).Select(l => Sales.Line($"sku{l}", Quantity(), Price())));
                        await Engine.OperatorPos.CommitAsync(commit); // spends by member id: customer service (a till needs the member present)
                        committed.Add((member, commit.TransactionId, lines));
                        break;
                    case 1 when committed.Count > 0:
                        var sale = committed[random.Next(committed.Count)];
                        var refund = new RefundRequest { ProgramId = program, MemberId = sale.Member, TransactionId = sale.Transaction, RefundId = $"r{i}", StoreId = "s" };
                        refund.Lines.Add(new RefundLineRef { LineIndex = random.Next(-1, sale.Lines + 1), Quantity = Quantity() });
                        await Engine.Pos.RefundAsync(refund);
                        break;
                    case 2 when committed.Count > 0:
                        var voided = committed[random.Next(committed.Count)];
                        await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = voided.Member, TransactionId = voided.Transaction, StoreId = "s" });
                        break;
                }
            }
            catch (RpcException refusal)
            {
                Assert.True(allowed.Contains(refusal.StatusCode) && refusal.Reason() is not null, $"step {i}: {refusal.StatusCode} {refusal.Reason()} {refusal.Status.Detail}");
            }
        }

        Assert.NotEmpty(committed);
        foreach (var member in members)
        {
            Assert.True(await BalanceMatchingLedgerAsync(program, member) >= 0);
        }
    }

    [Fact]
    public async Task A_name_with_line_breaks_is_refused_at_enrollment_and_profile_update_and_nothing_is_queued()
    {
        var program = await fixture.NewProgramAsync();
        const string Abuse = "Bob\r\n URGENT: verify at http://evil.example";
        var enroll = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.EnrollAsync(new EnrollRequest
        {
            ProgramId = program, MemberId = "victim", Name = Abuse, Email = "victim@example.test",
        }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "name"), (enroll.StatusCode, enroll.Field()));
        var notEnrolled = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = "victim" }).ResponseAsync);
        Assert.Equal("MEMBER_NOT_FOUND", notEnrolled.Reason());

        var member = await fixture.NewMemberAsync(program);
        var update = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = member, Name = Abuse }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "name"), (update.StatusCode, update.Field()));
        Assert.Equal("Test Member", (await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = member })).Name);
    }

    /// <summary>The member's available points, after checking they equal the sum of the member's ledger entries.</summary>
    private async Task<long> BalanceMatchingLedgerAsync(string program, string member)
    {
        var ledger = await Engine.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = member, PageSize = 1_000 });
        Assert.Equal(ledger.Balance, ledger.Entries.Where(e => e.Asset == "points").Sum(e => e.Points));
        var available = (await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance;
        Assert.Equal(ledger.Balance, available.Available + available.Pending);
        return available.Available;
    }
}
