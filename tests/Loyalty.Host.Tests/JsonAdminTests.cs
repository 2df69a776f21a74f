using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>The admin API as JSON over HTTP/1.1 on the admin port (gRPC JSON transcoding).</summary>
[Collection(EngineCollection.Name)]
public sealed class JsonAdminTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task Marketing_defines_a_program_and_a_campaign_and_reads_its_statistics_as_json()
    {
        using var http = Engine.AdminHttp();
        var program = "json-" + Guid.NewGuid().ToString("N")[..8];

        var put = await http.PutAsJsonAsync($"/v1/programs/{program}", new { name = "JSON club", currency = "EUR", earnPoints = 1, earnPerAmount = 100, expiryMonths = 1 });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var read = await http.GetFromJsonAsync<JsonElement>($"/v1/programs/{program}");
        Assert.Equal(("JSON club", "EUR"), (read.GetProperty("name").GetString(), read.GetProperty("currency").GetString()));

        var campaign = await http.PutAsJsonAsync($"/v1/programs/{program}/campaigns/ten", new { name = "10% off", percentOff = 10, maxRedemptions = 5 });
        Assert.Equal(HttpStatusCode.OK, campaign.StatusCode);
        var member = await fixture.NewMemberAsync(program);
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "json-1"));
        var status = await http.GetFromJsonAsync<JsonElement>($"/v1/programs/{program}/campaigns/ten/status");
        Assert.Equal("1", status.GetProperty("redemptions").GetString()); // int64 as a string: the proto3 JSON mapping

        // Bad input: 400 with the reason, nothing defined.
        var bad = await http.PutAsJsonAsync($"/v1/programs/{program}/campaigns/bad", new { name = "x", percentOff = 150 });
        Assert.True(HttpStatusCode.BadRequest == bad.StatusCode, await bad.Content.ReadAsStringAsync());
        Assert.Contains("percent", await bad.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        var missing = await http.GetAsync($"/v1/programs/{program}/campaigns/bad/status");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
