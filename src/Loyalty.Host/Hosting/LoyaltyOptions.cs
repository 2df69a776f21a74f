using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

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

    /// <summary>
    /// The admin API over gRPC (HTTP/2 cleartext, or TLS when configured): the admin side's second port, next
    /// to <see cref="HealthPort"/> which serves the same API as JSON over HTTP/1.1. Never the terminal port.
    /// </summary>
    [Range(1, 65535)]
    public int AdminGrpcPort { get; set; } = 5082;

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

    /// <summary>
    /// The Orleans client gateway: 0 (the default) runs none. The engine's own client is in-process, so nothing
    /// outside needs it, and a gateway answers any Orleans client that knows the cluster id, past every credential
    /// check (docs/security.md). Set a port only for an outside Orleans client on a private, TLS-protected network.
    /// </summary>
    [Range(0, 65535)]
    public int GatewayPort { get; set; }

    /// <summary>Apply deploy/sql (idempotent) on startup when a PostgreSQL connection string is set.</summary>
    public bool ApplySchema { get; set; } = true;

    /// <summary>
    /// The IP address other silos use to reach this one (AdoNet clustering). Empty: the
    /// <see cref="ListenAddress"/> when it is a specific IP, else this host's first non-loopback address.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>The silo's name in the membership table and the dashboard; empty: the machine name plus the silo port.</summary>
    [MaxLength(150)]
    public string? SiloName { get; set; }

    /// <summary>
    /// Orleans Kubernetes hosting: identity from the pod (POD_NAME, POD_NAMESPACE, POD_IP, ORLEANS_SERVICE_ID,
    /// ORLEANS_CLUSTER_ID), and silos whose pods are gone are declared dead at once. Needs the RBAC in deploy/k8s.
    /// </summary>
    public bool KubernetesHosting { get; set; }

    /// <summary>The Orleans Dashboard at /dashboard on the <see cref="HealthPort"/> (never on the terminal port).</summary>
    public bool Dashboard { get; set; } = true;

    /// <summary>Seconds between the dashboard's samples of the silo's counters (each sample costs CPU whether or not anyone looks).</summary>
    [Range(1, 3600)]
    public int DashboardSampleSeconds { get; set; } = 10;

    /// <summary>
    /// Writer loops of the hot grains' group commit (docs/write-path.md): each has one PostgreSQL
    /// transaction in flight and gathers the next batch meanwhile; 2 keeps one batch committing while
    /// the next is sent, and fewer, larger transactions cost PostgreSQL less per commit than 4 (measured).
    /// </summary>
    [Range(1, 16)]
    public int StateWriters { get; set; } = 2;

    /// <summary>
    /// Secret mixed into personal-data lookup hashes (the phone index). Set it in production from a secret
    /// store (env <c>Loyalty__PersonalDataPepper</c>) and never change it afterwards: phones indexed under
    /// one pepper are not found under another. Empty: an unkeyed hash (development only).
    /// </summary>
    public string PersonalDataPepper { get; set; } = string.Empty;

    /// <summary>
    /// Keys that seal phone numbers and e-mail addresses at rest (member state, message outbox): "id:base64 of 32
    /// bytes", comma-separated, the current key first; the others still open what they sealed (rotation,
    /// docs/security.md). Set it from a secret store (env <c>Loyalty__PersonalDataKeys</c>). Empty: stored in plain
    /// text (development only: the engine refuses to start in Production without keys).
    /// </summary>
    public string PersonalDataKeys { get; set; } = string.Empty;

    /// <summary>TLS for the three ports, and optional client certificates (docs/security.md, "TLS").</summary>
    [ValidateObjectMembers]
    public TlsOptions Tls { get; set; } = new();

    /// <summary>Mutual TLS between silos and on an enabled gateway, with the chain's CA (docs/security.md, "The Orleans ports").</summary>
    [ValidateObjectMembers]
    public SiloTlsOptions SiloTls { get; set; } = new();

    /// <summary>
    /// In Production the engine refuses to serve the three HTTP ports in cleartext on a non-loopback address (no
    /// <see cref="Tls"/> certificate, <see cref="ListenAddress"/> not loopback). True: start anyway, e.g. behind a
    /// load balancer that terminates TLS on a private network (docs/security.md, "Production refusals").
    /// </summary>
    public bool AllowPlaintextHttp { get; set; }

    /// <summary>
    /// In Production the engine refuses a silo port (or an enabled gateway) on a non-loopback address without
    /// <see cref="SiloTls"/>. True: start anyway, on a network nobody else reaches (docs/security.md).
    /// </summary>
    public bool AllowPlaintextSiloPort { get; set; }

    /// <summary>Connection limits and idle timeouts of the three HTTP ports.</summary>
    [ValidateObjectMembers]
    public ConnectionLimitOptions Limits { get; set; } = new();

    /// <summary>Credentials: the bootstrap operator token, how long a silo trusts a looked-up credential (docs/security.md).</summary>
    [ValidateObjectMembers]
    public SecurityOptions Security { get; set; } = new();

    /// <summary>Test-only storage fault injection; all zero (off) in every shipped configuration.</summary>
    [ValidateObjectMembers]
    public StorageFaultOptions StorageFaults { get; set; } = new();
}

/// <summary>
/// Section <c>Loyalty:StorageFaults</c>: makes a share of grain-state writes fail, for fault-tolerance tests.
/// A fault "before" fails the write without touching the database; a fault "after" lets the write
/// land and then reports a failure, so the caller cannot know which happened (a lost acknowledgement).
/// </summary>
public sealed class StorageFaultOptions
{
    [Range(0, 100)]
    public int FailBeforeWritePercent { get; set; }

    [Range(0, 100)]
    public int FailAfterWritePercent { get; set; }

    /// <summary>Comma-separated state names to affect (member, coupon, card, program); empty: all.</summary>
    public string? StateNames { get; set; }

    public bool Enabled => FailBeforeWritePercent > 0 || FailAfterWritePercent > 0;
}

/// <summary>How the engine asks callers for a client certificate (mutual TLS).</summary>
public enum ClientCertificates
{
    /// <summary>No client certificate asked for: bearer tokens authenticate.</summary>
    None,

    /// <summary>Every connection must present a certificate issued by <see cref="TlsOptions.ClientCaPath"/>, on top of its bearer token.</summary>
    Require,
}

/// <summary>
/// Section <c>Loyalty:Tls</c>: with a certificate, all three ports serve TLS (HTTPS; HTTP/2 by ALPN). For compose and
/// Kubernetes, mount the files from a secret (docs/security.md, "TLS").
/// </summary>
public sealed class TlsOptions
{
    /// <summary>The server certificate: a PEM file (with <see cref="KeyPath"/>) or a PKCS#12 file (.pfx/.p12, with <see cref="Password"/>). Empty: cleartext.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="CertificatePath"/>; empty when the key is in the same file or it is PKCS#12.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The PKCS#12 password, if any.</summary>
    public string? Password { get; set; }

    public ClientCertificates ClientCertificates { get; set; } = ClientCertificates.None;

    /// <summary>PEM file of the CA that issues the chain's client certificates (needed with <see cref="ClientCertificates.Require"/>).</summary>
    public string? ClientCaPath { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath);
}

/// <summary>
/// Section <c>Loyalty:SiloTls</c>: with a certificate, the silo-to-silo port and an enabled gateway speak TLS, and
/// both ends of every connection present a certificate issued by <see cref="CaPath"/> (mutual TLS): a silo or an
/// Orleans client without one is refused before it sends a message.
/// </summary>
public sealed class SiloTlsOptions
{
    /// <summary>This silo's certificate: a PEM file (with <see cref="KeyPath"/>) or PKCS#12 (.pfx/.p12, with <see cref="Password"/>). Empty: plaintext.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="CertificatePath"/>; empty when it is in the same file or PKCS#12.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The PKCS#12 password, if any.</summary>
    public string? Password { get; set; }

    /// <summary>PEM file of the CA that issues every silo's (and an outside Orleans client's) certificate; required with a certificate.</summary>
    public string? CaPath { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath);
}

/// <summary>
/// Section <c>Loyalty:Limits</c>: open connections per port (one more is closed at once, before TLS or HTTP) and
/// how long an idle connection is kept. A terminal's channel multiplexes its calls on one HTTP/2 connection; the
/// load generator's 2,000 terminals use a few dozen.
/// </summary>
public sealed class ConnectionLimitOptions
{
    /// <summary>Open connections on the terminal port (<see cref="LoyaltyOptions.GrpcPort"/>).</summary>
    [Range(1, 1_000_000)]
    public int TerminalConnections { get; set; } = 5_000;

    /// <summary>Open connections on each admin port (<see cref="LoyaltyOptions.HealthPort"/>, <see cref="LoyaltyOptions.AdminGrpcPort"/>).</summary>
    [Range(1, 1_000_000)]
    public int AdminConnections { get; set; } = 500;

    /// <summary>Seconds a connection with no request in flight stays open (Kestrel's keep-alive timeout).</summary>
    [Range(1, 3600)]
    public int IdleSeconds { get; set; } = 120;

    /// <summary>Seconds a client has to send a request's headers (and a new connection its first request).</summary>
    [Range(1, 300)]
    public int RequestHeadersSeconds { get; set; } = 15;
}

/// <summary>Section <c>Loyalty:Security</c>.</summary>
public sealed class SecurityOptions
{
    /// <summary>
    /// An operator token from configuration (env <c>Loyalty__Security__OperatorToken</c>, from a secret store), at
    /// least 32 characters: valid for everything, never stored, not revocable through the API (change the setting).
    /// Empty: the engine issues a first operator token at its first start and writes it to <see cref="FirstOperatorTokenPath"/>.
    /// In Production a token that is a documented example or holds a placeholder (CHANGE-ME) is refused.
    /// </summary>
    public string? OperatorToken { get; set; }

    /// <summary>
    /// Where the first operator token is written (a new file, mode 600, never overwritten); relative paths are
    /// under the working directory. Only the path and the credential id reach the log.
    /// </summary>
    [Required]
    public string FirstOperatorTokenPath { get; set; } = "first-operator-token";

    /// <summary>
    /// Whether a caller on loopback counts as an operator for /metrics, the dashboard and /admin/* (off: they want an
    /// operator token from everyone). Only for a node whose loopback nobody else reaches: a sidecar or a proxy on the
    /// same host makes every outside caller a loopback caller.
    /// </summary>
    public bool TrustLoopback { get; set; }

    /// <summary>How long a silo trusts a credential it looked up: a revocation takes effect on every silo within this.</summary>
    [Range(1, 300)]
    public int CredentialCacheSeconds { get; set; } = 5;

    /// <summary>Member lookups (card or phone) that find nobody, per terminal per minute, before the terminal is throttled.</summary>
    [Range(1, 100_000)]
    public int LookupMissesPerMinute { get; set; } = 30;

    /// <summary>
    /// Failed authentications per remote address (an IPv6 /64) per sliding minute before that address's tokens without
    /// a tag are refused without a lookup until the minute has room again. Failures only are counted.
    /// </summary>
    [Range(1, 1_000_000)]
    public int FailedAuthenticationsPerMinute { get; set; } = 20;

    /// <summary>
    /// Whether tokens issued before tokens carried a tag are still looked up (true, as tills keep their tokens for
    /// years). Set false once every till has been re-registered: untagged tokens are then refused without a lookup.
    /// </summary>
    public bool AcceptUntaggedTokens { get; set; } = true;
}

/// <summary>Configuration sections bound straight onto Orleans' own option classes.</summary>
public static class OrleansSections
{
    /// <summary>
    /// <c>Loyalty:Membership</c> → Orleans <c>ClusterMembershipOptions</c> (ProbeTimeout, NumMissedProbesLimit,
    /// NumVotesForDeathDeclaration, TableRefreshTimeout, IAmAliveTablePublishTimeout, DeathVoteExpirationTimeout, ...).
    /// Unset keys keep Orleans' defaults; see docs/operations.md for the values the fault tests use.
    /// </summary>
    public const string Membership = "Loyalty:Membership";

    /// <summary><c>Loyalty:Messaging</c> → Orleans <c>SiloMessagingOptions</c> (ResponseTimeout: how long a grain call may take).</summary>
    public const string Messaging = "Loyalty:Messaging";
}

public static class ConnectionStringNames
{
    /// <summary><c>ConnectionStrings:Postgres</c> (env <c>ConnectionStrings__Postgres</c>). Unset → in-memory, nothing durable.</summary>
    public const string Postgres = "Postgres";
}
