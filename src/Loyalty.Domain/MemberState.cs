using System.Collections.Immutable;
using Loyalty.Contracts;
using Orleans;

namespace Loyalty.Domain;

/// <summary>
/// A member: the aggregate the member grain loads, asks and persists (docs/architecture.md). Every change goes
/// through an intent method here (<see cref="Enroll"/>, <see cref="RecordSale"/>, <see cref="ReverseSale"/>,
/// <see cref="CountCouponUse"/>, ...), which applies the rules; callers read through read-only views. Its
/// collections are created on the first write, so a member who never used a card, a coupon, a referral or an
/// automation holds none of them (docs/performance.md). Sales and ledger entries are rows of their own, written
/// with the state (docs/write-path.md): the state keeps only what the rules need.
/// </summary>
/// <remarks>
/// Serialized ids and the alias are those of the state the grain wrote before the aggregate moved here (from
/// <c>Loyalty.Grains</c>): states already stored load unchanged (MemberStateShapeTests, on stored bytes).
/// </remarks>
[GenerateSerializer, Alias("loyalty.MemberState")]
public sealed class MemberState
{
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
    public bool Enrolled { get; private set; }

    [Id(1)]
    public string? Name { get; private set; }

    /// <summary>The member's usable cards (a blocked card is moved to <see cref="BlockedCards"/>).</summary>
    public IReadOnlyList<string> Cards => ReadOnlyViews.Of(_cards);

    public IReadOnlyList<string> BlockedCards => ReadOnlyViews.Of(_blockedCards);

    /// <summary>Points lots, ledger sequence and the outbox of entries not yet written as rows.</summary>
    [Id(3)]
    public PointsAccount Account { get; private set; } = new();

    /// <summary>The sales a state written by an earlier version holds, by transaction id (empty once they are rows).</summary>
    public IReadOnlyDictionary<string, SaleRecord> LegacySalesById => ReadOnlyViews.Of(_sales);

    [Id(5)]
    public DateTimeOffset EnrolledAt { get; private set; }

    /// <summary>Money paid per month and in total: tiers and purchase bonuses are derived from it.</summary>
    [Id(6)]
    public SpendHistory Spend { get; private set; } = new();

    [Id(7)]
    public DateOnly? BirthDate { get; private set; }

    /// <summary>Contact details, sealed (the grain seals and opens them): personal data, never logged.</summary>
    [Id(8)]
    public string? Phone { get; private set; }

    [Id(9)]
    public string? Email { get; private set; }

    public IReadOnlyList<string> Attributes => ReadOnlyViews.Of(_attributes);

    [Id(11)]
    public bool MarketingConsent { get; private set; }

    [Id(12)]
    public DateOnly? Anniversary { get; private set; }

    /// <summary>The profile-completed bonus is granted once in a member's life, even if the profile is later emptied and refilled.</summary>
    [Id(13)]
    public bool ProfileBonusGranted { get; private set; }

    /// <summary>When the member last bought something (the till's time): win-back automations count from it.</summary>
    [Id(14)]
    public DateTimeOffset? LastPurchaseAt { get; private set; }

    /// <summary>Automation occasions ("welcome", "birthday:2026", ...) → what was issued; each fires once.</summary>
    public IReadOnlyDictionary<string, AutomationRun> Automations => ReadOnlyViews.Of(_automations);

    /// <summary>The member who referred this one; the referral reward is paid after this member's first purchase.</summary>
    [Id(16)]
    public string? ReferrerId { get; private set; }

    [Id(17)]
    public bool ReferralRewarded { get; private set; }

    /// <summary>Friends whose first purchase already earned this member the referral points.</summary>
    public IReadOnlySet<string> ReferralsRewarded => ReadOnlyViews.Of(_referralsRewarded);

    /// <summary>Stamp cards: campaign id → units stamped so far (cumulative; every (N+1)th is the free one).</summary>
    public IReadOnlyDictionary<string, int> Stamps => ReadOnlyViews.Of(_stamps);

    /// <summary>Campaign id → redemptions by this member, for per-member limits (exact: the member's calls are applied one at a time).</summary>
    public IReadOnlyDictionary<string, int> CampaignUses => ReadOnlyViews.Of(_campaignUses);

    /// <summary>Codes with a per-member limit → how many live (not voided) sales of this member used each.</summary>
    public IReadOnlyDictionary<string, int> CouponUses => ReadOnlyViews.Of(_couponUses);

    /// <summary>What the promotion engine and segments see of this member (<see cref="MemberFacts"/>).</summary>
    public MemberFacts Facts() => new(
        [.. Attributes], Spend.Purchases, LastPurchaseAt, BirthDate, Stamps.ToImmutableDictionary(), CampaignUses.ToImmutableDictionary(), EnrolledAt,
        Spend.Lifetime, Spend.ByMonth.ToImmutableDictionary(), Spend.CategoryLastMonth.ToImmutableDictionary());

    /// <summary>The member as a terminal or an operator sees it now: balance and buckets, tier, profile.</summary>
    public MemberView View(string memberId, ProgramSettings program, DateTimeOffset now) => new(
        memberId,
        Name,
        [.. Cards],
        Ledger.View(Account, program.ExpiryMonths, now),
        EnrolledAt,
        Tiers.Evaluate(program.Tiers, Spend, now),
        BirthDate,
        [.. Attributes],
        MarketingConsent,
        Profiles.IsComplete(Name, Phone, Email, BirthDate),
        Anniversary);

    /// <summary>A new member: enrolled now, with the program's enrollment bonus and, if the profile is complete, its bonus.</summary>
    public void Enroll(ProgramSettings program, string? name, DateOnly? birthDate, string? card, string? referrerId, DateTimeOffset now)
    {
        if (card is not null)
        {
            (_cards ??= []).Add(card);
        }

        Enrolled = true;
        Name = name;
        BirthDate = birthDate;
        EnrolledAt = now;
        ReferrerId = referrerId;
        Ledger.Credit(Account, LedgerEntryType.Bonus, program.Earn?.EnrollmentBonus ?? 0, Months.Of(now), now, null, now);
    }

    /// <summary>
    /// An enrollment of an enrolled member is a retry only when it repeats the enrollment field for field (every field
    /// given equal, every field left out absent here too); anything else is MEMBER_ALREADY_ENROLLED and tells nothing
    /// (issue #27: an Enroll naming another's member id with no other field was answered as a retry, with the member).
    /// </summary>
    public void EnsureSameEnrollment(EnrollCommand command, string? phone, string? email)
    {
        if (!IsSameEnrollment(command, phone, email))
        {
            throw new LoyaltyException(ErrorReason.MemberAlreadyEnrolled, "the member is already enrolled");
        }
    }

    /// <summary>Whether an enrollment request repeats what this member already is (a retry), given the contacts in plain text.</summary>
    private bool IsSameEnrollment(EnrollCommand command, string? phone, string? email) =>
        command.Name == Name
        && command.BirthDate == BirthDate
        && (command.CardNumber is { } card ? Cards.Contains(card) : Cards.Count == 0 && BlockedCards.Count == 0)
        && command.ReferrerId == ReferrerId
        && command.Profile?.Phone == phone
        && command.Profile?.Email == email
        && (command.Profile is not { Attributes.IsDefault: false } p ? Attributes.Count == 0 : p.Attributes.SequenceEqual(Attributes))
        && (command.Profile?.MarketingConsent ?? false) == MarketingConsent
        && command.Profile?.Anniversary == Anniversary;

    /// <summary>
    /// Binds <paramref name="newCard"/> and, when given, blocks <paramref name="lostCard"/> (one of the member's cards)
    /// for good. Adding or replacing a card needs proof (<see cref="Profiles.EnsureProof"/>); a retry of a done change
    /// needs none. Returns whether the card was added and whether the lost card was blocked now.
    /// </summary>
    public (bool Added, bool Blocked) ReplaceCard(string? lostCard, string newCard, MemberProof proof, VerificationCodes codes, DateTimeOffset now)
    {
        if (!Cards.Contains(newCard) || (lostCard is not null && Cards.Contains(lostCard)))
        {
            Profiles.EnsureProof(Cards, HasContact, proof, codes, now, "adding or replacing a card");
        }

        if (lostCard is not null && !Cards.Contains(lostCard) && !BlockedCards.Contains(lostCard))
        {
            throw new LoyaltyException(ErrorReason.CardNotFound, "the lost card is not one of this member's cards");
        }

        if (BlockedCards.Contains(newCard))
        {
            throw new LoyaltyException(ErrorReason.CardBlocked, "the new card is a blocked card");
        }

        var added = !Cards.Contains(newCard);
        if (added)
        {
            (_cards ??= []).Add(newCard);
        }

        var blocked = lostCard is not null && _cards!.Remove(lostCard);
        if (blocked)
        {
            (_blockedCards ??= []).Add(lostCard!);
        }

        return (added, blocked);
    }

    /// <summary>Changing the phone or e-mail (given in plain text, as are the current ones) needs proof of the member.</summary>
    public void EnsureMayChangeContacts(
        MemberProfile profile, string? currentPhone, string? currentEmail, MemberProof proof, VerificationCodes codes, DateTimeOffset now)
    {
        if ((profile.Phone is { } phone && phone != currentPhone) || (profile.Email is { } email && email != currentEmail))
        {
            Profiles.EnsureProof(Cards, HasContact, proof, codes, now, "changing the phone or e-mail");
        }
    }

    /// <summary>Whether a phone or e-mail is on file: where a verification code can go.</summary>
    public bool HasContact => Phone is not null || Email is not null;

    /// <summary>Changes name and birth date where given. Returns whether the birth date changed (automations follow it).</summary>
    public bool ChangeProfile(string? name, DateOnly? birthDate)
    {
        Name = name ?? Name;
        var birthDateChanged = birthDate is { } birth && birth != BirthDate;
        BirthDate = birthDate ?? BirthDate;
        return birthDateChanged;
    }

    /// <summary>
    /// Applies the profile's given parts; the contacts arrive sealed (null: unchanged). Then the profile bonus, once
    /// in the member's life, the first time the profile is complete (name, phone, e-mail, birth date).
    /// </summary>
    public void ApplyProfile(ProgramSettings program, MemberProfile? profile, string? sealedPhone, string? sealedEmail, DateTimeOffset now)
    {
        Phone = sealedPhone ?? Phone;
        Email = sealedEmail ?? Email;
        if (profile is not null)
        {
            if (!profile.Attributes.IsDefault)
            {
                var attributes = _attributes ??= [];
                attributes.Clear();
                attributes.AddRange(profile.Attributes);
            }

            MarketingConsent = profile.MarketingConsent ?? MarketingConsent;
            Anniversary = profile.Anniversary ?? Anniversary;
        }

        if (!ProfileBonusGranted && Profiles.IsComplete(Name, Phone, Email, BirthDate))
        {
            ProfileBonusGranted = true;
            Ledger.Credit(Account, LedgerEntryType.Bonus, program.Earn?.ProfileCompletedBonus ?? 0, Months.Of(now), now, null, now);
        }
    }

    /// <summary>The contacts sealed again (under the current key); their plain text is unchanged.</summary>
    public void Reseal(string? sealedPhone, string? sealedEmail) => (Phone, Email) = (sealedPhone, sealedEmail);

    /// <summary>
    /// Refuses a sale that pays with more points or store credit than the member has available now (before anything
    /// is redeemed for it).
    /// </summary>
    public void EnsureCanPay(CommitCommand command, DateTimeOffset now)
    {
        if (command.PointsToSpend > 0 && Ledger.Available(Account, now) is var points && command.PointsToSpend > points)
        {
            throw new LoyaltyException(ErrorReason.InsufficientPoints, $"only {points} points are available");
        }

        if (command.CreditToSpend > 0 && CreditWallet.Available(Account, now) is var credit && command.CreditToSpend > credit)
        {
            throw new LoyaltyException(ErrorReason.InsufficientCredit, $"only {credit} of store credit is available");
        }
    }

    /// <summary>
    /// Applies a priced sale (<see cref="Sales.Commit"/>, which moves the points and the spend) to what the member
    /// keeps beside it: the stamp cards, the campaigns' per-member uses, the coupon's per-member use, the last purchase,
    /// and an occasion for each coupon the sale issues (recorded with the sale, created right after it is durable).
    /// </summary>
    public SaleRecord RecordSale(
        ProgramSettings program, CommitCommand command, CouponDefinition? coupon, string fingerprint, DateTimeOffset now, PricedBasket plan, ImmutableArray<DroppedPromotion> dropped)
    {
        var sale = Sales.Commit(Account, program, command, coupon, fingerprint, now, Spend, BirthDate, plan, dropped);
        var result = sale.Result;
        foreach (var applied in result.Campaigns)
        {
            if (applied.StampsAdded > 0)
            {
                (_stamps ??= [])[applied.CampaignId] = applied.StampsAfter;
            }

            if (applied.Redeemed)
            {
                (_campaignUses ??= [])[applied.CampaignId] = CampaignUses.GetValueOrDefault(applied.CampaignId) + 1;
            }

            if (applied.IssuedCoupon is { } issued)
            {
                (_automations ??= [])[CampaignOccasion(applied.CampaignId, result.TransactionId)] =
                    new AutomationRun { Kind = AutomationKind.CampaignCoupon, Code = issued, At = now };
            }
        }

        LastPurchaseAt = LastPurchaseAt is { } last && last > result.OccurredAt ? last : result.OccurredAt;
        if (coupon is { PerMemberLimit: > 0 } && result.CouponCode is { } code)
        {
            CountCouponUse(code, +1);
        }

        return sale;
    }

    /// <summary>
    /// Voids a sale: points, credit and spend back (<see cref="Sales.Void"/>), then what the member kept beside it —
    /// the coupon's per-member use, the stamps of every unit not yet returned, the campaigns' per-member uses — and
    /// the occasions of the coupons it issued (<paramref name="withdrawn"/> taken out of use before, with those another
    /// sale had already used, which keep their discount and are reported).
    /// </summary>
    public VoidResult ReverseSale(
        ProgramSettings program, SaleRecord sale, DateTimeOffset now, ImmutableArray<string> withdrawn, ImmutableArray<string> alreadyUsed)
    {
        var returnedBefore = sale.RefundedQuantities;
        var result = Sales.Void(Account, program, sale, now, Spend);
        if (withdrawn.Length + alreadyUsed.Length > 0)
        {
            WithdrawIssuedCoupons(sale.Result);
            result = result with { CouponsWithdrawn = withdrawn, IssuedCouponsAlreadyUsed = alreadyUsed };
            sale.Void = result;
        }

        if (sale.Result.CouponCode is { } used)
        {
            CountCouponUse(used, -1);
        }

        ReturnStamps(program, sale, returnedBefore, [.. sale.Lines.Select(l => l.Quantity)]);
        foreach (var campaign in sale.Result.Campaigns.IsDefault ? [] : sale.Result.Campaigns)
        {
            if (campaign.Redeemed && CampaignUses.TryGetValue(campaign.CampaignId, out var uses))
            {
                (_campaignUses ??= [])[campaign.CampaignId] = Math.Max(0, uses - 1);
            }
        }

        return result;
    }

    /// <summary>
    /// Returns some lines of a sale (<see cref="Sales.Refund"/>), idempotent by refund id: the returned units take their
    /// stamps back, and a return of everything left withdraws the coupons the sale issued, as a void does.
    /// </summary>
    public RefundResult ReturnLines(
        ProgramSettings program, SaleRecord sale, RefundCommand command, string fingerprint, DateTimeOffset now, ImmutableArray<string> withdrawn, ImmutableArray<string> alreadyUsed)
    {
        var returnedBefore = sale.RefundedQuantities;
        var result = Sales.Refund(Account, program, sale, command, now, Spend);
        ReturnStamps(program, sale, returnedBefore, sale.RefundedQuantities);
        if (withdrawn.Length + alreadyUsed.Length > 0)
        {
            WithdrawIssuedCoupons(sale.Result);
            result = result with { CouponsWithdrawn = withdrawn, IssuedCouponsAlreadyUsed = alreadyUsed };
        }

        sale.RefundsForWrite()[command.RefundId] = new RefundRecord { Fingerprint = fingerprint, Result = result };
        return result;
    }

    /// <summary>
    /// A manual adjustment by customer service (docs/members.md, "Manual adjustments"), applied once: the caller first
    /// asks <see cref="KnownAdjustment"/> with the entries the ledger holds under its id. Added points go to the
    /// current month's bucket, spendable at once, and expire with it like points earned this month; taken points
    /// come from the available ones, oldest month first, like a burn. Added credit expires like cashback earned now
    /// (the program's credit_expiry_days); taken credit comes from the soonest-expiring first. Never below zero
    /// available (pending points cannot be taken): INSUFFICIENT_POINTS or INSUFFICIENT_CREDIT; a balance that would
    /// not fit 64 bits: INVALID_ARGUMENT amount. Every refusal comes before anything changes.
    /// </summary>
    public AdjustResult Adjust(ProgramSettings program, AdjustCommand command, DateTimeOffset now)
    {
        Adjustments.Validate(command);
        var at = Adjustments.Time(now);
        var before = Ledger.View(Account, program.ExpiryMonths, at); // unexpired, whether or not the expiry was recorded yet
        var points = command.Asset == LedgerAsset.Points;
        if (command.Amount < 0)
        {
            var available = points ? before.Available : before.Credit;
            if (-command.Amount > available)
            {
                throw points
                    ? new LoyaltyException(ErrorReason.InsufficientPoints, $"only {available} points are available")
                    : new LoyaltyException(ErrorReason.InsufficientCredit, $"only {available} of store credit is available");
            }
        }
        else
        {
            try
            {
                // Every lot is part of its total: a total that fits means the lot it grows fits too.
                _ = checked((points ? Account.LedgerTotal : Account.CreditTotal) + command.Amount);
            }
            catch (OverflowException)
            {
                throw LoyaltyException.Invalid("amount", "the balance would be out of range");
            }
        }

        Sales.ExpireDue(Account, program, at);
        var first = Account.NextSeq;
        var transactionId = Adjustments.TransactionId(command.AdjustmentId);
        switch (points, command.Amount > 0)
        {
            case (true, true):
                Ledger.Credit(Account, LedgerEntryType.Adjust, command.Amount, Months.Of(at), at, transactionId, at);
                break;
            case (true, false):
                Ledger.Burn(Account, checked(-command.Amount), transactionId, at, LedgerEntryType.Adjust);
                break;
            case (false, true):
                CreditWallet.Earn(Account, LedgerEntryType.Adjust, command.Amount, Months.Of(at), CreditWallet.ExpiryFor(program, at), transactionId, at);
                break;
            default:
                CreditWallet.Spend(Account, checked(-command.Amount), transactionId, at, LedgerEntryType.Adjust);
                break;
        }

        var entries = Adjustments.Annotate(Account, first, command);
        return new AdjustResult(
            command.AdjustmentId, command.Asset, command.Amount, command.Reason, command.Note, command.Actor, at, entries, Ledger.View(Account, program.ExpiryMonths, at));
    }

    /// <summary>
    /// An adjustment made before (found among <paramref name="stored"/>, the entries under its transaction id, and
    /// those still in this member's outbox): its result with the balance now; null when it was never made;
    /// ADJUSTMENT_ID_REUSED when its id was made with another asset, amount, reason or note.
    /// </summary>
    public AdjustResult? KnownAdjustment(ProgramSettings program, AdjustCommand command, IEnumerable<LedgerEntry> stored, DateTimeOffset now)
    {
        Adjustments.Validate(command);
        return Adjustments.Earlier(command, stored.Concat(Account.Outbox).DistinctBy(e => e.Seq), Ledger.View(Account, program.ExpiryMonths, now));
    }

    /// <summary>Counts a live use of a code with a per-member limit (+1), or gives one back (−1: a void); never below zero.</summary>
    public void CountCouponUse(string code, int change)
    {
        var uses = CouponUses.GetValueOrDefault(code) + change;
        if (uses > 0)
        {
            (_couponUses ??= [])[code] = uses;
        }
        else
        {
            _couponUses?.Remove(code);
        }
    }

    /// <summary>The occasions of the coupons a voided or fully returned sale issued: out of use, and done (never created later).</summary>
    private void WithdrawIssuedCoupons(CommitResult result)
    {
        foreach (var campaign in result.Campaigns.IsDefault ? [] : result.Campaigns.Where(c => c.IssuedCoupon is not null))
        {
            if (Automations.TryGetValue(CampaignOccasion(campaign.CampaignId, result.TransactionId), out var run))
            {
                run.Withdrawn = true;
                run.Done = true;
            }
        }
    }

    /// <summary>Records an automation occasion with what it will issue, before anything is created (each occasion fires once).</summary>
    public bool RecordOccasion(string occasion, AutomationRun run) => (_automations ??= []).TryAdd(occasion, run);

    /// <summary>The occasion's coupon and message exist now: it is done (never fired again).</summary>
    public void CompleteOccasion(AutomationRun run) => run.Done = true;

    /// <summary>A friend's first purchase earns the referral points, once per friend. Returns whether they were credited now.</summary>
    public bool RewardReferral(string friendId, long points, DateTimeOffset now)
    {
        if (!(_referralsRewarded ??= []).Add(friendId))
        {
            return false;
        }

        Ledger.Credit(Account, LedgerEntryType.Bonus, points, Months.Of(now), now, null, now);
        return true;
    }

    /// <summary>Personal codes older than this are not looked up at Identify (automation coupons are valid for at most this long in practice).</summary>
    public static readonly TimeSpan MaxPersonalCouponAge = TimeSpan.FromDays(400);

    /// <summary>
    /// The personal codes automations issued that may still be usable (done, not withdrawn, younger than
    /// <see cref="MaxPersonalCouponAge"/>), newest first, at most ten: Identify asks each code whether it is.
    /// </summary>
    public IReadOnlyList<AutomationRun> PersonalCodes(DateTimeOffset now) =>
        [.. Automations.Values
            .Where(r => r is { Done: true, Withdrawn: false, Code: not null } && now - r.At < MaxPersonalCouponAge)
            .OrderByDescending(r => r.At)
            .Take(10)];

    /// <summary>The occasions recorded but not done yet (a crash between recording and creating), to finish.</summary>
    public IReadOnlyList<KeyValuePair<string, AutomationRun>> PendingOccasions() => [.. Automations.Where(a => !a.Value.Done)];

    /// <summary>A referred member's first purchase pays the referrer (once), when the program has a referral rule.</summary>
    public bool OwesReferral(ProgramSettings program) =>
        ReferrerId is not null && !ReferralRewarded && Spend.Purchases > 0 && Domain.Automations.RuleFor(program, AutomationKind.Referral) is not null;

    /// <summary>
    /// Whether this member holds the key a lookup found it by (a card, or the phone's lookup hash given as
    /// <paramref name="phoneKey"/>); a blocked card is CARD_BLOCKED, any other miss CARD_NOT_FOUND or PHONE_NOT_FOUND.
    /// </summary>
    public void EnsureHoldsKey(string kind, string key, string? phoneKey)
    {
        switch (kind)
        {
            case MemberKeys.Card when Cards.Contains(key):
            case MemberKeys.Phone when phoneKey == key:
                return;
            case MemberKeys.Card when BlockedCards.Contains(key):
                throw MemberKeyErrors.Blocked();
            default:
                throw MemberKeyErrors.NotFound(kind);
        }
    }

    /// <summary>The referrer was paid for this member's first purchase.</summary>
    public void MarkReferralRewarded() => ReferralRewarded = true;

    /// <summary>The legacy sales are rows now (staged with this write): the state no longer carries them.</summary>
    public void ForgetLegacySales() => _sales = null;

    /// <summary>
    /// What a void gives back to the campaigns' budgets: each redeemed campaign's discount. A sale recorded before
    /// multi-campaign pricing names one campaign and always held its budget.
    /// </summary>
    public static IReadOnlyList<(string CampaignId, long Discount)> BudgetReturns(SaleRecord sale) =>
        sale.Result.Campaigns.IsDefault
            ? (sale.Result.CampaignId is { } old ? [(old, sale.Result.CampaignDiscount)] : [])
            : [.. sale.Result.Campaigns.Where(c => c.Redeemed).Select(c => (c.CampaignId, c.Discount))];

    /// <summary>The occasion of a coupon a campaign issued with a sale.</summary>
    public static string CampaignOccasion(string campaignId, string transactionId) => $"campaign:{campaignId}:{transactionId}";

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

    /// <summary>Returned units take their stamps back (<see cref="Sales.StampsAfterReturn"/>).</summary>
    private void ReturnStamps(ProgramSettings program, SaleRecord sale, int[] returnedBefore, int[] returnedAfter)
    {
        foreach (var (campaignId, stamps) in Sales.StampsAfterReturn(program, sale, Stamps, returnedBefore, returnedAfter).ToList())
        {
            (_stamps ??= [])[campaignId] = stamps;
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
