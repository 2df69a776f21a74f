using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// What a console asks first: who the token is (WhoAmI, GET /v1/me) and which programs it may administer
/// (ListPrograms, GET /v1/programs), over gRPC and JSON.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class CallerAndProgramsTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task WhoAmI_answers_the_token_s_id_role_name_and_programs()
    {
        var program = await fixture.NewProgramAsync();
        var configured = await Engine.Admin.WhoAmIAsync(new WhoAmIRequest());
        Assert.Equal(("configured", OperatorRole.Operator, 0), (configured.CredentialId, configured.Role, configured.ProgramIds.Count));
        Assert.Null(configured.IssuedAt);

        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        var issued = await Engine.Admin.IssueOperatorTokenAsync(new IssueOperatorTokenRequest { Role = OperatorRole.Marketer, ProgramIds = { program, "another" }, Name = "Marketing C" });
        var marketer = await LoyaltyAdmin.Create(Engine.AdminChannel, issued.Token).WhoAmIAsync(new WhoAmIRequest());
        Assert.Equal(issued.OperatorToken.CredentialId, marketer.CredentialId);
        Assert.Equal((OperatorRole.Marketer, "Marketing C"), (marketer.Role, marketer.Name));
        Assert.Equal([program, "another"], marketer.ProgramIds);
        Assert.True(marketer.IssuedAt.ToDateTimeOffset() >= before);

        // JSON: enums by name, the same fields in camelCase; an operator's program list is empty (every program).
        using var http = new HttpClient { BaseAddress = new Uri(Engine.AdminAddress) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", issued.Token);
        var json = await http.GetFromJsonAsync<JsonElement>("/v1/me");
        Assert.Equal(issued.OperatorToken.CredentialId, json.GetProperty("credentialId").GetString());
        Assert.Equal("OPERATOR_ROLE_MARKETER", json.GetProperty("role").GetString());
        Assert.Equal("Marketing C", json.GetProperty("name").GetString());
        Assert.Equal([program, "another"], json.GetProperty("programIds").EnumerateArray().Select(p => p.GetString()));
        using var operatorHttp = Engine.AdminHttp();
        var me = await operatorHttp.GetFromJsonAsync<JsonElement>("/v1/me");
        Assert.Equal(("configured", "OPERATOR_ROLE_OPERATOR"), (me.GetProperty("credentialId").GetString(), me.GetProperty("role").GetString()));
        Assert.Equal(0, me.GetProperty("programIds").GetArrayLength());

        // A revoked token is no one.
        await Engine.Admin.RevokeOperatorTokenAsync(new RevokeOperatorTokenRequest { CredentialId = issued.OperatorToken.CredentialId });
        var deadline = DateTime.UtcNow.AddSeconds(12);
        while ((await http.GetAsync("/v1/me")).StatusCode != HttpStatusCode.Unauthorized)
        {
            Assert.True(DateTime.UtcNow < deadline, "the revoked token still answered WhoAmI 12 s later");
            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task ListPrograms_answers_every_program_to_an_operator_and_a_marketer_only_the_defined_programs_of_its_token()
    {
        var first = await fixture.NewProgramAsync();
        var second = await fixture.NewProgramAsync();
        await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram { ProgramId = second, Name = "Renamed club", Currency = "CZK", EarnPoints = 2, EarnPerAmount = 100 });

        var all = (await Engine.Admin.ListProgramsAsync(new ListProgramsRequest())).Programs;
        Assert.Equal(all.Select(p => p.ProgramId).Order(StringComparer.Ordinal), all.Select(p => p.ProgramId));
        Assert.Equal(await Engine.Admin.GetProgramAsync(new GetProgramRequest { ProgramId = first }), all.Single(p => p.ProgramId == first));
        Assert.Equal(("Renamed club", "CZK", 2L), all.Where(p => p.ProgramId == second).Select(p => (p.Name, p.Currency, p.EarnPoints)).Single());

        // A marketer: the programs of its token that exist; a program named in the token but never defined is not listed.
        var issued = await Engine.Admin.IssueOperatorTokenAsync(new IssueOperatorTokenRequest { Role = OperatorRole.Marketer, ProgramIds = { second, "never-defined" }, Name = "Marketing D" });
        var mine = (await LoyaltyAdmin.Create(Engine.AdminChannel, issued.Token).ListProgramsAsync(new ListProgramsRequest())).Programs;
        Assert.Equal([second], mine.Select(p => p.ProgramId));

        // JSON, as a console reads it: camelCase names, int64 as strings.
        using var http = new HttpClient { BaseAddress = new Uri(Engine.AdminAddress) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", issued.Token);
        var json = (await http.GetFromJsonAsync<JsonElement>("/v1/programs")).GetProperty("programs").EnumerateArray().Single();
        Assert.Equal((second, "Renamed club", "CZK", "2"), (json.GetProperty("programId").GetString(), json.GetProperty("name").GetString(),
            json.GetProperty("currency").GetString(), json.GetProperty("earnPoints").GetString()));
    }

    [Fact]
    public async Task ListPrograms_lists_the_programs_of_an_engine_without_a_database_too()
    {
        await using var engine = await TestEngine.StartAsync(null, "memory-" + Guid.NewGuid().ToString("N")[..8]);
        Assert.Empty((await engine.Admin.ListProgramsAsync(new ListProgramsRequest())).Programs);
        foreach (var id in new[] { "b-club", "a-club" })
        {
            await engine.Admin.UpsertProgramAsync(new LoyaltyProgram { ProgramId = id, Name = id, Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100 });
        }

        await engine.Admin.UpsertProgramAsync(new LoyaltyProgram { ProgramId = "a-club", Name = "A again", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100 });
        var listed = (await engine.Admin.ListProgramsAsync(new ListProgramsRequest())).Programs;
        Assert.Equal([("a-club", "A again"), ("b-club", "b-club")], listed.Select(p => (p.ProgramId, p.Name)));
    }
}
