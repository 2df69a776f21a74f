using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// Each sale is a row of its own (docs/write-path.md), over real gRPC and PostgreSQL: a member's state
/// does not grow with its sales, and a sale the member no longer keeps in memory is still retried,
/// voided and refunded exactly as a recent one.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class SaleRowsTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_busy_members_state_stays_the_same_size_and_each_sale_is_a_row_with_its_ledger_entries()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        for (var i = 0; i < 5; i++)
        {
            await Engine.Pos.CommitAsync(Sales.Commit(program, member, $"s{i}"));
        }

        var after5 = await StateBytesAsync(program, member);
        for (var i = 5; i < 60; i++)
        {
            await Engine.Pos.CommitAsync(Sales.Commit(program, member, $"s{i}"));
        }

        var after60 = await StateBytesAsync(program, member);
        Assert.Equal(after5, after60);
        Assert.InRange(after60, 100, 1_000);
        Assert.Equal(60L, await ScalarAsync<long>("SELECT count(*) FROM member_sales WHERE program_id = $1 AND member_id = $2", program, member));
        Assert.Equal(60L * 123, await ScalarAsync<long>("SELECT sum(points)::bigint FROM ledger_entries WHERE program_id = $1 AND member_id = $2", program, member));
        Assert.Equal(60 * 123, (await Balance(program, member)).Available);
    }

    [Fact]
    public async Task An_old_sale_is_retried_from_its_row_even_when_the_rules_now_refuse_it_and_is_voided_and_refunded()
    {
        var program = "rows-" + Guid.NewGuid().ToString("N")[..10];
        await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = program, Name = "x", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1, PointValue = 10, MaxBurnPercent = 50,
        });
        var member = await fixture.NewMemberAsync(program);
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "earn-1"));                      // +123
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "earn-2"));                      // +123
        var spend = Sales.Commit(program, member, "spend");
        spend.PointsToSpend = 200;
        var spent = await Engine.OperatorPos.CommitAsync(spend);                                            // −200, +~103
        for (var i = 0; i < 20; i++)
        {
            await Engine.Pos.CommitAsync(Sales.Commit(program, member, $"later-{i}"));              // pushes the first sales out of memory
        }

        // Voided and refunded from their rows (exactly once each, retries change nothing).
        var balance = (await Balance(program, member)).Available;
        var voided = await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = member, TransactionId = "earn-1" });
        Assert.Equal(123, voided.PointsRemoved);
        await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = member, TransactionId = "earn-1" });
        Assert.Equal(balance - 123, (await Balance(program, member)).Available);
        var refund = new RefundRequest { ProgramId = program, MemberId = member, TransactionId = "earn-2", RefundId = "r1", Lines = { new RefundLineRef { LineIndex = 1, Quantity = 1 } } };
        Assert.Equal(39, (await Engine.Pos.RefundAsync(refund)).PointsClawedBack);
        await Engine.Pos.RefundAsync(refund);
        Assert.Equal(balance - 162, (await Balance(program, member)).Available);

        // Points are spent until fewer than 200 are left: the rules refuse a new sale spending 200 (INSUFFICIENT_POINTS).
        // Spending a points (worth 10a) on a basket of 20a pays 10a and earns a/10 back.
        for (var round = 0; (await Balance(program, member)).Available is var available and >= 200; round++)
        {
            var rest = new CommitRequest { ProgramId = program, MemberId = member, TransactionId = $"spend-all-{round}", StoreId = "store-1", TerminalId = "pos-1", PointsToSpend = available };
            rest.Lines.Add(Sales.Line("gold", 1, 20 * available));
            await Engine.OperatorPos.CommitAsync(rest);
        }

        var fresh = Sales.Commit(program, member, "spend-new");
        fresh.PointsToSpend = 200;
        var refusedToday = await Assert.ThrowsAsync<RpcException>(() => Engine.OperatorPos.CommitAsync(fresh).ResponseAsync);
        Assert.Equal("INSUFFICIENT_POINTS", refusedToday.Reason());

        // ...but the retry of the old "spend" is answered with what was committed then, and changes nothing.
        balance = (await Balance(program, member)).Available;
        var retried = await Engine.Pos.CommitAsync(spend);
        Assert.Equal((spent.PointsSpent, spent.PointsEarned, spent.Total), (retried.PointsSpent, retried.PointsEarned, retried.Total));
        Assert.Equal(balance, (await Balance(program, member)).Available);

        var reused = Sales.Commit(program, member, "earn-1");
        reused.Lines.Add(Sales.Line("extra", 1, 100));
        var refused = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(reused).ResponseAsync);
        Assert.Equal("TRANSACTION_ID_REUSED", refused.Reason());
        Assert.Equal(balance, (await Engine.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = member, PageSize = 1000 })).Entries.Sum(e => e.Points));
    }

    [Fact]
    public async Task A_sales_row_carries_the_facts_the_reports_read_and_a_refund_or_void_rewrites_them()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.DefineCampaignAsync(new Campaign { ProgramId = program, CampaignId = "tenth", Name = "10% off", PercentOff = 10 });
        var member = await fixture.NewMemberAsync(program);
        var sale = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "facts-1"));           // 4,345 + 2 × 4,000
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "facts-2"));
        Assert.True(sale.Discount > 0);

        const string Facts = """
            SELECT concat_ws('|', guest::text, store_id, subtotal, discount, total, items, status, refunded,
                             (SELECT sum((d->>'amount')::bigint) FROM jsonb_array_elements(discounts) d WHERE d->>'source' = 'campaign' AND d->>'id' = 'tenth'))
            FROM member_sales WHERE program_id = $1 AND member_id = $2 AND transaction_id = $3
            """;
        Assert.Equal($"false|store-1|12345|{sale.Discount}|{sale.Total}|3|0|0|{sale.Discount}", await ScalarAsync<string>(Facts, program, member, "facts-1"));

        var refund = await Engine.Pos.RefundAsync(new RefundRequest
        {
            ProgramId = program, MemberId = member, TransactionId = "facts-1", RefundId = "r1", Lines = { new RefundLineRef { LineIndex = 1, Quantity = 1 } },
        });
        Assert.True(refund.RefundedAmount > 0);
        Assert.Equal($"false|store-1|12345|{sale.Discount}|{sale.Total}|3|1|{refund.RefundedAmount}|{sale.Discount}", await ScalarAsync<string>(Facts, program, member, "facts-1"));

        await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = member, TransactionId = "facts-2" });
        Assert.Equal("3", (await ScalarAsync<string>(Facts, program, member, "facts-2")).Split('|')[6]);
    }

    private async Task<Balance> Balance(string program, string member) =>
        (await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance;

    private Task<int> StateBytesAsync(string program, string member) =>
        ScalarAsync<int>("SELECT octet_length(payload) FROM grain_state WHERE state_name = 'member' AND grain_key = $1 || '/' || $2", program, member);

    private Task<T> ScalarAsync<T>(string sql, params string[] values) => TestPostgres.ScalarAsync<T>(fixture.ConnectionString, sql, values);
}
