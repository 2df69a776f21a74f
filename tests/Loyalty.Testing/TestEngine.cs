using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Loyalty.Testing;

/// <summary>
/// A real engine process-in-miniature: the production host (silo + Kestrel) on loopback ports,
/// with a real gRPC channel to it.
/// </summary>
public sealed class TestEngine : IAsyncDisposable
{
    /// <summary>The operator token every test engine is configured with (Loyalty:Security:OperatorToken).</summary>
    public const string OperatorToken = "test-operator-token-0123456789abcdef";

    /// <summary>The key that seals phones and e-mails in every test engine (Loyalty:PersonalDataKeys).</summary>
    public const string PersonalDataKeys = "test:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    /// <summary>The phone lookup pepper of every test engine (Loyalty:PersonalDataPepper; Production wants 32 bytes or more).</summary>
    public const string Pepper = "test-pepper-0123456789abcdef0123456789";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, TerminalFleet> _fleets = new(StringComparer.Ordinal);

    private TestEngine(WebApplication app, int grpcPort, int adminPort, int adminGrpcPort)
    {
        _app = app;
        Address = $"http://127.0.0.1:{grpcPort}";
        AdminAddress = $"http://127.0.0.1:{adminPort}";
        AdminGrpcAddress = $"http://127.0.0.1:{adminGrpcPort}";
        Channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        AdminChannel = GrpcChannel.ForAddress(AdminGrpcAddress);
        Admin = LoyaltyAdmin.Create(AdminChannel, OperatorToken);

        // Each request is sent with the credential of its program, store and terminal, registered on first use,
        // as a chain's tills each hold their own (tests/…/AuthorizationTests checks the refusals without one).
        Pos = new PosService.PosServiceClient(Channel.Intercept(new TerminalCredentialsInterceptor(Fleet)));
        OperatorPos = new PosService.PosServiceClient(Channel.Intercept(LoyaltyAdmin.WithBearer(OperatorToken)));
    }

    /// <summary>The engine's services (its serializer, its data source).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The terminal API with the operator token (customer service: no store, no terminal).</summary>
    public PosService.PosServiceClient OperatorPos { get; }

    public string Address { get; }

    /// <summary>The admin port (HTTP/1.1): health, metrics, dashboard and the admin API as JSON.</summary>
    public string AdminAddress { get; }

    /// <summary>The admin gRPC port (HTTP/2).</summary>
    public string AdminGrpcAddress { get; }

    /// <summary>The terminal port's channel, without credentials.</summary>
    public GrpcChannel Channel { get; }

    public GrpcChannel AdminChannel { get; }

    /// <summary>The terminal API, each call with its terminal's credential.</summary>
    public PosService.PosServiceClient Pos { get; }

    /// <summary>The admin API with the operator token.</summary>
    public AdminService.AdminServiceClient Admin { get; }

    /// <summary>The terminals of a program, registered on first use with the operator token.</summary>
    public TerminalFleet Fleet(string programId) => _fleets.GetOrAdd(programId, p => new TerminalFleet(Admin, p));

    public PosClient Sdk(string programId) => new(Channel, programId, new PosClientOptions { Credentials = Fleet(programId) });

    /// <summary>An HTTP client for the admin JSON API, with the operator token.</summary>
    public HttpClient AdminHttp()
    {
        var http = new HttpClient { BaseAddress = new Uri(AdminAddress) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", OperatorToken);
        return http;
    }

    /// <summary>
    /// Builds and starts the production host on a database (<paramref name="connectionString"/>) with the test
    /// credentials on free loopback ports. <paramref name="extra"/> settings win over the defaults, ports included:
    /// the engine's addresses follow whatever ports it ends up configured with.
    /// </summary>
    public static async Task<TestEngine> StartAsync(
        string? connectionString, string serviceId, string clusterId = "test", ClusteringMode clustering = ClusteringMode.Localhost, IReadOnlyDictionary<string, string?>? extra = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var settings = new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = connectionString ?? string.Empty,
                ["Loyalty:GrpcPort"] = FreePort().ToString(),
                ["Loyalty:HealthPort"] = FreePort().ToString(),
                ["Loyalty:AdminGrpcPort"] = FreePort().ToString(),
                ["Loyalty:Security:OperatorToken"] = OperatorToken,
                ["Loyalty:PersonalDataPepper"] = Pepper,
                ["Loyalty:PersonalDataKeys"] = PersonalDataKeys,
                ["Loyalty:ListenAddress"] = "127.0.0.1",
                ["Loyalty:SiloPort"] = FreePort().ToString(),
                ["Loyalty:ServiceId"] = serviceId,
                ["Loyalty:ClusterId"] = clusterId,
                ["Loyalty:ClusteringMode"] = clustering.ToString(),
            };
            foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            {
                settings[key] = value;
            }

            var app = await LoyaltyHost.BuildAsync([], builder =>
            {
                builder.Configuration.AddInMemoryCollection(settings);
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
                configure?.Invoke(builder);
            });
            try
            {
                await app.StartAsync();
            }
            catch (Exception e) when (attempt < 5 && TestPorts.IsAddressInUse(e))
            {
                // A port was taken between the draw and the bind: start again on fresh ones (fixed ones in
                // extra are retried as given).
                await StopQuietlyAsync(app);
                continue;
            }

            return new TestEngine(app, Port("Loyalty:GrpcPort"), Port("Loyalty:HealthPort"), Port("Loyalty:AdminGrpcPort"));

            int Port(string key) => int.Parse(settings[key]!);
        }
    }

    private static async Task StopQuietlyAsync(WebApplication app)
    {
        try
        {
            await app.StopAsync();
        }
        catch (Exception)
        {
            // it never fully started; disposing is what matters
        }

        await app.DisposeAsync();
    }

    public async Task StopAsync()
    {
        Channel.Dispose();
        AdminChannel.Dispose();
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

    /// <summary>A free loopback port for an engine (<see cref="TestPorts.Free"/>).</summary>
    public static int FreePort() => TestPorts.Free();
}
