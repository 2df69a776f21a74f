using System.Data.Common;
using System.Net;
using Loyalty.Contracts;
using Npgsql;
using Orleans.Configuration;
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

        if (connectionString is null)
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
            silo.AddMemoryGrainStorage(ProviderNames.GrainStorage);
            silo.UseInMemoryReminderService();
            return;
        }

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
            silo.ConfigureEndpoints(options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
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

        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = ProviderNames.PostgresInvariant;
            o.DataSource = dataSource;
        });
    }

    internal static IPAddress ListenIp(LoyaltyOptions options) =>
        options.ListenAddress.Equals("any", StringComparison.OrdinalIgnoreCase) ? IPAddress.Any : IPAddress.Parse(options.ListenAddress);
}
