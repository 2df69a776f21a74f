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

    public async Task<MemberView> EnrollAsync(EnrollCommand command)
    {
        var s = state.State;
        var program = await Program();
        if (s.Enrolled)
        {
            if (!s.IsSameEnrollment(command, Phone, Email))
            {
                throw new LoyaltyException(ErrorReason.MemberAlreadyEnrolled, "the member is already enrolled");
            }

            // A retried enrollment finishes what the first attempt may not have (welcome coupon, message).
            await AfterEnrollAsync(program);
            return View(program);
        }

        await CheckReferrerAsync(command.ReferrerId);

        // The card and the phone are claimed by the enrollment's own write (one transaction): a key another
        // member holds refuses it whole (CARD_IN_USE, PHONE_IN_USE) and nothing of it is kept.
        if (command.CardNumber is { } card)
        {
            StageKey(MemberKeys.Card, card, KeyOperation.Claim);
        }

        if (command.Profile?.Phone is { } phone)
        {
            StageKey(MemberKeys.Phone, personalData.PhoneKey(ProgramId, phone), KeyOperation.Claim);
        }

        var now = clock.UtcNow;
        s.Enroll(program, command.Name, command.BirthDate, command.CardNumber, command.ReferrerId, now);
        ApplyProfile(program, command.Profile, now);
        await PersistAsync();
        await AfterEnrollAsync(program);
        return View(program);
    }

    public async Task<MemberView> GetAsync()
    {
        EnsureEnrolled();
        return View(await Program());
    }

    public Task<MemberView> IdentifyAsync() => IdentifyAtAsync(null, null);

    public Task<MemberView> IdentifyByKeyAsync(string kind, string key, string? storeId, string? channel)
    {
        EnsureEnrolled();
        var s = state.State;
        switch (kind)
        {
            case MemberKeys.Card when s.Cards.Contains(key):
            case MemberKeys.Phone when Phone is { } phone && personalData.PhoneKey(ProgramId, phone) == key:
                return IdentifyAtAsync(storeId, channel);
            case MemberKeys.Card when s.BlockedCards.Contains(key):
                throw MemberKeyErrors.Blocked();
            default:
                throw MemberKeyErrors.NotFound(kind);
        }
    }

    public async Task<MemberView> IdentifyAtAsync(string? storeId, string? channel)
    {
        EnsureEnrolled();
        var program = await Program();
        var view = View(program);
        var offers = program.Campaigns.IsDefaultOrEmpty
            ? []
            : Promotions.Offers(program, new PromotionContext(clock.UtcNow, storeId, channel, null, Facts()), view.Tier?.Level);
        return view with { Coupons = await PersonalCouponsAsync(), Offers = offers };
    }

    public async Task<MemberView> ReplaceCardAsync(string? lostCard, string newCard, MemberProof proof)
    {
        EnsureEnrolled();
        var program = await Program();

        // The new card is claimed and the lost one blocked by the member's own write (one transaction).
        var (added, blocked) = state.State.ReplaceCard(lostCard, newCard, proof);
        if (added)
        {
            StageKey(MemberKeys.Card, newCard, KeyOperation.Claim);
        }

        if (blocked)
        {
            StageKey(MemberKeys.Card, lostCard!, KeyOperation.Block);
        }

        if (added || blocked)
        {
            await PersistAsync();
        }

        return View(program);
    }

    public async Task<MemberView> UpdateProfileAsync(ProfileUpdate update, MemberProof proof)
    {
        EnsureEnrolled();
        var s = state.State;
        s.EnsureMayChangeContacts(update.Profile, Phone, Email, proof);

        var program = await Program();
        var oldPhone = Phone;
        if (update.Profile.Phone is { } phone && phone != oldPhone)
        {
            // The new number is bound and the old one let go by the profile's own write (one transaction).
            StageKey(MemberKeys.Phone, personalData.PhoneKey(ProgramId, phone), KeyOperation.Claim);
            if (oldPhone is not null)
            {
                StageKey(MemberKeys.Phone, personalData.PhoneKey(ProgramId, oldPhone), KeyOperation.Release);
            }
        }

        var birthDateChanged = s.ChangeProfile(update.Name, update.BirthDate);
        ApplyProfile(program, update.Profile, clock.UtcNow);
        await PersistAsync();

        if (birthDateChanged)
        {
            await automationStore.UpsertMemberAsync(ProgramId, MemberId, s.BirthDate);
        }

        return View(program);
    }

    public async Task<CommitResult> CommitAsync(CommitCommand command)
    {
        EnsureEnrolled();
        var s = state.State;
        var fingerprint = Fingerprints.Of(command);
        if (_recent.Find(command.TransactionId, s) is { } known)
        {
            return Answer(known, fingerprint);
        }

        var requestedCoupon = command.CouponCode;
        var program = await Program();
        var now = clock.UtcNow;
        long subtotal;
        DateTimeOffset occurredAt;
        try
        {
            subtotal = Pricing.Validate(command.Lines);
            occurredAt = Domain.Sales.CheckTiming(program, command, now);
            s.EnsureCanPay(command, now);
        }
        catch (LoyaltyException)
        {
            // The rules refuse it today, but a retry of a sale committed before (no longer among the recent
            // ones in memory) is answered with what was committed then.
            if (await rows.FindSaleAsync(ProgramId, MemberId, command.TransactionId) is { } stored)
            {
                return Answer(stored, fingerprint);
            }

            throw;
        }

        // A live sale gets the campaigns (docs/promotions.md), priced ONCE with the coupon; every applied campaign
        // with a budget is reserved (exactly, group-committed) before the member's write. Offline replays earn only.
        var tier = Tiers.Evaluate(program.Tiers, s.Spend, occurredAt)?.Level;
        var live = Domain.Sales.IsLive(occurredAt, now);
        // Built once, and only when campaigns or a coupon will look at it (an offline replay earns only; a
        // program without campaigns has nothing to evaluate them against).
        var facts = (live && !program.Campaigns.IsDefaultOrEmpty) || command.CouponCode is not null ? Facts() : null;
        var context = live ? new PromotionContext(now, command.StoreId, command.Channel, command.PaymentMethod, facts) : null;
        var basket = new CheckoutBasket(program, command.Lines, command.RewardIds, tier, context);
        CouponDefinition? coupon = null;
        var coupons = command.CouponCode is { } code ? GrainFactory.Grain<ICouponGrain>(Keys.Scoped(ProgramId, code)) : null;
        var holds = new BudgetHolds(GrainFactory, ProgramId, command.TransactionId, MemberId, command.StoreId);
        SaleRecord sale;
        try
        {
            if (coupons is not null)
            {
                // Held durably before the member's write. If that write then fails, the retry of this
                // transaction id finds the coupon held by it and goes on; nothing is redeemed twice. If the
                // sale never completes, the coupon asks HasSaleAsync after its hold timeout and releases it.
                coupon = await coupons.RedeemAsync(new CouponRedemption(command.TransactionId, MemberId, subtotal, CouponFacts(command.StoreId, tier, command.CouponCode!)));
                Checkout.EnsureCouponAllowed(coupon, program, facts, tier, now);
            }

            // The one pricing step a quote also takes, holding the budgets it asks (docs/architecture.md).
            var plan = IssueCodes(await CheckoutStep.PriceAsync(basket, coupon, holds));
            if (plan.CouponCappedAway)
            {
                // The discount cap left nothing for the coupon: it stays unused (pricing without it is the same).
                await coupons!.RestoreAsync(command.TransactionId);
                holds.Dropped.Add(new DroppedPromotion(DiscountSource.Coupon, command.CouponCode!, ErrorReason.CouponNoDiscount, Coupons.CappedAwayMessage(program)));
                coupon = null;
                command = command with { CouponCode = null };
            }

            sale = s.RecordSale(program, command, coupon, fingerprint, now, plan, holds.Dropped.ToImmutable());
        }
        catch (Exception failure)
        {
            // Refused (or failed) after budget or coupon was taken and maybe after the account was touched
            // (e.g. points over the basket share, a changed total): memory goes back to what storage holds,
            // and the holds are given back — unless the transaction id was committed before (a retry no
            // longer among the recent sales): then the holds it owns stay and its stored sale answers.
            await ReloadOrDeactivateAsync();
            if (failure is LoyaltyException or OverflowException
                && await rows.FindSaleAsync(ProgramId, MemberId, command.TransactionId) is { } stored)
            {
                return await AnswerCommittedBeforeAsync(stored, requestedCoupon, fingerprint, holds);
            }

            if (coupon is not null)
            {
                await coupons!.RestoreAsync(command.TransactionId);
            }

            await holds.ReleaseAllAsync();
            if (failure is OverflowException)
            {
                throw OutOfRange();
            }

            throw;
        }

        StageSale(sale, isNew: true);
        try
        {
            await PersistAsync();
        }
        catch (Exception failure) when (failure.IsDuplicateTransaction())
        {
            // The write was refused because the transaction id already has a sale row: memory goes back to storage.
            await ReloadOrDeactivateAsync();
            var stored = await rows.FindSaleAsync(ProgramId, MemberId, command.TransactionId)
                ?? throw new InvalidOperationException("the sale row that refused the write is not readable");
            return await AnswerCommittedBeforeAsync(stored, requestedCoupon, fingerprint, holds);
        }

        foreach (var counted in sale.Result.Campaigns.Where(c => c.Redeemed && !c.Budgeted))
        {
            // Statistics of campaigns without limits (GetCampaignStatus): after the write, not awaited.
            _ = Budget(counted.CampaignId).CountAsync(command.TransactionId, counted.Discount, command.StoreId);
        }

        foreach (var applied in holds.Held)
        {
            // The hold becomes final. If this message is lost, the campaign asks HasSaleAsync later.
            _ = Budget(applied.CampaignId).ConfirmAsync(command.TransactionId);
        }

        if (coupons is not null)
        {
            // Likewise for the coupon's hold.
            _ = coupons.ConfirmAsync(command.TransactionId);
        }

        await CreateIssuedCouponsAsync(program, sale.Result);
        await AfterPurchaseAsync(program);

        return sale.Result;
    }

    public async Task<MemberQuoteView> GetForQuoteAsync()
    {
        EnsureEnrolled();
        return new MemberQuoteView(View(await Program()), Facts());
    }

    public async Task<QuoteResult> QuoteAsync(QuoteCommand command)
    {
        EnsureEnrolled();
        var program = await Program();
        var now = clock.UtcNow;
        var tier = Tiers.Evaluate(program.Tiers, state.State.Spend, now);
        var facts = Facts();
        var basket = new CheckoutBasket(
            program, command.Lines, command.RewardIds, tier?.Level, new PromotionContext(now, command.StoreId, command.Channel, command.PaymentMethod, facts));
        var couponFacts = CouponFacts(command.StoreId, tier?.Level, command.CouponCode ?? string.Empty);
        return await CheckoutStep.QuoteAsync(GrainFactory, ProgramId, basket, command.CouponCode, couponFacts, facts, tier, now);
    }

    /// <summary>What the coupon's conditions see of this member, for a quote and a commit alike.</summary>
    private CouponContext CouponFacts(string storeId, TierLevel? tier, string code) =>
        Checkout.CouponFacts(MemberId, storeId, tier, state.State.Spend.Purchases, state.State.CouponUses.GetValueOrDefault(code));

    public async Task<bool> HasSaleAsync(string transactionId) =>
        await FindSaleAsync(transactionId) is { Void: null };

    /// <summary>A committed sale's answer to a retry of it: the stored result, or a refusal when the body differs.</summary>
    private static CommitResult Answer(SaleRecord known, string fingerprint) =>
        known.Fingerprint == fingerprint
            ? known.Result with { Status = Domain.Sales.StatusOf(known) }
            : throw new LoyaltyException(ErrorReason.TransactionIdReused, "this transaction id was already used for a different sale");

    /// <summary>
    /// A retry of a sale committed before (no longer among the recent sales in memory) whose attempt took
    /// holds again: those the stored sale does not own are given back, and so are new grants of campaigns it
    /// does own (their first grant was already confirmed: the budget counted the sale once); a pending hold the
    /// sale owns stays (it is confirmed later). Then the stored sale answers.
    /// </summary>
    private async Task<CommitResult> AnswerCommittedBeforeAsync(SaleRecord stored, string? couponCode, string fingerprint, BudgetHolds holds)
    {
        var transactionId = stored.Result.TransactionId;
        var owned = stored.Result.Campaigns.IsDefault ? [] : stored.Result.Campaigns.Select(c => c.CampaignId).ToHashSet(StringComparer.Ordinal);
        await Task.WhenAll(holds.Held.Where(c => !owned.Contains(c.CampaignId) || holds.GrantedNow.Contains(c.CampaignId))
            .Select(c => Budget(c.CampaignId).ReleaseAsync(transactionId)));
        if (couponCode is not null && stored.Result.CouponCode != couponCode)
        {
            await GrainFactory.Grain<ICouponGrain>(Keys.Scoped(ProgramId, couponCode)).RestoreAsync(transactionId);
        }

        return Answer(stored, fingerprint);
    }

    /// <summary>A sale of this member: from the recent ones in memory, else from its row.</summary>
    private async Task<SaleRecord?> FindSaleAsync(string transactionId) =>
        _recent.Find(transactionId, state.State) ?? await rows.FindSaleAsync(ProgramId, MemberId, transactionId);

    /// <summary>A changed sale (void, refund) is kept among the recent ones and its row rewritten with the state.</summary>
    private void StageChangedSale(SaleRecord sale) => StageSale(sale, isNew: false);

    /// <summary>Keeps the sale among the recent ones and stages its row, serialized once for both.</summary>
    private void StageSale(SaleRecord sale, bool isNew) =>
        Pending.Stage(ProgramId, MemberId).AddSale(sale, isNew, _recent.Remember(sale, state.State));

    public Task<VoidResult> VoidAsync(string transactionId) => ChangeAsync(() => VoidCoreAsync(transactionId));

    private async Task<VoidResult> VoidCoreAsync(string transactionId)
    {
        EnsureEnrolled();
        var sale = await SaleAsync(transactionId);
        if (sale.Void is { } done)
        {
            return done with { AlreadyVoided = true };
        }

        var program = await Program();
        if (sale.Result.CouponCode is { } code)
        {
            // Release first: the void is acknowledged only once the coupon is usable again.
            // RestoreAsync only releases a hold of this very transaction, so repeating it is harmless.
            await GrainFactory.Grain<ICouponGrain>(Keys.Scoped(ProgramId, code)).RestoreAsync(transactionId);
        }

        // Coupons this sale issued are withdrawn before the void is recorded, for the same reason.
        var (withdrawn, alreadyUsed) = await WithdrawIssuedCouponsAsync(sale.Result);
        var result = state.State.ReverseSale(program, sale, clock.UtcNow, withdrawn, alreadyUsed);
        StageChangedSale(sale);
        await PersistAsync();

        // Budget returned after the void is durable: at most once; lost on a crash in between (never over-granted).
        await Task.WhenAll(MemberState.BudgetReturns(sale).Select(r => Budget(r.CampaignId).ReturnAsync(transactionId, r.Discount, sale.Result.StoreId ?? string.Empty)));
        return result;
    }

    public Task<RefundResult> RefundAsync(RefundCommand command) => ChangeAsync(() => RefundCoreAsync(command));

    private async Task<RefundResult> RefundCoreAsync(RefundCommand command)
    {
        EnsureEnrolled();
        var sale = await SaleAsync(command.TransactionId);
        var fingerprint = Fingerprints.Of(command);
        if (sale.Refunds.TryGetValue(command.RefundId, out var known))
        {
            return known.Fingerprint == fingerprint
                ? known.Result
                : throw new LoyaltyException(ErrorReason.RefundIdReused, "this refund id was already used for different lines");
        }

        var program = await Program();

        // A return of everything that is left withdraws the coupons the sale issued, as a void does (first).
        var (withdrawn, alreadyUsed) = Domain.Sales.CompletesReturn(sale, command) ? await WithdrawIssuedCouponsAsync(sale.Result) : ([], []);
        var result = state.State.ReturnLines(program, sale, command, fingerprint, clock.UtcNow, withdrawn, alreadyUsed);
        StageChangedSale(sale);
        await PersistAsync();
        return result;
    }

    public async Task<LedgerPage> GetLedgerAsync(long afterSeq, int limit)
    {
        EnsureEnrolled();
        var program = await Program();

        // Record any expiry that is due (once), so the listing is complete up to now.
        var before = Account.NextSeq;
        Domain.Sales.ExpireDue(Account, program, clock.UtcNow);
        if (Account.NextSeq != before)
        {
            await PersistAsync();
        }

        // Entries a state written by an earlier version still holds in its outbox reach the table first
        // (idempotent by their sequence; they leave the state with its next write).
        if (Account.Outbox.Count > 0)
        {
            await ledger.AppendAsync([.. Account.Outbox.Select(e => new LedgerRow(ProgramId, MemberId, e))], CancellationToken.None);
        }

        var entries = await ledger.ListAsync(ProgramId, MemberId, afterSeq, limit, CancellationToken.None);
        return new LedgerPage([.. entries], entries.Count == 0 ? afterSeq : entries[^1].Seq, Account.LedgerTotal, Account.CreditTotal);
    }

    private ICampaignBudgetGrain Budget(string campaignId) => GrainFactory.Grain<ICampaignBudgetGrain>(Keys.Scoped(ProgramId, campaignId));

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

        var s = state.State;
        var facts = new MemberFacts(
            [.. s.Attributes], s.Spend.Purchases, s.LastPurchaseAt, s.BirthDate, s.Stamps.ToImmutableDictionary(), s.CampaignUses.ToImmutableDictionary(), s.EnrolledAt,
            s.Spend.Lifetime, s.Spend.ByMonth.ToImmutableDictionary(), s.Spend.CategoryLastMonth.ToImmutableDictionary());
        _facts = state.Etag is { } version ? (version, facts) : null;
        return facts;
    }

    private ValueTask<ProgramSettings> Program() => programs.GetAsync(ProgramId);

    private async Task<SaleRecord> SaleAsync(string transactionId) =>
        await FindSaleAsync(transactionId)
            ?? throw new LoyaltyException(ErrorReason.TransactionNotFound, "no committed transaction with this id for this member");

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

    /// <summary>The profile's given parts, its contacts sealed at rest (a value that did not change keeps its sealed form).</summary>
    private void ApplyProfile(ProgramSettings program, MemberProfile? profile, DateTimeOffset now)
    {
        var sealedPhone = profile?.Phone is { } phone && phone != Phone ? personalData.Seal(phone, this.GetPrimaryKeyString(), "phone") : null;
        var sealedEmail = profile?.Email is { } email && email != Email ? personalData.Seal(email, this.GetPrimaryKeyString(), "email") : null;
        state.State.ApplyProfile(program, profile, sealedPhone, sealedEmail, now);
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

    private MemberView View(ProgramSettings program)
    {
        var s = state.State;
        var now = clock.UtcNow;
        return new MemberView(
            MemberId,
            s.Name,
            [.. s.Cards],
            Ledger.View(Account, program.ExpiryMonths, now),
            s.EnrolledAt,
            Tiers.Evaluate(program.Tiers, s.Spend, now),
            s.BirthDate,
            [.. s.Attributes],
            s.MarketingConsent,
            Profiles.IsComplete(s.Name, s.Phone, s.Email, s.BirthDate),
            s.Anniversary);
    }
}
