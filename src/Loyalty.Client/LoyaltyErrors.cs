using Google.Rpc;
using Grpc.Core;

namespace Loyalty.Client;

/// <summary>Reads the engine's machine-readable refusal reason from a failed call.</summary>
public static class LoyaltyErrors
{
    /// <summary>The google.rpc.ErrorInfo reason (e.g. COUPON_ALREADY_REDEEMED), or null when the status carries none.</summary>
    public static string? Reason(this RpcException failure) => failure.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason;

    /// <summary>
    /// The engine's retry hint: google.rpc.RetryInfo's delay (an overloaded silo's ENGINE_OVERLOADED refusal carries
    /// one), else the <c>grpc-retry-pushback-ms</c> trailer; null when the answer has neither.
    /// </summary>
    public static TimeSpan? RetryAfter(this RpcException failure)
    {
        if (failure.GetRpcStatus()?.GetDetail<RetryInfo>()?.RetryDelay is { } delay)
        {
            return delay.ToTimeSpan();
        }

        return failure.Trailers.GetValue("grpc-retry-pushback-ms") is { } pushback
            && long.TryParse(pushback, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var milliseconds)
            ? TimeSpan.FromMilliseconds(milliseconds)
            : null;
    }

    /// <summary>The offending request field of an INVALID_ARGUMENT, or null.</summary>
    public static string? Field(this RpcException failure) =>
        failure.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.FirstOrDefault()?.Field;
}
