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

    /// <summary>Points lots, ledger sequence and the outbox of entries not yet confirmed in the reporting table.</summary>
    [Id(3)]
    public PointsAccount Account { get; set; } = new();

    /// <summary>Idempotency records: transaction id → body fingerprint, stored result, what reverses it.</summary>
    [Id(4)]
    public Dictionary<string, SaleRecord> Sales { get; set; } = [];

    [Id(5)]
    public DateTimeOffset EnrolledAt { get; set; }

    /// <summary>Money paid per month and in total: tiers and purchase bonuses are derived from it.</summary>
    [Id(6)]
    public SpendHistory Spend { get; set; } = new();

    [Id(7)]
    public DateOnly? BirthDate { get; set; }

    /// <summary>Member attributes for campaign conditions (e.g. pensioner, student).</summary>
    [Id(20)]
    public List<string> Attributes { get; set; } = [];

    /// <summary>Stamp cards: campaign id → units stamped so far (cumulative; every (N+1)th is the free one).</summary>
    [Id(21)]
    public Dictionary<string, int> Stamps { get; set; } = [];

    /// <summary>Campaign id → redemptions by this member, for per-member limits (exact: this grain is single-threaded).</summary>
    [Id(22)]
    public Dictionary<string, int> CampaignUses { get; set; } = [];

    [Id(23)]
    public DateTimeOffset? LastPurchaseAt { get; set; }
}

/// <summary>
/// A member. The idempotency record of each sale and the ledger entries it produced are kept in
/// this grain's own state and written in the same single durable write as the balance change;
/// the entries then reach the reporting table in batches (docs/ledger.md, docs/idempotent-commit.md).
/// Not reentrant: commits, voids and refunds of one member are applied one at a time.
/// </summary>
public sealed class MemberGrain(
    [PersistentState("member", ProviderNames.GrainStorage)] IPersistentState<MemberState> state,
    LoyaltyClock clock,
    LedgerOutbox outbox)
    : Grain, IMemberGrain
{
    private long _confirmedSeq;
    private Task _flush = Task.CompletedTask;

    private string ProgramId => Keys.Split(this.GetPrimaryKeyString()).ProgramId;

    private string MemberId => Keys.Split(this.GetPrimaryKeyString()).Id;

    private PointsAccount Account => state.State.Account;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Entries persisted by an earlier activation that never reached the table (a crash): resume.
        StartFlush();
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await _flush.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public async Task<MemberView> EnrollAsync(EnrollCommand command)
    {
        var s = state.State;
        var program = await Program();
        if (s.Enrolled)
        {
            var sameRequest = (command.Name is null || command.Name == s.Name)
                && (command.BirthDate is null || command.BirthDate == s.BirthDate)
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
        s.BirthDate = command.BirthDate;
        s.EnrolledAt = clock.UtcNow;
        Ledger.Credit(Account, LedgerEntryType.Bonus, program.Earn?.EnrollmentBonus ?? 0, Months.Of(s.EnrolledAt), s.EnrolledAt, null, s.EnrolledAt);
        await PersistAsync();
        return View(program);
    }

    public async Task<MemberView> GetAsync()
    {
        EnsureEnrolled();
        return View(await Program());
    }

    public async Task<CommitResult> CommitAsync(CommitCommand command)
    {
        EnsureEnrolled();
        var s = state.State;
        var fingerprint = Fingerprints.Of(command);
        if (s.Sales.TryGetValue(command.TransactionId, out var known))
        {
            return known.Fingerprint == fingerprint
                ? known.Result
                : throw new LoyaltyException(ErrorReason.TransactionIdReused, "this transaction id was already used for a different sale");
        }

        var program = await Program();
        var now = clock.UtcNow;
        Pricing.Validate(command.Lines);
        var occurredAt = Domain.Sales.CheckTiming(program, command, now);
        if (command.PointsToSpend > Ledger.Available(Account, now))
        {
            throw new LoyaltyException(ErrorReason.InsufficientPoints, $"only {Ledger.Available(Account, now)} points are available");
        }

        if (command.CreditToSpend > CreditWallet.Available(Account, now))
        {
            throw new LoyaltyException(ErrorReason.InsufficientCredit, $"only {CreditWallet.Available(Account, now)} of store credit is available");
        }

        // A live sale gets the campaigns (docs/promotions.md), priced ONCE with the coupon; every applied campaign
        // with a budget is reserved (exactly, group-committed) before the member's write. Offline replays earn only.
        var tier = Tiers.Evaluate(program.Tiers, s.Spend, occurredAt)?.Level;
        var live = command.OccurredAt is null || occurredAt == now;
        var context = live ? new PromotionContext(now, command.StoreId, command.Channel, command.PaymentMethod, Facts()) : null;
        CouponDefinition? coupon = null;
        var coupons = command.CouponCode is { } code ? GrainFactory.GetGrain<ICouponGrain>(Keys.Scoped(ProgramId, code)) : null;
        var budgeted = new List<AppliedCampaign>();
        SaleRecord sale;
        try
        {
            if (coupons is not null)
            {
                // Redeemed durably before the member's write. If that write then fails, the retry of
                // this transaction id finds the coupon held by it and goes on; nothing is redeemed twice.
                coupon = await coupons.RedeemAsync(command.TransactionId, MemberId, Pricing.Validate(command.Lines));
            }

            var plan = Pricing.Price(command.Lines, program, coupon, tier, command.RewardIds, context);
            budgeted.AddRange(plan.Campaigns.Where(c => c.Budgeted));
            await Task.WhenAll(budgeted.Select(c => Budget(c.CampaignId).ReserveAsync(command.TransactionId, MemberId, c.Discount, command.StoreId)));
            sale = Domain.Sales.Commit(Account, program, command, coupon, fingerprint, now, s.Spend, s.BirthDate, plan);
        }
        catch (LoyaltyException)
        {
            // Refused after budget or coupon was taken (e.g. a budget used up, points over the basket share): give them back.
            await ReloadAsync();
            if (coupon is not null)
            {
                await coupons!.RestoreAsync(command.TransactionId);
            }

            await Task.WhenAll(budgeted.Select(c => Budget(c.CampaignId).ReleaseAsync(command.TransactionId)));
            throw;
        }

        foreach (var applied in sale.Result.Campaigns)
        {
            if (applied.StampsAdded > 0)
            {
                s.Stamps[applied.CampaignId] = applied.StampsAfter;
            }

            if (applied.Redeemed)
            {
                s.CampaignUses[applied.CampaignId] = s.CampaignUses.GetValueOrDefault(applied.CampaignId) + 1;
            }
        }

        s.LastPurchaseAt = s.LastPurchaseAt is { } last && last > occurredAt ? last : occurredAt;
        s.Sales[command.TransactionId] = sale;
        ForgetOldSales(program, now);
        await PersistAsync();
        foreach (var applied in budgeted)
        {
            // The hold becomes final. If this message is lost, the campaign asks HasSaleAsync later.
            _ = Budget(applied.CampaignId).ConfirmAsync(command.TransactionId);
        }

        return sale.Result;
    }

    public Task<MemberFacts> GetPromotionFactsAsync()
    {
        EnsureEnrolled();
        return Task.FromResult(Facts());
    }

    public Task<bool> HasSaleAsync(string transactionId) =>
        Task.FromResult(state.State.Sales.TryGetValue(transactionId, out var sale) && sale.Void is null);

    public async Task<VoidResult> VoidAsync(string transactionId)
    {
        EnsureEnrolled();
        var sale = Sale(transactionId);
        if (sale.Void is { } done)
        {
            return done with { AlreadyVoided = true };
        }

        var program = await Program();
        if (sale.Result.CouponCode is { } code)
        {
            // Release first: the void is acknowledged only once the coupon is usable again.
            // RestoreAsync only releases a hold of this very transaction, so repeating it is harmless.
            await GrainFactory.GetGrain<ICouponGrain>(Keys.Scoped(ProgramId, code)).RestoreAsync(transactionId);
        }

        var result = Domain.Sales.Void(Account, program, sale, clock.UtcNow, state.State.Spend);
        var applied = sale.Result.Campaigns.IsDefault ? [] : sale.Result.Campaigns;
        foreach (var campaign in applied)
        {
            if (campaign.StampsAdded > 0 && state.State.Stamps.TryGetValue(campaign.CampaignId, out var stamps))
            {
                state.State.Stamps[campaign.CampaignId] = Math.Max(0, stamps - campaign.StampsAdded);
            }

            if (campaign.Redeemed && state.State.CampaignUses.TryGetValue(campaign.CampaignId, out var uses))
            {
                state.State.CampaignUses[campaign.CampaignId] = Math.Max(0, uses - 1);
            }
        }

        await PersistAsync();

        // Budget returned after the void is durable: at most once; lost on a crash in between (never over-granted).
        // A sale recorded before multi-campaign pricing names one campaign and always held its budget.
        var returns = sale.Result.Campaigns.IsDefault
            ? (sale.Result.CampaignId is { } old ? [(old, sale.Result.CampaignDiscount)] : [])
            : applied.Where(c => c.Budgeted).Select(c => (c.CampaignId, c.Discount)).ToList();
        await Task.WhenAll(returns.Select(r => Budget(r.Item1).ReturnAsync(transactionId, r.Item2, sale.Result.StoreId ?? string.Empty)));
        return result;
    }

    public async Task<RefundResult> RefundAsync(RefundCommand command)
    {
        EnsureEnrolled();
        var sale = Sale(command.TransactionId);
        var fingerprint = Fingerprints.Of(command);
        if (sale.Refunds.TryGetValue(command.RefundId, out var known))
        {
            return known.Fingerprint == fingerprint
                ? known.Result
                : throw new LoyaltyException(ErrorReason.RefundIdReused, "this refund id was already used for different lines");
        }

        var program = await Program();
        var result = Domain.Sales.Refund(Account, program, sale, command, clock.UtcNow, state.State.Spend);
        sale.Refunds[command.RefundId] = new RefundRecord { Fingerprint = fingerprint, Result = result };
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

        // Make sure everything persisted so far is in the table before listing it.
        for (var attempt = 0; attempt < 3 && Account.Outbox.Any(e => e.Seq > _confirmedSeq); attempt++)
        {
            await _flush;
            StartFlush();
            await _flush;
        }

        if (Account.Outbox.Any(e => e.Seq > _confirmedSeq))
        {
            throw new TimeoutException("the ledger table is not reachable; the entries are safe in the member's outbox, retry");
        }

        var entries = await outbox.ListAsync(ProgramId, MemberId, afterSeq, limit);
        return new LedgerPage([.. entries], entries.Count == 0 ? afterSeq : entries[^1].Seq, Account.LedgerTotal, Account.CreditTotal);
    }

    private ICampaignBudgetGrain Budget(string campaignId) => GrainFactory.GetGrain<ICampaignBudgetGrain>(Keys.Scoped(ProgramId, campaignId));

    private MemberFacts Facts()
    {
        var s = state.State;
        return new MemberFacts(
            [.. s.Attributes], s.Spend.Purchases, s.LastPurchaseAt, s.BirthDate, s.Stamps.ToImmutableDictionary(), s.CampaignUses.ToImmutableDictionary(), s.EnrolledAt);
    }

    private async Task<ProgramSettings> Program() => await GrainFactory.GetGrain<IProgramGrain>(ProgramId).GetAsync();

    private SaleRecord Sale(string transactionId) =>
        state.State.Sales.TryGetValue(transactionId, out var sale)
            ? sale
            : throw new LoyaltyException(ErrorReason.TransactionNotFound, "no committed transaction with this id for this member");

    /// <summary>Idempotency records are kept for the offline window plus a margin (docs/ledger.md).</summary>
    private void ForgetOldSales(ProgramSettings program, DateTimeOffset now)
    {
        var horizon = now - program.IdempotencyRetention;
        foreach (var (id, sale) in state.State.Sales.Where(s => s.Value.Result.OccurredAt < horizon).ToList())
        {
            state.State.Sales.Remove(id);
        }
    }

    /// <summary>One durable write of everything; entries confirmed in the table are dropped from the outbox first.</summary>
    private async Task PersistAsync()
    {
        var confirmed = _confirmedSeq;
        Account.Outbox.RemoveAll(e => e.Seq <= confirmed);
        await state.WriteOrDeactivateAsync(this);
        StartFlush();
    }

    private async Task ReloadAsync() => await state.ReadStateAsync();

    /// <summary>Sends the persisted outbox to the reporting table, off the critical path.</summary>
    private void StartFlush()
    {
        var pending = Account.Outbox.Where(e => e.Seq > _confirmedSeq).ToList();
        if (pending.Count == 0 || !_flush.IsCompleted)
        {
            return;
        }

        var rows = pending.Select(e => new LedgerRow(ProgramId, MemberId, e)).ToList();
        var last = pending[^1].Seq;
        _flush = FlushAsync(rows, last);
    }

    private async Task FlushAsync(IReadOnlyList<LedgerRow> rows, long last)
    {
        try
        {
            await outbox.AppendAsync(rows);
            _confirmedSeq = Math.Max(_confirmedSeq, last);
        }
        catch (Exception)
        {
            // Kept in the outbox (durable in state); the next write or activation tries again.
        }
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
        var now = clock.UtcNow;
        return new MemberView(
            MemberId,
            s.Name,
            [.. s.Cards],
            Ledger.View(Account, program.ExpiryMonths, now),
            s.EnrolledAt,
            Tiers.Evaluate(program.Tiers, s.Spend, now),
            s.BirthDate);
    }
}
