using Loyalty.Contracts;
using Loyalty.Domain;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Loyalty.Grains;

[GenerateSerializer, Alias("loyalty.CampaignBudgetState")]
public sealed class CampaignBudgetState
{
    [Id(0)]
    public long Redemptions { get; set; }

    [Id(1)]
    public long DiscountGiven { get; set; }

    /// <summary>Grants whose sale is not yet known to be durable: transaction id → hold.</summary>
    [Id(2)]
    public Dictionary<string, BudgetHold> Holds { get; set; } = [];

    /// <summary>Voided transactions whose budget came back (so a repeated return counts once).</summary>
    [Id(3)]
    public HashSet<string> Returned { get; set; } = [];

    /// <summary>Redemptions per store (for per-store limits), counted in the same group commit.</summary>
    [Id(4)]
    public Dictionary<string, long> StoreRedemptions { get; set; } = [];
}

[GenerateSerializer, Alias("loyalty.BudgetHold")]
public sealed class BudgetHold
{
    [Id(0)]
    public required string MemberId { get; init; }

    [Id(1)]
    public long Discount { get; init; }

    [Id(2)]
    public DateTimeOffset Since { get; init; }

    [Id(3)]
    public string StoreId { get; init; } = string.Empty;
}

/// <summary>
/// A campaign's budget, exact under any concurrency and cheap under a flash sale: reservations are
/// queued, decided in arrival order against the remaining budget, and persisted together with one
/// write (group commit). A grant is answered only after that write. A grant stays a "hold" until the
/// member confirms its sale is durable; a hold left by a crash is settled by asking the member
/// whether the sale exists (docs/flash-budget.md). Reentrant on purpose — the queue is what keeps
/// decisions sequential; state changes happen only in the flush loop, one turn at a time.
/// </summary>
[Reentrant]
public sealed partial class CampaignBudgetGrain(
    [PersistentState("campaign-budget", ProviderNames.GrainStorage)] IPersistentState<CampaignBudgetState> state,
    LoyaltyClock clock,
    ILogger<CampaignBudgetGrain> logger)
    : Grain, ICampaignBudgetGrain
{
    public static readonly TimeSpan HoldTimeout = TimeSpan.FromSeconds(10);

    private enum OpKind
    {
        Reserve,
        Confirm,
        Release,
        Return,
    }

    private readonly record struct Op(OpKind Kind, string TransactionId, string? MemberId, long Discount, TaskCompletionSource<bool> Done, string StoreId = "");

    private readonly List<Op> _queue = [];
    private Task _flush = Task.CompletedTask;

    private string ProgramId => Keys.Split(this.GetPrimaryKeyString()).ProgramId;

    private string CampaignId => Keys.Split(this.GetPrimaryKeyString()).Id;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(SettleStaleHoldsAsync, new GrainTimerCreationOptions(HoldTimeout, HoldTimeout) { Interleave = true });
        return Task.CompletedTask;
    }

    public async Task ReserveAsync(string transactionId, string memberId, long discount, string storeId = "")
    {
        if (!await EnqueueAsync(new Op(OpKind.Reserve, transactionId, memberId, discount, NewDone(), storeId)))
        {
            throw new LoyaltyException(ErrorReason.BudgetExhausted, "the campaign's budget is exhausted");
        }
    }

    public Task ConfirmAsync(string transactionId) => EnqueueAsync(new Op(OpKind.Confirm, transactionId, null, 0, NewDone()));

    public Task ReleaseAsync(string transactionId) => EnqueueAsync(new Op(OpKind.Release, transactionId, null, 0, NewDone()));

    public Task ReturnAsync(string transactionId, long discount, string storeId = "") =>
        EnqueueAsync(new Op(OpKind.Return, transactionId, null, discount, NewDone(), storeId));

    public async Task<bool> CanGrantAsync(string storeId, long discount)
    {
        var campaign = await CampaignAsync();
        var s = state.State;
        return campaign is not null && Campaigns.CanGrant(campaign, s.Redemptions, s.DiscountGiven, discount, s.StoreRedemptions.GetValueOrDefault(storeId));
    }

    public async Task<CampaignBudgetStatus> GetStatusAsync()
    {
        var campaign = await CampaignAsync();
        var s = state.State;
        return new CampaignBudgetStatus(
            s.Redemptions, s.DiscountGiven, s.Holds.Count, campaign is null || !Campaigns.CanGrant(campaign, s.Redemptions, s.DiscountGiven, 1));
    }

    private static void Uncount(CampaignBudgetState s, string storeId)
    {
        if (s.StoreRedemptions.TryGetValue(storeId, out var count))
        {
            s.StoreRedemptions[storeId] = Math.Max(0, count - 1);
        }
    }

    private static TaskCompletionSource<bool> NewDone() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Task<bool> EnqueueAsync(Op op)
    {
        _queue.Add(op);
        if (_flush.IsCompleted)
        {
            _flush = FlushLoopAsync();
        }

        return op.Done.Task;
    }

    private async Task FlushLoopAsync()
    {
        while (_queue.Count > 0)
        {
            var batch = _queue.ToList();
            _queue.Clear();
            CampaignDefinition? campaign;
            try
            {
                campaign = await CampaignAsync();
            }
            catch (Exception failure)
            {
                batch.ForEach(op => op.Done.TrySetException(failure));
                continue;
            }

            var s = state.State;
            var before = (s.Redemptions, s.DiscountGiven, Holds: new Dictionary<string, BudgetHold>(s.Holds), Returned: new HashSet<string>(s.Returned),
                Stores: new Dictionary<string, long>(s.StoreRedemptions));
            var results = new bool[batch.Count];
            var changed = false;
            for (var i = 0; i < batch.Count; i++)
            {
                var op = batch[i];
                switch (op.Kind)
                {
                    case OpKind.Reserve when s.Holds.ContainsKey(op.TransactionId):
                        results[i] = true; // a retry of a transaction that already holds budget
                        break;
                    case OpKind.Reserve when campaign is not null
                        && Campaigns.CanGrant(campaign, s.Redemptions, s.DiscountGiven, op.Discount, s.StoreRedemptions.GetValueOrDefault(op.StoreId)):
                        s.Redemptions++;
                        s.DiscountGiven += op.Discount;
                        s.StoreRedemptions[op.StoreId] = s.StoreRedemptions.GetValueOrDefault(op.StoreId) + 1;
                        s.Holds[op.TransactionId] = new BudgetHold { MemberId = op.MemberId!, Discount = op.Discount, Since = clock.UtcNow, StoreId = op.StoreId };
                        results[i] = changed = true;
                        break;
                    case OpKind.Reserve:
                        results[i] = false;
                        break;
                    case OpKind.Confirm:
                        changed |= s.Holds.Remove(op.TransactionId);
                        results[i] = true;
                        break;
                    case OpKind.Release:
                        if (s.Holds.Remove(op.TransactionId, out var hold))
                        {
                            s.Redemptions--;
                            s.DiscountGiven -= hold.Discount;
                            Uncount(s, hold.StoreId);
                            changed = true;
                        }

                        results[i] = true;
                        break;
                    case OpKind.Return when !s.Holds.ContainsKey(op.TransactionId) && s.Returned.Add(op.TransactionId):
                        s.Redemptions--;
                        s.DiscountGiven -= op.Discount;
                        Uncount(s, op.StoreId);
                        results[i] = changed = true;
                        break;
                    case OpKind.Return:
                        results[i] = true;
                        break;
                }
            }

            if (changed)
            {
                try
                {
                    await state.WriteStateAsync();
                }
                catch (Exception failure)
                {
                    // Nothing of this batch is durable, so nothing of it is granted.
                    (s.Redemptions, s.DiscountGiven, s.Holds, s.Returned, s.StoreRedemptions) = before;
                    LogBatchFailed(logger, batch.Count, failure);
                    batch.ForEach(op => op.Done.TrySetException(failure));
                    DeactivateOnIdle();
                    continue;
                }
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Done.TrySetResult(results[i]);
            }
        }
    }

    /// <summary>Holds older than the timeout belong to sales that may have died with a silo: the member knows.</summary>
    private async Task SettleStaleHoldsAsync(CancellationToken cancellationToken)
    {
        var stale = state.State.Holds.Where(h => clock.UtcNow - h.Value.Since > HoldTimeout).ToList();
        foreach (var (transactionId, hold) in stale)
        {
            try
            {
                var member = GrainFactory.GetGrain<IMemberGrain>(Keys.Scoped(ProgramId, hold.MemberId));
                await (await member.HasSaleAsync(transactionId) ? ConfirmAsync(transactionId) : ReleaseAsync(transactionId));
            }
            catch (Exception failure)
            {
                LogSettleFailed(logger, failure);
            }
        }
    }

    private async Task<CampaignDefinition?> CampaignAsync()
    {
        var program = await GrainFactory.GetGrain<IProgramGrain>(ProgramId).GetAsync();
        return program.Campaigns.IsDefault ? null : program.Campaigns.FirstOrDefault(c => c.CampaignId == CampaignId);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A budget batch of {Count} operations could not be persisted; none was granted")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settling a stale budget hold failed; will retry")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception);
}
