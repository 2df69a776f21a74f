using System.Text.Json.Serialization;
using Loyalty.Contracts;
using Orleans.Dashboard;

namespace Loyalty.Host.Hosting;

/// <summary>
/// The operator's side of the health/admin port (<see cref="LoyaltyOptions.HealthPort"/>): the Prometheus
/// scrape endpoint, the Orleans Dashboard, and two small read-only JSON endpoints. None of them answers
/// on the terminal (gRPC) port, whatever the Host header says: the check is on the port the connection
/// arrived on.
/// </summary>
public static class AdminEndpoints
{
    public const string MetricsPath = "/metrics";
    public const string DashboardPath = "/dashboard";

    /// <summary>Maps the admin endpoints and the middleware that keeps them off every port but the admin port.</summary>
    public static void Map(WebApplication app, LoyaltyOptions options)
    {
        var adminPort = options.HealthPort;
        app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<AdminPortOnly>() is not null && context.Connection.LocalPort != adminPort)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });

        app.MapPrometheusScrapingEndpoint(MetricsPath).WithMetadata(AdminPortOnly.Instance);
        if (options.Dashboard)
        {
            app.MapOrleansDashboard(routePrefix: DashboardPath).WithMetadata(AdminPortOnly.Instance);
        }

        app.MapGet("/admin/silo", (ILocalSiloDetails silo, ISiloStatusOracle oracle) => new SiloInfo(
                silo.Name,
                silo.SiloAddress.ToString(),
                silo.SiloAddress.Endpoint.Port,
                silo.SiloAddress.Generation,
                silo.ClusterId,
                oracle.CurrentStatus.ToString(),
                oracle.GetActiveSilos().Length))
            .WithMetadata(AdminPortOnly.Instance);

        // Where a grain is active right now (an approximate view of the grain directory), e.g.
        // /admin/grains/member/demo/m-42. Ids only, never personal data; activates nothing.
        app.MapGet("/admin/grains/{kind}/{programId}/{id}", async (string kind, string programId, string id, IGrainFactory grains) =>
            {
                IAddressable? grain = kind switch
                {
                    "member" => grains.GetGrain<IMemberGrain>(Keys.Scoped(programId, id)),
                    "coupon" => grains.GetGrain<ICouponGrain>(Keys.Scoped(programId, id)),
                    "card" => grains.GetGrain<ICardGrain>(Keys.Scoped(programId, id)),
                    "campaign" => grains.GetGrain<ICampaignBudgetGrain>(Keys.Scoped(programId, id)),
                    _ => null,
                };
                if (grain is null)
                {
                    return Results.NotFound();
                }

                var silo = await grains.GetGrain<IManagementGrain>(0).GetActivationAddress(grain);
                return Results.Ok(new GrainLocation(kind, Keys.Scoped(programId, id), silo?.ToString(), silo?.Endpoint.Port));
            })
            .WithMetadata(AdminPortOnly.Instance);
    }

    /// <summary>Endpoint metadata: serve only on the admin port.</summary>
    public sealed class AdminPortOnly
    {
        public static readonly AdminPortOnly Instance = new();

        private AdminPortOnly()
        {
        }
    }
}

public sealed record SiloInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("siloPort")] int SiloPort,
    [property: JsonPropertyName("generation")] int Generation,
    [property: JsonPropertyName("clusterId")] string ClusterId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("activeSilos")] int ActiveSilos);

public sealed record GrainLocation(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("silo")] string? Silo,
    [property: JsonPropertyName("siloPort")] int? SiloPort);
