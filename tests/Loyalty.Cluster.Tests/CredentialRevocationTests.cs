using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Cluster.Tests.Infrastructure;

namespace Loyalty.Cluster.Tests;

/// <summary>
/// Issue #13: credentials are cached per silo, and a revocation made through one silo takes effect on every
/// silo within seconds (Loyalty:Security:CredentialCacheSeconds, 5 s by default).
/// </summary>
[Collection(ClusterTestRun.Collection)]
public sealed class CredentialRevocationTests
{
    [Fact]
    public async Task A_terminal_revoked_through_one_silo_is_refused_by_every_silo_within_seconds()
    {
        await using var cluster = await TestCluster.StartAsync("revocation", silos: 2);
        var programId = Workload.NewProgramId();
        var setup = cluster.Client(programId);
        await Workload.CreateAsync(setup, members: 1, coupons: 0);
        var admin = TestCluster.Admin(cluster.Client(programId, addresses: [cluster.Silos[0].GrpcAddress]));
        await admin.RegisterStoreAsync(new RegisterStoreRequest { ProgramId = programId, StoreId = "s-9", Name = "Store 9" });
        var till = await admin.RegisterTerminalAsync(new RegisterTerminalRequest { ProgramId = programId, StoreId = "s-9", TerminalId = "pos-1" });

        // The till's token works on both silos (each has now cached it).
        var perSilo = cluster.Silos.Select(s => PosClient.Connect(s.GrpcAddress, programId, till.Token, new PosClientOptions { MaxAttempts = 1 })).ToList();
        foreach (var pos in perSilo)
        {
            Assert.NotNull((await pos.GetBalanceAsync("m001")).Balance);
        }

        await admin.RevokeTerminalAsync(new RevokeTerminalRequest { ProgramId = programId, StoreId = "s-9", TerminalId = "pos-1" });
        var started = DateTime.UtcNow;
        foreach (var pos in perSilo)
        {
            while (true)
            {
                try
                {
                    await pos.GetBalanceAsync("m001");
                }
                catch (RpcException refused) when (refused.StatusCode == StatusCode.Unauthenticated)
                {
                    Assert.Equal("CREDENTIAL_INVALID", refused.Reason());
                    break;
                }

                Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(12), $"{pos.CurrentAddress} still accepts the revoked token");
                await Task.Delay(250);
            }
        }

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(12));
        foreach (var pos in perSilo)
        {
            pos.Dispose();
        }
    }
}
