using Orleans.Concurrency;

namespace Loyalty.Contracts;

/// <summary>A program's settings (the tenant). Key: program id.</summary>
[Alias("loyalty.IProgramGrain")]
public interface IProgramGrain : IGrainWithStringKey
{
    [Alias("Define")]
    Task<ProgramSettings> DefineAsync(ProgramSettings settings);

    /// <summary>The settings (with the program's campaigns); PROGRAM_NOT_FOUND when the program was never defined.</summary>
    [Alias("Get")]
    Task<ProgramSettings> GetAsync();

    /// <summary>Creates or replaces a campaign of this program.</summary>
    /// <remarks>An ended campaign is not redefined (CAMPAIGN_ENDED): a new run takes a new campaign id, with fresh statistics.</remarks>
    [Alias("DefineCampaign")]
    Task<CampaignDefinition> DefineCampaignAsync(CampaignDefinition campaign);

    /// <summary>
    /// Ends a campaign now: no quote or commit applies it from then on; it stays listed, with its budget
    /// statistics. Idempotent (an ended campaign keeps its first end time). CAMPAIGN_NOT_FOUND when unknown.
    /// </summary>
    [Alias("EndCampaign")]
    Task<CampaignDefinition> EndCampaignAsync(string campaignId);

    /// <summary>
    /// The settings with their version, and <paramref name="watcher"/> (one per silo: its program cache) is told of
    /// every later change before the call that made it returns. PROGRAM_NOT_FOUND (and no watch) when never defined.
    /// </summary>
    [Alias("Watch")]
    Task<VersionedProgram> WatchAsync(IProgramWatcher watcher);
}

/// <summary>A program's settings and the version they were written as (grows by one with every change).</summary>
[GenerateSerializer, Immutable, Alias("loyalty.VersionedProgram")]
public sealed record VersionedProgram([property: Id(0)] ProgramSettings Settings, [property: Id(1)] long Version);

/// <summary>A silo's program cache, told by the program grain when a program's settings change.</summary>
[Alias("loyalty.IProgramWatcher")]
public interface IProgramWatcher : IGrainObserver
{
    [Alias("Changed")]
    Task ChangedAsync(VersionedProgram program);
}

/// <summary>A member: profile, cards, points buckets, and the idempotency records of its transactions. Key: program/member.</summary>
[Alias("loyalty.IMemberGrain")]
public interface IMemberGrain : IGrainWithStringKey
{
    [Alias("Enroll")]
    Task<MemberView> EnrollAsync(EnrollCommand command);

    [Alias("Get")]
    Task<MemberView> GetAsync();

    /// <summary>
    /// The view a terminal shows when the member identifies: <see cref="GetAsync"/> plus the usable personal
    /// codes and offers. The front door now calls <see cref="IdentifyAtAsync"/>; this one stays for front doors
    /// of the previous release during a rolling upgrade (docs/operations.md, rule 4).
    /// </summary>
    [Alias("Identify")]
    Task<MemberView> IdentifyAsync();

    /// <summary><see cref="IdentifyAsync"/> at a terminal that says where it is: the offers then also check store and channel.</summary>
    [Alias("IdentifyAt")]
    Task<MemberView> IdentifyAtAsync(string? storeId, string? channel);

    /// <summary>
    /// <see cref="IdentifyAtAsync"/> for a member found by a card or phone key ("card", or "phone" with the
    /// number's peppered hash): answers only while the member holds that key — CARD_NOT_FOUND, CARD_BLOCKED
    /// or PHONE_NOT_FOUND otherwise — so a lookup cached by a silo can never identify the wrong member.
    /// </summary>
    [Alias("IdentifyByKey")]
    Task<MemberView> IdentifyByKeyAsync(string kind, string key, string? storeId, string? channel);

    /// <summary>
    /// <see cref="IdentifyByKeyAsync(string, string, string?, string?)"/> at a till (<paramref name="terminal"/>:
    /// store/terminal; null for customer service): the member counts as present there for a few minutes, so the till
    /// may spend the member's points and credit (issue #27).
    /// </summary>
    [Alias("IdentifyByKeyAt")]
    Task<MemberView> IdentifyByKeyAsync(string kind, string key, string? storeId, string? channel, string? terminal);

    /// <summary>Changes the profile; completing it (name, phone, email, birth date) earns the program's profile bonus once.</summary>
    [Alias("UpdateProfile")]
    Task<MemberView> UpdateProfileAsync(ProfileUpdate update, MemberProof proof);

    /// <summary>Fires the time-driven automations that are due for this member (each at most once per occasion); returns how many fired.</summary>
    /// <summary>
    /// Binds <paramref name="newCard"/> to the member; when <paramref name="lostCard"/> is given (one of the
    /// member's cards) it is blocked for good. The balance is the member's, so nothing is lost. Idempotent.
    /// </summary>
    [Alias("ReplaceCard")]
    Task<MemberView> ReplaceCardAsync(string? lostCard, string newCard, MemberProof proof);

    /// <summary>
    /// Sends a one-time code to the member's phone (<c>sms</c>) or e-mail through the message outbox, for a card or contact
    /// change at <paramref name="terminal"/> (the asking credential); the code itself is never answered.
    /// </summary>
    [Alias("SendVerificationCode")]
    Task<VerificationCodeSent> SendVerificationCodeAsync(string terminal, string? channel);

    [Alias("RunAutomations")]
    Task<int> RunAutomationsAsync();

    /// <summary>A friend this member referred made a first purchase: credit the referral points once per friend.</summary>
    [Alias("RewardReferral")]
    Task RewardReferralAsync(string friendId);

    [Alias("Commit")]
    Task<CommitResult> CommitAsync(CommitCommand command);

    [Alias("Void")]
    Task<VoidResult> VoidAsync(string transactionId);

    /// <summary>
    /// <see cref="VoidAsync(string)"/> asked by a till of <paramref name="tillStoreId"/> (null: customer service): a sale of
    /// another store is SALE_OF_ANOTHER_STORE unless the program allows cross-store returns (issue #27).
    /// </summary>
    [Alias("VoidAt")]
    Task<TillReturn<VoidResult>> VoidAsync(string transactionId, string? tillStoreId);

    /// <summary>Returns some lines of a sale: points clawed back and spent points returned in proportion. Idempotent by refund id.</summary>
    [Alias("Refund")]
    Task<RefundResult> RefundAsync(RefundCommand command);

    /// <summary><see cref="RefundAsync(RefundCommand)"/> asked by a till of <paramref name="tillStoreId"/>, as <see cref="VoidAsync(string, string?)"/>.</summary>
    [Alias("RefundAt")]
    Task<TillReturn<RefundResult>> RefundAsync(RefundCommand command, string? tillStoreId);

    /// <summary>The member's ledger entries after <paramref name="afterSeq"/>, oldest first, and the balance they sum to.</summary>
    [Alias("GetLedger")]
    Task<LedgerPage> GetLedgerAsync(long afterSeq, int limit);

    /// <summary>
    /// A manual adjustment of points or store credit by customer service (docs/members.md, "Manual adjustments"):
    /// an <c>adjust</c> ledger entry naming the reason, note and operator. Idempotent by adjustment id (a retry answers
    /// the same adjustment; the id with another body is ADJUSTMENT_ID_REUSED); never below zero available
    /// (INSUFFICIENT_POINTS / INSUFFICIENT_CREDIT, nothing changed).
    /// </summary>
    [Alias("Adjust")]
    Task<AdjustResult> AdjustAsync(AdjustCommand command);

    /// <summary>Whether a sale with this id is durable here (and not voided): lets a campaign settle a hold after a crash.</summary>
    [Alias("HasSale")]
    Task<bool> HasSaleAsync(string transactionId);

    /// <summary>
    /// What a quote needs in one call: the member's view (tier) and the promotion engine's facts. The front door now
    /// calls <see cref="QuoteAsync"/>; this one stays for front doors of the previous release during a rolling upgrade.
    /// </summary>
    [Alias("GetForQuote")]
    Task<MemberQuoteView> GetForQuoteAsync();

    /// <summary>
    /// Prices a basket for this member through the same step as <see cref="CommitAsync"/> (docs/architecture.md):
    /// nothing is held or written. A commit of the same basket with nothing changed in between applies exactly this.
    /// </summary>
    [Alias("Quote"), ReadOnly]
    Task<QuoteResult> QuoteAsync(QuoteCommand command);
}

/// <summary>
/// Prices a walk-in customer's basket (no member) through the same step as a member's quote: a stateless worker,
/// so a busy program's guest quotes spread over activations. Key: program id.
/// </summary>
[Alias("loyalty.IGuestCheckoutGrain")]
public interface IGuestCheckoutGrain : IGrainWithStringKey
{
    [Alias("Quote")]
    Task<QuoteResult> QuoteAsync(QuoteCommand command);
}

/// <summary>
/// Walk-in customers' sales (issue #15, docs/guest-checkout.md): commit, void and refund without a member, durable
/// before they are acknowledged and idempotent by transaction id. A program's guest sales are spread over
/// <c>GuestTills.Count</c> tills by a hash of the transaction id (key: program/till number, <c>GuestTills.KeyFor</c>),
/// so a busy store is not one hot grain and every retry of a transaction reaches the till that holds it.
/// </summary>
[Alias("loyalty.IGuestTillGrain")]
public interface IGuestTillGrain : IGrainWithStringKey
{
    [Alias("Commit")]
    Task<CommitResult> CommitAsync(CommitCommand command);

    [Alias("Void")]
    Task<VoidResult> VoidAsync(string transactionId);

    /// <summary>A void asked by a till of <paramref name="tillStoreId"/> (null: customer service), as the member grain's.</summary>
    [Alias("VoidAt")]
    Task<TillReturn<VoidResult>> VoidAsync(string transactionId, string? tillStoreId);

    [Alias("Refund")]
    Task<RefundResult> RefundAsync(RefundCommand command);

    /// <summary>A refund asked by a till of <paramref name="tillStoreId"/> (null: customer service), as the member grain's.</summary>
    [Alias("RefundAt")]
    Task<TillReturn<RefundResult>> RefundAsync(RefundCommand command, string? tillStoreId);

    /// <summary>Whether the guest sale exists and is not voided (asked by coupons and budgets settling stale holds).</summary>
    [Alias("HasSale")]
    Task<bool> HasSaleAsync(string transactionId);
}

/// <summary>
/// Guards one terminal against guessing coupon codes: failed guesses (malformed or unknown codes)
/// are counted in a sliding window and the terminal is throttled past the limit. In memory only.
/// Key: program/store/terminal.
/// </summary>
[Alias("loyalty.ITerminalGuardGrain")]
public interface ITerminalGuardGrain : IGrainWithStringKey
{
    /// <summary>TOO_MANY_COUPON_GUESSES while the terminal is throttled.</summary>
    [Alias("EnsureAllowed")]
    Task EnsureAllowedAsync();

    [Alias("RecordFailure")]
    Task RecordFailureAsync();

    /// <summary>
    /// Counts a member lookup (card, phone, member id) that found nobody; past <paramref name="maxPerMinute"/> in the
    /// sliding minute, answers until when the terminal is throttled (else null).
    /// </summary>
    [Alias("RecordLookupMiss")]
    Task<DateTimeOffset?> RecordLookupMissAsync(int maxPerMinute);
}

/// <summary>
/// A coupon code: single-use (also every code of a bulk series), shared with a global cap, or personal.
/// Redemption is a hold until the member confirms its sale is durable; a hold left by a sale that never
/// completed is settled by asking the member (docs/flash-budget.md, "Coupon holds"). Key: program/CODE.
/// </summary>
[Alias("loyalty.ICouponGrain")]
public interface ICouponGrain : IGrainWithStringKey
{
    [Alias("Create")]
    Task CreateAsync(CouponDefinition definition);

    [Alias("Get")]
    Task<CouponStatus> GetAsync();

    /// <summary>
    /// Holds the code for a transaction after checking its conditions. The same transaction asking again
    /// gets the same answer (a retried commit); a single-use code held by another transaction is
    /// COUPON_ALREADY_REDEEMED, a shared code at its cap COUPON_EXHAUSTED.
    /// </summary>
    [Alias("Redeem")]
    Task<CouponDefinition> RedeemAsync(CouponRedemption redemption);

    /// <summary>
    /// The sale holding the code is durable: the hold becomes final. One-way (no answer is sent): a
    /// lost or failed confirmation leaves the hold, which is settled later by asking the member.
    /// </summary>
    [Alias("Confirm")]
    [Orleans.Concurrency.OneWay]
    Task ConfirmAsync(string transactionId);

    /// <summary>Gives back the redemption of this transaction (a refused sale or a void). Returns whether one was given back.</summary>
    [Alias("Restore")]
    Task<bool> RestoreAsync(string transactionId);

    /// <summary>
    /// Takes the code out of use for good because the sale that issued it was voided or fully returned (idempotent; also
    /// before the code exists, which then is created already withdrawn). Returns whether a sale had
    /// already redeemed or held it: that discount stays given (the void reports the code).
    /// </summary>
    [Alias("Withdraw")]
    Task<bool> WithdrawAsync(string voidedTransactionId);
}
