using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// A program's adjustment desk (issue #27, finding 8; docs/security.md, "Adjustment limits and approval"): what each
/// credential adjusted today, per asset, and the adjustments held for a second operator's approval. The limits
/// themselves are <see cref="Adjustments"/>'; this state only counts and remembers.
/// </summary>
[GenerateSerializer, Alias("loyalty.AdjustmentDeskState")]
public sealed class AdjustmentDeskState
{
    /// <summary>How long a decided (applied or rejected) held adjustment is kept: a late retry or approval still finds it.</summary>
    public static readonly TimeSpan KeepDecided = TimeSpan.FromDays(30);

    // Held adjustments by member/adjustment id: waiting, and decided ones for KeepDecided.
    [Id(0)]
    private Dictionary<string, HeldAdjustment>? _held;

    // Absolute amounts adjusted on Day, by credential/asset.
    [Id(1)]
    private Dictionary<string, long>? _used;

    // The member/adjustment ids counted on Day: a retry is not counted twice.
    [Id(2)]
    private Dictionary<string, string>? _counted;

    /// <summary>The UTC day <see cref="UsedToday"/> counts.</summary>
    [Id(3)]
    public DateOnly Day { get; private set; }

    /// <summary>The adjustments waiting for approval, oldest first.</summary>
    public ImmutableArray<HeldAdjustment> Pending =>
        _held is null ? [] : [.. _held.Values.Where(h => h.Status == AdjustmentStatus.Pending).OrderBy(h => h.RequestedAt)];

    /// <summary>The held adjustment with this member and adjustment id, if any.</summary>
    public HeldAdjustment? Held(string memberId, string adjustmentId) =>
        _held?.GetValueOrDefault(Key(memberId, adjustmentId));

    /// <summary>What the credential adjusted of the asset on the UTC day of <paramref name="now"/>.</summary>
    public long UsedToday(string credentialId, LedgerAsset asset, DateTimeOffset now) =>
        Day == DateOnly.FromDateTime(now.UtcDateTime) ? _used?.GetValueOrDefault(UseKey(credentialId, asset)) ?? 0 : 0;

    /// <summary>
    /// Counts the adjustment against the daily limit of <paramref name="credentialId"/> (ADJUSTMENT_LIMIT_EXCEEDED when
    /// it would pass it, nothing counted). Once per member and adjustment id a day: returns false when already counted.
    /// </summary>
    public bool Count(AdjustmentLimits limits, string credentialId, AccessRole role, string memberId, AdjustCommand command, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (Day != today)
        {
            Day = today;
            _used = null;
            _counted = null;
        }

        var key = Key(memberId, command.AdjustmentId);
        if (_counted?.ContainsKey(key) == true)
        {
            return false;
        }

        var used = UsedToday(credentialId, command.Asset, now);
        Adjustments.EnsureWithinDay(limits, role, command, used);
        (_used ??= new(StringComparer.Ordinal))[UseKey(credentialId, command.Asset)] = used + Math.Abs(command.Amount);
        (_counted ??= new(StringComparer.Ordinal))[key] = credentialId;
        return true;
    }

    /// <summary>Takes back what <see cref="Count"/> counted for an adjustment the member refused (insufficient points, a reused id).</summary>
    public void Uncount(string memberId, AdjustCommand command)
    {
        if (_counted is not null && _counted.Remove(Key(memberId, command.AdjustmentId), out var credentialId) && _used is not null)
        {
            var useKey = UseKey(credentialId, command.Asset);
            _used[useKey] = Math.Max(0, _used.GetValueOrDefault(useKey) - Math.Abs(command.Amount));
        }
    }

    /// <summary>Holds the adjustment for a second operator; decided ones older than <see cref="KeepDecided"/> are let go.</summary>
    public HeldAdjustment Hold(string memberId, AdjustCommand command, AccessRole role, DateTimeOffset now)
    {
        var held = new HeldAdjustment(memberId, command, role, now, AdjustmentStatus.Pending);
        _held ??= new(StringComparer.Ordinal);
        foreach (var old in _held.Where(h => h.Value.DecidedAt is { } at && now - at > KeepDecided).Select(h => h.Key).ToList())
        {
            _held.Remove(old);
        }

        _held[Key(memberId, command.AdjustmentId)] = held;
        return held;
    }

    /// <summary>
    /// The held adjustment <paramref name="approver"/> may approve: ADJUSTMENT_NOT_FOUND, ADJUSTMENT_NOT_PENDING when
    /// rejected, SECOND_APPROVER_REQUIRED for the one who asked. An applied one is answered as it is (approving again
    /// applies nothing more).
    /// </summary>
    public HeldAdjustment ToApprove(string memberId, string adjustmentId, string approver)
    {
        var held = Found(memberId, adjustmentId);
        if (held.Status == AdjustmentStatus.Rejected)
        {
            throw new LoyaltyException(ErrorReason.AdjustmentNotPending, $"adjustment {adjustmentId} was rejected by {held.DecidedBy}; request a new one");
        }

        if (held.Status == AdjustmentStatus.Pending && approver == held.Command.Actor)
        {
            throw new LoyaltyException(ErrorReason.SecondApproverRequired, "the operator who asked for an adjustment cannot approve it: a second operator must");
        }

        return held;
    }

    /// <summary>Rejects a waiting adjustment (idempotent); ADJUSTMENT_NOT_PENDING when it was applied.</summary>
    public HeldAdjustment Reject(string memberId, string adjustmentId, string decider, DateTimeOffset now)
    {
        var held = Found(memberId, adjustmentId);
        return held.Status switch
        {
            AdjustmentStatus.Applied => throw new LoyaltyException(ErrorReason.AdjustmentNotPending, $"adjustment {adjustmentId} was approved and applied by {held.DecidedBy}"),
            AdjustmentStatus.Rejected => held,
            _ => Decide(held, AdjustmentStatus.Rejected, decider, now),
        };
    }

    /// <summary>Records the decision on a held adjustment (<see cref="AdjustmentStatus.Pending"/> with no decider reopens it).</summary>
    public HeldAdjustment Decide(HeldAdjustment held, AdjustmentStatus status, string? decider, DateTimeOffset? now)
    {
        var decided = held with { Status = status, DecidedBy = decider, DecidedAt = now };
        _held![Key(held.MemberId, held.Command.AdjustmentId)] = decided;
        return decided;
    }

    private HeldAdjustment Found(string memberId, string adjustmentId) =>
        Held(memberId, adjustmentId) ?? throw new LoyaltyException(ErrorReason.AdjustmentNotFound, $"no adjustment {adjustmentId} of member {memberId} was held for approval");

    private static string Key(string memberId, string adjustmentId) => memberId + "/" + adjustmentId;

    private static string UseKey(string credentialId, LedgerAsset asset) => credentialId + "/" + asset;
}
