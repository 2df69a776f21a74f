using System.Diagnostics;
using Npgsql;

namespace Loyalty.Cluster.Tests.Infrastructure;

/// <summary>
/// The real PostgreSQL under the cluster tests. LOYALTY_TEST_PG (set by .ci/run) names a server to
/// create fresh databases on; without it, this project's own private server is started with
/// deploy/pg.sh (.data/pg-cluster-test on port 54369). The PostgreSQL-restart test always uses the
/// private server, because restarting a server that other test projects share would break them.
/// </summary>
public static class Postgres
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _shared;

    public static PgServer Private { get; } = new(Path.Combine(Paths.RepoRoot, ".data", "pg-cluster-test"), 54369);

    /// <summary>A fresh, empty database on the shared server (LOYALTY_TEST_PG or the private one).</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        await Gate.WaitAsync();
        try
        {
            _shared ??= Environment.GetEnvironmentVariable("LOYALTY_TEST_PG") is { Length: > 0 } configured
                ? configured
                : await Private.StartAsync();
        }
        finally
        {
            Gate.Release();
        }

        return await CreateDatabaseAsync(_shared);
    }

    public static async Task<string> CreateDatabaseAsync(string server)
    {
        var name = $"c_{DateTime.UtcNow:yyyyMMddHHmmss}_{Guid.NewGuid():N}"[..40];
        await using (var connection = new NpgsqlConnection(Unpooled(server)))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var name = builder.Database;
        builder.Database = "postgres";
        await using var connection = new NpgsqlConnection(Unpooled(builder.ConnectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs one query on a short-lived, unpooled connection (so a restart leaves nothing stale behind).</summary>
    public static async Task<List<T>> QueryAsync<T>(string connectionString, string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var connection = new NpgsqlConnection(Unpooled(connectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>The tests' own connections are never pooled: a database restart leaves no broken one behind.</summary>
    private static string Unpooled(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
}

/// <summary>
/// A private PostgreSQL server driven through deploy/pg.sh (installed from Debian's packages if missing).
/// <paramref name="directory"/> is its LOYALTY_PG_DIR, null for pg.sh's default (&lt;checkout&gt;/.data/pg);
/// <paramref name="script"/> a copy of pg.sh elsewhere, by default this checkout's.
/// </summary>
public sealed class PgServer(string? directory, int port, string? script = null)
{
    private readonly string _script = script ?? Path.Combine(Paths.RepoRoot, "deploy", "pg.sh");
    private bool? _wasRunning;

    public int Port { get; } = port;

    /// <summary>Starts the server (initialising it on first use); returns a connection string to its postgres database.</summary>
    public async Task<string> StartAsync()
    {
        _wasRunning ??= await IsRunningAsync();
        var output = await RunAsync("start");
        return output.Trim().Split('\n')[^1].Trim();
    }

    /// <summary>Stops the server if this test run is the one that started it.</summary>
    public async Task StopIfStartedHereAsync()
    {
        if (_wasRunning == false)
        {
            await StopAsync();
        }
    }

    /// <summary>pg.sh status: whether the server is running.</summary>
    public async Task<bool> IsRunningAsync()
    {
        try
        {
            await RunAsync("status");
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Stops the server. <paramref name="immediate"/>: like a crash (no checkpoint, connections cut, WAL
    /// replayed at the next start) — what a power cut or an OOM kill does to the database.
    /// </summary>
    public Task StopAsync(bool immediate = false) => immediate ? RunAsync("stop", "--immediate") : RunAsync("stop");

    /// <summary>pg.sh psql with these arguments; returns what it printed.</summary>
    public Task<string> PsqlAsync(params string[] args) => RunAsync(["psql", .. args]);

    /// <summary>Where the server's data directory is (pg.sh datadir), wherever pg.sh decided to keep it.</summary>
    public async Task<string> DataDirectoryAsync() => (await RunAsync("datadir")).Trim();

    private async Task<string> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash", [_script, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (directory is null)
        {
            start.Environment.Remove("LOYALTY_PG_DIR");
        }
        else
        {
            start.Environment["LOYALTY_PG_DIR"] = directory;
        }

        start.Environment["LOYALTY_PG_PORT"] = Port.ToString();
        start.Environment["LOYALTY_PG_DB"] = "postgres";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not run {_script}");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg.sh {string.Join(' ', args)} failed ({process.ExitCode}): {await errors}");
        }

        return await output;
    }
}
