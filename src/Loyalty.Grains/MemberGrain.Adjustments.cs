using Loyalty.Contracts;

namespace Loyalty.Grains;

/// <summary>Manual adjustments by customer service (docs/members.md, "Manual adjustments"): the rule is the member aggregate's.</summary>
public sealed partial class MemberGrain
{
    public Task<AdjustResult> AdjustAsync(AdjustCommand command) => ChangeAsync(() => AdjustCoreAsync(command));

    /// <summary>
    /// The ledger is the adjustment's idempotency record: its entries carry <c>adj:</c> + its id, written in the same
    /// transaction as the state, so a retry (after a restart too) finds them and the state does not grow with every
    /// adjustment. One call at a time per member (not reentrant): nothing can slip between the look-up and the write.
    /// </summary>
    private async Task<AdjustResult> AdjustCoreAsync(AdjustCommand command)
    {
        EnsureEnrolled();
        Domain.Adjustments.Validate(command);
        var program = await Program();
        var now = clock.UtcNow;
        var stored = await ledger.FindAsync(ProgramId, MemberId, Domain.Adjustments.TransactionId(command.AdjustmentId), CancellationToken.None);
        if (state.State.KnownAdjustment(program, command, stored, now) is { } known)
        {
            return known;
        }

        var result = state.State.Adjust(program, command, now);
        await PersistAsync();
        return result;
    }
}
