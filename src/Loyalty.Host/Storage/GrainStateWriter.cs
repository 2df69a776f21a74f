using System.Buffers;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Grains;
using Npgsql;
using NpgsqlTypes;

namespace Loyalty.Host.Storage;

/// <summary>
/// Cross-grain group commit for grain state rows (docs/write-path.md). Grains hand it their rows; a
/// few writer loops each take everything that queued up while their previous batch was in flight
/// and write it in ONE PostgreSQL round trip and transaction: one UPDATE for every row that has a
/// version (each checked against its own version, so a stale activation's row is simply not
/// updated and only that grain is refused) and one INSERT for first writes (the primary key decides
/// a first-write race). A grain's task completes only after the transaction committed; a failed
/// batch fails every write in it, so nothing in it is acknowledged.
/// </summary>
public sealed class GrainStateWriter : IAsyncDisposable
{
    /// <summary>At most this many rows per transaction.</summary>
    public const int MaxBatch = 512;

    // One statement per row, all in one batch: each finds its row by the primary key (a join with
    // unnest() let the planner pick a scan of the whole table for small batches).
    private const string UpdateSql = """
        UPDATE grain_state SET payload = $5, version = version + 1, modified_on = now()
        WHERE service_id = $1 AND state_name = $2 AND grain_key = $3 AND grain_n0 = 0 AND grain_n1 = 0 AND version = $4
        RETURNING version
        """;

    private const string InsertSql = """
        INSERT INTO grain_state (service_id, state_name, grain_key, grain_n0, grain_n1, version, payload)
        VALUES ($1, $2, $3, 0, 0, 1, $4)
        ON CONFLICT ON CONSTRAINT grain_state_pk DO NOTHING
        RETURNING version
        """;

    // A first member write with rows (the member updates with rows share UpdatesWithRowsSql): the state
    // statement and the rows in ONE statement; the rows are inserted from the state statement's output, so a
    // refused state write lands none of them. Answers one row: the new version (null when refused) and
    // whether the sale it creates already had a row.
    private static readonly string InsertWithRowsSql = $"""
        WITH s AS ({InsertSql}),
        {RowsSql(5)}
        SELECT (SELECT version FROM s), {DuplicateSql(5)}
        """;

    // A member write that claims, lets go of or blocks a card or phone (enrollment, a new card, a new phone;
    // rare next to sales): the state, its rows and its keys in ONE statement of its own. The state row is
    // written only if no other member holds a key it claims ("taken"); the key rows follow the state
    // statement's output, like the sale and ledger rows. The batch takes a transaction-scoped advisory
    // lock per claimed key first (KeyLocksSql, in a statement before this one), so two transactions
    // claiming one key run one after the other and the second's snapshot sees the first's row: exactly one
    // wins, and the other is refused on its own without failing its batch.
    // Answers one row: the new version (null when refused), duplicate sale, the kind of the key another
    // member holds (null when none).
    private const string UpdateUnlessTakenSql = """
        UPDATE grain_state SET payload = $5, version = version + 1, modified_on = now()
        WHERE service_id = $1 AND state_name = $2 AND grain_key = $3 AND grain_n0 = 0 AND grain_n1 = 0 AND version = $4
          AND NOT EXISTS (SELECT 1 FROM taken)
        RETURNING version
        """;

    private const string InsertUnlessTakenSql = """
        INSERT INTO grain_state (service_id, state_name, grain_key, grain_n0, grain_n1, version, payload)
        SELECT $1, $2, $3, 0, 0, 1, $4 WHERE NOT EXISTS (SELECT 1 FROM taken)
        ON CONFLICT ON CONSTRAINT grain_state_pk DO NOTHING
        RETURNING version
        """;

    private static readonly string UpdateWithKeysSql = WithKeys(UpdateUnlessTakenSql, 6);

    private static readonly string InsertWithKeysSql = WithKeys(InsertUnlessTakenSql, 5);

    // One advisory lock per claimed key, in a fixed order (the keys come sorted), held to the batch's commit.
    private const string KeyLocksSql = "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($1::text[]) AS k";

    // The sale and ledger rows of one member (parameters from p: program, member, new sale id, sale columns, ledger columns).
    private static string RowsSql(int p) => $"""
        sales AS (
            INSERT INTO member_sales (service_id, program_id, member_id, transaction_id, occurred_at, record,
                                      guest, store_id, subtotal, discount, total, items, tier, status, refunded, discounts)
            SELECT $1, ${p}, ${p + 1}, t.id, t.at, t.rec, ${p + 1} = '', t.store, t.subtotal, t.discount, t.total, t.items, t.tier, t.status, t.refunded, t.discounts::jsonb
            FROM s, unnest(${p + 3}::text[], ${p + 4}::timestamptz[], ${p + 5}::bytea[], ${p + 6}::text[], ${p + 7}::bigint[], ${p + 8}::bigint[],
                           ${p + 9}::bigint[], ${p + 10}::integer[], ${p + 11}::text[], ${p + 12}::smallint[], ${p + 13}::bigint[], ${p + 14}::text[])
                AS t(id, at, rec, store, subtotal, discount, total, items, tier, status, refunded, discounts)
            ON CONFLICT ON CONSTRAINT member_sales_pk DO UPDATE SET {SaleUpsert}),
        ledger AS (
            INSERT INTO ledger_entries (program_id, member_id, seq, entry_type, points, bucket_month, transaction_id, occurred_at, asset, reason, note, actor)
            SELECT ${p}, ${p + 1}, l.seq, l.entry_type, l.points, l.bucket_month, l.transaction_id, l.occurred_at, l.asset, l.reason, l.note, l.actor
            FROM s, unnest(${p + 15}::bigint[], ${p + 16}::text[], ${p + 17}::bigint[], ${p + 18}::integer[], ${p + 19}::text[], ${p + 20}::timestamptz[], ${p + 21}::text[],
                           ${p + 22}::text[], ${p + 23}::text[], ${p + 24}::text[])
                AS l(seq, entry_type, points, bucket_month, transaction_id, occurred_at, asset, reason, note, actor)
            ON CONFLICT ON CONSTRAINT ledger_entries_pk DO NOTHING)
        """;

    // A void or a refund rewrites its sale's row: the record and the facts the reports read (010_reports.sql).
    private const string SaleUpsert = """
        record = excluded.record, occurred_at = excluded.occurred_at, guest = excluded.guest, store_id = excluded.store_id,
        subtotal = excluded.subtotal, discount = excluded.discount, total = excluded.total, items = excluded.items, tier = excluded.tier,
        status = excluded.status, refunded = excluded.refunded, discounts = excluded.discounts
        """;

    // Whether a refused write was refused because the sale it creates already had a row.
    private static string DuplicateSql(int p) => $"""
        CASE WHEN EXISTS (SELECT 1 FROM s) THEN false
             ELSE EXISTS (SELECT 1 FROM member_sales m
                          WHERE m.service_id = $1 AND m.program_id = ${p} AND m.member_id = ${p + 1} AND m.transaction_id = ${p + 2})
        END
        """;

    private static string WithKeys(string stateSql, int p) => $"""
        WITH k AS (SELECT * FROM unnest(${p + 25}::text[], ${p + 26}::text[], ${p + 27}::text[]) AS k(kind, key, op)),
        taken AS (
            SELECT k.kind FROM k JOIN member_keys m
                ON m.service_id = $1 AND m.program_id = ${p} AND m.kind = k.kind AND m.key = k.key
            WHERE k.op = 'claim' AND m.member_id <> ${p + 1}
            LIMIT 1),
        s AS ({stateSql}),
        {RowsSql(p)},
        claimed AS (
            INSERT INTO member_keys (service_id, program_id, kind, key, member_id, blocked)
            SELECT $1, ${p}, k.kind, k.key, ${p + 1}, k.op = 'block' FROM s, k WHERE k.op IN ('claim', 'block')
            ON CONFLICT ON CONSTRAINT member_keys_pk DO UPDATE SET blocked = member_keys.blocked OR excluded.blocked
            WHERE member_keys.member_id = excluded.member_id),
        released AS (
            DELETE FROM member_keys m USING s, k
            WHERE k.op = 'release' AND m.service_id = $1 AND m.program_id = ${p} AND m.kind = k.kind AND m.key = k.key AND m.member_id = ${p + 1})
        SELECT (SELECT version FROM s), {DuplicateSql(p)}, (SELECT kind FROM taken)
        """;

    // Every member update with rows in a batch, in ONE statement (one parse, plan and executor start-up for the
    // batch instead of one per member).
    // The members come in as arrays numbered by position (n); each keeps its own version check and its own
    // check that the sale it creates has no row yet, so one refused member does not refuse the others; its
    // sale and ledger rows are inserted only if its state row was (joined on n with the UPDATE's output).
    // Answers one row per member, in order: n, the new version (null when refused), whether the refusal was
    // for a sale that already had a row.
    // The sale is looked up by its whole primary key in a scalar sub-select, which PostgreSQL runs once per
    // member: written as NOT EXISTS, the planner may turn it into a "hashed SubPlan" that reads every sale of
    // the service into a hash table per batch — which it did while member_sales's statistics still described
    // a nearly empty table (a fresh database under load: 68 million index tuples read in a 40 s checkout run,
    // PostgreSQL at 1 ms of CPU per checkout). For the same reason the batch turns sequential scans off for its
    // own transaction (PlannerSettingsSql): with statistics that say "a few rows", a scan per member looks
    // cheaper than the index; it is not once the table has grown.
    private static readonly string UpdatesWithRowsSql = $$"""
        WITH i AS (
            SELECT * FROM unnest($2::text[], $3::text[], $4::integer[], $5::bytea[], $6::text[], $7::text[], $8::text[])
                WITH ORDINALITY AS i(state_name, grain_key, version, payload, program_id, member_id, new_id, n)),
        s AS (
            UPDATE grain_state g SET payload = i.payload, version = g.version + 1, modified_on = now()
            FROM i
            WHERE g.service_id = $1 AND g.state_name = i.state_name AND g.grain_key = i.grain_key
              AND g.grain_n0 = 0 AND g.grain_n1 = 0 AND g.version = i.version
              AND (i.new_id IS NULL OR (
                    SELECT true FROM member_sales m
                    WHERE m.service_id = $1 AND m.program_id = i.program_id AND m.member_id = i.member_id AND m.transaction_id = i.new_id) IS NULL)
            RETURNING i.n, g.version),
        sales AS (
            INSERT INTO member_sales (service_id, program_id, member_id, transaction_id, occurred_at, record,
                                      guest, store_id, subtotal, discount, total, items, tier, status, refunded, discounts)
            SELECT $1, i.program_id, i.member_id, t.id, t.at, t.rec,
                   i.member_id = '', t.store, t.subtotal, t.discount, t.total, t.items, t.tier, t.status, t.refunded, t.discounts::jsonb
            FROM unnest($9::bigint[], $10::text[], $11::timestamptz[], $12::bytea[], $13::text[], $14::bigint[], $15::bigint[], $16::bigint[],
                        $17::integer[], $18::text[], $19::smallint[], $20::bigint[], $21::text[])
                AS t(n, id, at, rec, store, subtotal, discount, total, items, tier, status, refunded, discounts)
            JOIN s ON s.n = t.n JOIN i ON i.n = t.n
            ON CONFLICT ON CONSTRAINT member_sales_pk DO UPDATE SET {{SaleUpsert}}),
        ledger AS (
            INSERT INTO ledger_entries (program_id, member_id, seq, entry_type, points, bucket_month, transaction_id, occurred_at, asset, reason, note, actor)
            SELECT i.program_id, i.member_id, l.seq, l.entry_type, l.points, l.bucket_month, l.transaction_id, l.occurred_at, l.asset, l.reason, l.note, l.actor
            FROM unnest($22::bigint[], $23::bigint[], $24::text[], $25::bigint[], $26::integer[], $27::text[], $28::timestamptz[], $29::text[],
                        $30::text[], $31::text[], $32::text[])
                AS l(n, seq, entry_type, points, bucket_month, transaction_id, occurred_at, asset, reason, note, actor)
            JOIN s ON s.n = l.n JOIN i ON i.n = l.n
            ON CONFLICT ON CONSTRAINT ledger_entries_pk DO NOTHING)
        SELECT i.n, s.version,
               s.n IS NULL AND i.new_id IS NOT NULL AND (
                   SELECT true FROM member_sales m
                   WHERE m.service_id = $1 AND m.program_id = i.program_id AND m.member_id = i.member_id AND m.transaction_id = i.new_id) IS NOT NULL
        FROM i LEFT JOIN s ON s.n = i.n
        ORDER BY i.n
        """;

    // Local to the batch's transaction (the statements of one NpgsqlBatch share one): every statement of the
    // writer finds its rows by a primary key, whatever the statistics say about the table's size.
    private const string PlannerSettingsSql = "SELECT set_config('enable_seqscan', 'off', true)";

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _serviceId;
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Task[] _loops;

    public GrainStateWriter(NpgsqlDataSource dataSource, string serviceId, int writers)
    {
        _dataSource = dataSource;
        _serviceId = serviceId;
        _loops = [.. Enumerable.Range(0, Math.Max(1, writers)).Select(_ => Task.Run(RunAsync))];
    }

    private long _batches;
    private long _rows;

    /// <summary>Transactions committed so far (with <see cref="Rows"/>: rows per transaction).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Rows in the transactions committed so far.</summary>
    public long Rows => Interlocked.Read(ref _rows);

    /// <summary>
    /// Writes one state row (<paramref name="version"/> null for a first write) with the rows that go
    /// with it. Answers once the transaction holding it committed: the new version, or a null version
    /// when the row's version was stale (another activation wrote first) or, with
    /// <see cref="WriteOutcome.Duplicate"/>, when a sale it creates already had a row; a refused write
    /// lands none of its rows. Throws when the batch could not be written.
    /// </summary>
    public Task<WriteOutcome> WriteAsync(string stateName, string grainKey, int? version, ReadOnlyMemory<byte> payload, SideRows? rows = null)
    {
        var write = new PendingWrite(stateName, grainKey, version, payload, rows);
        if (!_queue.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(nameof(GrainStateWriter));
        }

        return write.Done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingWrite>(MaxBatch);
        var deferred = new List<PendingWrite>();
        while (deferred.Count > 0 || await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            var keys = new HashSet<(string, string)>();

            // Two writes of one row in a batch (a zombie and its successor) would be indistinguishable in
            // the UPDATE's answer: the later one waits for the next batch.
            foreach (var write in deferred)
            {
                keys.Add((write.StateName, write.GrainKey));
                batch.Add(write);
            }

            deferred.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var write))
            {
                if (keys.Add((write.StateName, write.GrainKey)))
                {
                    batch.Add(write);
                }
                else
                {
                    deferred.Add(write);
                }
            }

            if (batch.Count > 0)
            {
                await WriteBatchAsync(batch).ConfigureAwait(false);
            }
        }
    }

    private async Task WriteBatchAsync(List<PendingWrite> batch)
    {
        try
        {
            var committed = await ExecuteAsync(batch).ConfigureAwait(false);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _rows, batch.Count);
            foreach (var write in batch)
            {
                write.Done.TrySetResult(committed.TryGetValue((write.StateName, write.GrainKey), out var outcome) ? outcome : default);
            }
        }
        catch (Exception failure)
        {
            foreach (var write in batch)
            {
                write.Done.TrySetException(failure);
            }
        }
    }

    private async Task<Dictionary<(string, string), WriteOutcome>> ExecuteAsync(List<PendingWrite> batch)
    {
        await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);

        // Several statements in one batch run in one implicit transaction: all commit, or none. The member
        // updates with rows share one statement (first); every other write has its own.
        await using var command = new NpgsqlBatch(connection);
        command.BatchCommands.Add(new NpgsqlBatchCommand(PlannerSettingsSql));
        var claims = KeyLocks(batch);
        if (claims is not null)
        {
            var locks = new NpgsqlBatchCommand(KeyLocksSql);
            locks.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = claims });
            command.BatchCommands.Add(locks);
        }

        var updates = batch.Where(w => w is { Rows: not null, Version: not null } && !w.Rows.HasKeys).ToList();
        var singles = updates.Count == 0 ? batch : batch.Where(w => w is not { Rows: not null, Version: not null } || w.Rows.HasKeys).ToList();
        if (updates.Count > 0)
        {
            command.BatchCommands.Add(UpdatesWithRows(updates));
        }

        foreach (var write in singles)
        {
            var statement = new NpgsqlBatchCommand(write switch
            {
                { Rows: null, Version: null } => InsertSql,
                { Rows: null } => UpdateSql,
                { Rows.HasKeys: true, Version: null } => InsertWithKeysSql,
                { Rows.HasKeys: true } => UpdateWithKeysSql,
                _ => InsertWithRowsSql,
            });
            statement.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _serviceId });
            statement.Parameters.Add(new NpgsqlParameter<string> { TypedValue = write.StateName });
            statement.Parameters.Add(new NpgsqlParameter<string> { TypedValue = write.GrainKey });
            if (write.Version is { } version)
            {
                statement.Parameters.Add(new NpgsqlParameter<int> { TypedValue = version });
            }

            statement.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = write.Payload, NpgsqlDbType = NpgsqlDbType.Bytea });
            write.Rows?.AddParameters(statement.Parameters);
            command.BatchCommands.Add(statement);
        }

        var committed = new Dictionary<(string, string), WriteOutcome>(batch.Count);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        await reader.NextResultAsync().ConfigureAwait(false); // past the planner settings
        if (claims is not null)
        {
            await reader.NextResultAsync().ConfigureAwait(false); // past the key locks
        }

        if (updates.Count > 0)
        {
            // One row per member update, in order: n, new version or null, refused as a duplicate sale.
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                var write = updates[(int)reader.GetInt64(0) - 1];
                committed[(write.StateName, write.GrainKey)] = new WriteOutcome(reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.GetBoolean(2));
            }

            if (singles.Count > 0)
            {
                await reader.NextResultAsync().ConfigureAwait(false);
            }
        }

        // A plain statement answers one row (the new version) when its row was written, none when it was
        // stale; a write with rows always answers one row (version or null, duplicate or not, and with keys
        // the kind of a key another member holds).
        for (var index = 0; index < singles.Count; index++)
        {
            if (await reader.ReadAsync().ConfigureAwait(false))
            {
                var write = singles[index];
                committed[(write.StateName, write.GrainKey)] = write.Rows switch
                {
                    null => new WriteOutcome(reader.GetInt32(0), false),
                    { HasKeys: true } => new WriteOutcome(
                        reader.IsDBNull(0) ? null : reader.GetInt32(0), reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetString(2)),
                    _ => new WriteOutcome(reader.IsDBNull(0) ? null : reader.GetInt32(0), reader.GetBoolean(1)),
                };
            }

            if (index + 1 < singles.Count)
            {
                await reader.NextResultAsync().ConfigureAwait(false);
            }
        }

        return committed;
    }

    /// <summary>The advisory lock names of every key the batch claims, sorted (null when it claims none).</summary>
    private string[]? KeyLocks(List<PendingWrite> batch)
    {
        List<string>? names = null;
        foreach (var write in batch)
        {
            if (write.Rows is { HasKeys: true } side)
            {
                foreach (var change in side.Rows.Keys.Where(k => k.Operation == KeyOperation.Claim))
                {
                    (names ??= []).Add($"{_serviceId}/{side.Rows.ProgramId}/{change.Kind}/{change.Key}");
                }
            }
        }

        return names is null ? null : [.. names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>The one statement for every member update with rows in a batch (<see cref="UpdatesWithRowsSql"/>).</summary>
    private NpgsqlBatchCommand UpdatesWithRows(List<PendingWrite> updates)
    {
        var count = updates.Count;
        var states = new string[count];
        var keys = new string[count];
        var versions = new int[count];
        var payloads = new byte[count][];
        var programs = new string[count];
        var members = new string[count];
        var newIds = new string?[count];
        var sales = new SaleColumns();
        var ledger = new LedgerColumns();
        for (var i = 0; i < count; i++)
        {
            var write = updates[i];
            var side = write.Rows!;
            states[i] = write.StateName;
            keys[i] = write.GrainKey;
            versions[i] = write.Version!.Value;
            payloads[i] = write.Payload.ToArray();
            programs[i] = side.Rows.ProgramId;
            members[i] = side.Rows.MemberId;
            newIds[i] = side.Rows.NewTransactionId;
            side.AddTo(i + 1, sales, ledger);
        }

        var statement = new NpgsqlBatchCommand(UpdatesWithRowsSql);
        var p = statement.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = _serviceId });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = states });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = keys });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = versions });
        p.Add(new NpgsqlParameter<byte[][]> { TypedValue = payloads, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = programs });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = members });
        p.Add(new NpgsqlParameter<string?[]> { TypedValue = newIds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        sales.AddParameters(p);
        ledger.AddParameters(p);
        return statement;
    }

    private sealed record PendingWrite(string StateName, string GrainKey, int? Version, ReadOnlyMemory<byte> Payload, SideRows? Rows)
    {
        public TaskCompletionSource<WriteOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>
/// What became of one state write: the new version, or null when refused (stale, <see cref="Duplicate"/>, or
/// <see cref="TakenKind"/>: another member holds a card or phone it claims).
/// </summary>
public readonly record struct WriteOutcome(int? Version, bool Duplicate, string? TakenKind = null);

/// <summary>
/// A member's rows for the state write they travel with: the sales it creates or changes (records
/// already serialized), the id of the one it creates (which must not have a row yet) and its ledger entries.
/// </summary>
public sealed class SideRows(MemberRows rows, byte[][] saleRecords)
{
    public MemberRows Rows { get; } = rows;

    /// <summary>True when the write claims, lets go of or blocks a card or phone (a statement of its own).</summary>
    public bool HasKeys => Rows.Keys.Count > 0;

    /// <summary>Appends this member's sale and ledger rows, numbered <paramref name="n"/>, to a batch's columns.</summary>
    internal void AddTo(long n, SaleColumns sales, LedgerColumns ledger)
    {
        for (var i = 0; i < Rows.Sales.Count; i++)
        {
            sales.Add(n, Rows.Sales[i], saleRecords[i]);
        }

        foreach (var entry in Rows.Ledger)
        {
            ledger.Owner.Add(n);
            ledger.Seq.Add(entry.Seq);
            ledger.Type.Add(LedgerNames.Type(entry.Type));
            ledger.Points.Add(entry.Points);
            ledger.Month.Add(entry.BucketMonth);
            ledger.TransactionId.Add(entry.TransactionId);
            ledger.At.Add(entry.At.UtcDateTime);
            ledger.Asset.Add(LedgerNames.Asset(entry.Asset));
            ledger.Reason.Add(entry.Reason);
            ledger.Note.Add(entry.Note);
            ledger.Actor.Add(entry.Actor);
        }
    }

    /// <summary>This member's parameters for a statement of its own (a first write with rows): the same columns, unnumbered.</summary>
    internal void AddParameters(NpgsqlParameterCollection parameters)
    {
        var sales = new SaleColumns();
        var ledger = new LedgerColumns();
        AddTo(0, sales, ledger);
        parameters.Add(new NpgsqlParameter<string> { TypedValue = Rows.ProgramId });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = Rows.MemberId });
        parameters.Add(new NpgsqlParameter<string?> { TypedValue = Rows.NewTransactionId, NpgsqlDbType = NpgsqlDbType.Text });
        sales.AddParameters(parameters, numbered: false);
        ledger.AddParameters(parameters, numbered: false);
        if (HasKeys)
        {
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. Rows.Keys.Select(k => k.Kind)] });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. Rows.Keys.Select(k => k.Key)] });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. Rows.Keys.Select(k => k.Operation.ToString().ToLowerInvariant())] });
        }
    }
}

/// <summary>The sale rows of a batch's member updates, column by column (each row numbered by its member).</summary>
internal sealed class SaleColumns
{
    public List<long> Owner { get; } = [];

    public List<string> Id { get; } = [];

    public List<DateTime> At { get; } = [];

    public List<byte[]> Record { get; } = [];

    // The facts the reports read (deploy/sql/010_reports.sql, SaleFacts).
    public List<string> Store { get; } = [];

    public List<long> Subtotal { get; } = [];

    public List<long> Discount { get; } = [];

    public List<long> Total { get; } = [];

    public List<int> Items { get; } = [];

    public List<string?> Tier { get; } = [];

    public List<short> Status { get; } = [];

    public List<long> Refunded { get; } = [];

    public List<string> Discounts { get; } = [];

    /// <summary>Adds one sale: its key, record and facts.</summary>
    public void Add(long owner, SaleRecord sale, byte[] record)
    {
        var facts = SaleFacts.Of(sale);
        Owner.Add(owner);
        Id.Add(sale.Result.TransactionId);
        At.Add(sale.Result.OccurredAt.UtcDateTime);
        Record.Add(record);
        Store.Add(facts.StoreId);
        Subtotal.Add(facts.Subtotal);
        Discount.Add(facts.Discount);
        Total.Add(facts.Total);
        Items.Add(facts.Items);
        Tier.Add(facts.Tier);
        Status.Add((short)facts.Status);
        Refunded.Add(facts.Refunded);
        Discounts.Add(DiscountsJson(facts.Discounts));
    }

    /// <summary>The columns as array parameters, led by the members' numbers when <paramref name="numbered"/>.</summary>
    public void AddParameters(NpgsqlParameterCollection p, bool numbered = true)
    {
        if (numbered)
        {
            p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. Owner] });
        }

        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. Id] });
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. At], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<byte[][]> { TypedValue = [.. Record], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. Store] });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. Subtotal] });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. Discount] });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. Total] });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = [.. Items] });
        p.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. Tier], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<short[]> { TypedValue = [.. Status] });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. Refunded] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. Discounts] });
    }

    /// <summary>The discount per source as the JSON array the reports read: [{"source": "campaign", "id": "…", "amount": 500}, …].</summary>
    internal static string DiscountsJson(ImmutableArray<SourceDiscount> discounts)
    {
        if (discounts.IsDefaultOrEmpty)
        {
            return "[]";
        }

        var buffer = new ArrayBufferWriter<byte>(64 * discounts.Length);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var discount in discounts)
            {
                json.WriteStartObject();
                json.WriteString(SourceName, SourceText(discount.Source));
                json.WriteString(IdName, discount.SourceId);
                json.WriteNumber(AmountName, discount.Amount);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string SourceText(DiscountSource source) => source switch
    {
        DiscountSource.Campaign => "campaign",
        DiscountSource.Coupon => "coupon",
        DiscountSource.Tier => "tier",
        DiscountSource.Reward => "reward",
        _ => source.ToString().ToLowerInvariant(),
    };

    private static readonly JsonEncodedText SourceName = JsonEncodedText.Encode("source");
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText AmountName = JsonEncodedText.Encode("amount");
}

/// <summary>The ledger rows of a batch's member updates, column by column (each row numbered by its member).</summary>
internal sealed class LedgerColumns
{
    public List<long> Owner { get; } = [];

    public List<long> Seq { get; } = [];

    public List<string> Type { get; } = [];

    public List<long> Points { get; } = [];

    public List<int> Month { get; } = [];

    public List<string?> TransactionId { get; } = [];

    public List<DateTime> At { get; } = [];

    public List<string> Asset { get; } = [];

    public List<string?> Reason { get; } = [];

    public List<string?> Note { get; } = [];

    public List<string?> Actor { get; } = [];

    /// <summary>The columns as array parameters, led by the members' numbers when <paramref name="numbered"/>.</summary>
    public void AddParameters(NpgsqlParameterCollection p, bool numbered = true)
    {
        if (numbered)
        {
            p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. Owner] });
        }

        p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. Seq] });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. Type] });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. Points] });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = [.. Month] });
        p.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. TransactionId], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. At], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. Asset] });
        p.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. Reason], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. Note], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. Actor], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
    }
}
