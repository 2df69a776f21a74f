using Loyalty.Host.Storage;
using Loyalty.Host.Tests.Infrastructure;
using Npgsql;

namespace Loyalty.Host.Tests;

/// <summary>
/// The hot grains' group commit against a real PostgreSQL (docs/write-path.md): many grains' rows in
/// one transaction, each checked against its own version; a stale row is refused alone.
/// </summary>
public sealed class GrainStateWriterTests : IAsyncLifetime
{
    private string _connectionString = string.Empty;
    private NpgsqlDataSource? _dataSource;

    private NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _connectionString = await TestPostgres.CreateDatabaseAsync();
        _dataSource = NpgsqlDataSource.Create(_connectionString);
        await using var schema = DataSource.CreateCommand(await File.ReadAllTextAsync(Path.Combine(TestPostgres.RepoRoot, "deploy", "sql", "001_persistence.sql")));
        await schema.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        await TestPostgres.DropDatabaseAsync(_connectionString);
    }

    [Fact]
    public async Task A_batch_with_stale_rows_commits_the_others_and_refuses_only_the_stale_ones()
    {
        await using var writer = new GrainStateWriter(DataSource, "svc", writers: 1);
        var keys = Enumerable.Range(0, 200).Select(i => $"p/m{i}").ToArray();
        Assert.All(await Task.WhenAll(keys.Select(k => writer.WriteAsync("member", k, null, new byte[] { 1 }))), v => Assert.Equal(1, v));

        // Every other row is written with a stale version (0, as a zombie that missed a write would send).
        var second = await Task.WhenAll(keys.Select((k, i) => writer.WriteAsync("member", k, i % 2 == 0 ? 1 : 0, new byte[] { 2 })));

        Assert.All(second.Where((_, i) => i % 2 == 0), v => Assert.Equal(2, v));
        Assert.All(second.Where((_, i) => i % 2 == 1), Assert.Null);
        var rows = await RowsAsync();
        Assert.All(keys.Select((k, i) => (k, i)), x => Assert.Equal(x.i % 2 == 0 ? (2, (byte)2) : (1, (byte)1), rows[x.k]));

        // The writes shared transactions: far fewer batches than rows.
        Assert.True(writer.Batches < 2 * keys.Length / 4, $"{writer.Batches} transactions for {2 * keys.Length} writes");
    }

    [Fact]
    public async Task Two_first_writes_of_one_row_race_and_exactly_one_wins()
    {
        await using var writer = new GrainStateWriter(DataSource, "svc", writers: 2);
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => writer.WriteAsync("member", "p/race", null, new byte[] { (byte)i })));

        var winner = Assert.Single(results, r => r == 1);
        Assert.Equal(9, results.Count(r => r is null));
        Assert.Equal(1, (await RowsAsync())["p/race"].Version);
    }

    [Fact]
    public async Task Two_writes_of_one_row_with_the_same_version_never_both_win()
    {
        await using var writer = new GrainStateWriter(DataSource, "svc", writers: 2);
        Assert.Equal(1, await writer.WriteAsync("member", "p/zombie", null, new byte[] { 0 }));

        // A zombie activation and its successor both write from version 1: one wins, the other is stale.
        var results = await Task.WhenAll(writer.WriteAsync("member", "p/zombie", 1, new byte[] { 1 }), writer.WriteAsync("member", "p/zombie", 1, new byte[] { 2 }));

        Assert.Equal(1, results.Count(r => r == 2));
        Assert.Equal(1, results.Count(r => r is null));
        var (version, payload) = (await RowsAsync())["p/zombie"];
        Assert.Equal(2, version);
        Assert.Equal(results[0] == 2 ? (byte)1 : (byte)2, payload);
    }

    [Fact]
    public async Task A_batch_that_cannot_be_written_acknowledges_nothing()
    {
        await using (var drop = DataSource.CreateCommand("DROP TABLE grain_state"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await using var writer = new GrainStateWriter(DataSource, "svc", writers: 1);
        var writes = Enumerable.Range(0, 20).Select(i => writer.WriteAsync("member", $"p/m{i}", null, new byte[] { 1 })).ToList();

        foreach (var write in writes)
        {
            await Assert.ThrowsAsync<PostgresException>(() => write);
        }
    }

    private async Task<Dictionary<string, (int Version, byte Payload)>> RowsAsync()
    {
        var rows = new Dictionary<string, (int, byte)>();
        await using var query = DataSource.CreateCommand("SELECT grain_key, version, payload FROM grain_state WHERE service_id = 'svc'");
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows[reader.GetString(0)] = (reader.GetInt32(1), ((byte[])reader[2])[0]);
        }

        return rows;
    }
}
