using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains;

/// <summary>
/// A program's adjustment desk (cold storage, key: program id; docs/security.md, "Adjustment limits and approval"):
/// checks an adjustment against the caller's limits, counts it against the caller's day, holds it for a second
/// operator above the approval threshold, and hands it to the member grain. Not reentrant: one adjustment of the
/// program at a time, so a credential's day is counted exactly (adjustments are manual, a handful a minute).
/// The member's ledger stays the record that an adjustment was applied: the desk asks the member again on a retry.
/// </summary>
public sealed class AdjustmentDeskGrain(
    [PersistentState(AdjustmentDeskGrain.StateName, ProviderNames.GrainStorage)] IPersistentState<AdjustmentDeskState> state,
    LoyaltyClock clock,
    ProgramCache programs)
    : Grain, IAdjustmentDeskGrain
{
    /// <summary>The name of its state in the grain storage.</summary>
    public const string StateName = "adjustment-desk";

    private string ProgramId => this.GetPrimaryKeyString();

    public async Task<AdjustmentOutcome> RequestAsync(string memberId, AdjustCommand command, AccessRole role)
    {
        Adjustments.Validate(command);
        if (state.State.Held(memberId, command.AdjustmentId) is { } held)
        {
            Adjustments.EnsureSame(held, command);
            return held.Status == AdjustmentStatus.Applied ? Applied(await Member(memberId).AdjustAsync(held.Command)) : Held(held);
        }

        var limits = Adjustments.Limits(await programs.GetAsync(ProgramId));
        Adjustments.EnsureWithinCall(limits, role, command);
        if (Adjustments.NeedsApproval(limits, command))
        {
            await Member(memberId).GetAsync(); // MEMBER_NOT_FOUND now, not at the approval
            held = state.State.Hold(memberId, command, role, clock.UtcNow);
            await state.WriteOrDeactivateAsync(this);
            return Held(held);
        }

        return Applied(await ApplyAsync(limits, command.Actor, role, memberId, command, null));
    }

    public async Task<AdjustmentOutcome> ApproveAsync(string memberId, string adjustmentId, string approver)
    {
        var held = state.State.ToApprove(memberId, adjustmentId, approver);
        if (held.Status == AdjustmentStatus.Applied)
        {
            return Applied(await Member(memberId).AdjustAsync(held.Command));
        }

        // The limits of the one who asked, as they are now; counted against that one's day.
        var limits = Adjustments.Limits(await programs.GetAsync(ProgramId));
        Adjustments.EnsureWithinCall(limits, held.RequestedAs, held.Command);
        return Applied(await ApplyAsync(limits, held.Command.Actor, held.RequestedAs, memberId, held.Command, (held, approver)));
    }

    public async Task<AdjustmentOutcome> RejectAsync(string memberId, string adjustmentId, string decider)
    {
        var held = state.State.Held(memberId, adjustmentId);
        var rejected = state.State.Reject(memberId, adjustmentId, decider, clock.UtcNow);
        if (rejected != held)
        {
            await state.WriteOrDeactivateAsync(this);
        }

        return Held(rejected);
    }

    public Task<ImmutableArray<HeldAdjustment>> ListPendingAsync() => Task.FromResult(state.State.Pending);

    /// <summary>
    /// Counts the adjustment against the day (written first: a crash after it over-counts, never under-counts), marks
    /// an approved one applied, then applies it at the member. A refusal there (insufficient points, a reused id) takes
    /// both back.
    /// </summary>
    private async Task<AdjustResult> ApplyAsync(
        AdjustmentLimits limits, string credentialId, AccessRole role, string memberId, AdjustCommand command, (HeldAdjustment Held, string Approver)? approval)
    {
        var now = clock.UtcNow;
        var counted = state.State.Count(limits, credentialId, role, memberId, command, now);
        if (approval is { } a)
        {
            state.State.Decide(a.Held, AdjustmentStatus.Applied, a.Approver, now);
        }

        if (counted || approval is not null)
        {
            await state.WriteOrDeactivateAsync(this);
        }

        try
        {
            return await Member(memberId).AdjustAsync(command);
        }
        catch (LoyaltyException)
        {
            if (counted)
            {
                state.State.Uncount(memberId, command);
            }
            if (approval is { } undo)
            {
                state.State.Decide(undo.Held, AdjustmentStatus.Pending, null, null);
            }

            await state.WriteOrDeactivateAsync(this);
            throw;
        }
    }

    private IMemberGrain Member(string memberId) => GrainFactory.Grain<IMemberGrain>(Keys.Scoped(ProgramId, memberId));

    private static AdjustmentOutcome Applied(AdjustResult result) => new(AdjustmentStatus.Applied, result, null);

    private static AdjustmentOutcome Held(HeldAdjustment held) => new(held.Status, null, held);
}
