using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

/// <summary>
/// The member aggregate's intent methods without a grain (issue #14: the rules live in the Domain): a sale's bookkeeping
/// and its undo, cards, the checkout rules a quote and a commit share, automation messages.
/// </summary>
public sealed class MemberAggregateTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
    private static readonly VerificationCodes Codes = new();
    private static readonly ProgramSettings Program = new("p", "Club", "EUR", 1, 100, 12);

    private static MemberState Enrolled(string? card = "card-1")
    {
        var member = new MemberState();
        member.Enroll(Program, "Eva", null, card, null, Now);
        return member;
    }

    [Fact]
    public void Recording_a_sale_counts_stamps_campaign_and_coupon_uses_and_its_void_gives_them_back()
    {
        var member = Enrolled();
        var coupon = new CouponDefinition(CouponKind.AmountOff, 100, 0, 0, null, null, CouponUse.Shared, MaxRedemptions: 10, PerMemberLimit: 2);
        var lines = ImmutableArray.Create(new BasketLine("lens", "lenses", 3, 1_000, false));
        var plan = new PricedBasket(3_000, 0, 100, 29)
        {
            Campaigns = [new AppliedCampaign("stamps", 0, StampsAdded: 3, StampsAfter: 3), new AppliedCampaign("tenoff", 200)],
        };
        var command = new CommitCommand("t1", "s1", "pos", lines, "CODE");

        var sale = member.RecordSale(Program, command, coupon, "fp", Now, plan, []);

        // Stamps alone are no redemption: only the campaign that gave money counts against per-member limits.
        Assert.Equal((3, 1, 1), (member.Stamps["stamps"], member.CampaignUses["tenoff"], member.CouponUses["CODE"]));
        Assert.False(member.CampaignUses.ContainsKey("stamps"));
        Assert.Equal(Now, member.LastPurchaseAt);
        Assert.Equal(1, member.Spend.Purchases);

        member.ReverseSale(Program, sale, Now.AddMinutes(5), [], []);

        Assert.False(member.CouponUses.ContainsKey("CODE"));
        Assert.Equal(0, member.CampaignUses["tenoff"]);
        Assert.Equal(0, member.Account.LedgerTotal);
        Assert.NotNull(sale.Void);
    }

    [Fact]
    public void A_blocked_card_cannot_come_back_and_adding_a_card_needs_proof()
    {
        var member = Enrolled();
        Assert.Equal((true, true), member.ReplaceCard("card-1", "card-2", new MemberProof("card-1", false), Codes, Now));
        Assert.Equal(["card-2"], member.Cards);

        Assert.Equal(ErrorReason.CardBlocked, Assert.Throws<LoyaltyException>(() => member.ReplaceCard(null, "card-1", MemberProof.Operator, Codes, Now)).Reason);
        Assert.Equal(ErrorReason.CardNotFound, Assert.Throws<LoyaltyException>(() => member.ReplaceCard("card-9", "card-3", MemberProof.Operator, Codes, Now)).Reason);
        Assert.Throws<LoyaltyException>(() => member.ReplaceCard(null, "card-3", new MemberProof(null, false), Codes, Now));

        // A retry of a done change needs no proof and changes nothing.
        Assert.Equal((false, false), member.ReplaceCard("card-1", "card-2", new MemberProof(null, false), Codes, Now));
    }

    [Fact]
    public void A_shared_code_has_room_below_its_cap_and_a_single_use_code_until_someone_holds_it()
    {
        var shared = new CouponDefinition(CouponKind.AmountOff, 100, 0, 0, null, null, CouponUse.Shared, MaxRedemptions: 2);
        var single = new CouponDefinition(CouponKind.AmountOff, 100, 0, 0, null, null);

        Assert.True(Coupons.HasRoom(shared, 1, null));
        Assert.False(Coupons.HasRoom(shared, 2, null));
        Assert.True(Coupons.HasRoom(shared with { MaxRedemptions = 0 }, 1_000, null));
        Assert.True(Coupons.HasRoom(single, 0, null));
        Assert.False(Coupons.HasRoom(single, 0, "t1"));
        Assert.Equal(ErrorReason.CouponExhausted, Coupons.Taken(shared).Reason);
        Assert.Equal(ErrorReason.CouponAlreadyRedeemed, Coupons.Taken(single).Reason);
    }

    [Fact]
    public void A_retry_answered_from_its_row_gives_back_holds_the_sale_does_not_own_and_new_grants_of_those_it_does()
    {
        var stored = new CommitResult
        {
            TransactionId = "t1", Subtotal = 1, Discount = 0, Total = 1, PointsEarned = 0, EarnMonth = 202611, CouponCode = null, AvailableAfter = 0,
            CommittedAt = Now, Campaigns = [new AppliedCampaign("owned-pending", 1), new AppliedCampaign("owned-new", 1)],
        };
        IEnumerable<AppliedCampaign> held = [new("owned-pending", 1), new("owned-new", 1), new("foreign", 1)];

        var back = Checkout.HoldsToGiveBack(stored, held, new HashSet<string> { "owned-new", "foreign" });

        Assert.Equal(["owned-new", "foreign"], back);
    }

    [Fact]
    public void A_message_needs_consent_an_address_and_a_template_and_prefers_e_mail()
    {
        var rule = new AutomationRule(AutomationKind.Welcome, "Hi {name}, your code {code}", Days: 7);
        var run = Automations.NewRun(rule, Now, null);

        Assert.Null(Automations.Message(rule, run, "Eva", marketingConsent: false, "eva@example.com", "+420601234567"));
        Assert.Null(Automations.Message(rule, run, "Eva", marketingConsent: true, null, null));
        Assert.Null(Automations.Message(rule with { Template = string.Empty }, run, "Eva", true, "eva@example.com", null));
        Assert.Equal(("email", "eva@example.com", "Hi Eva, your code "), Automations.Message(rule, run, "Eva", true, "eva@example.com", "+420601234567"));
        Assert.Equal("sms", Automations.Message(rule, run, "Eva", true, null, "+420601234567")!.Value.Channel);
    }
}
