using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Contracts;

namespace Loyalty.Host.Services.Admin;

/// <summary>
/// Manual adjustments by customer service (docs/members.md): mapped here; the program's adjustment desk checks the
/// limits and holds what needs a second operator (docs/security.md), the member aggregate applies them.
/// </summary>
internal sealed partial class AdminService
{
    public override async Task<AdjustResponse> Adjust(AdjustRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var memberId = Requests.Id(request.MemberId, "member_id");
        var caller = Caller(context);
        var command = AdjustmentMapping.ToContract(request, caller.CredentialId);
        Domain.Adjustments.Validate(command);
        return AdjustmentMapping.ToProto(memberId, await Desk(programId).RequestAsync(memberId, command, caller.Role));
    }

    public override async Task<ListPendingAdjustmentsResponse> ListPendingAdjustments(ListPendingAdjustmentsRequest request, ServerCallContext context)
    {
        var response = new ListPendingAdjustmentsResponse();
        response.Adjustments.AddRange((await Desk(Requests.Id(request.ProgramId, "program_id")).ListPendingAsync()).Select(AdjustmentMapping.ToProto));
        return response;
    }

    public override async Task<AdjustResponse> ApproveAdjustment(DecideAdjustmentRequest request, ServerCallContext context)
    {
        var (programId, memberId, adjustmentId) = Decision(request);
        return AdjustmentMapping.ToProto(memberId, await Desk(programId).ApproveAsync(memberId, adjustmentId, Caller(context).CredentialId));
    }

    public override async Task<AdjustResponse> RejectAdjustment(DecideAdjustmentRequest request, ServerCallContext context)
    {
        var (programId, memberId, adjustmentId) = Decision(request);
        return AdjustmentMapping.ToProto(memberId, await Desk(programId).RejectAsync(memberId, adjustmentId, Caller(context).CredentialId));
    }

    private static (string ProgramId, string MemberId, string AdjustmentId) Decision(DecideAdjustmentRequest request) =>
        (Requests.Id(request.ProgramId, "program_id"), Requests.Id(request.MemberId, "member_id"), Requests.Id(request.AdjustmentId, "adjustment_id"));

    private IAdjustmentDeskGrain Desk(string programId) => grains.Grain<IAdjustmentDeskGrain>(programId);
}
