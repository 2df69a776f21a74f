using Loyalty.Contracts;
using Loyalty.Domain;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Serialization;

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

[GenerateSerializer, Immutable, Alias("loyalty.BudgetHold")]
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
    DeepCopier<CampaignBudgetState> copier,
    LoyaltyClock clock,
    ILogger<CampaignBudgetGrain> logger,
    ProgramCache programs)
    : Grain, ICampaignBudgetGrain
{
    public static readonly TimeSpan HoldTimeout = TimeSpan.FromSeconds(10);

    /// <summary>What a reservation got: a new grant, the transaction's pending hold, or nothing.</summary>
    private enum Reservation
    {
        Granted,
        AlreadyHeld,
        Refused,
    }

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
        switch (await Commits.RunAsync<Reservation>(new Op(OpKind.Reserve, transactionId, memberId, discount, storeId)))
        {
            case Reservation.Granted:
                return true;
            case Reservation.AlreadyHeld:
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
        var campaign = await CampaignAsync();
        var s = state.State;
        return campaign is not null && Campaigns.CanGrant(campaign, s.Redemptions, s.DiscountGiven, discount, s.StoreRedemptions.GetValueOrDefault(storeId));
    }

    private static void Uncount(CampaignBudgetState s, string storeId)
    {
        if (s.StoreRedemptions.TryGetValue(storeId, out var count))
        {
            s.StoreRedemptions[storeId] = Math.Max(0, count - 1);
        }
    }

    public async Task<CampaignBudgetStatus> GetStatusAsync()
    {
        var campaign = await CampaignAsync();
        var s = state.State;
        BudgetGauges.Publish(ProgramId, CampaignId, campaign, s.Redemptions, s.DiscountGiven);
        return new CampaignBudgetStatus(
            s.Redemptions, s.DiscountGiven, s.Holds.Count, campaign is null || !Campaigns.CanGrant(campaign, s.Redemptions, s.DiscountGiven, 1), _refusals, _activatedAt);
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
        for (var i = 0; i < batch.Count; i++)
        {
            var op = batch[i];
            switch (op.Kind)
            {
                case OpKind.Reserve when s.Holds.ContainsKey(op.TransactionId):
                    results[i] = Reservation.AlreadyHeld; // a retry of a transaction that already holds budget
                    break;
                case OpKind.Reserve when campaign is not null
                    && Campaigns.CanGrant(campaign, s.Redemptions, s.DiscountGiven, op.Discount, s.StoreRedemptions.GetValueOrDefault(op.StoreId)):
                    s.Redemptions++;
                    s.DiscountGiven += op.Discount;
                    s.StoreRedemptions[op.StoreId] = s.StoreRedemptions.GetValueOrDefault(op.StoreId) + 1;
                    s.Holds[op.TransactionId] = new BudgetHold { MemberId = op.MemberId!, Discount = op.Discount, Since = clock.UtcNow, StoreId = op.StoreId };
                    results[i] = Reservation.Granted;
                    changed = true;
                    break;
                case OpKind.Reserve:
                    results[i] = Reservation.Refused;
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
                    s.Redemptions = Math.Max(0, s.Redemptions - 1);
                    s.DiscountGiven = Math.Max(0, s.DiscountGiven - op.Discount);
                    Uncount(s, op.StoreId);
                    results[i] = changed = true;
                    break;
                case OpKind.Return:
                    results[i] = true;
                    break;
                case OpKind.Count:
                    s.Redemptions++;
                    s.DiscountGiven += op.Discount;
                    s.StoreRedemptions[op.StoreId] = s.StoreRedemptions.GetValueOrDefault(op.StoreId) + 1;
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
