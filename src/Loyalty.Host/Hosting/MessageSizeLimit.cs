using Google.Protobuf;
using Loyalty.Contracts;
using Loyalty.Host.Services.Interceptors;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Http.Features;

namespace Loyalty.Host.Hosting;

/// <summary>
/// The request size limit, refused like every other refusal: RESOURCE_EXHAUSTED with the ErrorInfo reason
/// MESSAGE_TOO_LARGE, before any service code runs (so nothing changes).
/// <para>
/// gRPC (terminal port): the server's own limit (<see cref="MaxBytes"/>) rejects an over-size message from its
/// 5-byte frame header, before deserialising it and before any interceptor, with a bare status. That answer is
/// still unsent when the endpoint returns (a trailers-only response: the status is in the headers), so this
/// middleware adds the ErrorInfo there. Cost on the hot path: one bool after the call (a successful call has
/// started its response) — no body inspection, no size computation.
/// </para>
/// <para>
/// JSON (the transcoded admin API): the transcoder has no size limit of its own (only Kestrel's 30 MB body
/// limit, answered as a bare 400), so the limit is enforced here: by Content-Length when the client sent one,
/// otherwise by buffering at most <see cref="MaxBytes"/> + 1 bytes of the body (the admin port is not the hot path).
/// </para>
/// </summary>
public static class MessageSizeLimit
{
    /// <summary>The largest request message accepted, in bytes (a gRPC message, or a JSON body).</summary>
    public const int MaxBytes = 1024 * 1024;

    private const string StatusHeader = "grpc-status";
    private const string MessageHeader = "grpc-message";
    private const string DetailsHeader = "grpc-status-details-bin";
    private const string ResourceExhausted = "8";

    private static readonly Google.Rpc.Status Refusal = ErrorInterceptor.ToStatus(
        new LoyaltyException(ErrorReason.MessageTooLarge, $"the request is larger than the {MaxBytes}-byte limit"));

    private static readonly string RefusalDetails = Convert.ToBase64String(Refusal.ToByteArray());

    private static readonly string RefusalJson = new JsonFormatter(JsonFormatter.Settings.Default
        .WithTypeRegistry(Google.Protobuf.Reflection.TypeRegistry.FromMessages(Google.Rpc.ErrorInfo.Descriptor))).Format(Refusal);

    public static void Use(WebApplication app) => app.Use((context, next) =>
        context.Request.ContentType is { } type && type.StartsWith("application/grpc", StringComparison.Ordinal)
            ? GrpcAsync(context, next)
            : context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is not null
                ? JsonAsync(context, next)
                : next(context));

    private static async Task GrpcAsync(HttpContext context, RequestDelegate next)
    {
        await next(context);
        var headers = context.Response.Headers;
        if (!context.Response.HasStarted
            && headers.TryGetValue(StatusHeader, out var status) && status == ResourceExhausted
            && !headers.ContainsKey(DetailsHeader))
        {
            // The only RESOURCE_EXHAUSTED without details is the server's own size limit: every refusal of ours carries them.
            headers[MessageHeader] = Uri.EscapeDataString(Refusal.Message);
            headers[DetailsHeader] = RefusalDetails;
        }
    }

    private static async Task JsonAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (request.ContentLength is { } length)
        {
            if (length > MaxBytes)
            {
                await RefuseJsonAsync(context);
                return;
            }
        }
        else if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            // No length given (chunked, or HTTP/2 without content-length): read at most the limit + 1 byte.
            var body = new MemoryStream();
            context.Response.RegisterForDispose(body);
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (body.Length + read > MaxBytes)
                {
                    await RefuseJsonAsync(context);
                    return;
                }

                body.Write(chunk, 0, read);
            }

            body.Position = 0;
            request.Body = body;
            request.ContentLength = body.Length;
        }

        await next(context);
    }

    private static Task RefuseJsonAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests; // what the transcoder answers for RESOURCE_EXHAUSTED
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(RefusalJson, context.RequestAborted);
    }
}
