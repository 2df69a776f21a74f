using Loyalty.Contracts;
using Orleans;

namespace Loyalty.Domain;

/// <summary>
/// A coupon code's state and what each operation does to it (the coupon grain queues the operations, decides a batch
/// with these methods in arrival order, and writes the batch once: docs/flash-budget.md, "Coupon holds"). A redemption
/// is a hold until the member's sale is durable; a confirmation makes it final; a release (a sale that never completed)
/// or a restore (a refused sale, a void) gives it back; a withdrawal (the issuing sale was voided) refuses every new one.
/// Each method returns whether the state changed, so a batch that changed nothing is not written.
/// </summary>
/// <remarks>Serialized ids and the alias are those it had in <c>Loyalty.Grains</c>: stored coupons load unchanged.</remarks>
[GenerateSerializer, Alias("loyalty.CouponState")]
public sealed class CouponState
{
    [Id(0)]
    public CouponDefinition? Definition { get; internal set; }

    /// <summary>Single-use and personal codes: the transaction holding the code (held or final).</summary>
    [Id(1)]
    public string? RedeemedByTransaction { get; internal set; }

    [Id(2)]
    public string? RedeemedByMember { get; internal set; }

    [Id(3)]
    public DateTimeOffset? RedeemedAt { get; internal set; }

    /// <summary>Redemptions whose sale is not yet known to be durable: transaction id → hold.</summary>
    [Id(4)]
    internal Dictionary<string, CouponHold> HoldsById { get; set; } = [];

    public IReadOnlyDictionary<string, CouponHold> Holds => HoldsById;

    /// <summary>Shared codes: live redemptions (held or final), the number the global cap limits.</summary>
    [Id(5)]
    public long Redemptions { get; internal set; }

    /// <summary>Shared codes: voided transactions whose redemption came back (so a repeated void counts once).</summary>
    [Id(6)]
    internal HashSet<string> ReturnedIds { get; set; } = [];

    public IReadOnlySet<string> Returned => ReturnedIds;

    /// <summary>The bulk series this code belongs to, if any (its definition comes from the series table).</summary>
    [Id(7)]
    public string? SeriesId { get; internal set; }

    /// <summary>Series codes: the version of the latest redemption record.</summary>
    [Id(8)]
    public long RecordVersion { get; internal set; }

    /// <summary>Series codes: redemption records persisted here and not yet confirmed in the redemptions table.</summary>
    [Id(9)]
    internal List<CouponRecord> OutboxRecords { get; set; } = [];

    public IReadOnlyList<CouponRecord> Outbox => OutboxRecords;

    /// <summary>Set when the sale that issued this code was voided or fully returned: no new redemption is accepted after it.</summary>
    [Id(10)]
    public DateTimeOffset? WithdrawnAt { get; internal set; }

    /// <summary>The voided sale that issued the code.</summary>
    [Id(11)]
    public string? WithdrawnFor { get; internal set; }

    /// <summary>The definition, or COUPON_NOT_FOUND when the code was never created.</summary>
    public CouponDefinition Defined() => Definition ?? throw new LoyaltyException(ErrorReason.CouponNotFound, "no such coupon");

    /// <summary>Whether no further sale can take the code now (a shared code at its cap, a single-use code held).</summary>
    public bool IsFull => Definition is { } definition && !Coupons.HasRoom(definition, Redemptions, RedeemedByTransaction);

    /// <summary>What the code's status says: its terms, who holds it, its live redemptions and pending holds.</summary>
    public CouponStatus Status(string code)
    {
        var definition = Defined();
        var redemptions = definition.Use == CouponUse.Shared ? Redemptions : RedeemedByTransaction is null ? 0 : 1;
        return new CouponStatus(code, definition, RedeemedByTransaction, RedeemedByMember, RedeemedAt, redemptions, HoldsById.Count, SeriesId, WithdrawnAt);
    }

    /// <summary>A code of a bulk series, found in the series table before its first redemption: its terms come from there.</summary>
    public void JoinSeries(CouponDefinition definition, string seriesId) => (Definition, SeriesId) = (definition, seriesId);

    /// <summary>Creates the code (idempotent for the same terms; COUPON_ALREADY_EXISTS for other terms). Returns whether it changed.</summary>
    public bool Create(CouponDefinition definition)
    {
        if (Definition is null)
        {
            Definition = definition;
            return true;
        }

        return Coupons.SameTerms(Definition, definition)
            ? false
            : throw new LoyaltyException(ErrorReason.CouponAlreadyExists, "a different coupon with this code already exists");
    }

    /// <summary>
    /// Holds the code for a transaction after its conditions (<see cref="Coupons.EnsureApplicable(CouponDefinition, long, DateTimeOffset, CouponContext)"/>)
    /// and its room (<see cref="Coupons.HasRoom"/>). The transaction that holds it asking again gets the same answer (a
    /// retried commit). Returns the definition; <paramref name="changed"/> says whether a hold was taken now.
    /// </summary>
    public CouponDefinition Redeem(CouponRedemption redemption, DateTimeOffset now, out bool changed)
    {
        var definition = Defined();
        var tx = redemption.TransactionId;
        changed = false;
        if (definition.Use == CouponUse.Shared ? HoldsById.ContainsKey(tx) : RedeemedByTransaction == tx)
        {
            return definition; // a retry of the transaction that holds the code
        }

        if (definition.Use != CouponUse.Shared && RedeemedByTransaction is not null)
        {
            throw Coupons.Taken(definition);
        }

        Coupons.EnsureNotWithdrawn(WithdrawnAt);
        Coupons.EnsureApplicable(definition, redemption.BasketSubtotal, now, redemption.Context);
        if (!Coupons.HasRoom(definition, Redemptions, RedeemedByTransaction))
        {
            throw Coupons.Taken(definition);
        }

        if (definition.Use == CouponUse.Shared)
        {
            Redemptions++;
        }
        else
        {
            (RedeemedByTransaction, RedeemedByMember, RedeemedAt) = (tx, redemption.MemberId, now);
            Record(redeemed: true, tx, redemption.MemberId, now);
        }

        HoldsById[tx] = new CouponHold { MemberId = redemption.MemberId, Since = now };
        changed = true;
        return definition;
    }

    /// <summary>The sale holding the code is durable: the hold becomes final. Returns whether it changed.</summary>
    public bool Confirm(string transactionId) => HoldsById.Remove(transactionId);

    /// <summary>
    /// Gives back the redemption of a transaction: <paramref name="restore"/> for a refused sale or a void (also after the
    /// hold was confirmed; a shared code counts each void once), else a release of a hold whose sale never completed
    /// (nothing once confirmed). Returns whether a redemption was given back; <paramref name="changed"/> whether the state changed.
    /// </summary>
    public bool GiveBack(string transactionId, bool restore, out bool changed)
    {
        changed = false;
        if (!restore && !HoldsById.ContainsKey(transactionId))
        {
            return false; // confirmed (or given back) meanwhile: nothing to release
        }

        if (Defined().Use == CouponUse.Shared)
        {
            if (HoldsById.Remove(transactionId) || (restore && ReturnedIds.Add(transactionId)))
            {
                Redemptions--;
                changed = true;
                return true;
            }

            return false;
        }

        HoldsById.Remove(transactionId);
        if (RedeemedByTransaction != transactionId)
        {
            return false;
        }

        (RedeemedByTransaction, RedeemedByMember, RedeemedAt) = (null, null, null);
        Record(redeemed: false, null, null, null);
        changed = true;
        return true;
    }

    /// <summary>
    /// Takes the code out of use for good because the sale that issued it was voided (idempotent). Returns whether a sale
    /// had already redeemed or held it (that discount stays given); <paramref name="changed"/> whether the state changed.
    /// </summary>
    public bool Withdraw(string voidedTransactionId, DateTimeOffset now, out bool changed)
    {
        changed = WithdrawnAt is null;
        if (changed)
        {
            (WithdrawnAt, WithdrawnFor) = (now, voidedTransactionId);
        }

        return RedeemedByTransaction is not null || Redemptions > 0;
    }

    /// <summary>Series codes: the records up to <paramref name="version"/> are in the redemptions table and leave the outbox.</summary>
    public void ForgetRecordedUpTo(long version) => OutboxRecords.RemoveAll(r => r.Version <= version);

    /// <summary>Series codes: the redemption state travels to the redemptions table through the outbox in this state.</summary>
    private void Record(bool redeemed, string? transactionId, string? memberId, DateTimeOffset? at)
    {
        if (SeriesId is null)
        {
            return;
        }

        OutboxRecords.Add(new CouponRecord { Version = ++RecordVersion, Redeemed = redeemed, TransactionId = transactionId, MemberId = memberId, At = at });
    }
}

[GenerateSerializer, Immutable, Alias("loyalty.CouponHold")]
public sealed class CouponHold
{
    [Id(0)]
    public required string MemberId { get; init; }

    [Id(1)]
    public DateTimeOffset Since { get; init; }
}

[GenerateSerializer, Immutable, Alias("loyalty.CouponRecord")]
public sealed class CouponRecord
{
    [Id(0)]
    public long Version { get; init; }

    [Id(1)]
    public bool Redeemed { get; init; }

    [Id(2)]
    public string? TransactionId { get; init; }

    [Id(3)]
    public string? MemberId { get; init; }

    [Id(4)]
    public DateTimeOffset? At { get; init; }
}
