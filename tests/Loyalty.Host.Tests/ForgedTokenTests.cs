using System.Collections.Concurrent;
using System.Security.Cryptography;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Host.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Loyalty.Host.Tests;

/// <summary>
/// Forged tokens are cheap to refuse (issue #27, finding 5), over real gRPC against an engine on its own PostgreSQL
/// database: a tagged token nobody issued costs no lookup; an address that keeps failing gets no lookups for
/// untagged tokens; a flood of made-up tokens does not push valid credentials out of the cache. Lookups are counted
/// by a grain call filter on the credential grain, database work by the database's committed transactions.
/// </summary>
public sealed class ForgedTokenTests
{
    [Fact]
    public async Task Forged_tokens_are_refused_without_a_credential_lookup_or_a_database_read()
    {
        await using var engine = await CountedEngine.StartAsync();
        var (program, member) = await engine.SetUpAsync();
        var token = await engine.Engine.Fleet(program).TokenAsync("store-1", "pos-1", default);
        var realId = token.Substring(4, 16);
        await engine.BalanceAsync(token, program, member);

        var forged = Enumerable.Range(0, 500).SelectMany(_ => new[]
        {
            $"pos_{RandomHex()}_{RandomSecret()}",                           // made-up id and secret, no tag
            $"pos_{RandomHex()}_{RandomSecret()}_{RandomSecret()[..22]}",    // made-up id, secret and tag
            $"pos_{realId}_{RandomSecret()}",                                // a real id, a wrong secret, no tag
            $"pos_{realId}_{RandomSecret()}{token[^23..]}",                  // a real id, a wrong secret, the real tag
        }).ToList();

        var lookups = engine.Lookups.Total;
        var transactions = await engine.CommittedTransactionsAsync();
        await Parallel.ForEachAsync(forged, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (made, _) =>
        {
            var failure = await Assert.ThrowsAsync<RpcException>(() => engine.BalanceAsync(made, program, member));
            Assert.Equal((StatusCode.Unauthenticated, "CREDENTIAL_INVALID"), (failure.StatusCode, failure.Reason()));
        });
        await Task.Delay(TimeSpan.FromSeconds(2)); // the engine's connections report their statistics at most once a second

        // Only untagged tokens are looked up, and only until the address has failed 20 times (the default limit).
        Assert.InRange(await engine.CommittedTransactionsAsync() - transactions, 0, 60);
        Assert.InRange(engine.Lookups.Total - lookups, 0, 20);

        // The real till, from the same address, is not slowed: its tagged token is not subject to the limit.
        await engine.BalanceAsync(token, program, member);
    }

    [Fact]
    public async Task A_flood_of_made_up_tokens_does_not_push_a_valid_credential_out_of_the_cache()
    {
        await using var engine = await CountedEngine.StartAsync(new Dictionary<string, string?>
        {
            ["Loyalty:Security:CredentialCacheSeconds"] = "300",
            ["Loyalty:Security:FailedAuthenticationsPerMinute"] = "1000000",
        });
        var (program, member) = await engine.SetUpAsync();
        var token = await engine.Engine.Fleet(program).TokenAsync("store-1", "pos-1", default);
        var validId = token.Substring(4, 16);

        // The flood names another real terminal's id with made-up secrets: each is a distinct token the cache
        // remembers as unknown, and its grain stays resident, so the flood is quick.
        var floodId = (await engine.Engine.Fleet(program).TokenAsync("store-1", "pos-2", default)).Substring(4, 16);
        await engine.BalanceAsync(token, program, member);
        Assert.Equal(1, engine.Lookups.Of(validId));

        const int Flood = 101_000;
        await Parallel.ForEachAsync(Enumerable.Range(0, Flood), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            if (i % 10_000 == 0)
            {
                await engine.BalanceAsync(token, program, member); // during the flood
            }

            await Assert.ThrowsAsync<RpcException>(() => engine.BalanceAsync($"pos_{floodId}_{RandomSecret()}", program, member));
        });

        await engine.BalanceAsync(token, program, member);
        Assert.True(engine.Lookups.Of(floodId) >= Flood, $"the flood reached the cache: {engine.Lookups.Of(floodId)} lookups");
        Assert.Equal(1, engine.Lookups.Of(validId));
    }

    [Fact]
    public async Task An_address_that_keeps_failing_gets_no_lookups_for_untagged_tokens_but_tagged_ones_still_work()
    {
        await using var engine = await CountedEngine.StartAsync(new Dictionary<string, string?>
        {
            ["Loyalty:Security:CredentialCacheSeconds"] = "1",
        });
        var (program, member) = await engine.SetUpAsync();
        var token = await engine.Engine.Fleet(program).TokenAsync("store-1", "pos-1", default);

        // Two tills still on tokens from before tags; one has called this silo before the attack, one has not.
        var seen = await engine.IssueUntaggedAsync(program, "store-1", "pos-8");
        var unseen = await engine.IssueUntaggedAsync(program, "store-1", "pos-9");
        await engine.BalanceAsync(seen, program, member);

        // From the same address (loopback): made-up untagged tokens are looked up 20 times, then no more.
        var lookups = engine.Lookups.Total;
        for (var i = 0; i < 60; i++)
        {
            await Assert.ThrowsAsync<RpcException>(() => engine.BalanceAsync($"pos_{RandomHex()}_{RandomSecret()}", program, member));
        }

        Assert.Equal(20, engine.Lookups.Total - lookups);

        // The trade-off of a till behind the attacker's address: an untagged token this silo never saw valid is
        // refused without a lookup until the minute has room again; one it saw valid is looked up again once its
        // cache time is over and works; a tagged one always works.
        lookups = engine.Lookups.Total;
        var failure = await Assert.ThrowsAsync<RpcException>(() => engine.BalanceAsync(unseen, program, member));
        Assert.Equal((StatusCode.Unauthenticated, "CREDENTIAL_INVALID"), (failure.StatusCode, failure.Reason()));
        Assert.Equal(lookups, engine.Lookups.Total);

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await engine.BalanceAsync(seen, program, member);
        await engine.BalanceAsync(token, program, member);
        Assert.Equal(lookups + 2, engine.Lookups.Total);
    }

    [Fact]
    public async Task With_untagged_tokens_turned_off_a_valid_untagged_token_is_refused_without_a_lookup()
    {
        await using var engine = await CountedEngine.StartAsync(new Dictionary<string, string?>
        {
            ["Loyalty:Security:AcceptUntaggedTokens"] = "false",
        });
        var (program, member) = await engine.SetUpAsync();
        var untagged = await engine.IssueUntaggedAsync(program, "store-1", "pos-9");
        var lookups = engine.Lookups.Total;
        var failure = await Assert.ThrowsAsync<RpcException>(() => engine.BalanceAsync(untagged, program, member));
        Assert.Equal((StatusCode.Unauthenticated, "CREDENTIAL_INVALID"), (failure.StatusCode, failure.Reason()));
        Assert.Equal(lookups, engine.Lookups.Total);

        // Registering the till through RegisterTerminal answers a tagged token, which works.
        await engine.BalanceAsync(await engine.Engine.Fleet(program).TokenAsync("store-1", "pos-9", default), program, member);
    }

    private static string RandomHex() => Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();

    private static string RandomSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>An engine on a database of its own, with a count of credential lookups (grain calls to <see cref="ICredentialGrain.GetAsync"/>).</summary>
    private sealed class CountedEngine : IAsyncDisposable
    {
        private readonly string _connectionString;

        private CountedEngine(TestEngine engine, CredentialLookups lookups, string connectionString)
        {
            Engine = engine;
            Lookups = lookups;
            _connectionString = connectionString;
            Pos = new PosService.PosServiceClient(engine.Channel);
        }

        public TestEngine Engine { get; }

        public CredentialLookups Lookups { get; }

        private PosService.PosServiceClient Pos { get; }

        public static async Task<CountedEngine> StartAsync(IReadOnlyDictionary<string, string?>? extra = null)
        {
            var connectionString = await TestPostgres.CreateDatabaseAsync();
            var lookups = new CredentialLookups();
            var engine = await TestEngine.StartAsync(connectionString, "forged-" + Guid.NewGuid().ToString("N")[..8], extra: extra,
                configure: builder => builder.Services.AddSingleton<IIncomingGrainCallFilter>(lookups));
            return new CountedEngine(engine, lookups, connectionString);
        }

        public async Task<(string Program, string Member)> SetUpAsync()
        {
            var program = "prog-" + Guid.NewGuid().ToString("N")[..10];
            await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram { ProgramId = program, Name = "Test club", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1 });
            await Engine.Admin.RegisterStoreAsync(new RegisterStoreRequest { ProgramId = program, StoreId = "store-1", Name = "Store 1" });
            var member = "mem-" + Guid.NewGuid().ToString("N")[..10];
            await Engine.OperatorPos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = member, Name = "Test Member" });
            return (program, member);
        }

        /// <summary>A terminal credential as the engine stored them before tokens carried a tag.</summary>
        public async Task<string> IssueUntaggedAsync(string program, string store, string terminal)
        {
            var id = RandomHex();
            var token = $"pos_{id}_{RandomSecret()}";
            await Engine.Services.GetRequiredService<IGrainFactory>().GetGrain<ICredentialGrain>(id).IssueAsync(new Credential(
                id, AccessRole.Terminal, AccessTokens.Hash(token), program, store, terminal, [], $"{store}/{terminal}", DateTimeOffset.UtcNow, null));
            return token;
        }

        public Task BalanceAsync(string token, string program, string member) =>
            Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member }, new Metadata { { "authorization", "Bearer " + token } }).ResponseAsync;

        /// <summary>Transactions committed in the engine's database so far (PostgreSQL's statistics).</summary>
        public async Task<long> CommittedTransactionsAsync()
        {
            await using var connection = new NpgsqlConnection(_connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", connection);
            return (long)(await command.ExecuteScalarAsync())!;
        }

        public async ValueTask DisposeAsync()
        {
            await Engine.DisposeAsync();
            await TestPostgres.DropDatabaseAsync(_connectionString);
        }
    }

    private sealed class CredentialLookups : IIncomingGrainCallFilter
    {
        private readonly ConcurrentDictionary<string, int> _byId = new(StringComparer.Ordinal);

        public int Total => _byId.Values.Sum();

        public int Of(string credentialId) => _byId.GetValueOrDefault(credentialId);

        public Task Invoke(IIncomingGrainCallContext context)
        {
            if (context.InterfaceMethod?.DeclaringType == typeof(ICredentialGrain) && context.InterfaceMethod.Name == nameof(ICredentialGrain.GetAsync))
            {
                _byId.AddOrUpdate(context.TargetId.Key.ToString()!, 1, (_, n) => n + 1);
            }

            return context.Invoke();
        }
    }
}
