using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Loyalty.Contracts;
using Orleans.Storage;

namespace Loyalty.Host.Services.Interceptors;

/// <summary>
/// The one place where refusals become gRPC statuses. Every refusal carries a google.rpc.ErrorInfo
/// with a machine-readable reason; INVALID_ARGUMENT also names the field in a google.rpc.BadRequest.
/// Storage trouble is UNAVAILABLE: nothing was acknowledged, and a retry with the same transaction id is safe.
/// </summary>
public sealed partial class ErrorInterceptor(ILogger<ErrorInterceptor> logger) : Interceptor
{
    public const string Domain = "loyalty.v1";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request,
        ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (LoyaltyException refusal)
        {
            throw ToRpc(refusal);
        }
        catch (InconsistentStateException conflict)
        {
            LogConflict(logger, context.Method, conflict);
            throw Unavailable("STORAGE_CONFLICT", "a concurrent writer won; retry with the same transaction id");
        }
        catch (Exception failure) when (failure is TimeoutException or OrleansException or System.Data.Common.DbException
            || (failure is OperationCanceledException && !context.CancellationToken.IsCancellationRequested))
        {
            // Includes "message expired before placement" while a silo is dying: nothing was acknowledged.
            LogUnavailable(logger, context.Method, failure);
            throw Unavailable("ENGINE_UNAVAILABLE", "the engine could not complete the call; retry with the same transaction id");
        }
        catch (Exception failure) when (failure is not RpcException && !context.CancellationToken.IsCancellationRequested)
        {
            // Unexpected: logged as an error. Still nothing was acknowledged, and every call is
            // idempotent, so the terminal is told to retry rather than left with UNKNOWN.
            LogUnexpected(logger, context.Method, failure);
            throw Unavailable("ENGINE_UNAVAILABLE", "the engine could not complete the call; retry with the same transaction id");
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request,
        IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (LoyaltyException refusal)
        {
            throw ToRpc(refusal);
        }
        catch (Exception failure) when (failure is TimeoutException or OrleansException or System.Data.Common.DbException)
        {
            LogUnavailable(logger, context.Method, failure);
            throw Unavailable("ENGINE_UNAVAILABLE", "the engine could not complete the call; retry");
        }
    }

    public static RpcException ToRpc(LoyaltyException refusal) => ToStatus(refusal).ToRpcException();

    /// <summary>The google.rpc.Status of a refusal: its code, message, ErrorInfo and (with a field) BadRequest.</summary>
    public static Google.Rpc.Status ToStatus(LoyaltyException refusal)
    {
        var reason = ErrorReasons.Code(refusal.Reason);
        var status = new Google.Rpc.Status
        {
            Code = (int)(ErrorReasons.KindOf(refusal.Reason) switch
            {
                ErrorKind.InvalidArgument => Code.InvalidArgument,
                ErrorKind.NotFound => Code.NotFound,
                ErrorKind.AlreadyExists => Code.AlreadyExists,
                ErrorKind.ResourceExhausted => Code.ResourceExhausted,
                ErrorKind.Unauthenticated => Code.Unauthenticated,
                ErrorKind.PermissionDenied => Code.PermissionDenied,
                _ => Code.FailedPrecondition,
            }),
            Message = refusal.Message,
            Details = { Any.Pack(new ErrorInfo { Reason = reason, Domain = Domain }) },
        };
        if (refusal.Field is { } field)
        {
            status.Details.Add(Any.Pack(new BadRequest
            {
                FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = refusal.Message } },
            }));
        }

        return status;
    }

    /// <summary>
    /// UNAVAILABLE with its reason: nothing was acknowledged, a retry with the same request is safe. With
    /// <paramref name="retryAfter"/>, the retry hint as google.rpc.RetryInfo and as the <c>grpc-retry-pushback-ms</c>
    /// trailer that gRPC's own retry policies read.
    /// </summary>
    internal static RpcException Unavailable(string reason, string message, TimeSpan? retryAfter = null)
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)Code.Unavailable,
            Message = message,
            Details = { Any.Pack(new ErrorInfo { Reason = reason, Domain = Domain }) },
        };
        if (retryAfter is not { } hint)
        {
            return status.ToRpcException();
        }

        status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(hint) }));
        var failure = status.ToRpcException();
        failure.Trailers.Add("grpc-retry-pushback-ms", ((long)hint.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return failure;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method}: storage version conflict, answered UNAVAILABLE")]
    private static partial void LogConflict(ILogger logger, string method, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method}: unexpected failure, answered UNAVAILABLE")]
    private static partial void LogUnexpected(ILogger logger, string method, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method}: engine unavailable, answered UNAVAILABLE")]
    private static partial void LogUnavailable(ILogger logger, string method, Exception exception);
}
