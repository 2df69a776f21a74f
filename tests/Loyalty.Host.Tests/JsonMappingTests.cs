using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>The JSON admin API follows the proto3 JSON mapping, and answers the campaign calls on their routes.</summary>
[Collection(EngineCollection.Name)]
public sealed class JsonMappingTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task Int64_fields_are_answered_as_strings_and_accepted_as_numbers_or_strings()
    {
        using var http = Engine.AdminHttp();
        var program = "json64-" + Guid.NewGuid().ToString("N")[..8];

        // Numbers in, as the README's curl examples send them.
        var put = await http.PutAsJsonAsync($"/v1/programs/{program}", new { name = "JSON club", currency = "EUR", earnPoints = 1, earnPerAmount = 100, expiryMonths = 1 });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var read = await http.GetFromJsonAsync<JsonElement>($"/v1/programs/{program}");
        Assert.Equal((JsonValueKind.String, "100"), (read.GetProperty("earnPerAmount").ValueKind, read.GetProperty("earnPerAmount").GetString()));
        Assert.Equal(JsonValueKind.Number, read.GetProperty("expiryMonths").ValueKind); // int32 stays a number

        // A string in works too, and a value past 2^53 keeps every digit.
        const string big = "9007199254740993";
        var campaign = await http.PutAsync(
            $"/v1/programs/{program}/campaigns/big",
            new StringContent($$"""{"name":"big","amountOff":"1000","maxRedemptions":5,"maxDiscountMoney":"{{big}}"}""", Encoding.UTF8, "application/json"));
        Assert.True(campaign.IsSuccessStatusCode, await campaign.Content.ReadAsStringAsync());
        var defined = await campaign.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("1000", "5", big), (defined.GetProperty("amountOff").GetString(), defined.GetProperty("maxRedemptions").GetString(), defined.GetProperty("maxDiscountMoney").GetString()));

        var member = await fixture.NewMemberAsync(program);
        await Engine.Pos.CommitAsync(Sales.Commit(program, member, "json64-1"));
        var status = await http.GetFromJsonAsync<JsonElement>($"/v1/programs/{program}/campaigns/big/status");
        Assert.Equal(("1", "1000"), (status.GetProperty("redemptions").GetString(), status.GetProperty("discountGiven").GetString()));
    }

    [Fact]
    public async Task Campaigns_are_listed_read_and_ended_over_json()
    {
        using var http = Engine.AdminHttp();
        var program = await fixture.NewProgramAsync();
        var put = await http.PutAsJsonAsync($"/v1/programs/{program}/campaigns/stamps", new { name = "stamps", stampCard = new { stamps = 5 }, targets = new { skus = new[] { "coffee" } } });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        Assert.Equal(100, (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stampCard").GetProperty("rewardPercentOff").GetInt32());

        var list = await http.GetFromJsonAsync<JsonElement>($"/v1/programs/{program}/campaigns");
        Assert.Equal(["stamps"], list.GetProperty("campaigns").EnumerateArray().Select(c => c.GetProperty("campaignId").GetString()));
        var one = await http.GetFromJsonAsync<JsonElement>($"/v1/programs/{program}/campaigns/stamps");
        Assert.Equal("CAMPAIGN_STATE_LIVE", one.GetProperty("state").GetString());

        var end = await http.PostAsync($"/v1/programs/{program}/campaigns/stamps:end", content: null);
        Assert.True(end.IsSuccessStatusCode, await end.Content.ReadAsStringAsync());
        var ended = await end.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("CAMPAIGN_STATE_ENDED", ended.GetProperty("state").GetString());
        Assert.True(ended.TryGetProperty("endedAt", out _));

        var missing = await http.PostAsync($"/v1/programs/{program}/campaigns/nope:end", content: null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("CAMPAIGN_NOT_FOUND", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
