using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

/// <summary>Spending at a till needs the member present (issue #27): what counts, and for how long.</summary>
public sealed class MemberPresenceTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 8, 12, 0, 0, TimeSpan.Zero);

    private static readonly string[] Cards = ["card-1"];

    private static CommitCommand Spend(TillPresence? till, long points = 10) =>
        new("t-1", "store-1", "pos-1", [new("soap", "general", 1, 1_000, false)], null, PointsToSpend: points, Till: till);

    [Fact]
    public void An_identify_at_the_same_terminal_counts_for_ten_minutes_and_at_no_other_terminal()
    {
        var presence = new MemberPresence();
        presence.Identified("till-a", Now);
        MemberPresence.EnsurePresent(presence, Spend(new TillPresence("till-a", null, null)), Cards, null, Now.AddMinutes(9));
        Refused(() => MemberPresence.EnsurePresent(presence, Spend(new TillPresence("till-b", null, null)), Cards, null, Now));
        Refused(() => MemberPresence.EnsurePresent(presence, Spend(new TillPresence("till-a", null, null)), Cards, null, Now + MemberPresence.Window));
    }

    [Fact]
    public void A_card_or_phone_of_the_member_in_the_request_counts_and_nothing_is_needed_without_spending_or_from_an_operator()
    {
        MemberPresence.EnsurePresent(null, Spend(new TillPresence("till-a", "card-1", null)), Cards, null, Now);
        MemberPresence.EnsurePresent(null, Spend(new TillPresence("till-a", null, "phone-key")), Cards, "phone-key", Now);
        Refused(() => MemberPresence.EnsurePresent(null, Spend(new TillPresence("till-a", "card-2", "other-key")), Cards, "phone-key", Now));
        Refused(() => MemberPresence.EnsurePresent(null, Spend(new TillPresence("till-a", null, "phone-key")), Cards, null, Now)); // the member has no phone
        MemberPresence.EnsurePresent(null, Spend(new TillPresence("till-a", null, null), points: 0), Cards, null, Now);
        MemberPresence.EnsurePresent(null, Spend(till: null), Cards, null, Now);
    }

    private static void Refused(Action check) =>
        Assert.Equal(ErrorReason.MemberNotPresent, Assert.Throws<LoyaltyException>(check).Reason);
}
