using Npgsql;

namespace Loyalty.Testing;

/// <summary>
/// The real PostgreSQL the integration tests run against. Uses LOYALTY_TEST_PG when set; otherwise starts
/// the checkout's private test server with deploy/pg.sh (installing PostgreSQL if it is missing):
/// .data/pg-test on port 54339 (LOYALTY_TEST_PG_PORT), shared by the test projects and left running.
/// Each test run gets a fresh database, dropped at the end. A project that must own its server (the
/// cluster tests restart theirs) makes its own <see cref="TestDatabases"/>.
/// </summary>
public static class TestPostgres
{
    public static string RepoRoot => Repo.Root;

    /// <summary>The integration tests' server: LOYALTY_TEST_PG, or .data/pg-test.</summary>
    public static TestDatabases Shared { get; } = new(
        new PgServer(Path.Combine(Repo.Root, ".data", "pg-test"), int.Parse(Environment.GetEnvironmentVariable("LOYALTY_TEST_PG_PORT") ?? "54339")),
        databasePrefix: "t_");

    /// <summary>A fresh, empty database on <see cref="Shared"/>.</summary>
    public static Task<string> CreateDatabaseAsync() => Shared.CreateDatabaseAsync();

    /// <summary>A fresh, empty database on <paramref name="server"/>, named <paramref name="prefix"/> + time + a guid.</summary>
    public static async Task<string> CreateDatabaseAsync(string server, string prefix)
    {
        var name = $"{prefix}{DateTime.UtcNow:yyyyMMddHHmmss}_{Guid.NewGuid():N}"[..40];
        await using (var connection = new NpgsqlConnection(Unpooled(server)))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>Drops the database, cutting its connections (WITH FORCE) and clearing this process's pools.</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var name = builder.Database;
        builder.Database = "postgres";
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Unpooled(builder.ConnectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>One value from the test database: <paramref name="values"/> are the statement's $1, $2, … (text).</summary>
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, params string[] values)
    {
        await using var connection = new NpgsqlConnection(Unpooled(connectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Runs one query and reads every row with <paramref name="read"/>.</summary>
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

    /// <summary>The tests' own connections are never pooled: a database restart or drop leaves no broken one behind.</summary>
    private static string Unpooled(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
}

/// <summary>
/// Where one test project's databases are made: the server LOYALTY_TEST_PG names when it is set, else
/// <paramref name="privateServer"/>, started on first use (once per test assembly) and kept for the run.
/// </summary>
public sealed class TestDatabases(PgServer privateServer, string databasePrefix)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _server;

    /// <summary>The server used when LOYALTY_TEST_PG is not set.</summary>
    public PgServer Private { get; } = privateServer;

    /// <summary>A fresh, empty database on this project's server.</summary>
    public async Task<string> CreateDatabaseAsync() => await TestPostgres.CreateDatabaseAsync(await ServerAsync(), databasePrefix);

    /// <summary>A fresh, empty database on <paramref name="server"/> (named like this project's others).</summary>
    public Task<string> CreateDatabaseAsync(string server) => TestPostgres.CreateDatabaseAsync(server, databasePrefix);

    private async Task<string> ServerAsync()
    {
        await _gate.WaitAsync();
        try
        {
            return _server ??= Environment.GetEnvironmentVariable("LOYALTY_TEST_PG") is { Length: > 0 } configured
                ? configured
                : await Private.StartAsync();
        }
        finally
        {
            _gate.Release();
        }
    }
}
