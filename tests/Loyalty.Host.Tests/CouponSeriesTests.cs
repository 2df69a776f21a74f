using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Domain;
using Loyalty.Host.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Loyalty.Host.Tests;

[Collection(EngineCollection.Name)]
public sealed class CouponSeriesTests(EngineFixture fixture, ITestOutputHelper output)
{
    /// <summary>200,000 by default (CI on a shared machine); LOYALTY_SERIES_COUNT=1000000 measures the full million by hand.</summary>
    private static readonly int BigSeriesCount =
        int.TryParse(Environment.GetEnvironmentVariable("LOYALTY_SERIES_COUNT"), out var count) && count > 0 ? count : 200_000;

    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_big_series_is_generated_in_the_background_every_code_is_stored_and_sampled_codes_redeem()
    {
        var program = await fixture.NewProgramAsync();
        var terms = new CouponTerms { AmountOff = 700 };
        var watch = Stopwatch.StartNew();
        var created = await Engine.Admin.CreateCouponSeriesAsync(new CreateCouponSeriesRequest { ProgramId = program, SeriesId = "spring", Count = BigSeriesCount, Terms = terms });
        Assert.Equal(BigSeriesCount, created.Count);

        var series = await WaitCompleteAsync(program, "spring", TimeSpan.FromMinutes(10));
        watch.Stop();
        output.WriteLine($"{BigSeriesCount:N0} codes generated and stored in {watch.Elapsed.TotalSeconds:F1} s ({BigSeriesCount / watch.Elapsed.TotalSeconds:N0} codes/s)");
        Assert.Equal((BigSeriesCount, BigSeriesCount, CouponSeriesState.Complete), (series.Count, series.Generated, series.State));
        Assert.Equal(BigSeriesCount, await ScalarAsync("SELECT count(*) FROM coupon_codes WHERE program_id = @p AND series_id = 'spring'", program));

        // Re-running the same series id with the same terms creates nothing new; other terms are refused.
        var again = await Engine.Admin.CreateCouponSeriesAsync(new CreateCouponSeriesRequest { ProgramId = program, SeriesId = "spring", Count = BigSeriesCount, Terms = terms });
        Assert.Equal(CouponSeriesState.Complete, again.State);
        Assert.Equal(BigSeriesCount, await ScalarAsync("SELECT count(*) FROM coupon_codes WHERE program_id = @p", program));
        var different = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.CreateCouponSeriesAsync(
            new CreateCouponSeriesRequest { ProgramId = program, SeriesId = "spring", Count = BigSeriesCount, Terms = new CouponTerms { AmountOff = 800 } }).ResponseAsync);
        Assert.Equal((StatusCode.AlreadyExists, "COUPON_ALREADY_EXISTS"), (different.StatusCode, different.Reason()));

        // Sampled stored codes are well formed and redeem once, with the series' terms.
        var samples = await SampleCodesAsync(program, "spring", 3);
        var member = await fixture.NewMemberAsync(program);
        for (var i = 0; i < samples.Count; i++)
        {
            Assert.NotNull(CouponCodes.Normalize(samples[i]));
            var sale = await Engine.Pos.CommitAsync(Sales.Commit(program, member, $"sample-{i}", samples[i]));
            Assert.Equal(700, sale.Discount);
        }

        var reused = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(Sales.Commit(program, member, "sample-again", samples[0])).ResponseAsync);
        Assert.Equal("COUPON_ALREADY_REDEEMED", reused.Reason());
        Assert.Equal(3, (await Engine.Admin.GetCouponSeriesAsync(new GetCouponSeriesRequest { ProgramId = program, SeriesId = "spring" })).Redeemed);
    }

    [Fact]
    public async Task The_export_lists_exactly_the_redeemed_codes_with_member_and_transaction_and_a_void_unlists_it()
    {
        var program = await fixture.NewProgramAsync();
        await Engine.Admin.CreateCouponSeriesAsync(new CreateCouponSeriesRequest { ProgramId = program, SeriesId = "export", Count = 2_500, Terms = new CouponTerms { PercentOff = 10 } });
        await WaitCompleteAsync(program, "export", TimeSpan.FromMinutes(1));
        var codes = await SampleCodesAsync(program, "export", 6);
        var members = await Task.WhenAll(codes.Select(_ => fixture.NewMemberAsync(program)));
        for (var i = 0; i < codes.Count; i++)
        {
            await Engine.Pos.CommitAsync(Sales.Commit(program, members[i], $"exp-{i}", codes[i]));
        }

        await Engine.Pos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = members[5], TransactionId = "exp-5" });

        var exported = new List<Api.V1.CouponSeriesCode>();
        using (var call = Engine.Admin.ExportCouponSeries(new ExportCouponSeriesRequest { ProgramId = program, SeriesId = "export" }))
        {
            await foreach (var page in call.ResponseStream.ReadAllAsync())
            {
                exported.AddRange(page.Codes);
            }
        }

        Assert.Equal(2_500, exported.Count);
        Assert.Equal(2_500, exported.Select(c => c.Code).Distinct().Count());
        var redeemed = exported.Where(c => c.Redeemed).OrderBy(c => c.TransactionId).ToList();
        Assert.Equal(
            Enumerable.Range(0, 5).Select(i => (codes[i], members[i], $"exp-{i}")),
            redeemed.Select(c => (c.Code, c.MemberId, c.TransactionId)));
        Assert.All(redeemed, c => Assert.True(c.RedeemedAt.ToDateTime() > DateTime.UtcNow.AddMinutes(-5)));
        Assert.Equal(5, (await Engine.Admin.GetCouponSeriesAsync(new GetCouponSeriesRequest { ProgramId = program, SeriesId = "export" })).Redeemed);

        // The same export as JSON (GET …/codes): one page object per line, camelCase, the same codes and states.
        using var http = Engine.AdminHttp();
        using var response = await http.GetAsync($"/v1/programs/{program}/coupon-series/export/codes", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal((HttpStatusCode.OK, "application/json"), (response.StatusCode, response.Content.Headers.ContentType?.MediaType));
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var pages = lines.Select(line => JsonDocument.Parse(line).RootElement.GetProperty("codes").EnumerateArray().ToList()).ToList();
        Assert.Equal([1_000, 1_000, 500], pages.Select(p => p.Count).Order().Reverse());
        var json = pages.SelectMany(p => p).ToDictionary(c => c.GetProperty("code").GetString()!);
        Assert.Equal(exported.Select(c => c.Code).Order(StringComparer.Ordinal), json.Keys.Order(StringComparer.Ordinal));
        foreach (var code in exported)
        {
            var row = json[code.Code];
            Assert.Equal((code.Redeemed, code.MemberId, code.TransactionId),
                (row.GetProperty("redeemed").GetBoolean(), row.GetProperty("memberId").GetString(), row.GetProperty("transactionId").GetString()));
            Assert.Equal(code.RedeemedAt is not null, row.TryGetProperty("redeemedAt", out _));
        }
    }

    [Fact]
    public async Task Series_requests_are_validated_and_an_unknown_series_is_not_found()
    {
        var program = await fixture.NewProgramAsync();
        var tooMany = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.CreateCouponSeriesAsync(
            new CreateCouponSeriesRequest { ProgramId = program, SeriesId = "x", Count = 20_000_000, Terms = new CouponTerms { AmountOff = 1 } }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "count"), (tooMany.StatusCode, tooMany.Field()));

        var shared = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.CreateCouponSeriesAsync(
            new CreateCouponSeriesRequest { ProgramId = program, SeriesId = "x", Count = 10, Terms = new CouponTerms { AmountOff = 1, Use = CouponUse.Shared } }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "terms.use"), (shared.StatusCode, shared.Field()));

        var missing = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.GetCouponSeriesAsync(new GetCouponSeriesRequest { ProgramId = program, SeriesId = "nope" }).ResponseAsync);
        Assert.Equal((StatusCode.NotFound, "COUPON_SERIES_NOT_FOUND"), (missing.StatusCode, missing.Reason()));
        var export = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = Engine.Admin.ExportCouponSeries(new ExportCouponSeriesRequest { ProgramId = program, SeriesId = "nope" });
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal((StatusCode.NotFound, "COUPON_SERIES_NOT_FOUND"), (export.StatusCode, export.Reason()));
        using var http = Engine.AdminHttp();
        var exportJson = await http.GetAsync($"/v1/programs/{program}/coupon-series/nope/codes");
        Assert.Equal(HttpStatusCode.NotFound, exportJson.StatusCode);
        Assert.Contains("COUPON_SERIES_NOT_FOUND", await exportJson.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<CouponSeries> WaitCompleteAsync(string program, string seriesId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var series = await Engine.Admin.GetCouponSeriesAsync(new GetCouponSeriesRequest { ProgramId = program, SeriesId = seriesId });
            if (series.State == CouponSeriesState.Complete || DateTime.UtcNow > deadline)
            {
                return series;
            }

            await Task.Delay(250);
        }
    }

    private async Task<long> ScalarAsync(string sql, string program)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("p", program);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private async Task<List<string>> SampleCodesAsync(string program, string seriesId, int count)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT code FROM coupon_codes TABLESAMPLE SYSTEM (5) WHERE program_id = @p AND series_id = @s LIMIT @n", connection);
        command.Parameters.AddWithValue("p", program);
        command.Parameters.AddWithValue("s", seriesId);
        command.Parameters.AddWithValue("n", count);
        var codes = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            codes.Add(reader.GetString(0));
        }

        if (codes.Count < count)
        {
            // A small series may sit on pages the sample skipped: take any codes of it.
            await reader.CloseAsync();
            command.CommandText = "SELECT code FROM coupon_codes WHERE program_id = @p AND series_id = @s LIMIT @n";
            codes.Clear();
            await using var all = await command.ExecuteReaderAsync();
            while (await all.ReadAsync())
            {
                codes.Add(all.GetString(0));
            }
        }

        return codes;
    }
}
