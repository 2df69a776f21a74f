using System.Net;
using Loyalty.Contracts;
using Loyalty.Host.Hosting;
using Loyalty.Host.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Loyalty.Host.Tests;

/// <summary>
/// Issue #27, finding 1: a plain Orleans client that knows the cluster and service ids must reach no grain of a
/// started silo — it would bypass every credential check. The silo runs no client gateway unless an operator
/// turns one on (Loyalty:GatewayPort); its silo-to-silo port does not serve clients.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class OrleansPortTests(EngineFixture fixture)
{
    [Fact]
    public async Task A_plain_Orleans_client_that_knows_the_cluster_id_reaches_no_grain_on_any_port_of_the_silo()
    {
        var serviceId = "ports-" + Guid.NewGuid().ToString("N")[..8];
        await using var engine = await TestEngine.StartAsync(fixture.ConnectionString, serviceId, clusterId: "loyalty", clustering: ClusteringMode.AdoNet);
        var options = engine.Services.GetRequiredService<IOptions<LoyaltyOptions>>().Value;
        var program = "p-" + Guid.NewGuid().ToString("N")[..8];
        await engine.Admin.UpsertProgramAsync(new Loyalty.Api.V1.LoyaltyProgram { ProgramId = program, Name = "x", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1 });

        foreach (var port in new[] { options.SiloPort, options.GatewayPort }.Where(p => p > 0))
        {
            var reached = await TryCallAsync(port, serviceId, program);
            Assert.False(reached, $"a plain Orleans client read program {program} through port {port}");
        }
    }

    /// <summary>Whether an outside Orleans client, pointed at <paramref name="port"/>, gets an answer from a grain.</summary>
    private static async Task<bool> TryCallAsync(int port, string serviceId, string program)
    {
        using var client = Microsoft.Extensions.Hosting.Host.CreateDefaultBuilder()
            .UseOrleansClient(c => c
                .UseStaticClustering(new IPEndPoint(IPAddress.Loopback, port))
                .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("loyalty", serviceId))
                .Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5)))
            .Build();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await client.StartAsync(timeout.Token);
            var settings = await client.Services.GetRequiredService<IClusterClient>().GetGrain<IProgramGrain>(program).GetAsync().WaitAsync(timeout.Token);
            return settings is not null;
        }
        catch (Exception)
        {
            return false;
        }
        finally
        {
            try
            {
                await client.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
            }
            catch (Exception)
            {
                // A client that never connected may not stop cleanly; the answer above is what the test is about.
            }
        }
    }
}
