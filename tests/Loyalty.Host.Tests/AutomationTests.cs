using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>Automations over real gRPC and PostgreSQL: the candidate queries, the message table and the personal codes.</summary>
[Collection(EngineCollection.Name)]
public sealed class AutomationTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task Welcome_birthday_and_win_back_messages_land_once_in_the_outbox_with_personal_codes()
    {
        var program = "auto-" + Guid.NewGuid().ToString("N")[..8];
        var coupon = new CouponTerms { AmountOff = 500 };
        await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = program, Name = "Club", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 12,
            Automations =
            {
                new Automation { Kind = AutomationKind.Welcome, Template = "Welcome, {name}! Use {code}.", Coupon = coupon },
                new Automation { Kind = AutomationKind.Birthday, Template = "Happy birthday, {name}!", Coupon = coupon, Days = 2 },
                new Automation { Kind = AutomationKind.WinBack, Template = "{name}, {days} days already? {code}", Coupon = coupon, Days = 2 },
            },
        });
        var today = DateTime.UtcNow;
        await Engine.Pos.EnrollAsync(new EnrollRequest
        {
            ProgramId = program, MemberId = "eva", Name = "Eva", Email = "eva@example.com", MarketingConsent = true,
            BirthDate = $"1992-{today.AddDays(1):MM-dd}", // a leap year, so 29 February is a valid date too
        });
        await Engine.Pos.EnrollAsync(new EnrollRequest
        {
            // Half a year away, whatever today is: Ola's birthday is never due in this test.
            ProgramId = program, MemberId = "ola", Name = "Ola", Phone = "+420 601 555 777", MarketingConsent = true, BirthDate = $"1996-{today.AddDays(180):MM-dd}",
        });

        // Ola bought something 2.5 days ago at the till (offline replay): lapsed for the 2-day win-back.
        var sale = Sales.Commit(program, "ola", "ola-1");
        sale.OccurredAt = Timestamp.FromDateTime(today.AddDays(-2.5));
        await Engine.Pos.CommitAsync(sale);
        await Engine.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = "ola", PageSize = 10 }); // flushed to ledger_entries

        // The candidate query finds lapses by when entries were recorded (now, for a replay); make the
        // table look as if the sale had been recorded live at the till, 2.5 days ago.
        await using (var db = new Npgsql.NpgsqlConnection(fixture.ConnectionString))
        {
            await db.OpenAsync();
            await using var backdate = new Npgsql.NpgsqlCommand(
                "UPDATE ledger_entries SET occurred_at = now() - interval '60 hours' WHERE program_id = @p AND member_id = 'ola'", db);
            backdate.Parameters.AddWithValue("p", program);
            Assert.True(await backdate.ExecuteNonQueryAsync() > 0);
        }

        var first = await Engine.Admin.RunAutomationsAsync(new RunAutomationsRequest { ProgramId = program });
        Assert.Equal((2, 0), (first.Fired, first.Failed));
        var second = await Engine.Admin.RunAutomationsAsync(new RunAutomationsRequest { ProgramId = program });
        Assert.Equal(0, second.Fired);

        var messages = (await Engine.Admin.ListMessagesAsync(new ListMessagesRequest { ProgramId = program })).Messages;
        Assert.Equal(
            ["eva birthday:" + today.AddDays(1).Year, "eva welcome", "ola welcome", "ola winback:" + today.AddDays(-2.5).ToString("yyyy-MM-dd")],
            messages.Select(m => $"{m.MemberId} {m.Key}").Order(StringComparer.Ordinal));
        var welcome = messages.Single(m => m is { MemberId: "eva", Key: "welcome" });
        Assert.Equal(("email", "eva@example.com", $"Welcome, Eva! Use {welcome.CouponCode}."), (welcome.Channel, welcome.Recipient, welcome.Body));
        var winBack = messages.Single(m => m.Key.StartsWith("winback", StringComparison.Ordinal));
        Assert.Equal(("sms", "+420601555777", $"Ola, 2 days already? {winBack.CouponCode}"), (winBack.Channel, winBack.Recipient, winBack.Body));

        // Identify shows Eva her usable personal codes, newest first.
        var eva = await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = "eva" });
        Assert.Equal(2, eva.Coupons.Count);
        Assert.Contains(eva.Coupons, c => c is { Occasion: "welcome", AmountOff: 500 } && c.Code == welcome.CouponCode);

        // The welcome code is Eva's own: Ola is refused, Eva gets 5.00 off.
        var stolen = Sales.Commit(program, "ola", "ola-2");
        stolen.CouponCode = welcome.CouponCode;
        var refused = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(stolen).ResponseAsync);
        Assert.Equal("COUPON_NOT_FOR_MEMBER", refused.Reason());
        var own = Sales.Commit(program, "eva", "eva-1");
        own.CouponCode = welcome.CouponCode;
        Assert.Equal(500, (await Engine.Pos.CommitAsync(own)).Discount);
        Assert.DoesNotContain((await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = "eva" })).Coupons, c => c.Code == welcome.CouponCode);
    }

    [Fact]
    public async Task Referring_yourself_or_an_unknown_member_is_refused_and_changes_nothing()
    {
        var program = await fixture.NewProgramAsync();
        var self = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.EnrollAsync(new EnrollRequest
        {
            ProgramId = program, MemberId = "me", ReferrerMemberId = "me",
        }).ResponseAsync);
        Assert.Equal((StatusCode.FailedPrecondition, "SELF_REFERRAL"), (self.StatusCode, self.Reason()));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.EnrollAsync(new EnrollRequest
        {
            ProgramId = program, MemberId = "me", ReferrerMemberId = "ghost",
        }).ResponseAsync);
        Assert.Equal((StatusCode.NotFound, "REFERRER_NOT_FOUND"), (unknown.StatusCode, unknown.Reason()));
        var notEnrolled = await Assert.ThrowsAsync<RpcException>(() =>
            Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = "me" }).ResponseAsync);
        Assert.Equal("MEMBER_NOT_FOUND", notEnrolled.Reason());
    }
}
