using System.Net;
using System.Net.Http.Headers;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// Issue #13 ("dashboard, metrics: the admin port answers without credentials") and #27 (finding 10, loopback counts
/// as an operator): metrics, the dashboard and /admin/* want an operator token; a caller without one gets 401, from
/// another address and from loopback alike unless Loyalty:Security:TrustLoopback is on (a sidecar or proxy on the
/// node would make every caller a loopback caller); the health endpoints stay open (load balancers). The engine
/// listens on every interface here and the test calls it through this machine's own non-loopback address too.
/// </summary>
public sealed class AdminPortAccessTests
{
    [Fact]
    public async Task From_another_address_metrics_dashboard_and_admin_endpoints_need_an_operator_token()
    {
        var address = NonLoopbackAddress();
        await using var engine = await TestEngine.StartAsync(null, "access-" + Guid.NewGuid().ToString("N")[..8], extra: new Dictionary<string, string?>
        {
            ["Loyalty:ListenAddress"] = "any",
            ["Loyalty:AllowPlaintextHttp"] = "true", // the engine runs as Production: cleartext beyond loopback is an explicit choice
        });
        var adminPort = new Uri(engine.AdminAddress).Port;
        using var remote = new HttpClient { BaseAddress = new Uri($"http://{address}:{adminPort}") };
        foreach (var path in new[] { "/metrics", "/dashboard/", "/admin/silo" })
        {
            using var refused = await remote.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await remote.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await remote.GetAsync("/v1/programs/demo")).StatusCode);

        using var withMarketerLikeJunk = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token") } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await remote.SendAsync(withMarketerLikeJunk)).StatusCode);
        using var withOperator = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", TestEngine.OperatorToken) } };
        Assert.Equal(HttpStatusCode.OK, (await remote.SendAsync(withOperator)).StatusCode);

        using var local = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}") };
        foreach (var path in new[] { "/metrics", "/dashboard/", "/admin/silo" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await local.GetAsync(path)).StatusCode); // loopback is not trusted by default
        }
    }

    [Fact]
    public async Task With_loopback_trust_on_a_loopback_caller_without_a_token_is_answered_and_a_remote_one_is_not()
    {
        await using var engine = await TestEngine.StartAsync(null, "trust-" + Guid.NewGuid().ToString("N")[..8], extra: new Dictionary<string, string?>
        {
            ["Loyalty:ListenAddress"] = "any",
            ["Loyalty:AllowPlaintextHttp"] = "true",
            ["Loyalty:Security:TrustLoopback"] = "true",
        });
        var adminPort = new Uri(engine.AdminAddress).Port;
        using var local = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}") };
        Assert.Equal(HttpStatusCode.OK, (await local.GetAsync("/metrics")).StatusCode);
        Assert.Contains("\"status\":\"Active\"", await local.GetStringAsync("/admin/silo"), StringComparison.Ordinal);

        using var remote = new HttpClient { BaseAddress = new Uri($"http://{NonLoopbackAddress()}:{adminPort}") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await remote.GetAsync("/admin/silo")).StatusCode);
    }

    private static IPAddress NonLoopbackAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
        ?? throw new InvalidOperationException("this test needs a non-loopback IPv4 address on the machine");
}
