using Loyalty.Contracts;

namespace Loyalty.Grains;

/// <summary>
/// What one batch decided: an outcome per operation (a value, or the exception to answer it with),
/// whether the state changed (then it is written once), and how to undo the in-memory changes if
/// that write fails.
/// </summary>
internal sealed record GroupDecision(object?[] Outcomes, bool Changed, Action Rollback);

/// <summary>
/// Group commit for a hot grain (docs/flash-budget.md): callers only enqueue; one loop takes
/// everything queued, decides it in arrival order against the state (one turn, nothing interleaves),
/// persists the batch with one write, and only then answers. If the write fails, the batch's
/// in-memory changes are rolled back, every caller in it gets the failure (nothing acknowledged),
/// and <paramref name="writeFailed"/> runs (the grains drop the activation).
/// Used by <see cref="CampaignBudgetGrain"/> and <see cref="CouponGrain"/>; both are [Reentrant]
/// so that the queue fills while a write is in flight.
/// </summary>
internal sealed class GroupCommit<TOp>(
    Func<IReadOnlyList<TOp>, Task<GroupDecision>> decide,
    Func<Task> write,
    Action<int, Exception> writeFailed)
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
            GroupDecision decision;
            try
            {
                decision = await decide([.. batch.Select(b => b.Op)]);
            }
            catch (Exception failure)
            {
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
                    // Nothing of this batch is durable, so nothing of it is granted.
                    decision.Rollback();
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
                var member = grains.Grain<IMemberGrain>(Keys.Scoped(programId, memberId));
                await (await member.HasSaleAsync(transactionId) ? confirm(transactionId) : release(transactionId));
            }
            catch (Exception failure)
            {
                failed(failure);
            }
        }
    }
}
