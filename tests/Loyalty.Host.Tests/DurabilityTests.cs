using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;
using Npgsql;

namespace Loyalty.Host.Tests;

[Collection(EngineCollection.Name)]
public sealed class DurabilityTests(EngineFixture fixture)
{
    [Fact]
    public async Task After_a_restart_on_the_same_database_balances_and_coupon_states_are_unchanged()
    {
        var serviceId = "restart-" + Guid.NewGuid().ToString("N")[..8];
        string program, member, used, unused;
        MemberResponse before;
        await using (var first = await TestEngine.StartAsync(fixture.ConnectionString, serviceId))
        {
            program = "p-" + Guid.NewGuid().ToString("N")[..8];
            await first.Admin.UpsertProgramAsync(new LoyaltyProgram { ProgramId = program, Name = "x", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 3 });
            var codes = await first.Admin.CreateCouponsAsync(new CreateCouponsRequest { ProgramId = program, Count = 2, Terms = new CouponTerms { PercentOff = 10 } });
            (used, unused) = (codes.Codes[0], codes.Codes[1]);
            member = (await first.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, CardNumber = "card-777", Name = "Bo" })).MemberId;
            await first.Pos.CommitAsync(Sales.Commit(program, member, "before-restart", used));
            before = await first.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = member });
        }

        await using var second = await TestEngine.StartAsync(fixture.ConnectionString, serviceId);
        var after = await second.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = "card-777" });

        Assert.Equal(before, after);
        Assert.Equal(111, after.Balance.Available);
        Assert.True((await second.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = program, Code = used })).Redeemed);
        Assert.False((await second.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = program, Code = unused })).Redeemed);
        var again = await Assert.ThrowsAsync<RpcException>(() => second.Pos.CommitAsync(Sales.Commit(program, member, "after-restart", used)).ResponseAsync);
        Assert.Equal("COUPON_ALREADY_REDEEMED", again.Reason());

        // The idempotency record survived too: the retried commit is answered, not applied again.
        var retried = await second.Pos.CommitAsync(Sales.Commit(program, member, "before-restart", used));
        Assert.Equal(111, retried.PointsEarned);
        Assert.Equal(111, (await second.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance.Available);
    }

    [Fact]
    public async Task Two_concurrent_first_writes_of_one_grain_row_cannot_both_succeed()
    {
        // The schema's own write statement, as the Orleans provider runs it.
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        string writeSql;
        await using (var query = dataSource.CreateCommand("SELECT querytext FROM orleansquery WHERE querykey = 'WriteToStorageKey'"))
        {
            writeSql = (string)(await query.ExecuteScalarAsync())!;
        }

        var key = "race/" + Guid.NewGuid().ToString("N");
        await using var first = await dataSource.OpenConnectionAsync();
        await using var second = await dataSource.OpenConnectionAsync();
        await using var firstTransaction = await first.BeginTransactionAsync();

        var firstVersion = await WriteAsync(first, writeSql, key, version: null, firstTransaction);
        var secondWrite = WriteAsync(second, writeSql, key, version: null, transaction: null); // blocks on the first's row
        await Task.Delay(300);
        Assert.False(secondWrite.IsCompleted);
        await firstTransaction.CommitAsync();

        Assert.Equal(1, firstVersion);
        Assert.Null(await secondWrite);

        // A stale writer (a zombie activation holding version 1 after someone wrote version 2) is refused too.
        Assert.Equal(2, await WriteAsync(first, writeSql, key, version: 1, transaction: null));
        Assert.Null(await WriteAsync(second, writeSql, key, version: 1, transaction: null));
    }

    [Fact]
    public async Task Two_silos_that_both_activate_one_member_cannot_both_persist_it()
    {
        // Two separate clusters on one database and service id: each thinks it owns the member
        // (as a zombie does). Only one first write can win; the other call fails retryably and
        // its activation is dropped so it cannot serve its unpersisted state.
        var serviceId = "split-" + Guid.NewGuid().ToString("N")[..8];
        await using var a = await TestEngine.StartAsync(fixture.ConnectionString, serviceId, clusterId: "a");
        await using var b = await TestEngine.StartAsync(fixture.ConnectionString, serviceId, clusterId: "b");
        var program = "p-" + Guid.NewGuid().ToString("N")[..8];
        await a.Admin.UpsertProgramAsync(new LoyaltyProgram { ProgramId = program, Name = "x", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1 });

        var outcomes = new List<StatusCode>();
        for (var i = 0; i < 10; i++)
        {
            var member = "twin-" + i;
            var results = await Task.WhenAll(
                Outcome(a.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = member, Name = "A" }).ResponseAsync),
                Outcome(b.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = member, Name = "B" }).ResponseAsync));
            outcomes.AddRange(results);
            Assert.Contains(StatusCode.OK, results);
            Assert.All(results, code => Assert.True(code is StatusCode.OK or StatusCode.Unavailable or StatusCode.AlreadyExists, code.ToString()));

            // Whatever happened, both silos now read the single stored truth.
            var viaA = await a.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = member });
            Assert.True(viaA.Name is "A" or "B");
        }

        Assert.Contains(StatusCode.Unavailable, outcomes);
    }

    private static async Task<StatusCode> Outcome<T>(Task<T> call)
    {
        try
        {
            await call;
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    private static async Task<int?> WriteAsync(NpgsqlConnection connection, string sql, string key, int? version, NpgsqlTransaction? transaction)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("ServiceId", "race-test");
        command.Parameters.AddWithValue("GrainTypeString", "member");
        command.Parameters.AddWithValue("GrainIdExtensionString", key);
        command.Parameters.AddWithValue("GrainIdN0", 0L);
        command.Parameters.AddWithValue("GrainIdN1", 0L);
        command.Parameters.AddWithValue("GrainIdHash", 0);
        command.Parameters.AddWithValue("GrainTypeHash", 0);
        command.Parameters.Add(new NpgsqlParameter("GrainStateVersion", NpgsqlTypes.NpgsqlDbType.Integer) { Value = (object?)version ?? DBNull.Value });
        command.Parameters.AddWithValue("PayloadBinary", new byte[] { 1, 2, 3 });
        var result = await command.ExecuteScalarAsync();
        return result is DBNull or null ? null : (int)result;
    }
}
