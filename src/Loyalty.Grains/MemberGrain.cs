using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;
using Orleans.Serialization;

namespace Loyalty.Grains;

/// <summary>
/// A member's persisted state. Its collections are created on the first write, so a member who never
/// used a card, a coupon, a referral or an automation holds none of them (docs/performance.md): read
/// them through the read-only views, write through the <c>…ForWrite()</c> methods. States written with
/// empty collections (before this was so) load unchanged.
/// </summary>
[GenerateSerializer, Alias("loyalty.MemberState")]
public sealed class MemberState : IStateWithRows
{
    /// <summary>How many recent sales an active member keeps in memory (hot retries, voids, refunds); every sale is a row (docs/write-path.md).</summary>
    public const int RecentSales = 4;

    // Not part of the state: the rows the next write carries, in its transaction.
    [NonSerialized]
    private MemberRows? _staged;

    // Not part of the state: the most recent sales, each already a row (or staged with the write that makes it one),
    // serialized: one array per sale instead of a graph of some forty objects, which every sale would otherwise
    // leave for the garbage collector to trace and copy until the member's next sales push it out (measured:
    // these graphs were most of what survived each gen0 collection under checkout load, docs/performance.md).
    [NonSerialized]
    private Dictionary<string, byte[]>? _recent;

    [Id(2)]
    private List<string>? _cards;

    [Id(19)]
    private List<string>? _blockedCards;

    // Written by versions before sales were rows (every retained sale in the state); read to migrate
    // them: the next write makes each one a row and writes the state without them.
    [Id(4)]
    private Dictionary<string, SaleRecord>? _sales;

    [Id(10)]
    private List<string>? _attributes;

    [Id(15)]
    private Dictionary<string, AutomationRun>? _automations;

    [Id(18)]
    private HashSet<string>? _referralsRewarded;

    [Id(21)]
    private Dictionary<string, int>? _stamps;

    [Id(22)]
    private Dictionary<string, int>? _campaignUses;

    [Id(30)]
    private Dictionary<string, int>? _couponUses;

    [Id(0)]
    public bool Enrolled { get; set; }

    [Id(1)]
    public string? Name { get; set; }

    /// <summary>The member's usable cards (a blocked card is moved to <see cref="BlockedCards"/>).</summary>
    public IReadOnlyList<string> Cards => ReadOnlyViews.Of(_cards);

    public IReadOnlyList<string> BlockedCards => ReadOnlyViews.Of(_blockedCards);

    /// <summary>Points lots, ledger sequence and the outbox of entries not yet confirmed in the reporting table.</summary>
    [Id(3)]
    public PointsAccount Account { get; set; } = new();

    /// <summary>
    /// One of the most recent sales' idempotency records (body fingerprint, stored result, what reverses it),
    /// in memory only and at most <see cref="RecentSales"/> after a write; null when it is not among them
    /// (every sale is a row of its own, read from there). A copy, kept changed only by <see cref="RememberSale"/>; until
    /// the first sale is remembered, a state written by an earlier version answers with the sale object it loaded.
    /// </summary>
    public SaleRecord? RecentSale(string transactionId, Serializer<SaleRecord> serializer) =>
        _recent is null
            ? _sales?.GetValueOrDefault(transactionId)
            : _recent.TryGetValue(transactionId, out var bytes) ? serializer.Deserialize(bytes) : null;

    /// <summary>The sales a state written by an earlier version holds, by transaction id (empty once they are rows).</summary>
    public IReadOnlyDictionary<string, SaleRecord> LegacySalesById => ReadOnlyViews.Of(_sales);

    /// <summary>The legacy sales are rows now (staged with this write): the state no longer carries them.</summary>
    public void ForgetLegacySales() => _sales = null;

    [Id(5)]
    public DateTimeOffset EnrolledAt { get; set; }

    /// <summary>Money paid per month and in total: tiers and purchase bonuses are derived from it.</summary>
    [Id(6)]
    public SpendHistory Spend { get; set; } = new();

    [Id(7)]
    public DateOnly? BirthDate { get; set; }

    /// <summary>Contact details: personal data, never logged; the phone is indexed by its lookup hash only.</summary>
    [Id(8)]
    public string? Phone { get; set; }

    [Id(9)]
    public string? Email { get; set; }

    public IReadOnlyList<string> Attributes => ReadOnlyViews.Of(_attributes);

    [Id(11)]
    public bool MarketingConsent { get; set; }

    [Id(12)]
    public DateOnly? Anniversary { get; set; }

    /// <summary>The profile-completed bonus is granted once in a member's life, even if the profile is later emptied and refilled.</summary>
    [Id(13)]
    public bool ProfileBonusGranted { get; set; }

    /// <summary>When the member last bought something (the till's time): win-back automations count from it.</summary>
    [Id(14)]
    public DateTimeOffset? LastPurchaseAt { get; set; }

    /// <summary>Automation occasions ("welcome", "birthday:2026", ...) → what was issued; each fires once.</summary>
    public IReadOnlyDictionary<string, AutomationRun> Automations => ReadOnlyViews.Of(_automations);

    /// <summary>The member who referred this one; the referral reward is paid after this member's first purchase.</summary>
    [Id(16)]
    public string? ReferrerId { get; set; }

    [Id(17)]
    public bool ReferralRewarded { get; set; }

    /// <summary>Friends whose first purchase already earned this member the referral points.</summary>
    public IReadOnlySet<string> ReferralsRewarded => ReadOnlyViews.Of(_referralsRewarded);

    /// <summary>Stamp cards: campaign id → units stamped so far (cumulative; every (N+1)th is the free one).</summary>
    public IReadOnlyDictionary<string, int> Stamps => ReadOnlyViews.Of(_stamps);

    /// <summary>Campaign id → redemptions by this member, for per-member limits (exact: this grain is single-threaded).</summary>
    public IReadOnlyDictionary<string, int> CampaignUses => ReadOnlyViews.Of(_campaignUses);

    /// <summary>Codes with a per-member limit → how many live (not voided) sales of this member used each.</summary>
    public IReadOnlyDictionary<string, int> CouponUses => ReadOnlyViews.Of(_couponUses);

    /// <summary>The rows the next write carries (created on first use).</summary>
    public MemberRows Staged(string programId, string memberId) => _staged ??= new MemberRows(programId, memberId);

    public MemberRows? TakeRows()
    {
        var rows = _staged;
        _staged = null;
        return rows is { IsEmpty: false } ? rows : null;
    }

    public List<string> CardsForWrite() => _cards ??= [];

    public List<string> BlockedCardsForWrite() => _blockedCards ??= [];

    // Not part of the state: the recent sales' ids, least recently committed or changed first.
    [NonSerialized]
    private List<string>? _recentOrder;

    // Not part of the state: set by the storage when the sale this write creates already had a row.
    [NonSerialized]
    private bool _duplicate;

    /// <summary>
    /// Keeps a sale among the recent ones (as the most recent), forgetting the least recent beyond
    /// <see cref="RecentSales"/>; each is a row, or staged with the write that makes it one.
    /// </summary>
    /// <returns>The sale as kept: Orleans' serialization of it, which is also its row's record (<see cref="MemberRows.AddSale"/>).</returns>
    public byte[] RememberSale(SaleRecord sale, Serializer<SaleRecord> serializer)
    {
        if (_recent is null)
        {
            // A state written by an earlier version: its sales start out as the recent ones, oldest first.
            _recent = [];
            _recentOrder = [];
            foreach (var (key, old) in (_sales ?? []).OrderBy(p => p.Value.Result.OccurredAt).ThenBy(p => p.Key, StringComparer.Ordinal))
            {
                _recent[key] = serializer.SerializeToArray(old);
                _recentOrder.Add(key);
            }
        }

        var id = sale.Result.TransactionId;
        _recentOrder!.Remove(id);
        _recentOrder.Add(id);
        var bytes = serializer.SerializeToArray(sale);
        _recent[id] = bytes;
        while (_recentOrder.Count > RecentSales)
        {
            _recent.Remove(_recentOrder[0]);
            _recentOrder.RemoveAt(0);
        }

        return bytes;
    }

    /// <summary>The storage refused the last write because the sale it creates already had a row (nothing of it was written).</summary>
    public void MarkDuplicate() => _duplicate = true;

    // Not part of the state: set by the storage when another member holds a key the write claims.
    [NonSerialized]
    private string? _keyTaken;

    /// <summary>The storage refused the last write because another member holds a card or phone it claims (nothing of it was written).</summary>
    public void MarkKeyTaken(string kind) => _keyTaken = kind;

    /// <summary>The kind of key (<see cref="MemberKeys"/>) that refused the last write, once; null when none did.</summary>
    public string? TakeKeyTaken()
    {
        var kind = _keyTaken;
        _keyTaken = null;
        return kind;
    }

    /// <summary>True once after a write that <see cref="MarkDuplicate"/> refused.</summary>
    public bool TakeDuplicate()
    {
        var duplicate = _duplicate;
        _duplicate = false;
        return duplicate;
    }

    public List<string> AttributesForWrite() => _attributes ??= [];

    public Dictionary<string, AutomationRun> AutomationsForWrite() => _automations ??= [];

    public HashSet<string> ReferralsRewardedForWrite() => _referralsRewarded ??= [];

    public Dictionary<string, int> StampsForWrite() => _stamps ??= [];

    public Dictionary<string, int> CampaignUsesForWrite() => _campaignUses ??= [];

    public Dictionary<string, int> CouponUsesForWrite() => _couponUses ??= [];

    /// <summary>
    /// Lets go of every empty collection, so a state written before they were created on first write
    /// (which holds them all) costs no more once loaded than one written now; readers see no change.
    /// </summary>
    public void ReleaseEmptyCollections()
    {
        _cards = _cards is { Count: 0 } ? null : _cards;
        _blockedCards = _blockedCards is { Count: 0 } ? null : _blockedCards;
        _sales = _sales is { Count: 0 } ? null : _sales;
        _attributes = _attributes is { Count: 0 } ? null : _attributes;
        _automations = _automations is { Count: 0 } ? null : _automations;
        _referralsRewarded = _referralsRewarded is { Count: 0 } ? null : _referralsRewarded;
        _stamps = _stamps is { Count: 0 } ? null : _stamps;
        _campaignUses = _campaignUses is { Count: 0 } ? null : _campaignUses;
        _couponUses = _couponUses is { Count: 0 } ? null : _couponUses;
        Account.ReleaseEmptyCollections();
        Spend.ReleaseEmptyCollections();
        foreach (var sale in LegacySalesById.Values)
        {
            sale.ReleaseEmptyCollections();
        }
    }
}

[GenerateSerializer, Alias("loyalty.AutomationRun")]
public sealed class AutomationRun
{
    [Id(0)]
    public AutomationKind Kind { get; set; }

    /// <summary>The personal code chosen before anything was created, so a retry creates the same coupon.</summary>
    [Id(1)]
    public string? Code { get; set; }

    [Id(2)]
    public DateTimeOffset At { get; set; }

    [Id(3)]
    public bool Done { get; set; }

    /// <summary>Values rendered into the message ({points}, {expires_on}), fixed when the occasion was recorded.</summary>
    [Id(4)]
    public Dictionary<string, string> Values { get; set; } = [];

    /// <summary>The sale that issued this code was voided or fully returned: the code is out of use (and, if not created yet, never created).</summary>
    [Id(5)]
    public bool Withdrawn { get; set; }
}

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
            s.Phone = personalData.Seal(Phone, this.GetPrimaryKeyString(), "phone");
            s.Email = personalData.Seal(Email, this.GetPrimaryKeyString(), "email");
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
            var sameRequest = (command.Name is null || command.Name == s.Name)
                && (command.BirthDate is null || command.BirthDate == s.BirthDate)
                && (command.CardNumber is null || s.Cards.Contains(command.CardNumber))
                && (command.ReferrerId is null || command.ReferrerId == s.ReferrerId)
                && (command.Profile is not { } p
                    || ((p.Phone is null || p.Phone == Phone)
                        && (p.Email is null || p.Email == Email)
                        && (p.Attributes.IsDefault || p.Attributes.SequenceEqual(s.Attributes))
                        && (p.MarketingConsent is null || p.MarketingConsent == s.MarketingConsent)
                        && (p.Anniversary is null || p.Anniversary == s.Anniversary)));
            if (!sameRequest)
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
            s.CardsForWrite().Add(card);
            StageKey(MemberKeys.Card, card, KeyOperation.Claim);
        }

        if (command.Profile?.Phone is { } phone)
        {
            StageKey(MemberKeys.Phone, personalData.PhoneKey(ProgramId, phone), KeyOperation.Claim);
        }

        s.Enrolled = true;
        s.Name = command.Name;
        s.BirthDate = command.BirthDate;
        s.EnrolledAt = clock.UtcNow;
        ApplyProfile(s, command.Profile);
        Ledger.Credit(Account, LedgerEntryType.Bonus, program.Earn?.EnrollmentBonus ?? 0, Months.Of(s.EnrolledAt), s.EnrolledAt, null, s.EnrolledAt);
        GrantProfileBonus(program, s.EnrolledAt);
        s.ReferrerId = command.ReferrerId;
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
        var s = state.State;
        if (!s.Cards.Contains(newCard) || (lostCard is not null && s.Cards.Contains(lostCard)))
        {
            Profiles.EnsureProof(s.Cards, proof, "adding or replacing a card"); // a retry of a done change needs none
        }

        var program = await Program();
        if (lostCard is not null && !s.Cards.Contains(lostCard) && !s.BlockedCards.Contains(lostCard))
        {
            throw new LoyaltyException(ErrorReason.CardNotFound, "the lost card is not one of this member's cards");
        }

        if (s.BlockedCards.Contains(newCard))
        {
            throw new LoyaltyException(ErrorReason.CardBlocked, "the new card is a blocked card");
        }

        // The new card is claimed and the lost one blocked by the member's own write (one transaction).
        var changed = !s.Cards.Contains(newCard) || (lostCard is not null && s.Cards.Contains(lostCard));
        if (!s.Cards.Contains(newCard))
        {
            s.CardsForWrite().Add(newCard);
            StageKey(MemberKeys.Card, newCard, KeyOperation.Claim);
        }

        if (lostCard is not null && s.CardsForWrite().Remove(lostCard))
        {
            s.BlockedCardsForWrite().Add(lostCard);
            StageKey(MemberKeys.Card, lostCard, KeyOperation.Block);
        }

        if (changed)
        {
            await PersistAsync();
        }

        return View(program);
    }

    public async Task<MemberView> UpdateProfileAsync(ProfileUpdate update, MemberProof proof)
    {
        EnsureEnrolled();
        var s = state.State;
        if ((update.Profile.Phone is { } newPhone && newPhone != Phone) || (update.Profile.Email is { } newEmail && newEmail != Email))
        {
            Profiles.EnsureProof(s.Cards, proof, "changing the phone or e-mail");
        }

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

        s.Name = update.Name ?? s.Name;
        var birthDateChanged = update.BirthDate is { } birth && birth != s.BirthDate;
        s.BirthDate = update.BirthDate ?? s.BirthDate;
        ApplyProfile(s, update.Profile);
        GrantProfileBonus(program, clock.UtcNow);
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
        if (s.RecentSale(command.TransactionId, saleSerializer) is { } known)
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
            if (command.PointsToSpend > 0 && Ledger.Available(Account, now) is var points && command.PointsToSpend > points)
            {
                throw new LoyaltyException(ErrorReason.InsufficientPoints, $"only {points} points are available");
            }

            if (command.CreditToSpend > 0 && CreditWallet.Available(Account, now) is var credit && command.CreditToSpend > credit)
            {
                throw new LoyaltyException(ErrorReason.InsufficientCredit, $"only {credit} of store credit is available");
            }
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

            sale = Domain.Sales.Commit(Account, program, command, coupon, fingerprint, now, s.Spend, s.BirthDate, plan, holds.Dropped.ToImmutable());
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

        foreach (var applied in sale.Result.Campaigns)
        {
            if (applied.StampsAdded > 0)
            {
                s.StampsForWrite()[applied.CampaignId] = applied.StampsAfter;
            }

            if (applied.Redeemed)
            {
                s.CampaignUsesForWrite()[applied.CampaignId] = s.CampaignUses.GetValueOrDefault(applied.CampaignId) + 1;
            }
        }

        s.LastPurchaseAt = s.LastPurchaseAt is { } last && last > occurredAt ? last : occurredAt;
        RecordIssuedCoupons(sale.Result, now);
        StageSale(sale, isNew: true);
        if (coupon is { PerMemberLimit: > 0 })
        {
            s.CouponUsesForWrite()[command.CouponCode!] = s.CouponUses.GetValueOrDefault(command.CouponCode!) + 1;
        }

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
        state.State.RecentSale(transactionId, saleSerializer) ?? await rows.FindSaleAsync(ProgramId, MemberId, transactionId);

    /// <summary>A changed sale (void, refund) is kept among the recent ones and its row rewritten with the state.</summary>
    private void StageChangedSale(SaleRecord sale) => StageSale(sale, isNew: false);

    /// <summary>Keeps the sale among the recent ones and stages its row, serialized once for both.</summary>
    private void StageSale(SaleRecord sale, bool isNew) =>
        state.State.Staged(ProgramId, MemberId).AddSale(sale, isNew, state.State.RememberSale(sale, saleSerializer));

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
        var returnedBefore = sale.RefundedQuantities;
        var result = Domain.Sales.Void(Account, program, sale, clock.UtcNow, state.State.Spend);
        if (withdrawn.Length + alreadyUsed.Length > 0)
        {
            result = result with { CouponsWithdrawn = withdrawn, IssuedCouponsAlreadyUsed = alreadyUsed };
            sale.Void = result;
        }

        if (sale.Result.CouponCode is { } used && state.State.CouponUses.TryGetValue(used, out var couponUses))
        {
            if (couponUses > 1)
            {
                state.State.CouponUsesForWrite()[used] = couponUses - 1;
            }
            else
            {
                state.State.CouponUsesForWrite().Remove(used);
            }
        }

        ReturnStamps(program, sale, returnedBefore, [.. sale.Lines.Select(l => l.Quantity)]);
        var applied = sale.Result.Campaigns.IsDefault ? [] : sale.Result.Campaigns;
        foreach (var campaign in applied)
        {
            if (campaign.Redeemed && state.State.CampaignUses.TryGetValue(campaign.CampaignId, out var uses))
            {
                state.State.CampaignUsesForWrite()[campaign.CampaignId] = Math.Max(0, uses - 1);
            }
        }

        StageChangedSale(sale);
        await PersistAsync();

        // Budget returned after the void is durable: at most once; lost on a crash in between (never over-granted).
        // A sale recorded before multi-campaign pricing names one campaign and always held its budget.
        var returns = sale.Result.Campaigns.IsDefault
            ? (sale.Result.CampaignId is { } old ? [(old, sale.Result.CampaignDiscount)] : [])
            : applied.Where(c => c.Redeemed).Select(c => (c.CampaignId, c.Discount)).ToList();
        await Task.WhenAll(returns.Select(r => Budget(r.Item1).ReturnAsync(transactionId, r.Item2, sale.Result.StoreId ?? string.Empty)));
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
        var returnedBefore = sale.RefundedQuantities;
        var result = Domain.Sales.Refund(Account, program, sale, command, clock.UtcNow, state.State.Spend);
        ReturnStamps(program, sale, returnedBefore, sale.RefundedQuantities);
        if (withdrawn.Length + alreadyUsed.Length > 0)
        {
            result = result with { CouponsWithdrawn = withdrawn, IssuedCouponsAlreadyUsed = alreadyUsed };
        }

        sale.RefundsForWrite()[command.RefundId] = new RefundRecord { Fingerprint = fingerprint, Result = result };
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

    /// <summary>Returned units take their stamps back (Sales.StampsAfterReturn).</summary>
    private void ReturnStamps(ProgramSettings program, SaleRecord sale, int[] returnedBefore, int[] returnedAfter)
    {
        foreach (var (campaignId, stamps) in Domain.Sales.StampsAfterReturn(program, sale, state.State.Stamps, returnedBefore, returnedAfter).ToList())
        {
            state.State.StampsForWrite()[campaignId] = stamps;
        }
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
    /// (memory keeps the <see cref="MemberState.RecentSales"/> most recent), so what a write costs does not
    /// grow with the member's history. A state written before sales were rows turns every sale it holds
    /// into a row first.
    /// </summary>
    private async Task PersistAsync()
    {
        var s = state.State;
        var staged = s.Staged(ProgramId, MemberId);
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
            if (s.TakeKeyTaken() is { } kind)
            {
                throw await KeyTakenAsync(kind);
            }

            if (s.TakeDuplicate())
            {
                throw new DuplicateTransactionException($"transaction {staged.NewTransactionId} already has a sale row");
            }

            return;
        }

        // No database: the same rules by hand (a sale id that has a row refuses the write; rows after the state).
        var taken = s.TakeRows();
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
        state.State.Staged(ProgramId, MemberId).Keys.Add(new KeyChange(kind, key, operation));

    /// <summary>A write refused because another member holds a key it claims: memory goes back to storage, the refusal names the key.</summary>
    private async Task<LoyaltyException> KeyTakenAsync(string kind)
    {
        await ReloadOrDeactivateAsync();
        return MemberKeyErrors.InUse(kind);
    }

    private void ApplyProfile(MemberState s, MemberProfile? profile)
    {
        if (profile is null)
        {
            return;
        }

        // Sealed at rest; a value that did not change keeps its sealed form.
        if (profile.Phone is { } phone && phone != Phone)
        {
            s.Phone = personalData.Seal(phone, this.GetPrimaryKeyString(), "phone");
        }

        if (profile.Email is { } email && email != Email)
        {
            s.Email = personalData.Seal(email, this.GetPrimaryKeyString(), "email");
        }

        if (!profile.Attributes.IsDefault)
        {
            var attributes = s.AttributesForWrite();
            attributes.Clear();
            attributes.AddRange(profile.Attributes);
        }

        s.MarketingConsent = profile.MarketingConsent ?? s.MarketingConsent;
        s.Anniversary = profile.Anniversary ?? s.Anniversary;
    }


    /// <summary>The first time the profile is complete, the program's profile bonus is credited (once per member, ever).</summary>
    private void GrantProfileBonus(ProgramSettings program, DateTimeOffset now)
    {
        var s = state.State;
        if (s.ProfileBonusGranted || !Profiles.IsComplete(s.Name, s.Phone, s.Email, s.BirthDate))
        {
            return;
        }

        s.ProfileBonusGranted = true;
        Ledger.Credit(Account, LedgerEntryType.Bonus, program.Earn?.ProfileCompletedBonus ?? 0, Months.Of(now), now, null, now);
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
