using System.Net;
using System.Net.Http.Headers;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// Issue #13 ("dashboard, metrics: the admin port answers without credentials"): metrics, the dashboard and
/// /admin/* answer a loopback caller or an operator token; a caller from another address without one gets 401,
/// and the health endpoints stay open (load balancers). The engine listens on every interface here and the test
/// calls it through this machine's own non-loopback address, so the engine sees a remote caller.
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
        Assert.Equal(HttpStatusCode.OK, (await local.GetAsync("/metrics")).StatusCode); // loopback: the node's own scraper
    }

    private static IPAddress NonLoopbackAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
        ?? throw new InvalidOperationException("this test needs a non-loopback IPv4 address on the machine");
}
