using Loyalty.Api.V1;
using Loyalty.Contracts;
using AdjustmentStatus = Loyalty.Contracts.AdjustmentStatus;

namespace Loyalty.Host.Services.Admin;

/// <summary>Proto ⇄ contract mapping of manual adjustments and their limits. Generated proto types stop here.</summary>
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

    /// <summary>The program's limits with the defaults in every field left 0 (or all of them, when unset): what the engine applies.</summary>
    public static Contracts.AdjustmentLimits ToContract(Api.V1.AdjustmentLimits? limits)
    {
        var defaults = Contracts.AdjustmentLimits.Default;
        return limits is null ? defaults : new(
            ToContract(limits.MarketerPoints, defaults.MarketerPoints),
            ToContract(limits.MarketerCredit, defaults.MarketerCredit),
            ToContract(limits.OperatorPoints, defaults.OperatorPoints),
            ToContract(limits.OperatorCredit, defaults.OperatorCredit),
            limits.ApprovalAbovePoints == 0 ? defaults.ApprovalAbovePoints : limits.ApprovalAbovePoints,
            limits.ApprovalAboveCredit == 0 ? defaults.ApprovalAboveCredit : limits.ApprovalAboveCredit);
    }

    public static Api.V1.AdjustmentLimits ToProto(Contracts.AdjustmentLimits? limits)
    {
        limits ??= Contracts.AdjustmentLimits.Default;
        return new()
        {
            MarketerPoints = ToProto(limits.MarketerPoints),
            MarketerCredit = ToProto(limits.MarketerCredit),
            OperatorPoints = ToProto(limits.OperatorPoints),
            OperatorCredit = ToProto(limits.OperatorCredit),
            ApprovalAbovePoints = limits.ApprovalAbovePoints,
            ApprovalAboveCredit = limits.ApprovalAboveCredit,
        };
    }

    /// <summary>An adjustment request's outcome: applied (the member's answer) or held (pending or rejected).</summary>
    public static AdjustResponse ToProto(string memberId, AdjustmentOutcome outcome) =>
        outcome.Applied is { } applied ? ToProto(memberId, applied)
        : outcome.Held is { } held ? ToProto(held)
        : throw new InvalidOperationException("an adjustment outcome is applied or held");

    public static AdjustResponse ToProto(string memberId, AdjustResult result)
    {
        var response = new AdjustResponse
        {
            AdjustmentId = result.AdjustmentId,
            Asset = ToProto(result.Asset),
            Amount = result.Amount,
            Reason = result.Reason,
            Note = result.Note ?? string.Empty,
            Actor = result.Actor,
            At = SharedMapping.Time(result.At),
            Balance = SharedMapping.ToProto(result.Balance),
            Status = Api.V1.AdjustmentStatus.Applied,
            MemberId = memberId,
        };
        response.Entries.AddRange(result.Entries.Select(AdminMapping.ToProto));
        return response;
    }

    /// <summary>A held adjustment as Adjust and ListPendingAdjustments answer it: who asked (actor) and when (at).</summary>
    public static AdjustResponse ToProto(HeldAdjustment held) => new()
    {
        AdjustmentId = held.Command.AdjustmentId,
        Asset = ToProto(held.Command.Asset),
        Amount = held.Command.Amount,
        Reason = held.Command.Reason,
        Note = held.Command.Note ?? string.Empty,
        Actor = held.Command.Actor,
        At = SharedMapping.Time(held.RequestedAt),
        Status = held.Status switch
        {
            AdjustmentStatus.Pending => Api.V1.AdjustmentStatus.Pending,
            AdjustmentStatus.Rejected => Api.V1.AdjustmentStatus.Rejected,
            _ => Api.V1.AdjustmentStatus.Applied,
        },
        MemberId = held.MemberId,
        DecidedBy = held.DecidedBy ?? string.Empty,
        DecidedAt = SharedMapping.Time(held.DecidedAt),
    };

    private static Contracts.AdjustmentLimit ToContract(Api.V1.AdjustmentLimit? limit, Contracts.AdjustmentLimit defaults) =>
        limit is null ? defaults : new(limit.PerCall == 0 ? defaults.PerCall : limit.PerCall, limit.PerDay == 0 ? defaults.PerDay : limit.PerDay);

    private static Api.V1.AdjustmentLimit ToProto(Contracts.AdjustmentLimit limit) => new() { PerCall = limit.PerCall, PerDay = limit.PerDay };

    private static AdjustmentAsset ToProto(LedgerAsset asset) => asset == LedgerAsset.Credit ? AdjustmentAsset.Credit : AdjustmentAsset.Points;
}
