using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains;

[GenerateSerializer, Alias("loyalty.MemberState")]
public sealed class MemberState
{
    [Id(0)]
    public bool Enrolled { get; set; }

    [Id(1)]
    public string? Name { get; set; }

    [Id(2)]
    public List<string> Cards { get; set; } = [];

    /// <summary>Earned month (yyyymm) → points still held from that month.</summary>
    [Id(3)]
    public Dictionary<int, long> Buckets { get; set; } = [];

    /// <summary>Idempotency records: transaction id → the body's fingerprint and the stored result.</summary>
    [Id(4)]
    public Dictionary<string, TransactionRecord> Transactions { get; set; } = [];

    [Id(5)]
    public DateTimeOffset EnrolledAt { get; set; }
}

[GenerateSerializer, Alias("loyalty.TransactionRecord")]
public sealed class TransactionRecord
{
    [Id(0)]
    public required string Fingerprint { get; init; }

    [Id(1)]
    public required CommitResult Result { get; init; }

    [Id(2)]
    public VoidResult? Void { get; set; }
}

/// <summary>
/// A member. The idempotency record of each commit lives in this grain's own state, so a commit
/// costs one durable write (plus one per single-use coupon), not two; see docs/idempotent-commit.md.
/// Not reentrant: commits and voids of one member are applied one at a time.
/// </summary>
public sealed class MemberGrain(
    [PersistentState("member", ProviderNames.GrainStorage)] IPersistentState<MemberState> state,
    LoyaltyClock clock)
    : Grain, IMemberGrain
{
    private string ProgramId => Keys.Split(this.GetPrimaryKeyString()).ProgramId;

    private string MemberId => Keys.Split(this.GetPrimaryKeyString()).Id;

    public async Task<MemberView> EnrollAsync(EnrollCommand command)
    {
        var s = state.State;
        var program = await GrainFactory.GetGrain<IProgramGrain>(ProgramId).GetAsync();
        if (s.Enrolled)
        {
            var sameRequest = (command.Name is null || command.Name == s.Name)
                && (command.CardNumber is null || s.Cards.Contains(command.CardNumber));
            return sameRequest
                ? View(program)
                : throw new LoyaltyException(ErrorReason.MemberAlreadyEnrolled, "the member is already enrolled");
        }

        if (command.CardNumber is { } card)
        {
            var owner = await GrainFactory.GetGrain<ICardGrain>(Keys.Scoped(ProgramId, card)).ClaimAsync(MemberId);
            if (owner != MemberId)
            {
                throw new LoyaltyException(ErrorReason.CardInUse, "the card belongs to another member");
            }

            s.Cards.Add(card);
        }

        s.Enrolled = true;
        s.Name = command.Name;
        s.EnrolledAt = clock.UtcNow;
        await state.WriteOrDeactivateAsync(this);
        return View(program);
    }

    public async Task<MemberView> GetAsync()
    {
        EnsureEnrolled();
        var program = await GrainFactory.GetGrain<IProgramGrain>(ProgramId).GetAsync();
        return View(program);
    }

    public async Task<CommitResult> CommitAsync(CommitCommand command)
    {
        EnsureEnrolled();
        var s = state.State;
        var fingerprint = Fingerprints.Of(command);
        if (s.Transactions.TryGetValue(command.TransactionId, out var record))
        {
            return record.Fingerprint == fingerprint
                ? record.Result
                : throw new LoyaltyException(ErrorReason.TransactionIdReused, "this transaction id was already used for a different sale");
        }

        var program = await GrainFactory.GetGrain<IProgramGrain>(ProgramId).GetAsync();
        var subtotal = Pricing.Validate(command.Lines);
        CouponDefinition? coupon = null;
        if (command.CouponCode is { } code)
        {
            // Redeemed durably before the member's write. If that write then fails, the retry of
            // this transaction id finds the coupon held by it and goes on; nothing is redeemed twice.
            coupon = await GrainFactory.GetGrain<ICouponGrain>(Keys.Scoped(ProgramId, code))
                .RedeemAsync(command.TransactionId, MemberId, subtotal);
        }

        var priced = Pricing.Price(command.Lines, program, coupon);
        var now = clock.UtcNow;
        var month = Months.Of(now);
        PointBuckets.Add(s.Buckets, month, priced.PointsToEarn);
        var result = new CommitResult(
            command.TransactionId,
            priced.Subtotal,
            priced.Discount,
            priced.Total,
            priced.PointsToEarn,
            month,
            command.CouponCode,
            PointBuckets.Available(s.Buckets, program.ExpiryMonths, now),
            now);
        s.Transactions[command.TransactionId] = new TransactionRecord { Fingerprint = fingerprint, Result = result };
        await state.WriteOrDeactivateAsync(this);
        return result;
    }

    public async Task<VoidResult> VoidAsync(string transactionId)
    {
        EnsureEnrolled();
        var s = state.State;
        if (!s.Transactions.TryGetValue(transactionId, out var record))
        {
            throw new LoyaltyException(ErrorReason.TransactionNotFound, "no committed transaction with this id for this member");
        }

        if (record.Void is { } done)
        {
            return done with { AlreadyVoided = true };
        }

        var program = await GrainFactory.GetGrain<IProgramGrain>(ProgramId).GetAsync();
        var committed = record.Result;
        if (committed.CouponCode is { } code)
        {
            // Release first: the void is acknowledged only once the coupon is usable again.
            // RestoreAsync only releases a hold of this very transaction, so repeating it is harmless.
            await GrainFactory.GetGrain<ICouponGrain>(Keys.Scoped(ProgramId, code)).RestoreAsync(transactionId);
        }

        var removed = PointBuckets.Remove(s.Buckets, committed.EarnMonth, committed.PointsEarned);
        var now = clock.UtcNow;
        record.Void = new VoidResult(
            transactionId,
            removed,
            committed.CouponCode is not null,
            AlreadyVoided: false,
            PointBuckets.Available(s.Buckets, program.ExpiryMonths, now),
            now);
        await state.WriteOrDeactivateAsync(this);
        return record.Void;
    }

    private void EnsureEnrolled()
    {
        if (!state.State.Enrolled)
        {
            throw new LoyaltyException(ErrorReason.MemberNotFound, "no such member");
        }
    }

    private MemberView View(ProgramSettings program)
    {
        var s = state.State;
        return new MemberView(
            MemberId,
            s.Name,
            [.. s.Cards],
            PointBuckets.View(s.Buckets, program.ExpiryMonths, clock.UtcNow),
            s.EnrolledAt);
    }
}
