using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

/// <summary>The adjustment desk's rules (issue #27, finding 8): limits per role, per call and per credential's day, and the approval hold.</summary>
public sealed class AdjustmentDeskTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 8, 12, 0, 0, TimeSpan.Zero);

    private static readonly AdjustmentLimits Limits = AdjustmentLimits.Default with
    {
        MarketerPoints = new AdjustmentLimit(100, 250),
        ApprovalAbovePoints = 1_000,
    };

    private static AdjustCommand Points(string id, long amount, string actor = "mk-1") => new(id, LedgerAsset.Points, amount, "goodwill", null, actor);

    [Fact]
    public void A_call_over_the_roles_limit_is_refused_whatever_its_sign_and_the_limit_is_named()
    {
        var refused = Assert.Throws<LoyaltyException>(() => Adjustments.EnsureWithinCall(Limits, AccessRole.Marketer, Points("a", -101)));
        Assert.Equal(ErrorReason.AdjustmentLimitExceeded, refused.Reason);
        Assert.Contains("100 points per call", refused.Message, StringComparison.Ordinal);
        Adjustments.EnsureWithinCall(Limits, AccessRole.Marketer, Points("a", 100));
        Adjustments.EnsureWithinCall(Limits, AccessRole.Operator, Points("a", 100_000)); // an operator's own limit
        Assert.Throws<LoyaltyException>(() => Adjustments.EnsureWithinCall(Limits, AccessRole.Terminal, Points("a", 1)));
    }

    [Fact]
    public void A_credentials_day_is_counted_once_per_adjustment_given_back_on_a_refusal_and_starts_again_the_next_day()
    {
        var desk = new AdjustmentDeskState();
        Assert.True(desk.Count(Limits, "mk-1", AccessRole.Marketer, "m-1", Points("a", 100), Now));
        Assert.False(desk.Count(Limits, "mk-1", AccessRole.Marketer, "m-1", Points("a", 100), Now)); // a retry
        Assert.True(desk.Count(Limits, "mk-1", AccessRole.Marketer, "m-2", Points("a", -100), Now)); // another member's "a"
        Assert.Equal(200, desk.UsedToday("mk-1", LedgerAsset.Points, Now));
        var refused = Assert.Throws<LoyaltyException>(() => desk.Count(Limits, "mk-1", AccessRole.Marketer, "m-1", Points("b", 51), Now));
        Assert.Contains("50 left today", refused.Message, StringComparison.Ordinal);
        Assert.True(desk.Count(Limits, "mk-2", AccessRole.Marketer, "m-1", Points("c", 100, "mk-2"), Now)); // another credential's day

        desk.Uncount("m-2", Points("a", -100));
        Assert.Equal(100, desk.UsedToday("mk-1", LedgerAsset.Points, Now));
        Assert.Equal(0, desk.UsedToday("mk-1", LedgerAsset.Points, Now.AddDays(1)));
        Assert.True(desk.Count(Limits, "mk-1", AccessRole.Marketer, "m-1", Points("b", 100), Now.AddDays(1)));
    }

    [Fact]
    public void A_held_adjustment_is_approved_by_a_second_operator_only_and_a_decision_stands()
    {
        Assert.True(Adjustments.NeedsApproval(Limits, Points("big", -1_001)));
        Assert.False(Adjustments.NeedsApproval(Limits, Points("big", 1_000)));
        var desk = new AdjustmentDeskState();
        var held = desk.Hold("m-1", Points("big", 5_000, "op-1"), AccessRole.Operator, Now);
        Assert.Equal(held, Assert.Single(desk.Pending));

        Assert.Equal(ErrorReason.SecondApproverRequired, Assert.Throws<LoyaltyException>(() => desk.ToApprove("m-1", "big", "op-1")).Reason);
        Assert.Equal(ErrorReason.AdjustmentNotFound, Assert.Throws<LoyaltyException>(() => desk.ToApprove("m-2", "big", "op-2")).Reason);
        desk.Decide(desk.ToApprove("m-1", "big", "op-2"), AdjustmentStatus.Applied, "op-2", Now);
        Assert.Empty(desk.Pending);
        Assert.Equal(AdjustmentStatus.Applied, desk.ToApprove("m-1", "big", "op-1").Status); // answered as it is: nothing more to apply
        Assert.Equal(ErrorReason.AdjustmentNotPending, Assert.Throws<LoyaltyException>(() => desk.Reject("m-1", "big", "op-3", Now)).Reason);

        desk.Hold("m-1", Points("other", 5_000, "op-1"), AccessRole.Operator, Now);
        Assert.Equal(AdjustmentStatus.Rejected, desk.Reject("m-1", "other", "op-1", Now).Status); // the asker may withdraw it
        Assert.Equal(ErrorReason.AdjustmentNotPending, Assert.Throws<LoyaltyException>(() => desk.ToApprove("m-1", "other", "op-2")).Reason);
        Assert.Equal(ErrorReason.AdjustmentIdReused, Assert.Throws<LoyaltyException>(() => Adjustments.EnsureSame(held, Points("big", 5_001))).Reason);

        // Decided ones are let go after KeepDecided, when the next one is held.
        desk.Hold("m-1", Points("later", 5_000, "op-1"), AccessRole.Operator, Now + AdjustmentDeskState.KeepDecided + TimeSpan.FromDays(1));
        Assert.Null(desk.Held("m-1", "big"));
    }

    [Fact]
    public void Limits_must_be_positive_bounded_and_a_day_at_least_a_call()
    {
        Adjustments.ValidateLimits(AdjustmentLimits.Default);
        Assert.Equal("adjustment_limits.marketer_points", Assert.Throws<LoyaltyException>(() => Adjustments.ValidateLimits(Limits with { MarketerPoints = new(100, 99) })).Field);
        Assert.Equal("adjustment_limits.operator_credit", Assert.Throws<LoyaltyException>(() => Adjustments.ValidateLimits(Limits with { OperatorCredit = new(0, 10) })).Field);
        Assert.Throws<LoyaltyException>(() => Adjustments.ValidateLimits(Limits with { ApprovalAboveCredit = Adjustments.MaxLimit + 1 }));
    }
}
