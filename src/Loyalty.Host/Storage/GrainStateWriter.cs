using System.Threading.Channels;
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
    /// Writes one state row: <paramref name="version"/> null for a first write. Returns the new
    /// version once the transaction holding it committed, or null when the row's version was stale
    /// (another activation wrote first). Throws when the batch could not be written.
    /// </summary>
    public Task<int?> WriteAsync(string stateName, string grainKey, int? version, ReadOnlyMemory<byte> payload)
    {
        var write = new PendingWrite(stateName, grainKey, version, payload);
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
                write.Done.TrySetResult(committed.TryGetValue((write.StateName, write.GrainKey), out var version) ? version : null);
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

    private async Task<Dictionary<(string, string), int?>> ExecuteAsync(List<PendingWrite> batch)
    {
        await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);

        // Several statements in one batch run in one implicit transaction: all commit, or none.
        await using var command = new NpgsqlBatch(connection);
        foreach (var write in batch)
        {
            var statement = new NpgsqlBatchCommand(write.Version is null ? InsertSql : UpdateSql);
            statement.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _serviceId });
            statement.Parameters.Add(new NpgsqlParameter<string> { TypedValue = write.StateName });
            statement.Parameters.Add(new NpgsqlParameter<string> { TypedValue = write.GrainKey });
            if (write.Version is { } version)
            {
                statement.Parameters.Add(new NpgsqlParameter<int> { TypedValue = version });
            }

            statement.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = write.Payload, NpgsqlDbType = NpgsqlDbType.Bytea });
            command.BatchCommands.Add(statement);
        }

        // Each statement answers one row (the new version) when its row was written, none when it was stale.
        var committed = new Dictionary<(string, string), int?>(batch.Count);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var index = 0;
        do
        {
            if (await reader.ReadAsync().ConfigureAwait(false))
            {
                committed[(batch[index].StateName, batch[index].GrainKey)] = reader.GetInt32(0);
            }

            index++;
        }
        while (await reader.NextResultAsync().ConfigureAwait(false));

        return committed;
    }

    private sealed record PendingWrite(string StateName, string GrainKey, int? Version, ReadOnlyMemory<byte> Payload)
    {
        public TaskCompletionSource<int?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
