using System.Data.Common;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Loyalty.Contracts;
using Npgsql;

namespace Loyalty.Baseline;

/// <summary>
/// Refusals become the same gRPC statuses and google.rpc.ErrorInfo reasons as the engine's
/// (domain "loyalty.v1"), so terminals and the load generator cannot tell the two apart by their errors.
/// A deadlock or serialization failure is ABORTED/STORAGE_CONFLICT; a database outage is
/// UNAVAILABLE/ENGINE_UNAVAILABLE — both mean nothing was acknowledged and a retry is safe.
/// </summary>
public sealed class ErrorInterceptor : Interceptor
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
        catch (PostgresException conflict) when (conflict.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected)
        {
            throw Status(Code.Aborted, "STORAGE_CONFLICT", "a concurrent writer won; retry with the same transaction id");
        }
        catch (Exception failure) when (failure is DbException or TimeoutException or InvalidOperationException { Source: "Npgsql" })
        {
            throw Status(Code.Unavailable, "ENGINE_UNAVAILABLE", "the database could not complete the call; retry with the same transaction id");
        }
    }

    public static RpcException ToRpc(LoyaltyException refusal)
    {
        var code = ErrorReasons.KindOf(refusal.Reason) switch
        {
            ErrorKind.InvalidArgument => Code.InvalidArgument,
            ErrorKind.NotFound => Code.NotFound,
            ErrorKind.AlreadyExists => Code.AlreadyExists,
            _ => Code.FailedPrecondition,
        };
        var status = new Google.Rpc.Status
        {
            Code = (int)code,
            Message = refusal.Message,
            Details = { Any.Pack(new ErrorInfo { Reason = ErrorReasons.Code(refusal.Reason), Domain = Domain }) },
        };
        if (refusal.Field is { } field)
        {
            status.Details.Add(Any.Pack(new BadRequest
            {
                FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = refusal.Message } },
            }));
        }

        return status.ToRpcException();
    }

    private static RpcException Status(Code code, string reason, string message) => new Google.Rpc.Status
    {
        Code = (int)code,
        Message = message,
        Details = { Any.Pack(new ErrorInfo { Reason = reason, Domain = Domain }) },
    }.ToRpcException();
}
