using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Npgsql;

namespace Loyalty.Baseline;

/// <summary>Section <c>Baseline</c> (env <c>Baseline__Port</c>, ...).</summary>
public sealed class BaselineOptions
{
    public const string Section = "Baseline";

    public int Port { get; set; } = 6090;

    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>The baseline's own database on the server named by ConnectionStrings:Postgres; created if missing.</summary>
    public string Database { get; set; } = "loyalty_baseline";
}

/// <summary>
/// The baseline a team would build without actors: a plain ASP.NET Core gRPC service serving the
/// same loyalty.v1 protos, every request a short PostgreSQL transaction with row locks.
/// </summary>
public static class BaselineHost
{
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        customize?.Invoke(builder);
        var options = builder.Configuration.GetSection(BaselineOptions.Section).Get<BaselineOptions>() ?? new BaselineOptions();
        var server = builder.Configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(server))
        {
            throw new InvalidOperationException("ConnectionStrings:Postgres (env ConnectionStrings__Postgres) must name the PostgreSQL server.");
        }

        var connectionString = await Schema.EnsureAsync(server, options.Database);
        var csb = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // The same driver settings the engine's storage uses: statements prepared once per connection.
            MaxAutoPrepare = 64,
            AutoPrepareMinUsages = 2,
            NoResetOnClose = true,
        };

        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Parse(options.ListenAddress), options.Port, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddSingleton(new NpgsqlDataSourceBuilder(csb.ConnectionString).Build());
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Store>();
        builder.Services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<ErrorInterceptor>();
            grpc.MaxReceiveMessageSize = 1024 * 1024;
        });

        var app = builder.Build();
        app.MapGrpcService<BaselinePosService>();
        app.MapGrpcService<BaselineAdminService>();
        return app;
    }
}
