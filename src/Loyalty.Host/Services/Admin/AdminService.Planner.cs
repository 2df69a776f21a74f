using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Domain;

namespace Loyalty.Host.Services.Admin;

/// <summary>The discount planner (docs/discount-planner.md): arithmetic only, the rule is the Domain's.</summary>
internal sealed partial class AdminService
{
    public override Task<PlanDiscountResponse> PlanDiscount(PlanDiscountRequest request, ServerCallContext context)
    {
        var input = PlannerMapping.ToDomain(request);
        var plan = DiscountPlanner.Plan(input);
        var scale = request.ScaleDiscountsBps.Count == 0
            ? []
            : DiscountPlanner.Scale(input.CurrentSales, input.CurrentDiscountBps, input.MarkupBps, input.MarginIncrease, request.ScaleDiscountsBps);
        return Task.FromResult(PlannerMapping.ToProto(plan, scale));
    }
}
