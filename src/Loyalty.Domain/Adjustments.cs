using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// Manual adjustments by customer service (docs/members.md, "Manual adjustments"): what a valid one looks like, how
/// it is recognised in the ledger (its entries' transaction id is <c>adj:</c> + the adjustment id) and how a retry is
/// told from a reuse. The change itself is the member's intent method <see cref="MemberState.Adjust"/>.
/// </summary>
public static class Adjustments
{
    public const string TransactionPrefix = "adj:";

    public const int MaxReasonLength = 32;

    public const int MaxNoteLength = 500;

    /// <summary>The transaction id the adjustment's ledger entries carry: unique per member, so the ledger is its idempotency record.</summary>
    public static string TransactionId(string adjustmentId) => TransactionPrefix + adjustmentId;

    /// <summary>
    /// The adjustment id is an id (1..64 of letters, digits, <c>. _ : -</c>); the asset points or credit; the amount
    /// not zero; the reason a short code (1..32 of <c>a-z 0-9 - _</c>, starting with a letter: <c>goodwill</c>,
    /// <c>till-error</c>); the note at most 500 printable characters (no control characters, no broken surrogate
    /// pairs); the operator named.
    /// </summary>
    public static void Validate(AdjustCommand command)
    {
        if (Keys.Problem(command.AdjustmentId) is { } problem)
        {
            throw LoyaltyException.Invalid("adjustment_id", $"adjustment_id {problem}");
        }

        if (!Enum.IsDefined(command.Asset))
        {
            throw LoyaltyException.Invalid("asset", "asset must be points or credit");
        }

        if (command.Amount == 0 || command.Amount == long.MinValue)
        {
            throw LoyaltyException.Invalid("amount", "amount must not be zero: positive adds, negative takes");
        }

        if (!IsReasonCode(command.Reason))
        {
            throw LoyaltyException.Invalid("reason", $"reason must be a code of 1..{MaxReasonLength} characters a-z, 0-9, '-' or '_', starting with a letter (e.g. goodwill, till-error)");
        }

        if (command.Note is { } note && (note.Length > MaxNoteLength || !IsPrintable(note)))
        {
            throw LoyaltyException.Invalid("note", $"note must be at most {MaxNoteLength} printable characters (no line breaks or control characters)");
        }

        if (string.IsNullOrEmpty(command.Actor))
        {
            throw LoyaltyException.Invalid("actor", "an adjustment names the operator who made it");
        }
    }

    /// <summary>
    /// The adjustment as a retry finds it among <paramref name="entries"/> (the member's entries with its transaction
    /// id): null when it was never applied; its result when the command repeats it (same asset, amount, reason and
    /// note — the operator may differ: it answers who made it); ADJUSTMENT_ID_REUSED when the id was used for another.
    /// </summary>
    public static AdjustResult? Earlier(AdjustCommand command, IEnumerable<LedgerEntry> entries, BalanceView balance)
    {
        var transactionId = TransactionId(command.AdjustmentId);
        var mine = entries.Where(e => e.Type == LedgerEntryType.Adjust && e.TransactionId == transactionId).OrderBy(e => e.Seq).ToImmutableArray();
        if (mine.IsEmpty)
        {
            return null;
        }

        var first = mine[0];
        var amount = mine.Aggregate(0L, (sum, e) => checked(sum + e.Points));
        if (first.Asset != command.Asset || amount != command.Amount || first.Reason != command.Reason || first.Note != command.Note)
        {
            throw new LoyaltyException(
                ErrorReason.AdjustmentIdReused,
                $"adjustment {command.AdjustmentId} was already made with another asset, amount, reason or note; use a new adjustment id");
        }

        return new AdjustResult(command.AdjustmentId, first.Asset, amount, first.Reason!, first.Note, first.Actor ?? string.Empty, first.At, mine, balance);
    }

    /// <summary>The largest limit a program may set (per call, per day or approval threshold): far above any real adjustment, far below an overflow.</summary>
    public const long MaxLimit = 1_000_000_000_000;

    /// <summary>The program's limits, the defaults when it set none.</summary>
    public static AdjustmentLimits Limits(ProgramSettings program) => program.AdjustmentLimits ?? AdjustmentLimits.Default;

    /// <summary>Every limit and threshold 1..<see cref="MaxLimit"/>, a per-day limit at least the per-call one.</summary>
    public static void ValidateLimits(AdjustmentLimits limits)
    {
        foreach (var (limit, field) in new[]
        {
            (limits.MarketerPoints, "adjustment_limits.marketer_points"), (limits.MarketerCredit, "adjustment_limits.marketer_credit"),
            (limits.OperatorPoints, "adjustment_limits.operator_points"), (limits.OperatorCredit, "adjustment_limits.operator_credit"),
        })
        {
            if (limit.PerCall is < 1 or > MaxLimit || limit.PerDay is < 1 or > MaxLimit || limit.PerDay < limit.PerCall)
            {
                throw LoyaltyException.Invalid(field, $"{field} needs per_call and per_day between 1 and {MaxLimit:N0}, per_day at least per_call");
            }
        }

        if (limits.ApprovalAbovePoints is < 1 or > MaxLimit || limits.ApprovalAboveCredit is < 1 or > MaxLimit)
        {
            throw LoyaltyException.Invalid("adjustment_limits", $"approval thresholds must be between 1 and {MaxLimit:N0}");
        }
    }

    /// <summary>The limit of a role (operator or marketer) for an asset; a terminal adjusts nothing.</summary>
    public static AdjustmentLimit LimitFor(AdjustmentLimits limits, AccessRole role, LedgerAsset asset) => (role, asset) switch
    {
        (AccessRole.Operator, LedgerAsset.Credit) => limits.OperatorCredit,
        (AccessRole.Operator, _) => limits.OperatorPoints,
        (AccessRole.Marketer, LedgerAsset.Credit) => limits.MarketerCredit,
        (AccessRole.Marketer, _) => limits.MarketerPoints,
        _ => throw new LoyaltyException(ErrorReason.RoleNotAllowed, "only an operator or a marketer makes adjustments"),
    };

    /// <summary>ADJUSTMENT_LIMIT_EXCEEDED when the amount (either sign) is above what the role may adjust in one call.</summary>
    public static void EnsureWithinCall(AdjustmentLimits limits, AccessRole role, AdjustCommand command)
    {
        var limit = LimitFor(limits, role, command.Asset);
        if (Math.Abs(command.Amount) > limit.PerCall)
        {
            throw new LoyaltyException(
                ErrorReason.AdjustmentLimitExceeded,
                $"a {Role(role)} adjusts at most {limit.PerCall} {Unit(command.Asset)} per call in this program; ask an operator with a higher limit");
        }
    }

    /// <summary>ADJUSTMENT_LIMIT_EXCEEDED when what the credential adjusted today plus this amount is above its daily limit.</summary>
    public static void EnsureWithinDay(AdjustmentLimits limits, AccessRole role, AdjustCommand command, long usedToday)
    {
        var limit = LimitFor(limits, role, command.Asset);
        if (usedToday + Math.Abs(command.Amount) > limit.PerDay)
        {
            throw new LoyaltyException(
                ErrorReason.AdjustmentLimitExceeded,
                $"a {Role(role)} adjusts at most {limit.PerDay} {Unit(command.Asset)} per UTC day in this program; {Math.Max(0, limit.PerDay - usedToday)} left today");
        }
    }

    /// <summary>Whether the amount (either sign) is above the program's approval threshold: then it waits for a second operator.</summary>
    public static bool NeedsApproval(AdjustmentLimits limits, AdjustCommand command) =>
        Math.Abs(command.Amount) > (command.Asset == LedgerAsset.Credit ? limits.ApprovalAboveCredit : limits.ApprovalAbovePoints);

    /// <summary>ADJUSTMENT_ID_REUSED when <paramref name="command"/> is not the adjustment held under its id (the operator may differ).</summary>
    public static void EnsureSame(HeldAdjustment held, AdjustCommand command)
    {
        var first = held.Command;
        if (first.Asset != command.Asset || first.Amount != command.Amount || first.Reason != command.Reason || first.Note != command.Note)
        {
            throw new LoyaltyException(
                ErrorReason.AdjustmentIdReused,
                $"adjustment {command.AdjustmentId} was already requested with another asset, amount, reason or note; use a new adjustment id");
        }
    }

    private static string Role(AccessRole role) => role == AccessRole.Operator ? "operator" : "marketer";

    private static string Unit(LedgerAsset asset) => asset == LedgerAsset.Credit ? "credit (minor units)" : "points";

    /// <summary>
    /// The time an adjustment's entries carry, to the microsecond: what PostgreSQL keeps, so a retry answered from
    /// the stored entries answers the same time as the first call.
    /// </summary>
    public static DateTimeOffset Time(DateTimeOffset now) => now.AddTicks(-(now.Ticks % 10));

    /// <summary>The entries appended from <paramref name="fromSeq"/> on (this adjustment's) carry its reason, note and operator.</summary>
    internal static ImmutableArray<LedgerEntry> Annotate(PointsAccount account, long fromSeq, AdjustCommand command)
    {
        var outbox = account.OutboxForWrite();
        for (var i = 0; i < outbox.Count; i++)
        {
            if (outbox[i].Seq >= fromSeq)
            {
                outbox[i] = outbox[i] with { Reason = command.Reason, Note = command.Note, Actor = command.Actor };
            }
        }

        return [.. outbox.Where(e => e.Seq >= fromSeq)];
    }

    private static bool IsReasonCode(string? reason) =>
        reason is { Length: > 0 and <= MaxReasonLength }
        && char.IsAsciiLetterLower(reason[0])
        && reason.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');

    private static bool IsPrintable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator)
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
