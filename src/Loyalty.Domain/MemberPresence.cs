using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// Spending a member's points, store credit or rewards at a till needs the member present (issue #27: a member id alone
/// spent the victim's points): a card or phone of the member in the same request, or an Identify by card or phone at the
/// same terminal within <see cref="Window"/>. Customer service (no <see cref="TillPresence"/>) and a commit spending
/// nothing need no presence. The recent Identifies are kept in memory by the member's activation (a few terminals): after
/// a deactivation the till identifies the member again.
/// </summary>
public sealed class MemberPresence
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    /// <summary>Terminals remembered at most: a member stands at one till at a time.</summary>
    public const int MaxTerminals = 4;

    private readonly List<(string Terminal, DateTimeOffset At)> _identified = [];

    /// <summary>The member identified by card or phone at <paramref name="terminal"/> (store/terminal).</summary>
    public void Identified(string terminal, DateTimeOffset now)
    {
        _identified.RemoveAll(e => e.Terminal == terminal || now - e.At >= Window);
        if (_identified.Count >= MaxTerminals)
        {
            _identified.RemoveAt(0);
        }

        _identified.Add((terminal, now));
    }

    /// <summary>
    /// MEMBER_NOT_PRESENT when a till's commit spends without the member present: <paramref name="cards"/> are the
    /// member's usable cards, <paramref name="phoneKey"/> the lookup key of the member's phone (needed only when the
    /// request presents a phone).
    /// </summary>
    /// <param name="recent">The member's recent Identifies (null: none since the activation).</param>
    public static void EnsurePresent(MemberPresence? recent, CommitCommand command, IReadOnlyList<string> cards, string? phoneKey, DateTimeOffset now)
    {
        if (command.Till is not { } till || !Spends(command))
        {
            return;
        }

        if ((till.PresentedCard is { } card && cards.Contains(card, StringComparer.Ordinal))
            || (till.PresentedPhoneKey is { } phone && phone == phoneKey)
            || (recent is not null && recent._identified.Exists(e => e.Terminal == till.Terminal && now - e.At < Window)))
        {
            return;
        }

        throw new LoyaltyException(
            ErrorReason.MemberNotPresent,
            $"spending points, store credit or rewards needs the member present: a card or phone of the member in the request (presented_card_number, presented_phone), or an Identify by card or phone at this terminal within the last {Window.TotalMinutes:0} minutes",
            "presented_card_number");
    }

    private static bool Spends(CommitCommand command) =>
        command.PointsToSpend > 0 || command.CreditToSpend > 0 || !command.RewardIds.IsDefaultOrEmpty;
}
