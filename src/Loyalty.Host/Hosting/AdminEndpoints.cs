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

    /// <summary>
    /// Maps the admin endpoints and the middleware that keeps every endpoint on its side: admin endpoints (the
    /// admin API as gRPC and JSON, reflection, metrics, dashboard) answer only on the admin ports, the terminal API
    /// only on the terminal port, whatever the Host header says: the check is on the port the connection arrived
    /// on. Metrics, the dashboard and /admin/* want an operator token, from loopback too unless
    /// <see cref="SecurityOptions.TrustLoopback"/> is on.
    /// </summary>
    public static void Map(WebApplication app, LoyaltyOptions options)
    {
        var adminPorts = new[] { options.HealthPort, options.AdminGrpcPort };
        var credentials = app.Services.GetRequiredService<Security.CredentialCache>();
        app.Use(async (context, next) =>
        {
            var metadata = context.GetEndpoint()?.Metadata;
            var port = context.Connection.LocalPort;
            if ((metadata?.GetMetadata<AdminPortOnly>() is not null && !adminPorts.Contains(port))
                || (metadata?.GetMetadata<TerminalPortOnly>() is not null && port != options.GrpcPort))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            if (metadata?.GetMetadata<OperatorOnly>() is not null && !await IsOperatorAsync(context, credentials, options.Security.TrustLoopback))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return;
            }

            await next(context);
        });

        app.MapPrometheusScrapingEndpoint(MetricsPath).WithMetadata(AdminPortOnly.Instance, OperatorOnly.Instance);
        if (options.Dashboard)
        {
            app.MapOrleansDashboard(routePrefix: DashboardPath).WithMetadata(AdminPortOnly.Instance, OperatorOnly.Instance);
        }

        app.MapGet("/admin/silo", (ILocalSiloDetails silo, ISiloStatusOracle oracle) => new SiloInfo(
                silo.Name,
                silo.SiloAddress.ToString(),
                silo.SiloAddress.Endpoint.Port,
                silo.SiloAddress.Generation,
                silo.ClusterId,
                oracle.CurrentStatus.ToString(),
                oracle.GetActiveSilos().Length))
            .WithMetadata(AdminPortOnly.Instance, OperatorOnly.Instance);

        // Where a grain is active right now (an approximate view of the grain directory), e.g.
        // /admin/grains/member/demo/m-42. Ids only, never personal data; activates nothing.
        app.MapGet("/admin/grains/{kind}/{programId}/{id}", async (string kind, string programId, string id, IGrainFactory grains) =>
            {
                IAddressable? grain = kind switch
                {
                    "member" => grains.Grain<IMemberGrain>(Keys.Scoped(programId, id)),
                    "coupon" => grains.Grain<ICouponGrain>(Keys.Scoped(programId, id)),
                    "campaign" => grains.Grain<ICampaignBudgetGrain>(Keys.Scoped(programId, id)),
                    _ => null,
                };
                if (grain is null)
                {
                    return Results.NotFound();
                }

                var silo = await grains.GetGrain<IManagementGrain>(0).GetActivationAddress(grain);
                return Results.Ok(new GrainLocation(kind, Keys.Scoped(programId, id), silo?.ToString(), silo?.Endpoint.Port));
            })
            .WithMetadata(AdminPortOnly.Instance, OperatorOnly.Instance);
    }

    private static async Task<bool> IsOperatorAsync(HttpContext context, Security.CredentialCache credentials, bool trustLoopback)
    {
        if (trustLoopback && context.Connection.RemoteIpAddress is { } remote && System.Net.IPAddress.IsLoopback(remote))
        {
            return true;
        }

        return Security.AuthInterceptor.BearerToken(context.Request.Headers.Authorization) is { } token
            && await credentials.ResolveAsync(token, context.Connection.RemoteIpAddress) is { Role: AccessRole.Operator };
    }

    /// <summary>Endpoint metadata: an operator token, or a loopback caller when trusted (metrics, dashboard, /admin/*).</summary>
    public sealed class OperatorOnly
    {
        public static readonly OperatorOnly Instance = new();

        private OperatorOnly()
        {
        }
    }

    /// <summary>Endpoint metadata: serve only on the terminal port (the terminal API).</summary>
    public sealed class TerminalPortOnly
    {
        public static readonly TerminalPortOnly Instance = new();

        private TerminalPortOnly()
        {
        }
    }

    /// <summary>Endpoint metadata: serve only on the admin ports.</summary>
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
