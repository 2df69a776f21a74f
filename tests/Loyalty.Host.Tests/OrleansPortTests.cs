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
/// turns one on (Loyalty:GatewayPort); its silo-to-silo port does not serve clients. With Loyalty:SiloTls, silos and
/// an enabled gateway speak mutual TLS with the chain's CA: two silos form a cluster over it, and an Orleans client
/// without a certificate from that CA is refused even by an open gateway.
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

    [Fact]
    public async Task Silos_form_a_cluster_over_mutual_tls_and_an_Orleans_client_without_a_certificate_from_the_chains_ca_is_refused_by_the_gateway()
    {
        using var certificates = new TestCertificates();
        var serviceId = "silotls-" + Guid.NewGuid().ToString("N")[..8];
        var gatewayPort = TestEngine.FreePort();
        await using var first = await StartWithSiloTlsAsync(certificates, "silo-a", serviceId, gatewayPort);
        await using var second = await StartWithSiloTlsAsync(certificates, "silo-b", serviceId, gatewayPort: 0);

        // Both silos see each other as active: membership probes and grain calls between them went over TLS.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Active(first) < 2 || Active(second) < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"silos see {Active(first)} and {Active(second)} active members");
            await Task.Delay(200);
        }

        var program = "p-" + Guid.NewGuid().ToString("N")[..8];
        await second.Admin.UpsertProgramAsync(new Loyalty.Api.V1.LoyaltyProgram { ProgramId = program, Name = "x", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1 });

        Assert.False(await TryCallAsync(gatewayPort, serviceId, program), "a plain Orleans client read a program through the TLS gateway");
        using var stranger = TestCertificates.Stranger();
        Assert.False(await TryCallAsync(gatewayPort, serviceId, program, c => c.UseTls(stranger, tls => TlsSetup.Mutual(tls, certificates.Ca))), "a client with a certificate of another CA was served");
        using var member = certificates.Silo("CN=outside client");
        Assert.True(await TryCallAsync(gatewayPort, serviceId, program, c => c.UseTls(member, tls => TlsSetup.Mutual(tls, certificates.Ca))), "a client with the chain's certificate was refused: the gateway's TLS is broken, not closed");

        static int Active(TestEngine engine) => engine.Services.GetRequiredService<ISiloStatusOracle>().GetApproximateSiloStatuses(onlyActive: true).Count;
    }

    private Task<TestEngine> StartWithSiloTlsAsync(TestCertificates certificates, string name, string serviceId, int gatewayPort) =>
        TestEngine.StartAsync(fixture.ConnectionString, serviceId, clusterId: "loyalty", clustering: ClusteringMode.AdoNet, extra: new Dictionary<string, string?>
        {
            ["Loyalty:SiloName"] = name,
            ["Loyalty:GatewayPort"] = gatewayPort.ToString(),
            ["Loyalty:SiloTls:CertificatePath"] = certificates.Save(certificates.Silo("CN=" + name), name),
            ["Loyalty:SiloTls:Password"] = "pw",
            ["Loyalty:SiloTls:CaPath"] = certificates.CaPath,
        });

    /// <summary>Whether an outside Orleans client, pointed at <paramref name="port"/>, gets an answer from a grain.</summary>
    private static async Task<bool> TryCallAsync(int port, string serviceId, string program, Action<IClientBuilder>? configure = null)
    {
        using var client = Microsoft.Extensions.Hosting.Host.CreateDefaultBuilder()
            .UseOrleansClient(c =>
            {
                c.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, port))
                    .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("loyalty", serviceId))
                    .Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
                configure?.Invoke(c);
            })
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
