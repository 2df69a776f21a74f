using System.Net;
using System.Text.Json;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Loyalty.Api.V1;
using Loyalty.Cluster.Tests.Infrastructure;

namespace Loyalty.Cluster.Tests;

/// <summary>
/// Issue 5: what an operator gets from a silo process — health endpoints and the gRPC health
/// service, a Prometheus scrape with the engine's and Orleans' meters, the dashboard on the admin
/// port only, and JSON logs that carry no personal data.
/// </summary>
[Collection(ClusterTestRun.Collection)]
public sealed class ObservabilityTests(ITestOutputHelper output)
{
    private const string PersonalName = "Ottilie Quaxbrenner";

    [Fact]
    public async Task A_silo_exposes_health_metrics_and_dashboard_on_the_admin_port_only_and_logs_json_without_personal_data()
    {
        await using var cluster = await TestCluster.StartAsync("observability", silos: 1, settings: new Dictionary<string, string>
        {
            ["Logging__Console__FormatterName"] = "json",
            ["Logging__LogLevel__Default"] = "Information",
        });
        var silo = cluster.Silos[0];
        var programId = Workload.NewProgramId();
        var pos = cluster.Client(programId);
        var workload = await Workload.CreateAsync(pos, members: 2, coupons: 2);
        await TestCluster.Admin(pos).DefineCampaignAsync(new Loyalty.Api.V1.Campaign { ProgramId = programId, CampaignId = "ten", Name = "First 10", PercentOff = 5, MaxRedemptions = 10 });
        await pos.EnrollAsync("vip", name: PersonalName);
        await pos.CommitAsync(Workload.Sale("vip", "obs-1", workload.Coupons[0], new Random(1)));
        await pos.CommitAsync(Workload.Sale("vip", "obs-1", workload.Coupons[0], new Random(1)));
        await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => pos.CommitAsync(Workload.Sale("vip", "obs-2", workload.Coupons[0], new Random(2))));

        using var admin = new HttpClient { BaseAddress = new Uri(silo.AdminAddress), DefaultRequestHeaders = { Authorization = new("Bearer", TestCluster.OperatorToken) } };
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/health/ready")).StatusCode);
        using var channel = GrpcChannel.ForAddress(silo.GrpcAddress);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest())).Status);

        var scrape = await Metrics.ScrapeAsync(silo);
        Assert.Equal(1, Metrics.Sum(scrape, "loyalty_commits_total", "outcome=\"applied\""));
        Assert.Equal(1, Metrics.Sum(scrape, "loyalty_commits_total", "outcome=\"replayed\""));
        Assert.Equal(1, Metrics.Sum(scrape, "loyalty_coupon_redemptions_total"));
        Assert.Equal(1, Metrics.Sum(scrape, "loyalty_refusals_total", "reason=\"COUPON_ALREADY_REDEEMED\""));
        Assert.True(Metrics.Sum(scrape, "loyalty_rpc_duration_seconds_count", "method=\"PosService/Commit\"") >= 3);
        Assert.Equal(9, Metrics.Sum(scrape, "loyalty_campaign_budget_remaining", "campaign=\"ten\"", "limit=\"redemptions\""));
        Assert.True(Metrics.Sum(scrape, "loyalty_storage_write_duration_seconds_count", "state=\"member\"", "outcome=\"ok\"") >= 3);
        foreach (var name in new[] { "orleans_catalog_activations", "orleans_storage_write_latency", "orleans_app_requests_latency", "http_server_request_duration_seconds", "kestrel_active_connections" })
        {
            Assert.True(Metrics.Has(scrape, name), $"{name} is scraped");
        }

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/dashboard/")).StatusCode);
        var info = JsonDocument.Parse(await admin.GetStringAsync("/admin/silo")).RootElement;
        Assert.Equal("Active", info.GetProperty("status").GetString());
        Assert.Equal(silo.SiloPort, info.GetProperty("siloPort").GetInt32());

        // The terminal port speaks HTTP/2 only; even there the admin surface is not served.
        using var terminalPort = new HttpClient { BaseAddress = new Uri(silo.GrpcAddress), DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        foreach (var path in new[] { "/dashboard/", "/metrics", "/admin/silo" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await terminalPort.GetAsync(path)).StatusCode);
        }

        // Logs: one JSON object per line, and never the member's name.
        await silo.StopAsync(TimeSpan.FromSeconds(30));
        var lines = silo.AllLogs().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => JsonDocument.Parse(line));
        Assert.DoesNotContain(lines, line => line.Contains("Quaxbrenner", StringComparison.Ordinal));
        output.WriteLine($"{lines.Length} JSON log lines, {scrape.Split('\n').Count(l => l.Length > 0 && l[0] != '#')} metric samples");
    }
}
