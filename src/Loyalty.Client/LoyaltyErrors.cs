using Google.Rpc;
using Grpc.Core;

namespace Loyalty.Client;

/// <summary>Reads the engine's machine-readable refusal reason from a failed call.</summary>
public static class LoyaltyErrors
{
    /// <summary>The google.rpc.ErrorInfo reason (e.g. COUPON_ALREADY_REDEEMED), or null when the status carries none.</summary>
    public static string? Reason(this RpcException failure) => failure.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason;

    /// <summary>The offending request field of an INVALID_ARGUMENT, or null.</summary>
    public static string? Field(this RpcException failure) =>
        failure.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.FirstOrDefault()?.Field;
}
