using Loyalty.Contracts;
using Loyalty.Domain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Serialization;

namespace Loyalty.Grains;

/// <summary>
/// One coupon code: single-use (also each code of a bulk series), shared with a global cap, or personal.
/// Exact under any concurrency and cheap when a shared code is one hot key: redemptions are queued and
/// decided in arrival order, one batch per storage write (group commit, as the campaign budgets do).
/// A redemption is a hold until the member confirms its sale is durable; a hold older than
/// <see cref="CouponOptions.HoldTimeout"/> is settled by asking the member (lazily when the code is
/// wanted by another sale, and by a timer while holds exist). Reentrant on purpose — state changes
/// only in the group-commit loop, one turn at a time (docs/flash-budget.md, "Coupon holds").
/// </summary>
[Reentrant]
public sealed partial class CouponGrain(
    [PersistentState("coupon", ProviderNames.GrainStorage)] IPersistentState<CouponState> state,
    DeepCopier<CouponState> copier,
    LoyaltyClock clock,
    ICouponSeriesStore series,
    CouponRedemptionOutbox records,
    IOptions<CouponOptions> options,
    ILogger<CouponGrain> logger)
    : Grain, ICouponGrain
{
    private static readonly TimeSpan LazySettleWait = TimeSpan.FromSeconds(2);

    private enum OpKind
    {
        Create,
        Redeem,
        Confirm,
        Release,
        Restore,
        Withdraw,
    }

    private readonly record struct Op(OpKind Kind, string? TransactionId = null, CouponRedemption? Redemption = null, CouponDefinition? Definition = null);

    private GroupCommit<Op, CouponState>? _commits;
    private IGrainTimer? _timer;
    private Task _settle = Task.CompletedTask;
    private Task _flush = Task.CompletedTask;
    private long _durableVersion;
    private long _recordedVersion;

    // The key split once per activation (reading it builds new strings each time).
    private (string ProgramId, string Id)? _key;

    private string ProgramId => (_key ??= Keys.Split(this.GetPrimaryKeyString())).ProgramId;

    private string Code => (_key ??= Keys.Split(this.GetPrimaryKeyString())).Id;

    private TimeSpan HoldTimeout => options.Value.HoldTimeout;

    // A failed batch puts back a copy of the whole state. Nothing kept beside it needs rebuilding:
    // _durableVersion moves only after a successful write, so it never passes the restored
    // RecordVersion, and _recordedVersion never passes _durableVersion; readers (the flush, the
    // timer, the settling) take state.State afresh each time.
    private GroupCommit<Op, CouponState> Commits => _commits ??= new(state, copier, DecideAsync, WriteAsync, (count, failure) =>
    {
        LogBatchFailed(logger, count, failure);
        DeactivateOnIdle();
    });

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Definition is null && await series.FindCodeAsync(ProgramId, Code, cancellationToken) is { } found)
        {
            // A code of a bulk series: its terms live in the series table until its first redemption.
            state.State.JoinSeries(found.Definition, found.SeriesId);
        }

        // Records persisted by an earlier activation that never reached the table (a crash): resume.
        _durableVersion = state.State.RecordVersion;
        _ = FlushRecordsAsync();
        ArmTimer();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await _flush.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public Task CreateAsync(CouponDefinition definition)
    {
        Coupons.ValidateDefinition(definition);
        return Commits.RunAsync<bool>(new Op(OpKind.Create, Definition: definition));
    }

    public Task<CouponStatus> GetAsync() => Task.FromResult(state.State.Status(Code));

    public async Task<CouponDefinition> RedeemAsync(CouponRedemption redemption)
    {
        state.State.Defined();
        if (state.State.IsFull && !state.State.Holds.ContainsKey(redemption.TransactionId))
        {
            // The code is taken; a hold that outlived its timeout may belong to a sale that never completed.
            // The wait is bounded: a member asked may itself be waiting on this grain (two members
            // retrying each other's stale code); then the settlement finishes in the background.
            await Task.WhenAny(SettleStaleHoldsAsync(exceptMember: redemption.MemberId), Task.Delay(LazySettleWait));
        }

        var definition = await Commits.RunAsync<CouponDefinition>(new Op(OpKind.Redeem, redemption.TransactionId, redemption));
        ArmTimer();

        // A series code's redemption is in the redemptions table before the sale can be acknowledged,
        // so the export never misses an acknowledged redemption. If the table is unreachable the call
        // fails (retryable; the hold and its record are kept, a retry of the transaction goes on from them).
        var target = _durableVersion;
        await FlushRecordsAsync();
        if (_recordedVersion < target)
        {
            throw new TimeoutException("the coupon's redemption record could not be stored yet; retry with the same transaction id");
        }

        return definition;
    }

    public Task ConfirmAsync(string transactionId) => Commits.RunAsync<bool>(new Op(OpKind.Confirm, transactionId));

    public async Task<bool> RestoreAsync(string transactionId)
    {
        var restored = await Commits.RunAsync<bool>(new Op(OpKind.Restore, transactionId));
        ArmTimer();
        await FlushRecordsAsync();
        return restored;
    }

    public Task<bool> WithdrawAsync(string voidedTransactionId) => Commits.RunAsync<bool>(new Op(OpKind.Withdraw, voidedTransactionId));

    private Task ReleaseAsync(string transactionId) => Commits.RunAsync<bool>(new Op(OpKind.Release, transactionId));

    private async Task WriteAsync()
    {
        var version = state.State.RecordVersion;
        await state.WriteStateAsync();
        _durableVersion = Math.Max(_durableVersion, version);
    }

    /// <summary>Decides one batch in arrival order (one turn: nothing interleaves); each refusal is that caller's answer.</summary>
    private Task<GroupDecision> DecideAsync(IReadOnlyList<Op> batch)
    {
        var s = state.State;
        var now = clock.UtcNow;
        var outcomes = new object?[batch.Count];
        var changed = false;
        for (var i = 0; i < batch.Count; i++)
        {
            try
            {
                outcomes[i] = Apply(batch[i], now, ref changed);
            }
            catch (LoyaltyException refusal)
            {
                outcomes[i] = refusal;
            }
        }

        if (changed)
        {
            s.ForgetRecordedUpTo(_recordedVersion);
        }

        return Task.FromResult(new GroupDecision(outcomes, changed));
    }

    /// <summary>One operation against the state (the rules are the state's: <see cref="CouponState"/>); its answer.</summary>
    private object Apply(Op op, DateTimeOffset now, ref bool changed)
    {
        var s = state.State;
        var tx = op.TransactionId!;
        bool answer, changedNow;
        switch (op.Kind)
        {
            case OpKind.Create:
                changed |= s.Create(op.Definition!);
                return true;
            case OpKind.Redeem:
                var definition = s.Redeem(op.Redemption!, now, out changedNow);
                changed |= changedNow;
                return definition;
            case OpKind.Withdraw:
                answer = s.Withdraw(tx, now, out changedNow);
                break;
            case OpKind.Confirm:
                changed |= s.Confirm(tx);
                return true;
            case OpKind.Release or OpKind.Restore:
                answer = s.GiveBack(tx, restore: op.Kind == OpKind.Restore, out changedNow);
                break;
            default:
                throw new InvalidOperationException($"unknown coupon operation {op.Kind}");
        }

        changed |= changedNow;
        return answer;
    }

    /// <summary>Sends the durable, unconfirmed records to the table; failures keep them for the next try. Never throws.</summary>
    private Task FlushRecordsAsync()
    {
        _flush = FlushAfterAsync(_flush);
        return _flush;
    }

    private async Task FlushAfterAsync(Task previous)
    {
        await previous;
        var s = state.State;
        var (from, to) = (_recordedVersion, _durableVersion);
        var pending = s.Outbox.Where(r => r.Version > from && r.Version <= to).ToList();
        if (pending.Count == 0 || s.SeriesId is not { } seriesId)
        {
            // Every durable record up to here is in the table (records leave the outbox only once recorded).
            _recordedVersion = Math.Max(_recordedVersion, to);
            return;
        }

        try
        {
            await records.AppendAsync([.. pending.Select(r => new CouponRedemptionRow(ProgramId, Code, seriesId, r.Version, r.Redeemed, r.TransactionId, r.MemberId, r.At))]);
            _recordedVersion = Math.Max(_recordedVersion, to);
        }
        catch (Exception failure)
        {
            LogRecordFailed(logger, failure);
        }
    }

    /// <summary>A timer runs while holds exist (or records wait): stale holds are settled, records retried.</summary>
    private void ArmTimer()
    {
        if (_timer is not null || (state.State.Holds.Count == 0 && state.State.Outbox.Count == 0))
        {
            return;
        }

        var period = HoldTimeout / 2;
        _timer = this.RegisterGrainTimer(OnTimerAsync, new GrainTimerCreationOptions(period, period) { Interleave = true });
    }

    private async Task OnTimerAsync(CancellationToken cancellationToken)
    {
        await SettleStaleHoldsAsync(exceptMember: null);
        await FlushRecordsAsync();
        if (state.State.Holds.Count == 0 && state.State.Outbox.All(r => r.Version <= _recordedVersion))
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    /// <summary>
    /// Holds older than the timeout: ask each member whether the sale exists (<see cref="StaleHolds"/>).
    /// The requesting member's own holds are skipped — it is busy with this very call (not reentrant),
    /// so asking it would wait on ourselves; the timer settles those.
    /// </summary>
    private Task SettleStaleHoldsAsync(string? exceptMember)
    {
        if (!_settle.IsCompleted)
        {
            return _settle;
        }

        var now = clock.UtcNow;
        var stale = state.State.Holds
            .Where(h => h.Value.MemberId != exceptMember && StaleHolds.IsStale(h.Value.Since, now, HoldTimeout))
            .Select(h => (h.Key, h.Value.MemberId))
            .ToList();
        if (stale.Count == 0)
        {
            return Task.CompletedTask;
        }

        _settle = StaleHolds.SettleAsync(GrainFactory, ProgramId, stale, ConfirmAsync, ReleaseAsync, failure => LogSettleFailed(logger, failure));
        return _settle;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A coupon batch of {Count} operations could not be persisted; none was granted")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settling a stale coupon hold failed; will retry")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording coupon redemptions failed; kept in the coupon's outbox, will retry")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception);
}
