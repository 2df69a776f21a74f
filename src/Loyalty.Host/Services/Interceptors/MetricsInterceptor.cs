using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Loyalty.Api.V1;
using Loyalty.Host.Hosting;

namespace Loyalty.Host.Services.Interceptors;

/// <summary>
/// Times every unary call and counts commits, coupon redemptions and refusals. Registered outside
/// the error interceptor, so it sees the status the terminal receives.
/// </summary>
public sealed class MetricsInterceptor(LoyaltyMetrics metrics) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request,
        ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var method = MethodName(context.Method);
        var started = Stopwatch.GetTimestamp();
        var startedAt = DateTime.UtcNow;
        try
        {
            var response = await continuation(request, context);
            metrics.Rpc(method, nameof(StatusCode.OK), Stopwatch.GetElapsedTime(started).TotalSeconds);
            if (response is CommitResponse commit)
            {
                // A retried commit is answered from the stored result: its commit time is older than this call.
                var replayed = commit.CommittedAt is { } at && at.ToDateTime() < startedAt;
                metrics.Commit(replayed, commit.CouponCode.Length > 0, commit.PointsEarned);
            }

            return response;
        }
        catch (RpcException failure)
        {
            metrics.Rpc(method, failure.StatusCode.ToString(), Stopwatch.GetElapsedTime(started).TotalSeconds);
            if (failure.StatusCode is not (StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal)
                && failure.GetRpcStatus()?.GetDetail<ErrorInfo>() is { } info)
            {
                metrics.Refusal(info.Reason);
            }

            throw;
        }
        catch
        {
            metrics.Rpc(method, nameof(StatusCode.Unknown), Stopwatch.GetElapsedTime(started).TotalSeconds);
            throw;
        }
    }

    /// <summary><c>/loyalty.v1.PosService/Commit</c> → <c>PosService/Commit</c>: a fixed, small set of tag values.</summary>
    // Method names as metric labels, made once per method (only the server's own methods reach an interceptor).
    private static readonly ConcurrentDictionary<string, string> MethodNames = new(StringComparer.Ordinal);

    internal static string MethodName(string fullMethod) => MethodNames.GetOrAdd(fullMethod, Label);

    private static string Label(string fullMethod)
    {
        var slash = fullMethod.LastIndexOf('/');
        var service = slash > 0 ? fullMethod[..slash] : fullMethod;
        var dot = service.LastIndexOf('.');
        return (dot >= 0 ? service[(dot + 1)..] : service.TrimStart('/')) + "/" + (slash >= 0 ? fullMethod[(slash + 1)..] : fullMethod);
    }
}
