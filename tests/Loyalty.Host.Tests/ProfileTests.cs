using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

[Collection(EngineCollection.Name)]
public sealed class ProfileTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task Completing_the_profile_earns_the_bonus_exactly_once_and_the_phone_finds_the_member()
    {
        var program = await ProgramWithProfileBonusAsync();
        var phone = RandomPhone();
        var enrolled = await Engine.Pos.EnrollAsync(new EnrollRequest
        {
            ProgramId = program, MemberId = "eva", Name = "Eva", Phone = phone, BirthDate = "1990-04-02", Attributes = { "Student", "student" },
        });
        Assert.False(enrolled.ProfileComplete);

        // A retried enrollment (the same body) answers the same member; fewer fields or a different phone is refused
        // (issue #27: a bare member id must not be answered with the member).
        var retried = await Engine.Pos.EnrollAsync(new EnrollRequest
        {
            ProgramId = program, MemberId = "eva", Name = "Eva", Phone = phone, BirthDate = "1990-04-02", Attributes = { "student" },
        });
        Assert.Equal(enrolled, retried);
        var bare = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "eva" }).ResponseAsync);
        Assert.Equal("MEMBER_ALREADY_ENROLLED", bare.Reason());
        var conflicting = await Assert.ThrowsAsync<RpcException>(() =>
            Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "eva", Phone = RandomPhone() }).ResponseAsync);
        Assert.Equal("MEMBER_ALREADY_ENROLLED", conflicting.Reason());
        Assert.Equal(["student"], enrolled.Attributes);
        Assert.Equal(0, enrolled.Balance.Available);

        var completed = await Engine.OperatorPos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = "eva", Email = "eva@Example.COM" });
        Assert.True(completed.ProfileComplete);
        Assert.Equal(500, completed.Balance.Available);

        // Emptying and refilling a field, or repeating the update, never pays again.
        await Engine.OperatorPos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = "eva", Email = "eva@example.com" });
        var again = await Engine.Pos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = "eva", Name = "Eva K." });
        Assert.Equal(500, again.Balance.Available);

        var ledger = await Engine.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = program, MemberId = "eva", PageSize = 100 });
        Assert.Single(ledger.Entries, e => e.Type == "bonus" && e.Points == 500);

        // The till may type the number with spaces and dashes.
        var found = await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, Phone = phone.Insert(4, " ").Insert(8, "-") });
        Assert.Equal("eva", found.MemberId);
    }

    [Fact]
    public async Task Identify_masks_the_cards_and_gives_the_birthday_without_its_year()
    {
        var program = await ProgramWithProfileBonusAsync();
        var phone = RandomPhone();
        var card = "7001" + Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var enrolled = await Engine.Pos.EnrollAsync(new EnrollRequest
        {
            ProgramId = program, MemberId = "masked", Name = "Ola", Phone = phone, CardNumber = card, BirthDate = "1990-04-02",
        });
        // Enroll from a till answers as Identify does (issue #27): the till typed the card, it does not read it back.
        var masked = new string('*', card.Length - 4) + card[^4..];
        Assert.Equal([masked], enrolled.CardNumbers);
        Assert.Equal("--04-02", enrolled.BirthDate);

        foreach (var request in new[]
        {
            new IdentifyRequest { ProgramId = program, Phone = phone },
            new IdentifyRequest { ProgramId = program, MemberId = "masked" },
            new IdentifyRequest { ProgramId = program, CardNumber = card },
        })
        {
            var found = await Engine.Pos.IdentifyAsync(request);
            Assert.Equal(("masked", "Ola"), (found.MemberId, found.Name));
            Assert.Equal([masked], found.CardNumbers);
            Assert.Equal("--04-02", found.BirthDate);
        }
    }

    [Fact]
    public async Task A_member_enrolled_with_a_complete_profile_gets_the_bonus_at_once()
    {
        var program = await ProgramWithProfileBonusAsync();
        var member = await Engine.Pos.EnrollAsync(new EnrollRequest
        {
            ProgramId = program, MemberId = "full", Name = "Ana", Phone = RandomPhone(), Email = "ana@example.org", BirthDate = "1985-01-20",
        });
        Assert.True(member.ProfileComplete);
        Assert.Equal(500, member.Balance.Available);
    }

    [Fact]
    public async Task A_phone_belongs_to_one_member_and_moving_it_frees_the_old_number()
    {
        var program = await ProgramWithProfileBonusAsync();
        var first = RandomPhone();
        await Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "a", Phone = first });

        var taken = await Assert.ThrowsAsync<RpcException>(() =>
            Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "b", Phone = first }).ResponseAsync);
        Assert.Equal((StatusCode.AlreadyExists, "PHONE_IN_USE"), (taken.StatusCode, taken.Reason()));
        var notEnrolled = await Assert.ThrowsAsync<RpcException>(() =>
            Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = "b" }).ResponseAsync);
        Assert.Equal("MEMBER_NOT_FOUND", notEnrolled.Reason());

        var second = RandomPhone();
        await Engine.OperatorPos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = "a", Phone = second });
        var gone = await Assert.ThrowsAsync<RpcException>(() =>
            Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, Phone = first }).ResponseAsync);
        Assert.Equal((StatusCode.NotFound, "PHONE_NOT_FOUND"), (gone.StatusCode, gone.Reason()));

        await Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "b", Phone = first });
        Assert.Equal("b", (await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, Phone = first })).MemberId);
        Assert.Equal("a", (await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, Phone = second })).MemberId);
    }

    [Theory]
    [InlineData("phone", "601 234 567")]
    [InlineData("phone", "+420 601 ABC")]
    [InlineData("email", "eva.example.com")]
    [InlineData("email", "eva@localhost")]
    [InlineData("attributes", "pen sioner")]
    [InlineData("anniversary", "2020-13-01")]
    public async Task Bad_profile_input_is_refused_with_the_field_named_and_changes_nothing(string field, string value)
    {
        var program = await ProgramWithProfileBonusAsync();
        await Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "m", Name = "Eva", Attributes = { "student" } });
        var update = new UpdateProfileRequest { ProgramId = program, MemberId = "m", Name = "Changed" };
        switch (field)
        {
            case "phone": update.Phone = value; break;
            case "email": update.Email = value; break;
            case "attributes": update.Attributes = new AttributeList { Values = { value } }; break;
            default: update.Anniversary = value; break;
        }

        var refused = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.UpdateProfileAsync(update).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, field), (refused.StatusCode, refused.Field()));

        var member = await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = "m" });
        Assert.Equal(("Eva", "student"), (member.Name, string.Join(",", member.Attributes)));
    }

    private async Task<string> ProgramWithProfileBonusAsync()
    {
        var program = "profile-" + Guid.NewGuid().ToString("N")[..8];
        await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = program, Name = "x", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1,
            EarnRules = new EarnRules { ProfileCompletedBonus = 500 },
        });
        return program;
    }

    private static string RandomPhone() => "+420" + Random.Shared.NextInt64(100_000_000, 999_999_999);
}
