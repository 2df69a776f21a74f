using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// Customer service on the admin API: find a member by card or phone (FindMember) and read the member
/// (GetMember) — balance with pending points, store credit and points per month, tier, cards in full — over
/// gRPC and JSON, with the refusals of bad input and of keys nobody holds.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class CustomerServiceTests(EngineFixture fixture)
{
    private const string Phone = "+420 777 555 123";

    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_member_found_by_card_or_phone_shows_balance_pending_points_credit_buckets_and_tier()
    {
        var (program, member) = await EnrolledWithASaleAsync();

        var byCard = await Engine.Admin.FindMemberAsync(new FindMemberRequest { ProgramId = program, Card = $"card-{member}" });
        var byPhone = await Engine.Admin.FindMemberAsync(new FindMemberRequest { ProgramId = program, Phone = "+420-777-555-123" }); // any typing
        var read = await Engine.Admin.GetMemberAsync(new GetMemberRequest { ProgramId = program, MemberId = member });
        Assert.Equal(read, byCard);
        Assert.Equal(read, byPhone);

        // What a till's balance says, plus what a till is not shown: the card in full and the birth year.
        var balance = (await Engine.OperatorPos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance;
        Assert.Equal(balance, read.Balance);
        Assert.Equal((member, "Jana Nováková", "1990-05-17"), (read.MemberId, read.Name, read.BirthDate));
        Assert.Equal([$"card-{member}"], read.CardNumbers);
        Assert.Equal((50L, 123L, 617L), (read.Balance.Available, read.Balance.Pending, read.Balance.Credit)); // enrollment bonus; the sale's points pending 14 days; 5% cashback
        var bucket = Assert.Single(read.Balance.Buckets); // the spendable points by the month they were earned in (pending ones join when they clear)
        Assert.Equal((DateTime.UtcNow.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture), 50L), (bucket.Month, bucket.Points));
        Assert.True(bucket.ExpiresAt.ToDateTimeOffset() > DateTimeOffset.UtcNow.AddMonths(11));
        Assert.Equal(("Silver", "Gold"), (read.Tier.Name, read.Tier.NextTier));
    }

    [Fact]
    public async Task The_same_answers_as_json_a_card_in_the_query_or_the_body_and_a_phone_in_the_body_only()
    {
        var (program, member) = await EnrolledWithASaleAsync();
        using var http = Engine.AdminHttp();

        var byCard = await http.GetFromJsonAsync<JsonElement>($"/v1/programs/{program}/members:find?card=card-{member}");
        var byPhone = await PostFindAsync(http, program, new { phone = Phone });
        var byCardInBody = await PostFindAsync(http, program, new { card = $"card-{member}" });
        var read = await http.GetFromJsonAsync<JsonElement>($"/v1/programs/{program}/members/{member}");
        Assert.All(new[] { byCard, byPhone, byCardInBody }, found => Assert.Equal(read.GetRawText(), found.GetRawText()));

        // A phone in a URL would be in every access log on the way: refused, naming the field, before any lookup.
        var inUrl = await http.GetAsync($"/v1/programs/{program}/members:find?phone={Uri.EscapeDataString(Phone)}");
        Assert.Equal(HttpStatusCode.BadRequest, inUrl.StatusCode);
        var refusal = await inUrl.Content.ReadAsStringAsync();
        Assert.Contains("\"phone\"", refusal, StringComparison.Ordinal);
        Assert.Contains("POST", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain("777", refusal, StringComparison.Ordinal);

        // The field names a console reads; int64 as strings, timestamps as RFC 3339 strings.
        Assert.Equal(member, read.GetProperty("memberId").GetString());
        Assert.Equal($"card-{member}", read.GetProperty("cardNumbers")[0].GetString());
        var balance = read.GetProperty("balance");
        Assert.Equal(("50", "123", "617", "0"), (balance.GetProperty("available").GetString(), balance.GetProperty("pending").GetString(),
            balance.GetProperty("credit").GetString(), balance.GetProperty("expiringThisMonth").GetString()));
        var bucket = balance.GetProperty("buckets")[0];
        Assert.Equal("50", bucket.GetProperty("points").GetString());
        Assert.True(DateTimeOffset.TryParse(bucket.GetProperty("expiresAt").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Equal("Silver", read.GetProperty("tier").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Bad_input_is_refused_with_its_field_and_a_key_nobody_holds_is_not_found_with_its_reason()
    {
        var (program, member) = await EnrolledWithASaleAsync();
        var before = await Engine.Admin.GetMemberAsync(new GetMemberRequest { ProgramId = program, MemberId = member });

        await Refused(StatusCode.InvalidArgument, "card", () => Find(program, new FindMemberRequest()));
        await Refused(StatusCode.InvalidArgument, "phone", () => Find(program, new FindMemberRequest { Card = $"card-{member}", Phone = Phone }));
        await Refused(StatusCode.InvalidArgument, "phone", () => Find(program, new FindMemberRequest { Phone = "777 555 123" })); // not international
        await Refused(StatusCode.InvalidArgument, "card", () => Find(program, new FindMemberRequest { Card = "a/b" }));
        await Refused(StatusCode.InvalidArgument, "member_id", () => Engine.Admin.GetMemberAsync(new GetMemberRequest { ProgramId = program }).ResponseAsync);

        Assert.Equal("CARD_NOT_FOUND", (await NotFound(() => Find(program, new FindMemberRequest { Card = "nobody-s-card" }))).Reason());
        Assert.Equal("PHONE_NOT_FOUND", (await NotFound(() => Find(program, new FindMemberRequest { Phone = "+420 600 000 999" }))).Reason());
        Assert.Equal("MEMBER_NOT_FOUND", (await NotFound(() => Engine.Admin.GetMemberAsync(new GetMemberRequest { ProgramId = program, MemberId = "never-enrolled" }).ResponseAsync)).Reason());

        // The same over JSON: 400 naming the field, 404 with the reason.
        using var http = Engine.AdminHttp();
        var neither = await http.GetAsync($"/v1/programs/{program}/members:find");
        Assert.Equal(HttpStatusCode.BadRequest, neither.StatusCode);
        Assert.Contains("\"card\"", await neither.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var nobody = await http.PostAsJsonAsync($"/v1/programs/{program}/members:find", new { phone = "+420600000999" });
        Assert.Equal(HttpStatusCode.NotFound, nobody.StatusCode);
        Assert.Contains("PHONE_NOT_FOUND", await nobody.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/v1/programs/{program}/members/never-enrolled")).StatusCode);

        Assert.Equal(before, await Engine.Admin.GetMemberAsync(new GetMemberRequest { ProgramId = program, MemberId = member }));
    }

    [Fact]
    public async Task A_lost_card_is_refused_as_blocked_and_the_new_card_finds_the_member()
    {
        var (program, member) = await EnrolledWithASaleAsync();
        await Engine.OperatorPos.ReplaceCardAsync(new ReplaceCardRequest { ProgramId = program, MemberId = member, LostCardNumber = $"card-{member}", NewCardNumber = $"new-{member}" });

        var lost = await Assert.ThrowsAsync<RpcException>(() => Find(program, new FindMemberRequest { Card = $"card-{member}" }));
        Assert.Equal((StatusCode.FailedPrecondition, "CARD_BLOCKED"), (lost.StatusCode, lost.Reason()));
        var found = await Engine.Admin.FindMemberAsync(new FindMemberRequest { ProgramId = program, Card = $"new-{member}" });
        Assert.Equal((member, 173L), (found.MemberId, found.Balance.Available + found.Balance.Pending));
        Assert.Equal([$"new-{member}"], found.CardNumbers);
    }

    [Fact]
    public async Task A_marketer_finds_a_member_with_cards_masked_and_no_birth_year_and_an_operator_sees_them_whole()
    {
        var (program, member) = await EnrolledWithASaleAsync();
        var issued = await Engine.Admin.IssueOperatorTokenAsync(new IssueOperatorTokenRequest { Role = OperatorRole.Marketer, ProgramIds = { program }, Name = "Campaigns" });
        var marketer = LoyaltyAdmin.Create(Engine.AdminChannel, issued.Token);

        var byCard = await marketer.FindMemberAsync(new FindMemberRequest { ProgramId = program, Card = $"card-{member}" });
        var byPhone = await marketer.FindMemberAsync(new FindMemberRequest { ProgramId = program, Phone = Phone });
        var read = await marketer.GetMemberAsync(new GetMemberRequest { ProgramId = program, MemberId = member });
        foreach (var seen in new[] { byCard, byPhone, read })
        {
            var card = Assert.Single(seen.CardNumbers);
            Assert.EndsWith(member[^4..], card, StringComparison.Ordinal);
            Assert.DoesNotContain(member[..^4], card, StringComparison.Ordinal);
            Assert.Equal(("--05-17", member, "Jana Nováková"), (seen.BirthDate, seen.MemberId, seen.Name));
        }

        var whole = await Engine.Admin.FindMemberAsync(new FindMemberRequest { ProgramId = program, Card = $"card-{member}" });
        Assert.Equal([$"card-{member}"], whole.CardNumbers);
        Assert.Equal("1990-05-17", whole.BirthDate);
        Assert.Equal(whole.Balance, byCard.Balance); // the rest as an operator sees it
    }

    /// <summary>
    /// A program with an enrollment bonus of 50, points pending 14 days, 5% cashback and two tiers; a member with a
    /// card, a phone and a birth date, and one sale of 12,345 (123 points pending, 617 store credit).
    /// </summary>
    private async Task<(string Program, string Member)> EnrolledWithASaleAsync()
    {
        var program = "cs-" + Guid.NewGuid().ToString("N")[..10];
        await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = program, Name = "Service club", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 12,
            PendingDays = 14, CashbackPercent = 5,
            EarnRules = new EarnRules { EnrollmentBonus = 50 },
            Tiers = new TierRules
            {
                Model = TierModel.Lifetime,
                Levels = { new TierLevel { Name = "Silver", MinSpend = 0 }, new TierLevel { Name = "Gold", MinSpend = 1_000_000 } },
            },
        });
        var member = "mem-" + Guid.NewGuid().ToString("N")[..10];
        await Engine.Pos.EnrollAsync(new EnrollRequest
        {
            ProgramId = program, MemberId = member, CardNumber = $"card-{member}", Name = "Jana Nováková", Phone = Phone, BirthDate = "1990-05-17",
        });
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "cs-1"));
        return (program, member);
    }

    private static async Task<JsonElement> PostFindAsync(HttpClient http, string program, object body)
    {
        var response = await http.PostAsJsonAsync($"/v1/programs/{program}/members:find", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<MemberResponse> Find(string program, FindMemberRequest request)
    {
        request.ProgramId = program;
        return Engine.Admin.FindMemberAsync(request).ResponseAsync;
    }

    private static async Task<RpcException> NotFound(Func<Task> call)
    {
        var failure = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(StatusCode.NotFound, failure.StatusCode);
        return failure;
    }

    private static async Task Refused(StatusCode status, string field, Func<Task> call)
    {
        var failure = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal((status, "INVALID_ARGUMENT", field), (failure.StatusCode, failure.Reason(), failure.Field()));
    }
}
