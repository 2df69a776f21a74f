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
    [Alias("DefineCampaign")]
    Task<CampaignDefinition> DefineCampaignAsync(CampaignDefinition campaign);
}

/// <summary>A member: profile, cards, points buckets, and the idempotency records of its transactions. Key: program/member.</summary>
[Alias("loyalty.IMemberGrain")]
public interface IMemberGrain : IGrainWithStringKey
{
    [Alias("Enroll")]
    Task<MemberView> EnrollAsync(EnrollCommand command);

    [Alias("Get")]
    Task<MemberView> GetAsync();

    [Alias("Commit")]
    Task<CommitResult> CommitAsync(CommitCommand command);

    [Alias("Void")]
    Task<VoidResult> VoidAsync(string transactionId);

    /// <summary>Returns some lines of a sale: points clawed back and spent points returned in proportion. Idempotent by refund id.</summary>
    [Alias("Refund")]
    Task<RefundResult> RefundAsync(RefundCommand command);

    /// <summary>The member's ledger entries after <paramref name="afterSeq"/>, oldest first, and the balance they sum to.</summary>
    [Alias("GetLedger")]
    Task<LedgerPage> GetLedgerAsync(long afterSeq, int limit);

    /// <summary>Whether a sale with this id is durable here (and not voided): lets a campaign settle a hold after a crash.</summary>
    [Alias("HasSale")]
    Task<bool> HasSaleAsync(string transactionId);

    /// <summary>What the promotion engine needs for a quote: attributes, purchases, stamps, per-campaign uses.</summary>
    [Alias("GetPromotionFacts")]
    Task<MemberFacts> GetPromotionFactsAsync();
}

/// <summary>Card number → member index. Key: program/card.</summary>
[Alias("loyalty.ICardGrain")]
public interface ICardGrain : IGrainWithStringKey
{
    /// <summary>Binds the card to the member; returns the member that owns it (an earlier owner wins).</summary>
    [Alias("Claim")]
    Task<string> ClaimAsync(string memberId);

    /// <summary>The owning member id; CARD_NOT_FOUND when unbound.</summary>
    [Alias("Lookup")]
    Task<string> LookupAsync();
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
}

/// <summary>A single-use coupon code. Key: program/CODE.</summary>
[Alias("loyalty.ICouponGrain")]
public interface ICouponGrain : IGrainWithStringKey
{
    [Alias("Create")]
    Task CreateAsync(CouponDefinition definition);

    [Alias("Get")]
    Task<CouponStatus> GetAsync();

    /// <summary>
    /// Redeems the code for a transaction, exactly once. The same transaction asking again
    /// gets the same answer (a retried commit); any other transaction gets COUPON_ALREADY_REDEEMED.
    /// </summary>
    [Alias("Redeem")]
    Task<CouponDefinition> RedeemAsync(string transactionId, string memberId, long basketSubtotal);

    /// <summary>Releases the redemption held by this transaction (a void). Returns whether it was released.</summary>
    [Alias("Restore")]
    Task<bool> RestoreAsync(string transactionId);
}
