using Loyalty.Contracts;
using Orleans.Serialization;

namespace Loyalty.Grains;

/// <summary>
/// What one batch decided: an outcome per operation (a value, or the exception to answer it with),
/// and whether the state changed (then it is written once).
/// </summary>
internal sealed record GroupDecision(object?[] Outcomes, bool Changed);

/// <summary>
/// Group commit for a hot grain (docs/flash-budget.md): callers only enqueue; one loop takes
/// everything queued, decides it in arrival order against the state (one turn, nothing interleaves),
/// persists the batch with one write, and only then answers. If deciding or the write fails, the
/// state goes back to a deep copy taken before the batch (one copy of the whole persisted state,
/// so no field can escape the undo), every caller in it gets the failure (nothing acknowledged),
/// and, for a failed write, <paramref name="writeFailed"/> runs (the grains drop the activation).
/// Used by <see cref="CampaignBudgetGrain"/> and <see cref="CouponGrain"/>; both are [Reentrant]
/// so that the queue fills while a write is in flight. A grain that keeps anything derived from
/// the state beside it must rebuild it from <c>state.State</c> after a restore: the object is replaced.
/// </summary>
internal sealed class GroupCommit<TOp, TState>(
    IPersistentState<TState> state,
    DeepCopier<TState> copier,
    Func<IReadOnlyList<TOp>, Task<GroupDecision>> decide,
    Func<Task> write,
    Action<int, Exception> writeFailed)
    where TState : class
{
    private readonly List<(TOp Op, TaskCompletionSource<object?> Done)> _queue = [];
    private Task _loop = Task.CompletedTask;

    public async Task<T> RunAsync<T>(TOp op) => (T)(await EnqueueAsync(op))!;

    public Task<object?> EnqueueAsync(TOp op)
    {
        var done = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add((op, done));
        if (_loop.IsCompleted)
        {
            _loop = LoopAsync();
        }

        return done.Task;
    }

    private async Task LoopAsync()
    {
        while (_queue.Count > 0)
        {
            var batch = _queue.ToList();
            _queue.Clear();

            // One deep copy per batch, never per operation. Its cost grows with the state (a shared
            // code's or a budget's pending holds and returned transactions); the holds and records
            // are [Immutable], so only the collections themselves are copied.
            var before = copier.Copy(state.State) ?? throw new InvalidOperationException("a grain's state is never null");
            GroupDecision decision;
            try
            {
                decision = await decide([.. batch.Select(b => b.Op)]);
            }
            catch (Exception failure)
            {
                // A decision that broke off half way: the operations it had applied are not kept.
                state.State = before;
                batch.ForEach(b => b.Done.TrySetException(failure));
                continue;
            }

            if (decision.Changed)
            {
                try
                {
                    await write();
                }
                catch (Exception failure)
                {
                    // Nothing of this batch is durable, so nothing of it is granted, and memory goes
                    // back to what the last successful write stored (the next batch builds on that).
                    state.State = before;
                    writeFailed(batch.Count, failure);
                    batch.ForEach(b => b.Done.TrySetException(failure));
                    continue;
                }
            }

            for (var i = 0; i < batch.Count; i++)
            {
                if (decision.Outcomes[i] is Exception refusal)
                {
                    batch[i].Done.TrySetException(refusal);
                }
                else
                {
                    batch[i].Done.TrySetResult(decision.Outcomes[i]);
                }
            }
        }
    }
}

/// <summary>
/// Settling holds that outlived their timeout (a sale that may have died with a silo, or a lost
/// confirmation): the member grain knows. It is not reentrant, so <see cref="IMemberGrain.HasSaleAsync"/>
/// is answered only after any in-flight commit of that member finished — the answer is definitive:
/// confirm if the sale is durable, release otherwise. Shared by campaign budgets and coupons.
/// </summary>
internal static class StaleHolds
{
    public static bool IsStale(DateTimeOffset since, DateTimeOffset now, TimeSpan timeout) => now - since > timeout;

    public static async Task SettleAsync(
        IGrainFactory grains,
        string programId,
        IReadOnlyList<(string TransactionId, string MemberId)> stale,
        Func<string, Task> confirm,
        Func<string, Task> release,
        Action<Exception> failed)
    {
        foreach (var (transactionId, memberId) in stale)
        {
            try
            {
                // A guest sale's holds name no member: its till knows.
                var exists = memberId == GuestTills.MemberId
                    ? await GuestTills.For(grains, programId, transactionId).HasSaleAsync(transactionId)
                    : await grains.Grain<IMemberGrain>(Keys.Scoped(programId, memberId)).HasSaleAsync(transactionId);
                await (exists ? confirm(transactionId) : release(transactionId));
            }
            catch (Exception failure)
            {
                failed(failure);
            }
        }
    }
}
