using Loyalty.Contracts;
using Loyalty.Domain;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Serialization;

namespace Loyalty.Grains;

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
    DeepCopier<CampaignBudgetState> copier,
    LoyaltyClock clock,
    ILogger<CampaignBudgetGrain> logger,
    ProgramCache programs)
    : Grain, ICampaignBudgetGrain
{
    public static readonly TimeSpan HoldTimeout = TimeSpan.FromSeconds(10);

    private enum OpKind
    {
        Reserve,
        Confirm,
        Release,
        Return,
        Count,
    }

    private readonly record struct Op(OpKind Kind, string TransactionId, string? MemberId, long Discount, string StoreId = "");

    private GroupCommit<Op, CampaignBudgetState>? _commits;

    // Reservations refused since this activation (GetStatusAsync): in memory on purpose, an increment on the refusal
    // path only; persisting them would add a write to every batch of a sold-out flash sale.
    private long _refusals;
    private DateTimeOffset _activatedAt;

    // A failed batch puts back a copy of the whole state; nothing kept beside it derives from it
    // (_refusals counts answers given, the gauge is published from state.State before each batch).
    private GroupCommit<Op, CampaignBudgetState> Commits => _commits ??= new(state, copier, DecideAsync, state.WriteStateAsync, (count, failure) =>
    {
        LogBatchFailed(logger, count, failure);
        DeactivateOnIdle();
    });

    // The key split once per activation (reading it builds new strings each time).
    private (string ProgramId, string Id)? _key;

    private string ProgramId => (_key ??= Keys.Split(this.GetPrimaryKeyString())).ProgramId;

    private string CampaignId => (_key ??= Keys.Split(this.GetPrimaryKeyString())).Id;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activatedAt = clock.UtcNow;
        this.RegisterGrainTimer(SettleStaleHoldsAsync, new GrainTimerCreationOptions(HoldTimeout, HoldTimeout) { Interleave = true });
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        BudgetGauges.Forget(ProgramId, CampaignId);
        return Task.CompletedTask;
    }

    public async Task<bool> ReserveAsync(string transactionId, string memberId, long discount, string storeId = "")
    {
        switch (await Commits.RunAsync<BudgetReservation>(new Op(OpKind.Reserve, transactionId, memberId, discount, storeId)))
        {
            case BudgetReservation.Granted:
                return true;
            case BudgetReservation.AlreadyHeld:
                return false;
            default:
                _refusals++;
                throw new LoyaltyException(ErrorReason.BudgetExhausted, "the campaign's budget is exhausted");
        }
    }

    public Task ConfirmAsync(string transactionId) => Commits.RunAsync<bool>(new Op(OpKind.Confirm, transactionId, null, 0));

    public Task ReleaseAsync(string transactionId) => Commits.RunAsync<bool>(new Op(OpKind.Release, transactionId, null, 0));

    public Task ReturnAsync(string transactionId, long discount, string storeId = "") =>
        Commits.RunAsync<bool>(new Op(OpKind.Return, transactionId, null, discount, storeId));

    public Task CountAsync(string transactionId, long discount, string storeId = "") =>
        Commits.RunAsync<bool>(new Op(OpKind.Count, transactionId, null, discount, storeId));

    public async Task<bool> CanGrantAsync(string storeId, long discount)
    {
        return state.State.CanGrant(await CampaignAsync(), storeId, discount);
    }

    public async Task<CampaignBudgetStatus> GetStatusAsync()
    {
        var campaign = await CampaignAsync();
        var s = state.State;
        BudgetGauges.Publish(ProgramId, CampaignId, campaign, s.Redemptions, s.DiscountGiven);
        return new CampaignBudgetStatus(
            s.Redemptions, s.DiscountGiven, s.Holds.Count, s.IsExhausted(campaign), _refusals, _activatedAt);
    }

    /// <summary>Decides one batch in arrival order against the persisted remainder (one turn: nothing interleaves).</summary>
    private async Task<GroupDecision> DecideAsync(IReadOnlyList<Op> batch)
    {
        var campaign = await CampaignAsync();
        var s = state.State;

        // What the previous batches made durable (a failed batch was restored before this one).
        BudgetGauges.Publish(ProgramId, CampaignId, campaign, s.Redemptions, s.DiscountGiven);
        var results = new object?[batch.Count];
        var changed = false;
        var now = clock.UtcNow;
        for (var i = 0; i < batch.Count; i++)
        {
            var op = batch[i];
            switch (op.Kind)
            {
                case OpKind.Reserve:
                    var reservation = s.Reserve(campaign, op.TransactionId, op.MemberId!, op.Discount, op.StoreId, now);
                    changed |= reservation == BudgetReservation.Granted;
                    results[i] = reservation;
                    break;
                case OpKind.Confirm:
                    changed |= s.Confirm(op.TransactionId);
                    results[i] = true;
                    break;
                case OpKind.Release:
                    changed |= s.Release(op.TransactionId);
                    results[i] = true;
                    break;
                case OpKind.Return:
                    changed |= s.Return(op.TransactionId, op.Discount, op.StoreId);
                    results[i] = true;
                    break;
                case OpKind.Count:
                    s.Count(op.Discount, op.StoreId);
                    results[i] = changed = true;
                    break;
            }
        }

        return new GroupDecision(results, changed);
    }

    /// <summary>Holds older than the timeout belong to sales that may have died with a silo: the member knows.</summary>
    private Task SettleStaleHoldsAsync(CancellationToken cancellationToken)
    {
        var now = clock.UtcNow;
        var stale = state.State.Holds
            .Where(h => StaleHolds.IsStale(h.Value.Since, now, HoldTimeout))
            .Select(h => (h.Key, h.Value.MemberId))
            .ToList();
        return StaleHolds.SettleAsync(GrainFactory, ProgramId, stale, ConfirmAsync, ReleaseAsync, failure => LogSettleFailed(logger, failure));
    }

    private async Task<CampaignDefinition?> CampaignAsync()
    {
        var program = await programs.GetAsync(ProgramId);
        return program.Campaigns.IsDefault ? null : program.Campaigns.FirstOrDefault(c => c.CampaignId == CampaignId);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A budget batch of {Count} operations could not be persisted; none was granted")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settling a stale budget hold failed; will retry")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception);
}
