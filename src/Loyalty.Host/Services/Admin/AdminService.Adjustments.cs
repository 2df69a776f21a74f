using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Contracts;

namespace Loyalty.Host.Services.Admin;

/// <summary>Manual adjustments by customer service (docs/members.md): mapped here, decided by the member aggregate.</summary>
internal sealed partial class AdminService
{
    public override async Task<AdjustResponse> Adjust(AdjustRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var memberId = Requests.Id(request.MemberId, "member_id");
        var actor = Security.AuthInterceptor.Caller(context)?.CredentialId
            ?? throw new InvalidOperationException("an authorized admin call always has a caller");
        var command = AdjustmentMapping.ToContract(request, actor);
        Domain.Adjustments.Validate(command);
        return AdjustmentMapping.ToProto(await grains.Grain<IMemberGrain>(Keys.Scoped(programId, memberId)).AdjustAsync(command));
    }
}
