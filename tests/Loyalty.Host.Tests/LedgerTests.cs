using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;
using Npgsql;

namespace Loyalty.Host.Tests;

[Collection(EngineCollection.Name)]
public sealed class LedgerTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task Fifty_concurrent_commits_from_different_terminals_sum_exactly_and_the_ledger_table_agrees()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);

        var replies = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
        {
            var request = Sales.Commit(program, member, $"store-{i % 5}-pos-{i}-1");
            request.TerminalId = $"pos-{i}";
            request.Lines[0].UnitPrice = 1_000 + (i * 100);
            return Engine.Pos.CommitAsync(request).ResponseAsync;
        }));

        var expected = replies.Sum(r => r.PointsEarned);
        var balance = await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member });
        Assert.Equal(expected, balance.Balance.Available);

        var ledger = await Engine.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = member, PageSize = 1000 });
        Assert.Equal(50, ledger.Entries.Count(e => e.Type == "earn"));
        Assert.Equal(expected, ledger.Entries.Sum(e => e.Points));
        Assert.Equal(expected, ledger.Balance);
        Assert.Equal(expected, await TableSumAsync(fixture.ConnectionString, program, member));
    }

    [Fact]
    public async Task Burn_refund_and_void_are_ledger_entries_that_always_sum_to_the_balance()
    {
        var program = "burn-" + Guid.NewGuid().ToString("N")[..8];
        await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = program, Name = "x", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1, PointValue = 10, MaxBurnPercent = 50,
        });
        var member = await fixture.NewMemberAsync(program);
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "earn"));                 // +123
        var spend = Sales.Commit(program, member, "spend");
        spend.PointsToSpend = 100;                                                            // pays 1,000 with points
        var spent = await Engine.OperatorPos.CommitAsync(spend); // by member id: customer service (a till needs the member present)
        Assert.Equal((100L, 1_000L, 11_345L, 113L), (spent.PointsSpent, spent.PointsValue, spent.AmountDue, spent.PointsEarned));

        var refund = await Engine.Pos.RefundAsync(new RefundRequest
        {
            ProgramId = program, MemberId = member, TransactionId = "spend", RefundId = "ret-1", Lines = { new RefundLineRef { LineIndex = 1, Quantity = 1 } },
        });
        var retried = await Engine.Pos.RefundAsync(new RefundRequest
        {
            ProgramId = program, MemberId = member, TransactionId = "spend", RefundId = "ret-1", Lines = { new RefundLineRef { LineIndex = 1, Quantity = 1 } },
        });
        Assert.Equal(refund, retried);
        Assert.Equal((36L, 32L), (refund.PointsClawedBack, refund.PointsReturned)); // 4,000 of 12,345 gross

        var tooMuch = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.RefundAsync(new RefundRequest
        {
            ProgramId = program, MemberId = member, TransactionId = "spend", RefundId = "ret-2", Lines = { new RefundLineRef { LineIndex = 1, Quantity = 2 } },
        }).ResponseAsync);
        Assert.Equal("REFUND_EXCEEDS_SALE", tooMuch.Reason());

        await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = member, TransactionId = "spend" });
        var balance = (await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance.Available;
        Assert.Equal(123, balance);

        var ledger = await Engine.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = member });
        var byType = ledger.Entries.GroupBy(e => e.Type).ToDictionary(g => g.Key, g => g.Sum(e => e.Points));
        Assert.Equal(new Dictionary<string, long> { ["earn"] = 123 + 113, ["burn"] = -100, ["refund"] = -36 + 32, ["void"] = -(113 - 36) + (100 - 32) }, byType);
        Assert.Equal(ledger.Entries.Select(e => e.Seq).Order(), ledger.Entries.Select(e => e.Seq));
        Assert.Equal(balance, ledger.Entries.Sum(e => e.Points));
        Assert.Equal(balance, await TableSumAsync(fixture.ConnectionString, program, member));

        var insufficient = Sales.Commit(program, member, "too-much");
        insufficient.PointsToSpend = 124;
        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.OperatorPos.CommitAsync(insufficient).ResponseAsync);
        Assert.Equal((StatusCode.FailedPrecondition, "INSUFFICIENT_POINTS"), (refusal.StatusCode, refusal.Reason()));
    }

    [Fact]
    public async Task Cashback_is_store_credit_for_the_next_sale_with_its_own_ledger_entries()
    {
        var program = "cash-" + Guid.NewGuid().ToString("N")[..8];
        await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = program, Name = "x", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 1_000, ExpiryMonths = 1, CashbackPercent = 10,
        });
        var member = await fixture.NewMemberAsync(program);
        var first = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "c1"));
        Assert.Equal(1_234, first.CreditEarned);

        var second = Sales.Commit(program, member, "c2");
        second.CreditToSpend = 1_234;
        var paidWithCredit = await Engine.OperatorPos.CommitAsync(second); // by member id: customer service
        Assert.Equal((1_234L, 11_111L, 1_111L), (paidWithCredit.CreditSpent, paidWithCredit.AmountDue, paidWithCredit.CreditEarned));

        var identified = await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = member });
        Assert.Equal(1_111, identified.Balance.Credit);
        var ledger = await Engine.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = member });
        Assert.Equal(1_111, ledger.Credit);
        Assert.Equal(1_111, ledger.Entries.Where(e => e.Asset == "credit").Sum(e => e.Points));
        Assert.Equal(ledger.Balance, ledger.Entries.Where(e => e.Asset == "points").Sum(e => e.Points));

        var overdraw = Sales.Commit(program, member, "c3");
        overdraw.CreditToSpend = 5_000;
        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.OperatorPos.CommitAsync(overdraw).ResponseAsync);
        Assert.Equal("INSUFFICIENT_CREDIT", refusal.Reason());
    }

    [Fact]
    public async Task A_reward_from_the_catalog_is_quoted_and_committed_as_a_free_line_paid_with_points()
    {
        var program = "reward-" + Guid.NewGuid().ToString("N")[..8];
        await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = program, Name = "x", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1,
            Rewards = { new Reward { RewardId = "free-perfume", Sku = "perfume", Points = 100 } },
        });
        var member = await fixture.NewMemberAsync(program);
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "earn"));   // +123

        var quote = new QuoteRequest { ProgramId = program, MemberId = member, RewardIds = { "free-perfume" } };
        quote.Lines.Add(Sales.Line("perfume", 2, 4_000, "fragrance"));
        var quoted = await Engine.Pos.QuoteAsync(quote);
        Assert.Equal((4_000L, 100L, 4_000L), (quoted.RewardDiscount, quoted.RewardPoints, quoted.Total));

        var sale = Sales.Commit(program, member, "with-reward");
        sale.RewardIds.Add("free-perfume");
        var committed = await Engine.OperatorPos.CommitAsync(sale); // by member id: customer service
        Assert.Equal((4_000L, 100L, 83L), (committed.RewardDiscount, committed.PointsSpent, committed.PointsEarned));
        Assert.Equal(123 - 100 + 83, committed.AvailableAfter);

        sale.RewardIds[0] = "no-such-reward";
        sale.TransactionId = "bad-reward";
        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.OperatorPos.CommitAsync(sale).ResponseAsync);
        Assert.Equal((StatusCode.NotFound, "REWARD_NOT_FOUND"), (refusal.StatusCode, refusal.Reason()));
    }

    [Fact]
    public async Task An_offline_replay_older_than_the_window_or_spending_points_is_refused()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        var old = Sales.Commit(program, member, "old");
        old.OccurredAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow.AddDays(-8));
        var yesterday = Sales.Commit(program, member, "yesterday");
        yesterday.OccurredAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow.AddDays(-1));

        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(old).ResponseAsync);
        var accepted = await Engine.Pos.CommitAsync(yesterday);

        Assert.Equal("OFFLINE_WINDOW_EXCEEDED", refusal.Reason());
        Assert.Equal(123, accepted.PointsEarned);
    }

    [Fact]
    public async Task Killing_the_host_mid_load_loses_no_acknowledged_commit_and_half_applies_none()
    {
        var serviceId = "kill-" + Guid.NewGuid().ToString("N")[..8];
        var (grpcPort, siloPort) = (HostProcess.FreePort(), HostProcess.FreePort());
        var program = "kill-" + Guid.NewGuid().ToString("N")[..8];
        var members = Enumerable.Range(0, 20).Select(i => $"m{i}").ToArray();
        var acknowledged = new ConcurrentDictionary<string, (string Member, long Points)>();

        await using (var host = await HostProcess.StartAsync(fixture.ConnectionString, serviceId, grpcPort, siloPort))
        {
            var (admin, pos) = (host.Admin, host.Pos);
            await admin.UpsertProgramAsync(new LoyaltyProgram { ProgramId = program, Name = "x", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1 });
            foreach (var member in members)
            {
                await pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = member });
            }

            using var stop = new CancellationTokenSource();
            var terminals = Enumerable.Range(0, 16).Select(t => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var member = members[(t + i) % members.Length];
                    var transaction = $"t{t}-{i}";
                    try
                    {
                        var reply = await pos.CommitAsync(Sales.Commit(program, member, transaction));
                        acknowledged[transaction] = (member, reply.PointsEarned);
                    }
                    catch (RpcException)
                    {
                        return; // the host died under us: this commit was never acknowledged
                    }
                }
            })).ToList();

            await Task.Delay(TimeSpan.FromSeconds(3));
            await host.KillAsync();
            stop.Cancel();
            await Task.WhenAll(terminals);
        }

        Assert.True(acknowledged.Count > 50, $"only {acknowledged.Count} commits before the kill");
        await using var restarted = await HostProcess.StartAsync(fixture.ConnectionString, serviceId, HostProcess.FreePort(), HostProcess.FreePort());
        var (admin2, pos2) = (restarted.Admin, restarted.Pos);
        foreach (var member in members)
        {
            var expected = acknowledged.Values.Where(a => a.Member == member).Sum(a => a.Points);
            var balance = (await pos2.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance.Available;
            var ledger = await admin2.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = member, PageSize = 1000 });

            // Balance ≥ acknowledged (a commit may be durable but unacknowledged when the process died); any
            // extra must be whole commits, each exactly once, never a half-applied one.
            Assert.True(balance >= expected, $"{member}: balance {balance} < acknowledged {expected}");
            Assert.Equal(0, (balance - expected) % 123);
            Assert.Equal(balance, ledger.Balance);
            Assert.Equal(balance, ledger.Entries.Sum(e => e.Points));
            Assert.Equal(ledger.Entries.Count, ledger.Entries.Select(e => e.TransactionId).Distinct().Count());
            Assert.Equal(balance, await TableSumAsync(fixture.ConnectionString, program, member));
        }

        // Retrying every acknowledged commit returns its result and credits nothing more.
        foreach (var (transaction, (member, points)) in acknowledged.Take(30))
        {
            var retry = await pos2.CommitAsync(Sales.Commit(program, member, transaction));
            Assert.Equal(points, retry.PointsEarned);
        }

        var total = 0L;
        foreach (var member in members)
        {
            total += (await pos2.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance.Available;
        }

        Assert.True(total >= acknowledged.Values.Sum(a => a.Points));
    }

    private static Task<long> TableSumAsync(string connectionString, string program, string member) =>
        TestPostgres.ScalarAsync<long>(connectionString, "SELECT COALESCE(SUM(points), 0)::bigint FROM ledger_entries WHERE program_id = $1 AND member_id = $2 AND asset = 'points'", program, member);
}
