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
