using System.Collections.Immutable;
using Loyalty.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Loyalty.Grains.Tests;

/// <summary>Automations on the grains with business time moved: each occasion fires once, at the right time.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AutomationTests(ClusterFixture fixture)
{
    private static readonly CouponDefinition Coupon = new(CouponKind.AmountOff, 500, 0, 0, null, null);

    private static readonly ImmutableArray<AutomationRule> Rules =
    [
        new(AutomationKind.Welcome, "Welcome, {name}! {code} takes 5.00 off.", Coupon),
        new(AutomationKind.Birthday, "Happy birthday, {name}: {code}", Coupon with { Value = 1_000 }, Days: 3),
        new(AutomationKind.WinBack, "We miss you, {name}. {code}", Coupon, Days: 30),
        new(AutomationKind.PointsExpiring, "{name}, {points} points expire on {expires_on}.", Days: 5),
        new(AutomationKind.Referral, "Thanks, {name}: {points} points for your friend.", Coupon, Points: 200),
    ];

    private IAutomationStore Store => ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost!.Services.GetRequiredService<IAutomationStore>();

    private static DateTimeOffset Utc(int y, int m, int d) => new(y, m, d, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Welcome_birthday_win_back_and_expiring_fire_once_each_when_due()
    {
        var program = await DefineAsync();
        var automations = fixture.Grains.GetGrain<IAutomationGrain>(program);
        var eva = fixture.Grains.GetGrain<IMemberGrain>(Keys.Scoped(program, "eva"));
        try
        {
            ClusterFixture.Clock.Pin(Utc(2026, 3, 1));
            await eva.EnrollAsync(new EnrollCommand("Eva", null, new DateOnly(1990, 3, 5), new MemberProfile(Email: "eva@example.com", MarketingConsent: true)));
            var welcome = Assert.Single(await Messages(program));
            Assert.Equal(("welcome", "email", "eva@example.com"), (welcome.Key, welcome.Channel, welcome.Recipient));
            Assert.Equal($"Welcome, Eva! {welcome.CouponCode} takes 5.00 off.", welcome.Body);
            var coupon = await fixture.Grains.GetGrain<ICouponGrain>(Keys.Scoped(program, welcome.CouponCode!)).GetAsync();
            Assert.Equal((CouponUse.Personal, "eva", Utc(2026, 3, 31)), (coupon.Definition.Use, coupon.Definition.MemberId, coupon.Definition.ValidUntil));

            // Four days before the birthday: not yet (lead 3 days). Three days before: once.
            Assert.Equal(0, (await automations.RunAsync()).Fired);
            ClusterFixture.Clock.Pin(Utc(2026, 3, 2));
            Assert.Equal((1, 0), ((await automations.RunAsync()) is var r ? (r.Fired, r.Failed) : default));
            Assert.Equal(0, (await automations.RunAsync()).Fired);
            Assert.Contains(await Messages(program), m => m.Key == "birthday:2026" && m.Body.StartsWith("Happy birthday, Eva: ", StringComparison.Ordinal));

            // A purchase on March 2 earns points that expire at the end of April (N = 1).
            await eva.CommitAsync(new CommitCommand("t1", "s", "p", [new BasketLine("serum", "skin", 1, 10_000, false)], null));

            // April 27: March's points expire within 5 days, and 30 days passed without a purchase.
            ClusterFixture.Clock.Pin(Utc(2026, 4, 27));
            Assert.Equal(2, (await automations.RunAsync()).Fired);
            Assert.Equal(0, (await automations.RunAsync()).Fired);
            var messages = await Messages(program);
            Assert.Contains(messages, m => m is { Key: "expiring:202604", Body: "Eva, 100 points expire on 2026-04-30." });
            Assert.Contains(messages, m => m.Key == "winback:2026-03-02" && m.CouponCode is not null);

            // A new purchase and another lapse: a new win-back occasion; the birthday waits for next year.
            ClusterFixture.Clock.Pin(Utc(2026, 5, 1));
            await eva.CommitAsync(new CommitCommand("t2", "s", "p", [new BasketLine("serum", "skin", 1, 10_000, false)], null));
            ClusterFixture.Clock.Pin(Utc(2026, 6, 5));
            Assert.Equal(1, (await automations.RunAsync()).Fired);
            Assert.Equal(
                ["birthday:2026", "expiring:202604", "welcome", "winback:2026-03-02", "winback:2026-05-01"],
                (await Messages(program)).Select(m => m.Key).Order(StringComparer.Ordinal));
        }
        finally
        {
            ClusterFixture.Clock.Release();
        }
    }

    [Fact]
    public async Task A_referred_friend_gets_the_coupon_and_the_referrer_gets_points_once_after_the_first_purchase()
    {
        var program = await DefineAsync();
        var ana = fixture.Grains.GetGrain<IMemberGrain>(Keys.Scoped(program, "ana"));
        var bo = fixture.Grains.GetGrain<IMemberGrain>(Keys.Scoped(program, "bo"));
        await ana.EnrollAsync(new EnrollCommand("Ana", null, null, new MemberProfile(Phone: "+420601000001", MarketingConsent: true)));

        var self = await Assert.ThrowsAsync<LoyaltyException>(() => ana.EnrollAsync(new EnrollCommand("Ana", null, null, null, "ana")));
        Assert.Equal(ErrorReason.MemberAlreadyEnrolled, self.Reason);
        var selfNew = await Assert.ThrowsAsync<LoyaltyException>(() =>
            fixture.Grains.GetGrain<IMemberGrain>(Keys.Scoped(program, "cy")).EnrollAsync(new EnrollCommand("Cy", null, null, null, "cy")));
        Assert.Equal(ErrorReason.SelfReferral, selfNew.Reason);
        var unknown = await Assert.ThrowsAsync<LoyaltyException>(() =>
            fixture.Grains.GetGrain<IMemberGrain>(Keys.Scoped(program, "cy")).EnrollAsync(new EnrollCommand("Cy", null, null, null, "nobody")));
        Assert.Equal(ErrorReason.ReferrerNotFound, unknown.Reason);

        await bo.EnrollAsync(new EnrollCommand("Bo", null, null, new MemberProfile(Email: "bo@example.com", MarketingConsent: true), "ana"));
        var referral = Assert.Single(await Messages(program, "bo"), m => m.Key == "referral");
        Assert.NotNull(referral.CouponCode);
        var before = (await ana.GetAsync()).Balance.Available;

        await bo.CommitAsync(new CommitCommand("b1", "s", "p", [new BasketLine("serum", "skin", 1, 10_000, false)], null));
        await bo.CommitAsync(new CommitCommand("b2", "s", "p", [new BasketLine("serum", "skin", 1, 10_000, false)], null));
        Assert.Equal(before + 200, (await ana.GetAsync()).Balance.Available);
        var thanks = Assert.Single(await Messages(program, "ana"), m => m.Kind == AutomationKind.Referral);
        Assert.Equal(("referrer:bo", "sms", "Thanks, Ana: 200 points for your friend."), (thanks.Key, thanks.Channel, thanks.Body));
    }

    [Fact]
    public async Task Without_consent_the_coupon_is_issued_but_no_message_is_queued()
    {
        var program = await DefineAsync();
        var member = fixture.Grains.GetGrain<IMemberGrain>(Keys.Scoped(program, "quiet"));
        await member.EnrollAsync(new EnrollCommand("Quiet", null, null, new MemberProfile(Email: "q@example.com", MarketingConsent: false)));
        Assert.Empty(await Messages(program));
        Assert.Equal(0, (await fixture.Grains.GetGrain<IAutomationGrain>(program).RunAsync()).Fired);
    }

    [Fact]
    public async Task Bad_automation_rules_are_refused_with_the_field_named()
    {
        var program = "auto-" + Guid.NewGuid().ToString("N")[..8];
        var grain = fixture.Grains.GetGrain<IProgramGrain>(program);
        async Task<string?> Refused(AutomationRule rule) =>
            (await Assert.ThrowsAsync<LoyaltyException>(() => grain.DefineAsync(new ProgramSettings(program, "x", "EUR", 1, 100, 1, Automations: [rule])))).Field;

        Assert.Equal("automations[0].template", await Refused(new(AutomationKind.Welcome, "Hi {nmae}")));
        Assert.Equal("automations[0].days", await Refused(new(AutomationKind.WinBack, "Hi {name}", Days: 0)));
        Assert.Equal("automations[0].points", await Refused(new(AutomationKind.Welcome, "Hi", Points: 5)));
        Assert.Equal("automations[0].coupon", await Refused(new(AutomationKind.PointsExpiring, "{points}", Coupon, Days: 3)));
    }

    private async Task<string> DefineAsync()
    {
        var program = "auto-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.Grains.GetGrain<IProgramGrain>(program).DefineAsync(new ProgramSettings(program, "Club", "EUR", 1, 100, 1, Automations: Rules));
        return program;
    }

    private async Task<IReadOnlyList<OutboxMessage>> Messages(string program, string? member = null) =>
        await Store.ListMessagesAsync(program, member, 100);
}
