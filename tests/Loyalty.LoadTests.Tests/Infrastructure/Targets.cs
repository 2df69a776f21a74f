using System.Net;
using System.Net.Sockets;
using Loyalty.Baseline;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Loyalty.LoadTests.Tests.Infrastructure;

/// <summary>
/// Both targets in this process on loopback, each on a fresh database of the test PostgreSQL:
/// the production engine host (silo + Kestrel, durable storage) and the plain-SQL baseline.
/// </summary>
public sealed class Targets : IAsyncLifetime
{
    private readonly List<WebApplication> _apps = [];
    private readonly List<string> _databases = [];
    private TestEngine? _engine;

    /// <summary>The engine's operator token, which the generator reads from the environment (EngineAccess).</summary>
    public const string OperatorToken = TestEngine.OperatorToken;

    public string EngineAddress { get; private set; } = string.Empty;

    public string BaselineAddress { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        var engineDb = await TestPostgres.CreateDatabaseAsync();
        _databases.Add(engineDb);
        // The generator finds the engine's admin gRPC port at the terminal port + 2, and the operator token in the
        // environment (EngineAccess), as with deploy/run.sh.
        Environment.SetEnvironmentVariable(EngineAccess.TokenVariable, OperatorToken);
        for (var attempt = 1; _engine is null; attempt++)
        {
            var grpcPort = FreePortWithAdminPort();
            try
            {
                _engine = await TestEngine.StartAsync(engineDb, serviceId: "lt-" + Guid.NewGuid().ToString("N")[..8], extra: new Dictionary<string, string?>
                {
                    ["Loyalty:GrpcPort"] = grpcPort.ToString(),
                    ["Loyalty:AdminGrpcPort"] = (grpcPort + 2).ToString(),
                    // A revoked terminal credential is refused after a second, not five: a generator whose terminals
                    // another one registered again (revoking its credentials) fails within a short test run.
                    ["Loyalty:Security:CredentialCacheSeconds"] = "1",
                    ["Logging:LogLevel:Default"] = "Warning",
                    ["Logging:LogLevel:Grpc"] = "Warning",
                });
            }
            catch (Exception e) when (attempt < 5 && TestPorts.IsAddressInUse(e))
            {
                // the pair was taken before the engine bound it: draw another
            }
        }

        EngineAddress = _engine.Address;

        // The baseline creates its own database on the server it is given.
        var server = engineDb;
        var baselineDb = "b_" + Guid.NewGuid().ToString("N")[..20];
        var baselinePort = 0;
        WebApplication? baseline = null;
        for (var attempt = 1; baseline is null; attempt++)
        {
            baselinePort = FreePort();
            var app = await BaselineHost.BuildAsync([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = server,
                ["Baseline:Port"] = baselinePort.ToString(),
                ["Baseline:Database"] = baselineDb,
                ["Logging:LogLevel:Default"] = "Warning",
            }));
            try
            {
                await app.StartAsync();
                baseline = app;
            }
            catch (Exception e) when (attempt < 5 && TestPorts.IsAddressInUse(e))
            {
                await app.DisposeAsync();
            }
        }

        _apps.Add(baseline);
        _databases.Add(new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = baselineDb }.ConnectionString);
        BaselineAddress = $"http://127.0.0.1:{baselinePort}";
    }

    public async Task DisposeAsync()
    {
        if (_engine is not null)
        {
            await _engine.DisposeAsync();
        }

        foreach (var app in _apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        foreach (var database in _databases)
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    /// <summary>A free port whose port + 2 is free as well.</summary>
    private static int FreePortWithAdminPort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = FreePort();
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port + 2);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken; try another
            }
        }

        throw new InvalidOperationException("no free pair of ports");
    }

    private static int FreePort() => TestPorts.Free();
}

[CollectionDefinition(Name)]
public sealed class TargetsCollection : ICollectionFixture<Targets>
{
    public const string Name = "engine and baseline";
}
