using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Domain;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// Issue #27, finding 2: a card or contact change at a till needs a one-time code sent to the member's phone or e-mail
/// through the outbox — something no answer of the engine ever carries — not a card number a till may have seen.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed partial class VerificationCodeTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task The_takeover_with_a_known_card_is_refused_and_the_code_sent_to_the_member_is_what_proves_them()
    {
        var program = await fixture.NewProgramAsync();
        var (card, phone) = (Card(), "+420602" + Random.Shared.Next(100_000, 999_999));
        var victim = (await Engine.OperatorPos.EnrollAsync(new EnrollRequest { ProgramId = program, CardNumber = card, Phone = phone, Email = "vera@example.com" })).MemberId;

        // The attacker knows the victim's card number (it is printed on the card): it no longer proves a member with contacts.
        var planted = Card();
        var takeover = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.ReplaceCardAsync(new ReplaceCardRequest
        {
            ProgramId = program, MemberId = victim, NewCardNumber = planted, PresentedCardNumber = card,
        }).ResponseAsync);
        Assert.Equal((StatusCode.PermissionDenied, "MEMBER_PROOF_REQUIRED"), (takeover.StatusCode, takeover.Reason()));
        var redirect = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.UpdateProfileAsync(new UpdateProfileRequest
        {
            ProgramId = program, MemberId = victim, Phone = "+420601000111", PresentedCardNumber = card,
        }).ResponseAsync);
        Assert.Equal("MEMBER_PROOF_REQUIRED", redirect.Reason());

        // A code goes to the member's phone through the outbox; the till learns only where it went.
        var sent = await Engine.Pos.RequestVerificationCodeAsync(new VerificationCodeRequest { ProgramId = program, MemberId = victim });
        Assert.Equal(("sms", "•••" + phone[^2..]), (sent.Channel, sent.SentTo));
        var code = await CodeSentAsync(program, victim, phone);
        Assert.DoesNotContain(code, sent.ToString(), StringComparison.Ordinal);

        // A guess costs an attempt; the code is for the terminal that asked for it; the right one works once.
        var wrong = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.ReplaceCardAsync(new ReplaceCardRequest
        {
            ProgramId = program, MemberId = victim, NewCardNumber = planted, VerificationCode = code == "000000" ? "000001" : "000000",
        }).ResponseAsync);
        Assert.Equal((StatusCode.PermissionDenied, "VERIFICATION_CODE_INVALID"), (wrong.StatusCode, wrong.Reason()));
        Assert.Contains("4 attempts left", wrong.Status.Detail, StringComparison.Ordinal);
        var otherTill = await TillAsync(program, "store-1", "pos-2");
        var elsewhere = await Assert.ThrowsAsync<RpcException>(() => otherTill.ReplaceCardAsync(new ReplaceCardRequest
        {
            ProgramId = program, MemberId = victim, NewCardNumber = planted, VerificationCode = code,
        }).ResponseAsync);
        Assert.Equal("VERIFICATION_CODE_INVALID", elsewhere.Reason());
        Assert.Single((await Engine.OperatorPos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = victim })).CardNumbers);

        var added = await Engine.Pos.ReplaceCardAsync(new ReplaceCardRequest { ProgramId = program, MemberId = victim, NewCardNumber = planted, VerificationCode = code });
        Assert.Equal([Profiles.MaskCard(card), Profiles.MaskCard(planted)], added.CardNumbers);
        var reused = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.UpdateProfileAsync(new UpdateProfileRequest
        {
            ProgramId = program, MemberId = victim, Email = "mallory@example.com", VerificationCode = code,
        }).ResponseAsync);
        Assert.Equal("VERIFICATION_CODE_INVALID", reused.Reason());

        // A fresh code by e-mail (still the victim's: the used code changed nothing) changes the phone.
        var byEmail = await Engine.Pos.RequestVerificationCodeAsync(new VerificationCodeRequest { ProgramId = program, MemberId = victim, Channel = "email" });
        Assert.Equal(("email", "v•••@example.com"), (byEmail.Channel, byEmail.SentTo));
        var second = await CodeSentAsync(program, victim, "vera@example.com");
        await Engine.Pos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = victim, Phone = "+420603111222", VerificationCode = second });
        Assert.Equal(victim, (await Engine.OperatorPos.IdentifyAsync(new IdentifyRequest { ProgramId = program, Phone = "+420603111222" })).MemberId);
    }

    [Fact]
    public async Task Five_wrong_codes_void_it_and_a_till_cannot_flood_the_members_phone()
    {
        var program = await fixture.NewProgramAsync();
        var phone = "+420604" + Random.Shared.Next(100_000, 999_999);
        var member = (await Engine.OperatorPos.EnrollAsync(new EnrollRequest { ProgramId = program, CardNumber = Card(), Phone = phone })).MemberId;
        await Engine.Pos.RequestVerificationCodeAsync(new VerificationCodeRequest { ProgramId = program, MemberId = member });
        var code = await CodeSentAsync(program, member, phone);
        var guesses = Enumerable.Range(0, 10).Select(i => i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture)).Where(g => g != code).Take(VerificationCodes.MaxAttempts);
        foreach (var guess in guesses)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.ReplaceCardAsync(new ReplaceCardRequest
            {
                ProgramId = program, MemberId = member, NewCardNumber = Card(), VerificationCode = guess,
            }).ResponseAsync);
            Assert.Equal("VERIFICATION_CODE_INVALID", refused.Reason());
        }

        // The right code after five wrong ones: void.
        var voided = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.ReplaceCardAsync(new ReplaceCardRequest
        {
            ProgramId = program, MemberId = member, NewCardNumber = Card(), VerificationCode = code,
        }).ResponseAsync);
        Assert.Equal("VERIFICATION_CODE_INVALID", voided.Reason());

        // Three codes per 15 minutes (one sent already).
        for (var i = 1; i < VerificationCodes.MaxCodesPerWindow; i++)
        {
            await Engine.Pos.RequestVerificationCodeAsync(new VerificationCodeRequest { ProgramId = program, MemberId = member });
        }

        var flood = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.RequestVerificationCodeAsync(new VerificationCodeRequest { ProgramId = program, MemberId = member }).ResponseAsync);
        Assert.Equal((StatusCode.ResourceExhausted, "TOO_MANY_VERIFICATION_CODES"), (flood.StatusCode, flood.Reason()));
        var messages = (await Engine.Admin.ListMessagesAsync(new ListMessagesRequest { ProgramId = program, MemberId = member })).Messages;
        Assert.Equal(VerificationCodes.MaxCodesPerWindow, messages.Count(m => m.Kind == AutomationKind.VerificationCode));
    }

    [Fact]
    public async Task A_member_without_contacts_proves_themselves_with_a_card_and_a_marketer_never_reads_a_code()
    {
        var program = await fixture.NewProgramAsync();
        var card = Card();
        var member = (await Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, CardNumber = card })).MemberId;
        var none = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.RequestVerificationCodeAsync(new VerificationCodeRequest { ProgramId = program, MemberId = member }).ResponseAsync);
        Assert.Equal((StatusCode.FailedPrecondition, "NO_CONTACT_ON_FILE"), (none.StatusCode, none.Reason()));
        var bare = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = member, Email = "ida@example.com" }).ResponseAsync);
        Assert.Equal("MEMBER_PROOF_REQUIRED", bare.Reason());

        // The card is all such a member has to show; with it the first contact is added, and from then on codes rule.
        await Engine.Pos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = member, Email = "ida@example.com", PresentedCardNumber = card });
        var now = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.UpdateProfileAsync(new UpdateProfileRequest
        {
            ProgramId = program, MemberId = member, Email = "mallory@example.com", PresentedCardNumber = card,
        }).ResponseAsync);
        Assert.Equal("MEMBER_PROOF_REQUIRED", now.Reason());

        // The sender (an operator) reads the code; a marketer of the program sees the message without it.
        await Engine.Pos.RequestVerificationCodeAsync(new VerificationCodeRequest { ProgramId = program, MemberId = member });
        var code = await CodeSentAsync(program, member, "ida@example.com");
        var issued = await Engine.Admin.IssueOperatorTokenAsync(new IssueOperatorTokenRequest { Role = OperatorRole.Marketer, ProgramIds = { program }, Name = "Marketing" });
        var marketer = LoyaltyAdmin.Create(Engine.AdminChannel, issued.Token);
        var seen = (await marketer.ListMessagesAsync(new ListMessagesRequest { ProgramId = program, MemberId = member })).Messages.Single(m => m.Kind == AutomationKind.VerificationCode);
        Assert.Equal(VerificationCodes.HiddenBody, seen.Body);
        Assert.DoesNotContain(code, seen.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_stores_till_cannot_ask_for_a_code_in_its_name()
    {
        var program = await fixture.NewProgramAsync();
        var member = (await Engine.OperatorPos.EnrollAsync(new EnrollRequest { ProgramId = program, CardNumber = Card(), Phone = "+420605" + Random.Shared.Next(100_000, 999_999) })).MemberId;
        var till = await TillAsync(program, "store-1", "pos-1");
        foreach (var (store, terminal) in new[] { ("store-2", string.Empty), ("store-1", "pos-9") })
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => till.RequestVerificationCodeAsync(new VerificationCodeRequest
            {
                ProgramId = program, MemberId = member, StoreId = store, TerminalId = terminal,
            }).ResponseAsync);
            Assert.Equal((StatusCode.PermissionDenied, "OUT_OF_SCOPE"), (refused.StatusCode, refused.Reason()));
        }

        Assert.Empty((await Engine.Admin.ListMessagesAsync(new ListMessagesRequest { ProgramId = program, MemberId = member })).Messages);
    }

    /// <summary>The code in the newest verification message to <paramref name="recipient"/>, read from the outbox as the sender would (an operator).</summary>
    private async Task<string> CodeSentAsync(string program, string member, string recipient)
    {
        var message = (await Engine.Admin.ListMessagesAsync(new ListMessagesRequest { ProgramId = program, MemberId = member })).Messages
            .Where(m => m.Kind == AutomationKind.VerificationCode && m.Recipient == recipient)
            .OrderBy(m => m.CreatedAt.ToDateTimeOffset())
            .Last();
        return SixDigits().Match(message.Body).Value;
    }

    private async Task<PosService.PosServiceClient> TillAsync(string program, string store, string terminal) =>
        new(Engine.Channel.Intercept(LoyaltyAdmin.WithBearer(await Engine.Fleet(program).TokenAsync(store, terminal, default))));

    private static string Card() => "card-" + Guid.NewGuid().ToString("N")[..12];

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex SixDigits();
}
