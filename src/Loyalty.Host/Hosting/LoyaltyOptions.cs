using System.ComponentModel.DataAnnotations;

namespace Loyalty.Host.Hosting;

public enum ClusteringMode
{
    /// <summary>A single silo (or a dev cluster) found through fixed localhost endpoints.</summary>
    Localhost,

    /// <summary>Membership in PostgreSQL: any number of silos sharing one database.</summary>
    AdoNet,
}

/// <summary>Section <c>Loyalty</c>; every key can be set by environment variable, e.g. <c>Loyalty__GrpcPort</c>.</summary>
public sealed class LoyaltyOptions
{
    public const string Section = "Loyalty";

    /// <summary>Port for terminals (gRPC over HTTP/2 cleartext on all interfaces unless <see cref="ListenAddress"/> says otherwise).</summary>
    [Range(1, 65535)]
    public int GrpcPort { get; set; } = 5080;

    /// <summary>Plain HTTP/1.1 port for /health/live and /health/ready (load balancers, Kubernetes probes).</summary>
    [Range(1, 65535)]
    public int HealthPort { get; set; } = 5081;

    /// <summary>Address to bind the gRPC port to: <c>any</c> or an IP such as 127.0.0.1.</summary>
    [Required]
    public string ListenAddress { get; set; } = "any";

    public ClusteringMode ClusteringMode { get; set; } = ClusteringMode.Localhost;

    [Required]
    public string ClusterId { get; set; } = "loyalty";

    [Required]
    public string ServiceId { get; set; } = "loyalty";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Apply deploy/sql (idempotent) on startup when a PostgreSQL connection string is set.</summary>
    public bool ApplySchema { get; set; } = true;
}

public static class ConnectionStringNames
{
    /// <summary><c>ConnectionStrings:Postgres</c> (env <c>ConnectionStrings__Postgres</c>). Unset → in-memory, nothing durable.</summary>
    public const string Postgres = "Postgres";
}
