using System.Collections.Immutable;
using Loyalty.Api.V1;
using Loyalty.Domain;

namespace Loyalty.Host.Services.Admin;

/// <summary>Proto ⇄ Domain mapping of the discount planner. Generated proto types stop here.</summary>
internal static class PlannerMapping
{
    public static DiscountPlanInput ToDomain(PlanDiscountRequest request) => new(
        request.CurrentSales, request.CurrentDiscountBps, request.MarkupBps, request.DiscountBps, request.MarginIncrease);

    public static PlanDiscountResponse ToProto(DiscountPlan plan, ImmutableArray<DiscountScaleRow> scale) => new()
    {
        ListPrice = plan.ListPrice,
        Cost = plan.Cost,
        CurrentMargin = plan.CurrentMargin,
        RequiredSales = plan.RequiredSales,
        ExtraSales = plan.ExtraSales,
        GrowthBps = plan.GrowthBps,
        Scale =
        {
            scale.Select(r => new DiscountScaleEntry
            {
                DiscountBps = r.DiscountBps, RequiredSales = r.RequiredSales, ExtraSales = r.ExtraSales, GrowthBps = r.GrowthBps,
            }),
        },
    };
}
