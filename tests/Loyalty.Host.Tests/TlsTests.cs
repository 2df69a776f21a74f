using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// TLS with certificates made at test time: a chain's CA, the engine's certificate for 127.0.0.1, a terminal's
/// client certificate. A client that does not trust the CA is refused; with it, calls succeed; with
/// client certificates required, a connection without one is refused.
/// </summary>
public sealed class TlsTests : IDisposable
{
    private readonly TestCertificates _certificates = new();
    private readonly X509Certificate2 _server;
    private readonly X509Certificate2 _client;

    public TlsTests()
    {
        _server = _certificates.Server();
        _client = _certificates.Client("CN=store-1 pos-1");
        _certificates.Save(_server, "server");
    }

    [Fact]
    public async Task A_client_without_the_ca_is_refused_and_with_it_calls_succeed()
    {
        await using var engine = await StartAsync(requireClientCertificates: false);
        var address = engine.Address.Replace("http://", "https://", StringComparison.Ordinal);

        using var untrusting = PosClient.CreateChannel(address); // the system's roots only
        var refused = await Assert.ThrowsAsync<RpcException>(() => Balance(untrusting));
        Assert.True(refused.StatusCode is StatusCode.Unavailable or StatusCode.Internal, refused.ToString());
        Assert.Contains("SSL connection could not be established", refused.ToString(), StringComparison.Ordinal); // the certificate was not trusted

        using var cleartext = PosClient.CreateChannel(engine.Address); // http:// to a TLS port: the handshake is not HTTP/2
        Assert.Contains((await Assert.ThrowsAsync<RpcException>(() => Balance(cleartext))).StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });

        using var trusting = PosClient.CreateChannel(address, _certificates.Ca, null);
        Assert.Equal(0, (await Balance(trusting)).Balance.Available);
    }

    [Fact]
    public async Task With_client_certificates_required_a_connection_without_one_is_refused()
    {
        await using var engine = await StartAsync(requireClientCertificates: true);
        var address = engine.Address.Replace("http://", "https://", StringComparison.Ordinal);

        using var anonymous = PosClient.CreateChannel(address, _certificates.Ca, null);
        await RefusedConnection(() => Balance(anonymous));

        using var stranger = PosClient.CreateChannel(address, _certificates.Ca, TestCertificates.Stranger());
        await RefusedConnection(() => Balance(stranger));

        using var terminal = PosClient.CreateChannel(address, _certificates.Ca, _client);
        Assert.Equal(0, (await Balance(terminal)).Balance.Available);
    }

    /// <summary>The handshake or the connection failed: UNAVAILABLE or INTERNAL (by when the server drops it), never an answer.</summary>
    private static async Task RefusedConnection(Func<Task> call)
    {
        var failure = await Assert.ThrowsAsync<RpcException>(call);
        Assert.True(failure.StatusCode is StatusCode.Unavailable or StatusCode.Internal, failure.ToString());
        Assert.Null(failure.Reason()); // the engine never answered
    }

    public void Dispose()
    {
        _certificates.Dispose();
        _server.Dispose();
        _client.Dispose();
    }

    /// <summary>An operator's GetBalance on a member nobody enrolled answers NOT_FOUND; enrolled first, it answers 0.</summary>
    private static async Task<BalanceResponse> Balance(Grpc.Net.Client.GrpcChannel channel)
    {
        var pos = new PosService.PosServiceClient(channel.Intercept(LoyaltyAdmin.WithBearer(TestEngine.OperatorToken)));
        await pos.EnrollAsync(new EnrollRequest { ProgramId = "tls", MemberId = "m1" }, deadline: DateTime.UtcNow.AddSeconds(10));
        return await pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = "tls", MemberId = "m1" }, deadline: DateTime.UtcNow.AddSeconds(10));
    }

    private async Task<TestEngine> StartAsync(bool requireClientCertificates)
    {
        var engine = await TestEngine.StartAsync(null, "tls-" + Guid.NewGuid().ToString("N")[..8], extra: new Dictionary<string, string?>
        {
            ["Loyalty:Tls:CertificatePath"] = Path.Combine(_certificates.Directory, "server.pfx"),
            ["Loyalty:Tls:Password"] = "pw",
            ["Loyalty:Tls:ClientCertificates"] = requireClientCertificates ? "Require" : "None",
            ["Loyalty:Tls:ClientCaPath"] = requireClientCertificates ? _certificates.CaPath : null,
        });
        // The admin gRPC port serves TLS too: the program is defined through it, with the CA (and the client certificate).
        using var admin = PosClient.CreateChannel(engine.AdminGrpcAddress.Replace("http://", "https://", StringComparison.Ordinal), _certificates.Ca, _client);
        await LoyaltyAdmin.Create(admin, TestEngine.OperatorToken).UpsertProgramAsync(
            new LoyaltyProgram { ProgramId = "tls", Name = "TLS", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1 });
        return engine;
    }
}
