using System.Collections.Concurrent;
using System.Threading.Channels;
using Loyalty.Contracts;
using Microsoft.Extensions.Hosting;

namespace Loyalty.Grains;

/// <summary>One ledger entry of one member, as appended to the reporting table.</summary>
public sealed record LedgerRow(string ProgramId, string MemberId, LedgerEntry Entry);

/// <summary>
/// Where ledger entries are kept for reporting and the admin ledger listing (PostgreSQL
/// <c>ledger_entries</c> in production). Appends are idempotent: an entry is identified by
/// (program, member, seq), and appending it again changes nothing.
/// </summary>
public interface ILedgerStore
{
    Task AppendAsync(IReadOnlyList<LedgerRow> rows, CancellationToken cancellationToken);

    Task<IReadOnlyList<LedgerEntry>> ListAsync(string programId, string memberId, long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The member's entries with this transaction id, by sequence (a manual adjustment's <c>adj:…</c> entries: a
    /// retry finds what was done, after a restart too).
    /// </summary>
    Task<IReadOnlyList<LedgerEntry>> FindAsync(string programId, string memberId, string transactionId, CancellationToken cancellationToken);
}

/// <summary>The ledger store when no database is configured (and in grain tests).</summary>
public sealed class MemoryLedgerStore : ILedgerStore
{
    private readonly ConcurrentDictionary<(string, string), SortedDictionary<long, LedgerEntry>> _entries = new();

    public Task AppendAsync(IReadOnlyList<LedgerRow> rows, CancellationToken cancellationToken)
    {
        foreach (var row in rows)
        {
            var member = _entries.GetOrAdd((row.ProgramId, row.MemberId), _ => []);
            lock (member)
            {
                member.TryAdd(row.Entry.Seq, row.Entry);
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<LedgerEntry>> ListAsync(string programId, string memberId, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        if (!_entries.TryGetValue((programId, memberId), out var member))
        {
            return Task.FromResult<IReadOnlyList<LedgerEntry>>([]);
        }

        lock (member)
        {
            return Task.FromResult<IReadOnlyList<LedgerEntry>>(member.Values.Where(e => e.Seq > afterSeq).Take(limit).ToList());
        }
    }

    public Task<IReadOnlyList<LedgerEntry>> FindAsync(string programId, string memberId, string transactionId, CancellationToken cancellationToken)
    {
        if (!_entries.TryGetValue((programId, memberId), out var member))
        {
            return Task.FromResult<IReadOnlyList<LedgerEntry>>([]);
        }

        lock (member)
        {
            return Task.FromResult<IReadOnlyList<LedgerEntry>>(member.Values.Where(e => e.TransactionId == transactionId).ToList());
        }
    }
}

/// <summary>
/// A silo-wide batcher for rows that grains already hold durably in an outbox of their own state:
/// grains hand rows over, one loop writes whatever has accumulated in one call, and each grain
/// learns whether its rows made it (if not, it keeps them and retries on its next write or activation).
/// </summary>
public abstract class BatchingOutbox<TRow> : BackgroundService
{
    public const int MaxBatch = 2_000;

    private readonly Channel<(IReadOnlyList<TRow> Rows, TaskCompletionSource Done)> _queue =
        Channel.CreateUnbounded<(IReadOnlyList<TRow>, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Completes when the rows are in the store; faults when the store refused them (the caller keeps them to retry).</summary>
    public Task AppendAsync(IReadOnlyList<TRow> rows)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((rows, done)))
        {
            done.SetException(new InvalidOperationException("the outbox is stopped"));
        }

        return done.Task;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected abstract Task WriteAsync(IReadOnlyList<TRow> rows);

    protected abstract void OnFailed(int count, Exception failure);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<(IReadOnlyList<TRow> Rows, TaskCompletionSource Done)>();
        var rows = new List<TRow>();
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            rows.Clear();
            while (rows.Count < MaxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
                rows.AddRange(item.Rows);
            }

            try
            {
                await WriteAsync(rows);
                batch.ForEach(b => b.Done.TrySetResult());
            }
            catch (Exception failure)
            {
                OnFailed(rows.Count, failure);
                batch.ForEach(b => b.Done.TrySetException(failure));
            }

            if (stoppingToken.IsCancellationRequested && !_queue.Reader.TryPeek(out _))
            {
                break;
            }
        }
    }
}
