namespace Loyalty.Contracts;

/// <summary>
/// Machine-readable reasons carried by every refusal. The names (UPPER_SNAKE_CASE of the member)
/// are part of the public API: terminals switch on them, so never rename or reuse one.
/// </summary>
public enum ErrorReason
{
    InvalidArgument = 0,
    ProgramNotFound = 1,
    MemberNotFound = 2,
    MemberAlreadyEnrolled = 3,
    CardInUse = 4,
    CardNotFound = 5,
    CouponNotFound = 6,
    CouponAlreadyRedeemed = 7,
    CouponNotApplicable = 8,
    CouponAlreadyExists = 9,
    TransactionIdReused = 10,
    TransactionNotFound = 11,
    CurrencyMismatch = 12,
    CouponCodeMalformed = 13,
    CouponExpired = 14,
    CouponNotYetValid = 15,
    InsufficientPoints = 16,
    BurnLimitExceeded = 17,
    BurnNotEnabled = 18,
    OfflineWindowExceeded = 19,
    OfflineSpendNotAllowed = 20,
    RefundExceedsSale = 21,
    TransactionVoided = 22,
    RefundIdReused = 23,
    InsufficientCredit = 24,
    RewardNotFound = 25,
    RewardNotApplicable = 26,
    BudgetExhausted = 27,
    CampaignNotFound = 28,
    TooManyCouponGuesses = 29,
    CouponNotForMember = 30,
    CouponExhausted = 31,
    CouponMemberLimitReached = 32,
    CouponSeriesNotFound = 33,
    PhoneInUse = 34,
    PhoneNotFound = 35,
    SelfReferral = 36,
    ReferrerNotFound = 37,
    CardBlocked = 38,
    CouponWithdrawn = 39,
    CampaignEnded = 40,
    MessageTooLarge = 41,

    /// <summary>A strict-pricing commit whose total differs from the one the terminal showed (expected_total).</summary>
    TotalChanged = 42,

    /// <summary>The program's discount cap leaves nothing for the coupon: it is not redeemed.</summary>
    CouponNoDiscount = 43,

    /// <summary>No credential on the call (<c>authorization: Bearer …</c>): UNAUTHENTICATED.</summary>
    CredentialMissing = 44,

    /// <summary>A credential the engine does not know, malformed or revoked: UNAUTHENTICATED.</summary>
    CredentialInvalid = 45,

    /// <summary>The credential is valid but not for this program, store or terminal: PERMISSION_DENIED.</summary>
    OutOfScope = 46,

    /// <summary>The credential's role may not make this call (a terminal on the admin API, a marketer registering terminals): PERMISSION_DENIED.</summary>
    RoleNotAllowed = 47,

    /// <summary>The store is not registered in the program.</summary>
    StoreNotFound = 48,

    /// <summary>The terminal is not registered in the program.</summary>
    TerminalNotFound = 49,

    /// <summary>Too many member lookups (card, phone) from one terminal in a short time.</summary>
    TooManyLookups = 50,

    /// <summary>A card or contact change without proof of the member (a card the member holds, or an operator).</summary>
    MemberProofRequired = 51,

    /// <summary>A manual adjustment id already used for a different adjustment (another amount, asset, reason or note): ALREADY_EXISTS.</summary>
    AdjustmentIdReused = 52,
    /// <summary>The call reads what only PostgreSQL holds (reports) and the engine runs without a database: FAILED_PRECONDITION.</summary>
    DatabaseRequired = 53,

    /// <summary>A till's void or refund of a sale made in another store, and the program does not allow cross-store returns: PERMISSION_DENIED.</summary>
    SaleOfAnotherStore = 54,

    /// <summary>
    /// A till's commit spending points, store credit or rewards without the member present (no card or phone of the member
    /// in the request, no Identify by card or phone at this terminal in the last minutes): FAILED_PRECONDITION.
    /// </summary>
    MemberNotPresent = 55,

    /// <summary>A verification code that is wrong, expired, used, void or sent for another terminal: PERMISSION_DENIED.</summary>
    VerificationCodeInvalid = 80,

    /// <summary>Too many verification codes sent to one member in a short time: RESOURCE_EXHAUSTED.</summary>
    TooManyVerificationCodes = 81,

    /// <summary>A verification code was asked for a member without a phone or e-mail (or without the one asked for).</summary>
    NoContactOnFile = 82,

    /// <summary>A manual adjustment over the caller's limit per call or per day (program settings): RESOURCE_EXHAUSTED, nothing changed.</summary>
    AdjustmentLimitExceeded = 70,

    /// <summary>No adjustment waiting for approval with this member and adjustment id: NOT_FOUND.</summary>
    AdjustmentNotFound = 71,

    /// <summary>The adjustment was already decided the other way (approving a rejected one, rejecting an approved one): FAILED_PRECONDITION.</summary>
    AdjustmentNotPending = 72,

    /// <summary>An adjustment waiting for approval is approved by a second operator, never by the one who asked for it: PERMISSION_DENIED.</summary>
    SecondApproverRequired = 73,
}

/// <summary>The family a reason belongs to; the gRPC edge maps each family to one status code.</summary>
public enum ErrorKind
{
    InvalidArgument,
    NotFound,
    Unauthenticated,
    PermissionDenied,
    AlreadyExists,
    FailedPrecondition,
    ResourceExhausted,
}

public static class ErrorReasons
{
    public static ErrorKind KindOf(ErrorReason reason) => reason switch
    {
        ErrorReason.InvalidArgument or ErrorReason.CurrencyMismatch or ErrorReason.CouponCodeMalformed => ErrorKind.InvalidArgument,
        ErrorReason.ProgramNotFound or ErrorReason.MemberNotFound or ErrorReason.CardNotFound
            or ErrorReason.CouponNotFound or ErrorReason.TransactionNotFound or ErrorReason.RewardNotFound
            or ErrorReason.CampaignNotFound or ErrorReason.CouponSeriesNotFound or ErrorReason.PhoneNotFound
            or ErrorReason.ReferrerNotFound or ErrorReason.StoreNotFound or ErrorReason.TerminalNotFound
            or ErrorReason.AdjustmentNotFound => ErrorKind.NotFound,
        ErrorReason.MemberAlreadyEnrolled or ErrorReason.CardInUse or ErrorReason.CouponAlreadyExists
            or ErrorReason.PhoneInUse or ErrorReason.TransactionIdReused or ErrorReason.RefundIdReused
            or ErrorReason.AdjustmentIdReused => ErrorKind.AlreadyExists,
        ErrorReason.TooManyCouponGuesses or ErrorReason.MessageTooLarge or ErrorReason.TooManyLookups
            or ErrorReason.TooManyVerificationCodes or ErrorReason.AdjustmentLimitExceeded => ErrorKind.ResourceExhausted,
        ErrorReason.CredentialMissing or ErrorReason.CredentialInvalid => ErrorKind.Unauthenticated,
        ErrorReason.OutOfScope or ErrorReason.RoleNotAllowed or ErrorReason.MemberProofRequired
            or ErrorReason.SaleOfAnotherStore or ErrorReason.VerificationCodeInvalid or ErrorReason.SecondApproverRequired => ErrorKind.PermissionDenied,
        ErrorReason.CouponAlreadyRedeemed or ErrorReason.CouponNotApplicable
            or ErrorReason.CouponExpired or ErrorReason.CouponNotYetValid or ErrorReason.CouponNotForMember
            or ErrorReason.CouponExhausted or ErrorReason.CouponMemberLimitReached or ErrorReason.CouponWithdrawn
            or ErrorReason.CouponNoDiscount or ErrorReason.TotalChanged => ErrorKind.FailedPrecondition,
        _ => ErrorKind.FailedPrecondition,
    };

    /// <summary><c>CouponAlreadyRedeemed</c> → <c>COUPON_ALREADY_REDEEMED</c>.</summary>
    public static string Code(ErrorReason reason)
    {
        var name = reason.ToString();
        var builder = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
            {
                builder.Append('_');
            }

            builder.Append(char.ToUpperInvariant(name[i]));
        }

        return builder.ToString();
    }
}
