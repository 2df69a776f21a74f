using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains;

/// <summary>
/// The member's sales: quote and commit through the one checkout step (<see cref="CheckoutStep"/>), voids, refunds and the
/// ledger listing (docs/architecture.md, docs/idempotent-commit.md).
/// </summary>
public sealed partial class MemberGrain
{
    public async Task<CommitResult> CommitAsync(CommitCommand command)
    {
        EnsureEnrolled();
        var s = state.State;
        var fingerprint = Fingerprints.Of(command);
        if (_recent.Find(command.TransactionId, s) is { } known)
        {
            return Checkout.Answer(known, fingerprint);
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
            // Presence first: a till without the member learns nothing of the balance from the refusal.
            MemberPresence.EnsurePresent(_presence, command, s.Cards, command.Till?.PresentedPhoneKey is not null && Phone is { } phone ? personalData.PhoneKey(ProgramId, phone) : null, now);
            s.EnsureCanPay(command, now);
        }
        catch (LoyaltyException)
        {
            // The rules refuse it today, but a retry of a sale committed before (no longer among the recent
            // ones in memory) is answered with what was committed then.
            if (await rows.FindSaleAsync(ProgramId, MemberId, command.TransactionId) is { } stored)
            {
                return Checkout.Answer(stored, fingerprint);
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
            var plan = Checkout.IssueCodes(await CheckoutStep.PriceAsync(basket, coupon, holds));
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

        // The holds become final (one-way; a lost message is settled by the coupon or budget asking HasSaleAsync).
        CheckoutStep.Confirm(GrainFactory, ProgramId, sale.Result, holds, coupons);

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

    /// <summary>A retry of a sale committed before (no longer among the recent sales in memory) whose attempt took holds again.</summary>
    private Task<CommitResult> AnswerCommittedBeforeAsync(SaleRecord stored, string? couponCode, string fingerprint, BudgetHolds holds) =>
        CheckoutStep.AnswerCommittedBeforeAsync(GrainFactory, ProgramId, stored, couponCode, fingerprint, holds);

    /// <summary>A sale of this member: from the recent ones in memory, else from its row.</summary>
    private async Task<SaleRecord?> FindSaleAsync(string transactionId) =>
        _recent.Find(transactionId, state.State) ?? await rows.FindSaleAsync(ProgramId, MemberId, transactionId);

    /// <summary>A changed sale (void, refund) is kept among the recent ones and its row rewritten with the state.</summary>
    private void StageChangedSale(SaleRecord sale) => StageSale(sale, isNew: false);

    /// <summary>Keeps the sale among the recent ones and stages its row, serialized once for both.</summary>
    private void StageSale(SaleRecord sale, bool isNew) =>
        Pending.Stage(ProgramId, MemberId).AddSale(sale, isNew, _recent.Remember(sale, state.State));

    public async Task<VoidResult> VoidAsync(string transactionId) => (await VoidAsync(transactionId, null)).Result;

    public Task<TillReturn<VoidResult>> VoidAsync(string transactionId, string? tillStoreId) => ChangeAsync(() => VoidCoreAsync(transactionId, tillStoreId));

    private async Task<TillReturn<VoidResult>> VoidCoreAsync(string transactionId, string? tillStoreId)
    {
        EnsureEnrolled();
        var sale = await SaleAsync(transactionId);
        var program = await Program();
        Domain.Sales.EnsureWithinReach(program, sale, tillStoreId);
        if (sale.Void is { } done)
        {
            return new(done with { AlreadyVoided = true }, sale.Result.StoreId);
        }

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
        return new(result, sale.Result.StoreId);
    }

    public async Task<RefundResult> RefundAsync(RefundCommand command) => (await RefundAsync(command, null)).Result;

    public Task<TillReturn<RefundResult>> RefundAsync(RefundCommand command, string? tillStoreId) => ChangeAsync(() => RefundCoreAsync(command, tillStoreId));

    private async Task<TillReturn<RefundResult>> RefundCoreAsync(RefundCommand command, string? tillStoreId)
    {
        EnsureEnrolled();
        var sale = await SaleAsync(command.TransactionId);
        var program = await Program();
        Domain.Sales.EnsureWithinReach(program, sale, tillStoreId);
        var fingerprint = Fingerprints.Of(command);
        if (Domain.Sales.KnownRefund(sale, command.RefundId, fingerprint) is { } known)
        {
            return new(known, sale.Result.StoreId);
        }


        // A return of everything that is left withdraws the coupons the sale issued, as a void does (first).
        var (withdrawn, alreadyUsed) = Domain.Sales.CompletesReturn(sale, command) ? await WithdrawIssuedCouponsAsync(sale.Result) : ([], []);
        var result = state.State.ReturnLines(program, sale, command, fingerprint, clock.UtcNow, withdrawn, alreadyUsed);
        StageChangedSale(sale);
        await PersistAsync();
        return new(result, sale.Result.StoreId);
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
    private async Task<SaleRecord> SaleAsync(string transactionId) =>
        await FindSaleAsync(transactionId)
            ?? throw new LoyaltyException(ErrorReason.TransactionNotFound, "no committed transaction with this id for this member");
}
