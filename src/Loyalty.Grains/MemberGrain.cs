using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;
using Orleans.Serialization;

namespace Loyalty.Grains;

/// <summary>
/// A member. Each sale's record (its idempotency record, result and what reverses it) and the ledger entries it
/// produced are rows of their own, written in the same PostgreSQL transaction as the member's state, which keeps
/// only what the rules need and the few most recent sales (docs/write-path.md, docs/idempotent-commit.md).
/// Not reentrant: commits, voids and refunds of one member are applied one at a time.
/// </summary>
public sealed partial class MemberGrain(
    [PersistentState("member", ProviderNames.GrainStorage)] IPersistentState<MemberState> state,
    LoyaltyClock clock,
    ILedgerStore ledger,
    IMemberRowStore rows,
    PersonalData personalData,
    IAutomationStore automationStore,
    ProgramCache programs,
    Serializer<SaleRecord> saleSerializer)
    : Grain, IMemberGrain
{

    // The key split once per activation (reading it builds new strings each time).
    private (string ProgramId, string Id)? _key;

    // The most recent sales, in memory (every sale is a row).
    private readonly RecentSales _recent = new(saleSerializer);

    // Where the member identified by card or phone lately (issue #27: spending needs the member present); created on the first.
    private MemberPresence? _presence;

    // What Facts() built, and for which stored version.
    private (string Version, MemberFacts Facts)? _facts;

    private string ProgramId => (_key ??= Keys.Split(this.GetPrimaryKeyString())).ProgramId;

    private string MemberId => (_key ??= Keys.Split(this.GetPrimaryKeyString())).Id;

    private PointsAccount Account => state.State.Account;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        state.State.ReleaseEmptyCollections();

        // Contacts stored in plain text (before encryption was configured) or under an older key are sealed again
        // under the current key in memory; the member's next write stores them so (docs/security.md, key rotation).
        var s = state.State;
        if (personalData.NeedsResealing(s.Phone) || personalData.NeedsResealing(s.Email))
        {
            s.Reseal(personalData.Seal(Phone, this.GetPrimaryKeyString(), "phone"), personalData.Seal(Email, this.GetPrimaryKeyString(), "email"));
        }

        return Task.CompletedTask;
    }

    /// <summary>The member's phone in plain text (stored sealed: <see cref="PersonalData"/>).</summary>
    private string? Phone => personalData.Open(state.State.Phone, this.GetPrimaryKeyString(), "phone");

    /// <summary>The member's e-mail in plain text (stored sealed).</summary>
    private string? Email => personalData.Open(state.State.Email, this.GetPrimaryKeyString(), "email");

    /// <summary>
    /// The facts of the stored state, built once per stored version (identify, quote and commit each ask for them):
    /// every change of what they hold is written before the next call, and a write changes the version. Called
    /// before a call changes the state, never after.
    /// </summary>
    private MemberFacts Facts()
    {
        if (_facts is { } cached && cached.Version == state.Etag)
        {
            return cached.Facts;
        }

        var facts = state.State.Facts();
        _facts = state.Etag is { } version ? (version, facts) : null;
        return facts;
    }

    private ValueTask<ProgramSettings> Program() => programs.GetAsync(ProgramId);

    /// <summary>
    /// One durable write of everything, with the rows it makes (docs/write-path.md): the sales it created or
    /// changed and the ledger entries it made travel in the same transaction; the state itself holds no sale
    /// (memory keeps the <see cref="RecentSales.Capacity"/> most recent), so what a write costs does not
    /// grow with the member's history. A state written before sales were rows turns every sale it holds
    /// into a row first.
    /// </summary>
    private async Task PersistAsync()
    {
        var s = state.State;
        var pending = Pending;
        var staged = pending.Stage(ProgramId, MemberId);
        if (s.LegacySalesById is { Count: > 0 } legacy)
        {
            foreach (var sale in legacy.Values.Where(sale => !staged.Sales.Any(t => t.Result.TransactionId == sale.Result.TransactionId)).ToList())
            {
                StageSale(sale, isNew: false);
            }

            s.ForgetLegacySales();
        }

        staged.Ledger.AddRange(Account.Outbox);
        Account.RemoveConfirmed(long.MaxValue);
        if (rows.WritesWithState)
        {
            await state.WriteOrDeactivateAsync(this);
            if (pending.TakeKeyTaken() is { } kind)
            {
                throw await KeyTakenAsync(kind);
            }

            if (pending.TakeDuplicate())
            {
                throw new DuplicateTransactionException($"transaction {staged.NewTransactionId} already has a sale row");
            }

            return;
        }

        // No database: the same rules by hand (a sale id that has a row refuses the write; rows after the state).
        var taken = pending.Take();
        if (taken?.NewTransactionId is { } id && await rows.FindSaleAsync(ProgramId, MemberId, id) is not null)
        {
            throw new DuplicateTransactionException($"transaction {id} already has a sale row");
        }

        if (taken is not null && rows.ClaimKeys(taken) is { } takenKind)
        {
            throw await KeyTakenAsync(takenKind);
        }

        await state.WriteOrDeactivateAsync(this);
        if (taken is not null)
        {
            await rows.AppendAsync(taken);
        }
    }

    private async Task ReloadAsync()
    {
        _recent.Forget();
        await state.ReadStateAsync();
        state.State.ReleaseEmptyCollections();
    }

    /// <summary>After a failed computation: memory goes back to storage, or the activation goes when storage cannot be read.</summary>
    private async Task ReloadOrDeactivateAsync()
    {
        try
        {
            await ReloadAsync();
        }
        catch (Exception)
        {
            DeactivateOnIdle();
        }
    }

    /// <summary>
    /// Runs a change of the state that ends in its own durable write. A refusal is raised before anything
    /// changes; any other failure (an overflow in a sum) leaves memory that storage does not have, so it
    /// goes back to storage before the failure is reported (an overflow as a precise refusal).
    /// </summary>
    private async Task<T> ChangeAsync<T>(Func<Task<T>> change)
    {
        try
        {
            return await change();
        }
        catch (Exception failure) when (failure is not LoyaltyException)
        {
            await ReloadOrDeactivateAsync();
            if (failure is OverflowException)
            {
                throw OutOfRange();
            }

            throw;
        }
    }

    /// <summary>A sum that would not fit: refused precisely (it is the input's fault), never reported as transient.</summary>
    private static LoyaltyException OutOfRange() => LoyaltyException.Invalid("lines", "the amounts or points are out of range");

    private void StageKey(string kind, string key, KeyOperation operation) =>
        Pending.Stage(ProgramId, MemberId).Keys.Add(new KeyChange(kind, key, operation));

    /// <summary>The rows the current state object's next write carries (beside the state, not in it).</summary>
    private PendingRows Pending => PendingRows.Of(state.State);

    /// <summary>A write refused because another member holds a key it claims: memory goes back to storage, the refusal names the key.</summary>
    private async Task<LoyaltyException> KeyTakenAsync(string kind)
    {
        await ReloadOrDeactivateAsync();
        return MemberKeyErrors.InUse(kind);
    }

    private void EnsureEnrolled()
    {
        if (!state.State.Enrolled)
        {
            // A lookup of nobody (a mistyped or guessed id) does not keep an activation resident.
            DeactivateOnIdle();
            throw new LoyaltyException(ErrorReason.MemberNotFound, "no such member");
        }
    }

}
