using Loyalty.Api.V1;
using Loyalty.Contracts;

namespace Loyalty.Host.Services.Admin;

/// <summary>Proto ⇄ contract mapping of manual adjustments. Generated proto types stop here.</summary>
internal static class AdjustmentMapping
{
    /// <summary>The request as the member grain takes it; the operator is the caller's credential, never the request's.</summary>
    public static AdjustCommand ToContract(AdjustRequest request, string actor) => new(
        Requests.Id(request.AdjustmentId, "adjustment_id"),
        request.Asset switch
        {
            AdjustmentAsset.Points => LedgerAsset.Points,
            AdjustmentAsset.Credit => LedgerAsset.Credit,
            _ => throw LoyaltyException.Invalid("asset", "asset must be ADJUSTMENT_ASSET_POINTS or ADJUSTMENT_ASSET_CREDIT"),
        },
        request.Amount,
        request.Reason,
        request.Note.Length == 0 ? null : request.Note,
        actor);

    public static AdjustResponse ToProto(AdjustResult result)
    {
        var response = new AdjustResponse
        {
            AdjustmentId = result.AdjustmentId,
            Asset = result.Asset == LedgerAsset.Credit ? AdjustmentAsset.Credit : AdjustmentAsset.Points,
            Amount = result.Amount,
            Reason = result.Reason,
            Note = result.Note ?? string.Empty,
            Actor = result.Actor,
            At = SharedMapping.Time(result.At),
            Balance = SharedMapping.ToProto(result.Balance),
        };
        response.Entries.AddRange(result.Entries.Select(AdminMapping.ToProto));
        return response;
    }
}
