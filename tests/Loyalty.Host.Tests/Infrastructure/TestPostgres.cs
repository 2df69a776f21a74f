using System.Diagnostics;
using Npgsql;

namespace Loyalty.Host.Tests.Infrastructure;

/// <summary>
/// The real PostgreSQL the integration tests run against. Uses LOYALTY_TEST_PG when set;
/// otherwise starts the checkout's private test server with deploy/pg.sh (installing PostgreSQL
/// if it is missing). Each test run gets a fresh database, dropped at the end.
/// </summary>
public static class TestPostgres
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _server;

    public static string RepoRoot { get; } = FindRepoRoot();

    public static async Task<string> CreateDatabaseAsync()
    {
        var server = await ServerAsync();
        var name = $"t_{DateTime.UtcNow:yyyyMMddHHmmss}_{Guid.NewGuid():N}"[..40];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>One value from the test database: <paramref name="values"/> are the statement's $1, $2, … (text).</summary>
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, params string[] values)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(await ServerAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> ServerAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _server ??= Environment.GetEnvironmentVariable("LOYALTY_TEST_PG") is { Length: > 0 } configured
                ? configured
                : await StartPrivateServerAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<string> StartPrivateServerAsync()
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepoRoot, "deploy", "pg.sh"), "start"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["LOYALTY_PG_DIR"] = Path.Combine(RepoRoot, ".data", "pg-test");
        start.Environment["LOYALTY_PG_PORT"] = Environment.GetEnvironmentVariable("LOYALTY_TEST_PG_PORT") ?? "54339";
        start.Environment["LOYALTY_PG_DB"] = "postgres";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not run deploy/pg.sh");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploy/pg.sh start failed ({process.ExitCode}): {await errors}");
        }

        return (await output).Trim().Split('\n')[^1].Trim();
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Loyalty.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Loyalty.Orleans.sln not found above " + AppContext.BaseDirectory);
    }
}
