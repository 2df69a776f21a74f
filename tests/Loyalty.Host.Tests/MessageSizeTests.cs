using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>A request over the 1 MiB limit is RESOURCE_EXHAUSTED with the reason MESSAGE_TOO_LARGE, and changes nothing.</summary>
[Collection(EngineCollection.Name)]
public sealed class MessageSizeTests(EngineFixture fixture)
{
    private const int OverLimit = (1024 * 1024) + 1_000;

    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_too_large_commit_is_refused_with_its_reason_and_records_nothing()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        var huge = Sales.Commit(program, member, "big-1");
        huge.Lines.Add(Sales.Line(new string('x', OverLimit), 1, 100));

        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(huge).ResponseAsync);

        Assert.Equal((StatusCode.ResourceExhausted, "MESSAGE_TOO_LARGE"), (refusal.StatusCode, refusal.Reason()));
        Assert.Equal(0, (await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance.Available);
        // The transaction id was never recorded: the same id with a normal basket is a first commit, not TRANSACTION_ID_REUSED.
        var sale = await Engine.Pos.CommitAsync(Sales.Commit(program, member, "big-1"));
        Assert.Equal(123, sale.PointsEarned);
    }

    [Fact]
    public async Task A_too_large_admin_call_is_refused_with_its_reason_over_grpc_and_json()
    {
        var program = await fixture.NewProgramAsync();
        var grpc = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.DefineCampaignAsync(new Campaign
        {
            ProgramId = program, CampaignId = "big", Name = new string('x', OverLimit), PercentOff = 10,
        }).ResponseAsync);
        Assert.Equal((StatusCode.ResourceExhausted, "MESSAGE_TOO_LARGE"), (grpc.StatusCode, grpc.Reason()));

        using var http = Engine.AdminHttp();
        var body = $$"""{"name":"{{new string('x', OverLimit)}}","percentOff":10}""";
        var sized = new StringContent(body, Encoding.UTF8, "application/json");
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (content, isChunked) in new HttpContent[] { sized, chunked }.Select((c, i) => (c, i == 1)))
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, $"/v1/programs/{program}/campaigns/big") { Content = content };
            request.Headers.TransferEncodingChunked = isChunked;
            var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{(isChunked ? "chunked" : "sized")}: {response.StatusCode} {text[..Math.Min(300, text.Length)]}");
            var status = JsonDocument.Parse(text).RootElement;
            Assert.Equal(8, status.GetProperty("code").GetInt32());
            Assert.Equal("MESSAGE_TOO_LARGE", status.GetProperty("details")[0].GetProperty("reason").GetString());
        }

        var missing = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.GetCampaignAsync(new GetCampaignRequest { ProgramId = program, CampaignId = "big" }).ResponseAsync);
        Assert.Equal("CAMPAIGN_NOT_FOUND", missing.Reason());

        // A chunked body under the limit still goes through.
        var small = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("""{"name":"small","percentOff":10}""")));
        small.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var ok = new HttpRequestMessage(HttpMethod.Put, $"/v1/programs/{program}/campaigns/small") { Content = small };
        ok.Headers.TransferEncodingChunked = true;
        var defined = await http.SendAsync(ok);
        Assert.True(defined.IsSuccessStatusCode, await defined.Content.ReadAsStringAsync());
    }
}
