using Loyalty.Grains;
using Loyalty.Host.Services;
using Loyalty.Host.Services.Admin;
using Loyalty.Host.Services.Interceptors;
using Loyalty.Host.Services.Pos;
using Loyalty.Host.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Loyalty.Host.Hosting;

/// <summary>Builds the one process: an Orleans silo co-hosted with ASP.NET Core serving gRPC.</summary>
public static partial class LoyaltyHost
{
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        customize?.Invoke(builder);

        var options = builder.Configuration.GetSection(LoyaltyOptions.Section).Get<LoyaltyOptions>() ?? new LoyaltyOptions();
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringNames.Postgres);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = null;
        }

        builder.Services.AddOptions<LoyaltyOptions>()
            .BindConfiguration(LoyaltyOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var tls = TlsSetup.Load(options.Tls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var ip = OrleansSetup.ListenIp(options);
            var limits = options.Limits;
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(limits.IdleSeconds);
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(limits.RequestHeadersSeconds);
            kestrel.Listen(ip, options.GrpcPort, listen => TlsSetup.Use(ConnectionLimit.Use(listen, limits.TerminalConnections), HttpProtocols.Http2, tls));
            kestrel.Listen(ip, options.HealthPort, listen => TlsSetup.Use(ConnectionLimit.Use(listen, limits.AdminConnections), HttpProtocols.Http1, tls));
            kestrel.Listen(ip, options.AdminGrpcPort, listen => TlsSetup.Use(ConnectionLimit.Use(listen, limits.AdminConnections), HttpProtocols.Http2, tls));
        });

        StartupChecks.Refuse(options, builder.Environment, durable: connectionString is not null);

        builder.UseOrleans(silo => OrleansSetup.Configure(silo, options, connectionString));

        if (connectionString is not null)
        {
            builder.Services.AddSingleton<Loyalty.Grains.ILedgerStore, PostgresLedgerStore>();
            builder.Services.AddSingleton<Loyalty.Grains.IMemberRowStore>(sp => new Storage.PostgresMemberRowStore(
                sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.ServiceId(), sp.GrainStateSerializer()));
            builder.Services.AddSingleton<ICouponSeriesStore, PostgresCouponSeriesStore>();
            builder.Services.AddSingleton<Loyalty.Grains.IProgramDirectory>(sp => new Storage.PostgresProgramDirectory(
                sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.ServiceId()));
            builder.Services.AddSingleton<IAutomationStore, PostgresAutomationStore>();
            builder.Services.AddSingleton<Security.IAuditTrail, Security.PostgresAuditTrail>();
            builder.Services.AddSingleton<IReportStore>(sp => new PostgresReports(sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.ServiceId()));
        }
        else
        {
            builder.Services.AddSingleton<Security.IAuditTrail, Security.MemoryAuditTrail>();
            builder.Services.AddSingleton<IReportStore, NoDatabaseReports>();
        }

        builder.Services.AddSingleton(new PersonalData(options.PersonalDataPepper, options.PersonalDataKeys));
        builder.Services.AddLoyaltyGrains();
        builder.Services.AddOptions<CouponOptions>()
            .BindConfiguration(CouponOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<CouponSeriesJobs>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CouponSeriesJobs>());
        builder.Services.AddSingleton<LoyaltyMetrics>();
        builder.Services.AddSingleton<Security.CredentialCache>();
        builder.Services.AddSingleton<Security.LookupThrottle>();
        builder.Services.AddSingleton<MemberKeyLookup>();
        builder.Services.AddSingleton<QuotePricing>();
        builder.Services.AddHostedService<Security.FirstOperatorToken>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("loyalty", serviceInstanceId: options.SiloName))
            .WithMetrics(metrics => metrics
                .AddMeter(LoyaltyMetrics.MeterName, "Microsoft.Orleans", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime")
                .AddPrometheusExporter());
        // Interceptors and services hold no per-call state: one instance each instead of one per call (grpc-dotnet
        // uses the lifetime registered here; unregistered, it builds a new one for every call).
        builder.Services.AddSingleton<MetricsInterceptor>();
        builder.Services.AddOptions<AdmissionOptions>()
            .BindConfiguration(AdmissionOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<AdmissionInterceptor>();
        builder.Services.AddSingleton<ErrorInterceptor>();
        builder.Services.AddSingleton<Security.AuthInterceptor>();
        builder.Services.AddSingleton<PosService>();
        builder.Services.AddSingleton<AdminService>();
        builder.Services.AddGrpc(grpc =>
        {
            // Outermost first: metrics see the status the terminal receives, after the error mapping.
            grpc.Interceptors.Add<MetricsInterceptor>();
            grpc.Interceptors.Add<AdmissionInterceptor>(); // before any work, credential checks included: a refusal costs nothing
            grpc.Interceptors.Add<ErrorInterceptor>();
            grpc.Interceptors.Add<Security.AuthInterceptor>(); // inside the error mapping: its refusals carry their ErrorInfo
            grpc.MaxReceiveMessageSize = MessageSizeLimit.MaxBytes; // refused with its reason by MessageSizeLimit
            grpc.EnableDetailedErrors = false;
        }).AddJsonTranscoding(json =>
        {
            // The admin API as JSON on the admin port; refusals carry their ErrorInfo / BadRequest details.
            json.TypeRegistry = Google.Protobuf.Reflection.TypeRegistry.FromMessages(Google.Rpc.ErrorInfo.Descriptor, Google.Rpc.BadRequest.Descriptor);

            // The proto3 JSON mapping: int64/uint64 are written as strings, so JavaScript clients keep every digit
            // (a double holds 53 bits). Input accepts a number or a string, as every proto3 JSON parser does.
            json.JsonSettings.WriteInt64sAsStrings = true;
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddSingleton<ReadinessCheck>();
        builder.Services.AddHealthChecks()
            .AddCheck("live", () => HealthCheckResult.Healthy(), tags: ["live"])
            .AddCheck<ReadinessCheck>("ready", tags: ["ready"]);
        builder.Services.AddGrpcHealthChecks();

        // Last, so the providers a test or an operator added are wrapped too: a failure repeated on every call is
        // written ten times per 10 s with a count, not once per call.
        RepeatedLogLimiter.Wrap(builder.Services);
        var app = builder.Build();
        if (options.Dashboard && !OrleansSetup.SlowDashboardSampling(app.Services, options))
        {
            app.Logger.LogWarning("The dashboard's sampling interval could not be set; it samples every second");
        }
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Loyalty.Host");
        if (connectionString is null)
        {
            LogNotDurable(logger);
        }
        else
        {
            if (options.ApplySchema)
            {
                await SchemaMigrator.ApplyAsync(connectionString, logger);
            }

            // Before the silo takes calls: card grains of earlier versions become member_keys rows (once).
            await Storage.LegacyCardMigration.RunAsync(
                app.Services.GetRequiredService<Npgsql.NpgsqlDataSource>(), app.Services.ServiceId(), app.Services.GrainStateSerializer(),
                logger);
        }

        if (options.StorageFaults.Enabled)
        {
            LogFaultsInjected(logger, options.StorageFaults.FailBeforeWritePercent, options.StorageFaults.FailAfterWritePercent);
        }

        app.MapGrpcService<PosService>().WithMetadata(AdminEndpoints.TerminalPortOnly.Instance);
        app.MapGrpcService<AdminService>().WithMetadata(AdminEndpoints.AdminPortOnly.Instance);
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService().WithMetadata(AdminEndpoints.AdminPortOnly.Instance);
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = c => c.Tags.Contains("live") });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        MessageSizeLimit.Use(app);
        AdminEndpoints.Map(app, options);
        ConsoleEndpoints.Map(app);
        LogListening(logger, options.GrpcPort, options.HealthPort, options.AdminGrpcPort, connectionString is null ? "in-memory" : "PostgreSQL", options.ClusteringMode.ToString());
        return app;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = """
        ************************************************************************
        *  NO DATABASE CONFIGURED: grain state and reminders are IN MEMORY.    *
        *  Nothing is durable; every balance and coupon is lost on exit.       *
        *  Set ConnectionStrings__Postgres (or run deploy/run.sh) for durable. *
        ************************************************************************
        """)]
    private static partial void LogNotDurable(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "STORAGE FAULT INJECTION IS ON (test only): {BeforePercent}% of writes fail before and {AfterPercent}% after reaching the database")]
    private static partial void LogFaultsInjected(ILogger logger, int beforePercent, int afterPercent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loyalty engine: terminal gRPC on port {GrpcPort} (HTTP/2), admin JSON, health and metrics on port {HealthPort} (HTTP/1.1), admin gRPC on port {AdminGrpcPort} (HTTP/2), storage {Storage}, clustering {Clustering}")]
    private static partial void LogListening(ILogger logger, int grpcPort, int healthPort, int adminGrpcPort, string storage, string clustering);
}

/// <summary>
/// Ready once the host has started and the silo is an active cluster member, until it begins to stop.
/// Deliberately not tied to PostgreSQL: during a database outage every silo answers UNAVAILABLE
/// (retryable) rather than dropping out of the load balancer all at once.
/// </summary>
public sealed class ReadinessCheck(IHostApplicationLifetime lifetime, ISiloStatusOracle silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!lifetime.ApplicationStarted.IsCancellationRequested || lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("starting or stopping"));
        }

        return Task.FromResult(silo.CurrentStatus == SiloStatus.Active
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"silo is {silo.CurrentStatus}"));
    }
}
