using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Grains;
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
        foreach (var script in new[] { "001_persistence.sql", "004_ledger.sql", "007_member_sales.sql", "009_member_keys.sql", "010_reports.sql", "011_sales_time_index.sql" })
        {
            await using var schema = DataSource.CreateCommand(await File.ReadAllTextAsync(Path.Combine(TestPostgres.RepoRoot, "deploy", "sql", script)));
            await schema.ExecuteNonQueryAsync();
        }
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
        Assert.All(await Task.WhenAll(keys.Select(k => writer.WriteAsync("member", k, null, new byte[] { 1 }))), v => Assert.Equal(1, v.Version));

        // Every other row is written with a stale version (0, as a zombie that missed a write would send).
        var second = await Task.WhenAll(keys.Select((k, i) => writer.WriteAsync("member", k, i % 2 == 0 ? 1 : 0, new byte[] { 2 })));

        Assert.All(second.Where((_, i) => i % 2 == 0), v => Assert.Equal(2, v.Version));
        Assert.All(second.Where((_, i) => i % 2 == 1), v => Assert.Null(v.Version));
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

        var winner = Assert.Single(results, r => r.Version == 1);
        Assert.Equal(9, results.Count(r => r.Version is null));
        Assert.Equal(1, (await RowsAsync())["p/race"].Version);
    }

    [Fact]
    public async Task Two_writes_of_one_row_with_the_same_version_never_both_win()
    {
        await using var writer = new GrainStateWriter(DataSource, "svc", writers: 2);
        Assert.Equal(1, (await writer.WriteAsync("member", "p/zombie", null, new byte[] { 0 })).Version);

        // A zombie activation and its successor both write from version 1: one wins, the other is stale.
        var results = await Task.WhenAll(writer.WriteAsync("member", "p/zombie", 1, new byte[] { 1 }), writer.WriteAsync("member", "p/zombie", 1, new byte[] { 2 }));

        Assert.Equal(1, results.Count(r => r.Version == 2));
        Assert.Equal(1, results.Count(r => r.Version is null));
        var (version, payload) = (await RowsAsync())["p/zombie"];
        Assert.Equal(2, version);
        Assert.Equal(results[0].Version == 2 ? (byte)1 : (byte)2, payload);
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

    [Fact]
    public async Task A_members_sale_and_ledger_rows_land_with_its_state_and_never_with_a_refused_write()
    {
        await using var writer = new GrainStateWriter(DataSource, "svc", writers: 2);
        Assert.Equal(1, (await writer.WriteAsync("member", "p/a", null, new byte[] { 0 }, Rows("a", ledgerSeqs: [1]))).Version);
        Assert.Equal(1, (await writer.WriteAsync("member", "p/b", null, new byte[] { 0 })).Version);

        // In one batch: a's sale t1 with two ledger entries, and a zombie of b (stale version) with its own sale and entry.
        var results = await Task.WhenAll(
            writer.WriteAsync("member", "p/a", 1, new byte[] { 1 }, Rows("a", newSales: ["t1"], ledgerSeqs: [2, 3])),
            writer.WriteAsync("member", "p/b", 0, new byte[] { 9 }, Rows("b", newSales: ["z1"], ledgerSeqs: [1])));

        Assert.Equal(new WriteOutcome(2, false), results[0]);
        Assert.Equal(new WriteOutcome(null, false), results[1]);
        Assert.Equal(["a/t1"], await KeysAsync("SELECT member_id || '/' || transaction_id FROM member_sales ORDER BY 1"));
        Assert.Equal(["a/1", "a/2", "a/3"], await KeysAsync("SELECT member_id || '/' || seq FROM ledger_entries ORDER BY 1"));
    }

    [Fact]
    public async Task A_write_that_creates_a_sale_whose_id_has_a_row_is_refused_whole_and_says_so()
    {
        await using var writer = new GrainStateWriter(DataSource, "svc", writers: 1);
        Assert.Equal(1, (await writer.WriteAsync("member", "p/a", null, new byte[] { 0 })).Version);
        Assert.Equal(2, (await writer.WriteAsync("member", "p/a", 1, new byte[] { 1 }, Rows("a", newSales: ["t1"], ledgerSeqs: [1]))).Version);

        // The same id again (a retry the member no longer remembers), with an entry: nothing of it lands.
        var again = await writer.WriteAsync("member", "p/a", 2, new byte[] { 2 }, Rows("a", newSales: ["t1"], ledgerSeqs: [2]));

        Assert.Equal(new WriteOutcome(null, true), again);
        Assert.Equal((2, (byte)1), (await RowsAsync())["p/a"]);
        Assert.Equal(["t1"], await KeysAsync("SELECT transaction_id FROM member_sales"));
        Assert.Equal(["1"], await KeysAsync("SELECT seq::text FROM ledger_entries"));

        // A changed sale (a void) rewrites its row; it is not a new sale, so its existing row does not refuse the write.
        var changed = new MemberRows("p", "a");
        changed.AddSale(Sale("t1", fingerprint: "voided"), isNew: false);
        Assert.Equal(3, (await writer.WriteAsync("member", "p/a", 2, new byte[] { 3 }, new SideRows(changed, [[7]]))).Version);
        Assert.Equal(["7"], await KeysAsync("SELECT get_byte(record, 0)::text FROM member_sales WHERE transaction_id = 't1'"));
    }

    [Fact]
    public async Task Member_updates_sharing_one_statement_are_each_accepted_or_refused_on_their_own()
    {
        await using var writer = new GrainStateWriter(DataSource, "svc", writers: 1);
        var members = Enumerable.Range(0, 90).Select(i => $"m{i}").ToArray();
        Assert.All(await Task.WhenAll(members.Select(m => writer.WriteAsync("member", "p/" + m, null, new byte[] { 0 }))), r => Assert.Equal(1, r.Version));

        // Every third member already has a row for the sale it is about to create (a forgotten retry).
        foreach (var m in members.Where((_, i) => i % 3 == 2))
        {
            Assert.Equal(2, (await writer.WriteAsync("member", "p/" + m, 1, new byte[] { 1 }, Rows(m, newSales: ["t1"], ledgerSeqs: [1]))).Version);
        }

        // Together: a fresh sale (i % 3 == 0), a stale zombie (== 1), the duplicate (== 2); each with two ledger entries.
        var batchesBefore = writer.Batches;
        var results = await Task.WhenAll(members.Select((m, i) => writer.WriteAsync(
            "member", "p/" + m, i % 3 == 2 ? 2 : i % 3 == 1 ? 0 : 1, new byte[] { 5 }, Rows(m, newSales: ["t1"], ledgerSeqs: [10, 11]))));

        Assert.True(writer.Batches - batchesBefore < 10, $"{writer.Batches - batchesBefore} transactions for {members.Length} writes");
        var rows = await RowsAsync();
        for (var i = 0; i < members.Length; i++)
        {
            var (expected, state) = (i % 3) switch
            {
                0 => (new WriteOutcome(2, false), (2, (byte)5)),
                1 => (new WriteOutcome(null, false), (1, (byte)0)),
                _ => (new WriteOutcome(null, true), (2, (byte)1)),
            };
            Assert.Equal(expected, results[i]);
            Assert.Equal(state, rows["p/" + members[i]]);
        }

        var ledger = await KeysAsync("SELECT member_id || '/' || seq FROM ledger_entries ORDER BY 1");
        var expectedLedger = members.SelectMany((m, i) => (i % 3) switch
        {
            0 => new[] { m + "/10", m + "/11" },
            1 => [],
            _ => [m + "/1"],
        }).Order(StringComparer.Ordinal);
        Assert.Equal(expectedLedger, ledger.Order(StringComparer.Ordinal));
        Assert.Equal(
            members.Where((_, i) => i % 3 != 1).Order(StringComparer.Ordinal),
            (await KeysAsync("SELECT member_id FROM member_sales WHERE transaction_id = 't1'")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task On_a_sales_table_without_statistics_a_batch_finds_each_sale_by_its_primary_key()
    {
        // A fresh database under load: 30,000 sales of the program, never analyzed (autovacuum kept away).
        await ExecuteAsync("ALTER TABLE member_sales SET (autovacuum_enabled = false)");
        await ExecuteAsync("""
            INSERT INTO member_sales (service_id, program_id, member_id, transaction_id, occurred_at, record)
            SELECT 'svc', 'p', 'old' || (i % 3000), 't' || i, now() - i * interval '1 second', '\x01'
            FROM generate_series(1, 30000) AS i
            """);
        Assert.Equal(-1, await TestPostgres.ScalarAsync<float>(_connectionString, "SELECT reltuples FROM pg_class WHERE relname = 'member_sales'"));

        // 120 members each write a new sale, in shared batches (the statement that checks each sale has no row yet).
        var members = Enumerable.Range(0, 120).Select(i => $"m{i}").ToArray();
        await using (var writerSource = NpgsqlDataSource.Create(_connectionString))
        {
            await using var writer = new GrainStateWriter(writerSource, "svc", writers: 1);
            Assert.All(await Task.WhenAll(members.Select(m => writer.WriteAsync("member", "p/" + m, null, new byte[] { 0 }))), r => Assert.Equal(1, r.Version));
            var results = await Task.WhenAll(members.Select(m => writer.WriteAsync("member", "p/" + m, 1, new byte[] { 1 }, Rows(m, newSales: ["new"], ledgerSeqs: [1]))));
            Assert.All(results, r => Assert.Equal(2, r.Version));
        }

        // The writer's connections are closed, so their statistics are flushed: index entries read per index.
        var read = new Dictionary<string, long>();
        for (var attempt = 0; attempt < 50 && !read.ContainsKey("member_sales_pk"); attempt++)
        {
            await Task.Delay(100);
            read = (await TestPostgres.QueryAsync(_connectionString,
                    "SELECT indexrelname, idx_tup_read FROM pg_stat_user_indexes WHERE relname = 'member_sales' AND idx_scan > 0",
                    r => (Name: r.GetString(0), Read: r.GetInt64(1))))
                .ToDictionary(x => x.Name, x => x.Read);
        }

        // Each lookup reads at most its own key: no index scan walks the program's 30,000 sales.
        Assert.True(read.ContainsKey("member_sales_pk"), "no index scan of member_sales was recorded");
        Assert.True(read.Values.Sum() <= 4 * members.Length, "index entries read: " + string.Join(", ", read.Select(x => $"{x.Key} {x.Value}")));
    }

    [Fact]
    public async Task The_writers_planner_setting_does_not_outlive_its_transaction()
    {
        await using var writer = new GrainStateWriter(DataSource, "svc", writers: 1);
        Assert.Equal(1, (await writer.WriteAsync("member", "p/a", null, new byte[] { 0 })).Version);
        Assert.Equal(2, (await writer.WriteAsync("member", "p/a", 1, new byte[] { 1 }, Rows("a", newSales: ["t1"], ledgerSeqs: [1]))).Version);

        // The pool hands the writer's connection out again: it must plan like any other.
        for (var i = 0; i < 3; i++)
        {
            await using var show = DataSource.CreateCommand("SHOW enable_seqscan");
            Assert.Equal("on", await show.ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task Members_racing_for_one_card_in_many_transactions_leave_it_to_exactly_one()
    {
        // 8 writers (as 8 silos would have): the claims land in concurrent transactions as well as in shared ones.
        var writers = Enumerable.Range(0, 8).Select(_ => new GrainStateWriter(DataSource, "svc", writers: 1)).ToArray();
        var members = Enumerable.Range(0, 40).Select(i => $"m{i}").ToArray();
        var results = await Task.WhenAll(members.Select((m, i) => writers[i % writers.Length].WriteAsync(
            "member", "p/" + m, null, new byte[] { 1 }, Keys(m, (MemberKeys.Card, "c-1", KeyOperation.Claim), (MemberKeys.Card, "own-" + m, KeyOperation.Claim)))));
        foreach (var writer in writers)
        {
            await writer.DisposeAsync();
        }

        var winner = Assert.Single(results, r => r.Version == 1);
        Assert.All(results.Where(r => r.Version is null), r => Assert.Equal(MemberKeys.Card, r.TakenKind));
        Assert.Null(winner.TakenKind);
        var owner = members[Array.IndexOf(results, winner)];

        // Only the winner's state and keys were written; a refused member left none of its keys (its own card included).
        Assert.Equal(["p/" + owner], (await RowsAsync()).Keys);
        Assert.Equal(
            [$"card/c-1/{owner}/false", $"card/own-{owner}/{owner}/false"],
            await KeysAsync("SELECT kind || '/' || key || '/' || member_id || '/' || blocked FROM member_keys ORDER BY key"));
    }

    [Fact]
    public async Task A_members_key_changes_land_with_its_state_and_a_stale_write_changes_no_key()
    {
        await using var writer = new GrainStateWriter(DataSource, "svc", writers: 1);
        Assert.Equal(1, (await writer.WriteAsync("member", "p/a", null, new byte[] { 1 },
            Keys("a", (MemberKeys.Card, "lost", KeyOperation.Claim), (MemberKeys.Phone, "tel:old", KeyOperation.Claim)))).Version);

        // A stale version changes nothing, keys included.
        var stale = await writer.WriteAsync("member", "p/a", 0, new byte[] { 9 },
            Keys("a", (MemberKeys.Card, "lost", KeyOperation.Block), (MemberKeys.Phone, "tel:old", KeyOperation.Release)));
        Assert.Equal((null, null), (stale.Version, stale.TakenKind));
        Assert.Equal(["card/lost/a/false", "phone/tel:old/a/false"], await KeysAsync(KeyRowsSql));

        // The current version: the lost card stays the member's, blocked; the old phone is let go, the new one claimed.
        var changed = await writer.WriteAsync("member", "p/a", 1, new byte[] { 2 }, Keys("a",
            (MemberKeys.Card, "lost", KeyOperation.Block), (MemberKeys.Phone, "tel:old", KeyOperation.Release), (MemberKeys.Phone, "tel:new", KeyOperation.Claim)));
        Assert.Equal(2, changed.Version);
        Assert.Equal(["card/lost/a/true", "phone/tel:new/a/false"], await KeysAsync(KeyRowsSql));

        // Another member cannot claim the blocked card; the released phone is free for anyone.
        var refused = await writer.WriteAsync("member", "p/b", null, new byte[] { 1 }, Keys("b", (MemberKeys.Card, "lost", KeyOperation.Claim)));
        Assert.Equal((null, MemberKeys.Card), (refused.Version, refused.TakenKind));
        Assert.Equal(1, (await writer.WriteAsync("member", "p/b", null, new byte[] { 1 }, Keys("b", (MemberKeys.Phone, "tel:old", KeyOperation.Claim)))).Version);
        Assert.Equal(["card/lost/a/true", "phone/tel:new/a/false", "phone/tel:old/b/false"], await KeysAsync(KeyRowsSql));
    }

    private const string KeyRowsSql = "SELECT kind || '/' || key || '/' || member_id || '/' || blocked FROM member_keys ORDER BY kind, key";

    private static SideRows Keys(string member, params (string Kind, string Key, KeyOperation Operation)[] changes)
    {
        var rows = new MemberRows("p", member);
        rows.Keys.AddRange(changes.Select(c => new KeyChange(c.Kind, c.Key, c.Operation)));
        return new SideRows(rows, []);
    }

    private static SideRows Rows(string member, string[]? newSales = null, long[]? ledgerSeqs = null)
    {
        var rows = new MemberRows("p", member);
        foreach (var id in newSales ?? [])
        {
            rows.AddSale(Sale(id, "f"), isNew: true);
        }

        foreach (var seq in ledgerSeqs ?? [])
        {
            rows.Ledger.Add(new LedgerEntry(seq, LedgerEntryType.Earn, 10, 202611, newSales?.FirstOrDefault(), DateTimeOffset.UnixEpoch));
        }

        return new SideRows(rows, [.. rows.Sales.Select(_ => new byte[] { 1 })]);
    }

    private static SaleRecord Sale(string transactionId, string fingerprint) =>
        new()
        {
            Fingerprint = fingerprint,
            Result = new CommitResult
            {
                TransactionId = transactionId,
                Subtotal = 1_000,
                Discount = 0,
                Total = 1_000,
                PointsEarned = 10,
                EarnMonth = 202611,
                CouponCode = null,
                AvailableAfter = 10,
                CommittedAt = DateTimeOffset.UnixEpoch,
            },
        };

    private async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<List<string>> KeysAsync(string sql)
    {
        var keys = new List<string>();
        await using var query = DataSource.CreateCommand(sql);
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
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
