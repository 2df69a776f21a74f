using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Loyalty.Host.Tests.Infrastructure;

/// <summary>
/// A real engine process-in-miniature: the production host (silo + Kestrel) on loopback ports,
/// with a real gRPC channel to it.
/// </summary>
public sealed class TestEngine : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestEngine(WebApplication app, int grpcPort, int adminPort)
    {
        _app = app;
        Address = $"http://127.0.0.1:{grpcPort}";
        AdminAddress = $"http://127.0.0.1:{adminPort}";
        Channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        Pos = new PosService.PosServiceClient(Channel);
        Admin = new AdminService.AdminServiceClient(Channel);
    }

    public string Address { get; }

    /// <summary>The admin port (HTTP/1.1): health, metrics, dashboard and the admin API as JSON.</summary>
    public string AdminAddress { get; }

    public GrpcChannel Channel { get; }

    public PosService.PosServiceClient Pos { get; }

    public AdminService.AdminServiceClient Admin { get; }

    public PosClient Sdk(string programId) => new(Channel, programId);

    public static async Task<TestEngine> StartAsync(string? connectionString, string serviceId, string clusterId = "test", ClusteringMode clustering = ClusteringMode.Localhost)
    {
        var grpcPort = FreePort();
        var adminPort = FreePort();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString ?? string.Empty,
            ["Loyalty:GrpcPort"] = grpcPort.ToString(),
            ["Loyalty:HealthPort"] = adminPort.ToString(),
            ["Loyalty:ListenAddress"] = "127.0.0.1",
            ["Loyalty:SiloPort"] = FreePort().ToString(),
            ["Loyalty:GatewayPort"] = FreePort().ToString(),
            ["Loyalty:ServiceId"] = serviceId,
            ["Loyalty:ClusterId"] = clusterId,
            ["Loyalty:ClusteringMode"] = clustering.ToString(),
        };
        var app = await LoyaltyHost.BuildAsync([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await app.StartAsync();
        return new TestEngine(app, grpcPort, adminPort);
    }

    public async Task StopAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
