using Loyalty.Api.V1;

namespace Loyalty.Host.Tests.Infrastructure;

/// <summary>One durable engine on a fresh PostgreSQL database, shared by the integration tests.</summary>
public sealed class EngineFixture : IAsyncLifetime
{
    private TestEngine? _engine;

    public string ConnectionString { get; private set; } = string.Empty;

    public TestEngine Engine => _engine ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        ConnectionString = await TestPostgres.CreateDatabaseAsync();
        _engine = await TestEngine.StartAsync(ConnectionString, serviceId: "it-" + Guid.NewGuid().ToString("N")[..8]);
    }

    public async Task DisposeAsync()
    {
        if (_engine is not null)
        {
            await _engine.DisposeAsync();
        }

        await TestPostgres.DropDatabaseAsync(ConnectionString);
    }

    /// <summary>A new program with 1 point per 100 minor units and N = 1, so tests never share keys.</summary>
    public async Task<string> NewProgramAsync(int expiryMonths = 1)
    {
        var id = "prog-" + Guid.NewGuid().ToString("N")[..10];
        await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = id,
            Name = "Test club",
            Currency = "EUR",
            EarnPoints = 1,
            EarnPerAmount = 100,
            ExpiryMonths = expiryMonths,
        });
        return id;
    }

    public async Task<string> NewMemberAsync(string programId)
    {
        var id = "mem-" + Guid.NewGuid().ToString("N")[..10];
        await Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = programId, MemberId = id, Name = "Test Member" });
        return id;
    }

    public async Task<string> NewCouponAsync(string programId, long amountOff = 500, long minBasket = 0)
    {
        var response = await Engine.Admin.CreateCouponsAsync(new CreateCouponsRequest
        {
            ProgramId = programId,
            Count = 1,
            Terms = new CouponTerms { AmountOff = amountOff, MinBasket = minBasket },
        });
        return response.Codes.Single();
    }
}

[CollectionDefinition(Name)]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "durable engine";
}
