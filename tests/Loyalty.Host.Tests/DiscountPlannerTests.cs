using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>The discount planner (issue #15) over the admin API: gRPC and JSON, the worked example and its refusals.</summary>
[Collection(EngineCollection.Name)]
public sealed class DiscountPlannerTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    private static PlanDiscountRequest WorkedExample() => new()
    {
        CurrentSales = 40_000, CurrentDiscountBps = 200, MarkupBps = 2_500, DiscountBps = 700, MarginIncrease = 1_000,
    };

    [Fact]
    public async Task The_planner_answers_the_worked_example_and_a_volume_scale_over_grpc()
    {
        var request = WorkedExample();
        request.ScaleDiscountsBps.AddRange([200, 300, 400, 500, 600, 700, 800, 900, 1_000]);
        var plan = await Engine.Admin.PlanDiscountAsync(request);

        Assert.Equal((40_816L, 32_653L, 7_347L), (plan.ListPrice, plan.Cost, plan.CurrentMargin));
        Assert.Equal((59_713L, 19_713L, 4_928L), (plan.RequiredSales, plan.ExtraSales, plan.GrowthBps));
        Assert.Equal(request.ScaleDiscountsBps, plan.Scale.Select(r => r.DiscountBps));
        Assert.Equal(plan.RequiredSales, plan.Scale[5].RequiredSales); // the 7% row: the same formula, the same 1,000 more margin
        Assert.All(plan.Scale.Zip(plan.Scale.Skip(1)), pair => Assert.True(pair.Second.RequiredSales > pair.First.RequiredSales));

        // Without a scale, no rows.
        Assert.Empty((await Engine.Admin.PlanDiscountAsync(WorkedExample())).Scale);
    }

    [Fact]
    public async Task A_discount_that_eats_the_markup_or_a_bad_input_is_invalid_argument_naming_the_field()
    {
        var eats = WorkedExample();
        eats.DiscountBps = 2_000; // 0.80 × 1.25 = 1
        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.PlanDiscountAsync(eats).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_ARGUMENT", "discount_bps"), (refusal.StatusCode, refusal.Reason(), refusal.Field()));

        var row = WorkedExample();
        row.ScaleDiscountsBps.AddRange([500, 2_500]);
        Assert.Equal("scale_discounts_bps[1]", (await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.PlanDiscountAsync(row).ResponseAsync)).Field());

        var none = new PlanDiscountRequest { MarkupBps = 2_500, DiscountBps = 700 };
        Assert.Equal("current_sales", (await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.PlanDiscountAsync(none).ResponseAsync)).Field());
    }

    [Fact]
    public async Task The_planner_answers_as_json()
    {
        using var http = Engine.AdminHttp();
        var response = await http.PostAsJsonAsync("/v1/discount-plans", new
        {
            currentSales = 40_000, currentDiscountBps = 200, markupBps = 2_500, discountBps = 700, marginIncrease = 1_000, scaleDiscountsBps = new[] { 200, 300 },
        });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var plan = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("59713", plan.GetProperty("requiredSales").GetString()); // int64 as a string: the proto3 JSON mapping
        Assert.Equal("7347", plan.GetProperty("currentMargin").GetString());
        // The scale keeps the 1,000 more margin too: even at the same 2%, 8,346.94 × 1.225 / 0.225 = 45,444.44 → 45,445.
        Assert.Equal(["45445", "47627"], plan.GetProperty("scale").EnumerateArray().Select(r => r.GetProperty("requiredSales").GetString()));

        var refused = await http.PostAsJsonAsync("/v1/discount-plans", new { currentSales = 40_000, currentDiscountBps = 200, markupBps = 2_500, discountBps = 2_500 });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("markup", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
