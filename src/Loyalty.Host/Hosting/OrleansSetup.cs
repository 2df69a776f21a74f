using System.Data.Common;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Loyalty.Contracts;
using Npgsql;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Serialization;
using Orleans.Storage;

namespace Loyalty.Host.Hosting;

public static class OrleansSetup
{
    /// <summary>
    /// One NpgsqlDataSource (one connection pool) shared by grain storage, reminders and clustering.
    /// Tuned for the hot path: the storage statements are plain SQL, so they are auto-prepared on
    /// each pooled connection and every later write skips parsing and planning.
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }

        builder.NoResetOnClose = true;
        return new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
    }

    public static void Configure(ISiloBuilder silo, LoyaltyOptions options, string? connectionString)
    {
        silo.Configure<ClusterOptions>(cluster =>
        {
            cluster.ClusterId = options.ClusterId;
            cluster.ServiceId = options.ServiceId;
        });
        if (!string.IsNullOrWhiteSpace(options.SiloName))
        {
            silo.Configure<SiloOptions>(o => o.SiloName = options.SiloName);
        }

        // A storage failure on the silo hosting a grain travels to the calling silo as an exception:
        // let Orleans serialize Npgsql's (a DbException, answered UNAVAILABLE at the edge) instead of
        // failing with "no codec" and reaching the terminal as an unexplained UNKNOWN.
        silo.Services.Configure<ExceptionSerializationOptions>(o => o.SupportedNamespacePrefixes.Add("Npgsql"));

        // Failure detection and grain-call timeouts: Orleans' own option classes, bound from configuration.
        silo.Services.AddOptions<ClusterMembershipOptions>().BindConfiguration(OrleansSections.Membership);
        // A grain call gives up (and a queued message expires unrun) within 5 s, the POS SDK's attempt deadline,
        // instead of Orleans' 30 s: work whose terminal has gone is dropped rather than piled up (issue #28).
        silo.Services.AddOptions<SiloMessagingOptions>()
            .Configure(o => o.ResponseTimeout = TimeSpan.FromSeconds(5))
            .BindConfiguration(OrleansSections.Messaging);

        if (connectionString is null)
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
            silo.AddMemoryGrainStorage(ProviderNames.GrainStorage);
            silo.UseInMemoryReminderService();
        }
        else
        {
            ConfigurePostgres(silo, options, connectionString);
        }

        InstrumentedGrainStorage.Decorate(silo.Services, ProviderNames.GrainStorage);

        // Silo to silo and an enabled gateway: mutual TLS with the chain's CA (Microsoft.Orleans.Connections.Security).
        if (TlsSetup.LoadSilo(options.SiloTls) is { } siloTls)
        {
            silo.UseTls(siloTls.Certificate, tls => TlsSetup.Mutual(tls, siloTls.Ca));
        }

        if (options.Dashboard)
        {
            // The live log stream stays off: it would show the engine's log to whoever reaches the admin port.
            silo.AddDashboard(dashboard =>
            {
                dashboard.HideTrace = true;
                dashboard.CounterUpdateIntervalMs = options.DashboardSampleSeconds * 1000;
            });
        }

        if (options.KubernetesHosting)
        {
            // After our own ClusterOptions/endpoint settings, so the pod's identity wins.
            silo.UseKubernetesHosting();
        }
    }

    private static void ConfigurePostgres(ISiloBuilder silo, LoyaltyOptions options, string connectionString)
    {
        DbProviderFactories.RegisterFactory(ProviderNames.PostgresInvariant, NpgsqlFactory.Instance);
        var dataSource = CreateDataSource(connectionString);
        silo.Services.AddSingleton(dataSource);

        if (options.ClusteringMode == ClusteringMode.AdoNet)
        {
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = ProviderNames.PostgresInvariant;
                o.DataSource = dataSource;
            });
            silo.Configure<EndpointOptions>(endpoints =>
            {
                endpoints.AdvertisedIPAddress = AdvertisedIp(options);
                endpoints.SiloPort = options.SiloPort;
                endpoints.GatewayPort = options.GatewayPort;
                var listen = ListenIp(options);
                endpoints.SiloListeningEndpoint = new IPEndPoint(listen, options.SiloPort);
                endpoints.GatewayListeningEndpoint = options.GatewayPort > 0 ? new IPEndPoint(listen, options.GatewayPort) : null;
            });
        }
        else
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
        }

        silo.AddAdoNetGrainStorage(ProviderNames.GrainStorage, o =>
        {
            o.Invariant = ProviderNames.PostgresInvariant;
            o.DataSource = dataSource;
        });

        // Compact binary state (Orleans' own serializer, version tolerant through [Id]s) instead of JSON text.
        silo.Services.AddOptions<AdoNetGrainStorageOptions>(ProviderNames.GrainStorage)
            .Configure<IServiceProvider>((o, services) =>
                o.GrainStorageSerializer = new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>()));

        // The hot grains' writes go through the silo-wide group commit (docs/write-path.md); reads and
        // the cold grains stay with the provider, on the same rows.
        Storage.BatchedGrainStorage.Decorate(silo.Services, ProviderNames.GrainStorage, options.StateWriters);

        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = ProviderNames.PostgresInvariant;
            o.DataSource = dataSource;
        });
    }

    /// <summary>
    /// The dashboard's telemetry reader samples every Orleans instrument once a second, and one of them (the
    /// grain directory cache's size) takes every lock of a large dictionary: 6–8% of the engine's CPU under
    /// load in the profile (docs/performance.md). The package fixes the interval in an internal type's
    /// settable property; this sets it to <see cref="LoyaltyOptions.DashboardSampleSeconds"/> before the
    /// silo starts. Returns false when the package no longer has it (the dashboard then keeps its default).
    /// </summary>
    public static bool SlowDashboardSampling(IServiceProvider services, LoyaltyOptions options)
    {
        var hostType = typeof(DashboardOptions).Assembly.GetType("Orleans.Dashboard.DashboardHost");
        var property = hostType?.GetProperty("ExportIntervalMilliseconds", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic);
        if (hostType is null || property is not { CanWrite: true } || services.GetService(hostType) is not { } host)
        {
            return false;
        }

        property.SetValue(host, options.DashboardSampleSeconds * 1000);
        return true;
    }

    /// <summary>
    /// The address other silos dial: <see cref="LoyaltyOptions.AdvertisedAddress"/> (an IP or a host name),
    /// else the listen address when it is a specific IP, else this host's first non-loopback IPv4 address.
    /// </summary>
    internal static IPAddress AdvertisedIp(LoyaltyOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.AdvertisedAddress))
        {
            return IPAddress.TryParse(options.AdvertisedAddress, out var ip)
                ? ip
                : Dns.GetHostAddresses(options.AdvertisedAddress).First(a => a.AddressFamily == AddressFamily.InterNetwork);
        }

        var listen = ListenIp(options);
        if (!listen.Equals(IPAddress.Any))
        {
            return listen;
        }

        return NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? IPAddress.Loopback;
    }

    /// <summary>
    /// Whether the silo port (and an enabled gateway) listens on more than loopback: with AdoNet clustering on a
    /// database it binds <see cref="LoyaltyOptions.ListenAddress"/>, under Kubernetes hosting the pod's address;
    /// localhost clustering binds 127.0.0.1.
    /// </summary>
    internal static bool SiloListensBeyondLoopback(LoyaltyOptions options, bool durable) =>
        options.KubernetesHosting || (durable && options.ClusteringMode == ClusteringMode.AdoNet && !IPAddress.IsLoopback(ListenIp(options)));

    internal static IPAddress ListenIp(LoyaltyOptions options) =>
        options.ListenAddress.Equals("any", StringComparison.OrdinalIgnoreCase) ? IPAddress.Any : IPAddress.Parse(options.ListenAddress);
}
