using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Threading.RateLimiting;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Loyalty.Host.Hosting;
using Microsoft.Extensions.Options;

namespace Loyalty.Host.Services.Interceptors;

/// <summary>
/// Section <c>Loyalty:Admission</c>: how much terminal work one silo takes on at once (docs/admission.md).
/// </summary>
public sealed class AdmissionOptions
{
    public const string Section = "Loyalty:Admission";

    /// <summary>Terminal calls running at once on this silo. Sized so that what runs finishes in milliseconds: at the
    /// engine's ~12,000 calls/s on 2 cores, 128 in flight is ~10 ms of work.</summary>
    [Range(1, 100_000)]
    public int MaxInFlight { get; set; } = 128;

    /// <summary>
    /// Calls that may wait for a place: a burst (2,000 tills pressing "pay" at once) is absorbed, not refused. Under
    /// sustained overload the queue stays full and the excess is refused at once; at ~12,000 calls/s a full queue is
    /// ~0.35 s of work.
    /// </summary>
    [Range(0, 1_000_000)]
    public int MaxQueued { get; set; } = 4096;

    /// <summary>The longest a call waits for a place (never longer than its own deadline) before it is refused.</summary>
    [Range(0, 60_000)]
    public int MaxQueueWaitMilliseconds { get; set; } = 4000;

    /// <summary>The retry hint a refusal carries (google.rpc.RetryInfo and grpc-retry-pushback-ms).</summary>
    [Range(1, 60_000)]
    public int RetryAfterMilliseconds { get; set; } = 100;
}

/// <summary>
/// Admission control at the terminal port (issue #28): a silo runs at most <see cref="AdmissionOptions.MaxInFlight"/>
/// terminal calls at once and refuses the excess at once with UNAVAILABLE, reason ENGINE_OVERLOADED and a retry
/// hint, instead of letting every call in and timing all of them out. Nothing refused was started: a retry with the
/// same transaction id is safe.
/// <list type="bullet">
/// <item>A call that finds no free place waits in a bounded queue (<see cref="AdmissionOptions.MaxQueued"/>), oldest
/// first, for at most <see cref="AdmissionOptions.MaxQueueWaitMilliseconds"/> and never past its deadline; a full queue
/// refuses at once.</item>
/// <item>Reads (Identify, GetBalance, Quote: the start of a new sale) are refused at once while the queue is half full,
/// so an overloaded silo finishes the sales it started before it starts new ones.</item>
/// <item>A call whose deadline has passed by the time it is admitted is dropped before it reaches a grain.</item>
/// </list>
/// The permits are a <see cref="ConcurrencyLimiter"/> (System.Threading.RateLimiting); the refusal is a gRPC status
/// with google.rpc details, which ASP.NET Core's rate-limiting middleware (a bare HTTP 503) cannot give.
/// </summary>
public sealed partial class AdmissionInterceptor : Interceptor, IDisposable
{
    public const string OverloadedReason = "ENGINE_OVERLOADED";

    private const string TerminalService = "/loyalty.v1.PosService/";

    private static readonly HashSet<string> Reads = [TerminalService + "Identify", TerminalService + "GetBalance", TerminalService + "Quote"];

    private readonly ConcurrencyLimiter _limiter;
    private readonly AdmissionOptions _options;
    private readonly ILogger<AdmissionInterceptor> _logger;
    private readonly LoyaltyMetrics? _metrics;
    private long _refused;
    private long _lastReport = Stopwatch.GetTimestamp();

    public AdmissionInterceptor(IOptions<AdmissionOptions> options, ILogger<AdmissionInterceptor> logger, LoyaltyMetrics? metrics = null)
    {
        _options = options.Value;
        _logger = logger;
        _metrics = metrics;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = _options.MaxInFlight,
            QueueLimit = _options.MaxQueued,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request,
        ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (!context.Method.StartsWith(TerminalService, StringComparison.Ordinal))
        {
            return await continuation(request, context);
        }

        using var lease = await AdmitAsync(Reads.Contains(context.Method), context);
        if (context.Deadline <= DateTime.UtcNow)
        {
            // The terminal gave up while the call waited: nothing is started for nobody.
            throw new RpcException(new Grpc.Core.Status(StatusCode.DeadlineExceeded, "the call's deadline passed before it was admitted"));
        }

        return await continuation(request, context);
    }

    private async ValueTask<RateLimitLease> AdmitAsync(bool read, ServerCallContext context)
    {
        var lease = _limiter.AttemptAcquire();
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        if (read && _limiter.GetStatistics()?.CurrentQueuedCount >= _options.MaxQueued / 2)
        {
            // A read starts a new sale: an overloaded silo finishes the sales it started first.
            throw Refuse();
        }

        var wait = TimeSpan.FromMilliseconds(_options.MaxQueueWaitMilliseconds);
        var untilDeadline = context.Deadline - DateTime.UtcNow;
        if (untilDeadline < wait)
        {
            wait = untilDeadline;
        }

        if (wait <= TimeSpan.Zero)
        {
            throw Refuse();
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            lease = await _limiter.AcquireAsync(1, timeout.Token);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            throw Refuse();
        }

        if (!lease.IsAcquired)
        {
            // The queue was full.
            lease.Dispose();
            throw Refuse();
        }

        return lease;
    }

    private RpcException Refuse()
    {
        var refused = Interlocked.Increment(ref _refused);
        _metrics?.Refusal(OverloadedReason);
        ReportNowAndThen(refused);
        return ErrorInterceptor.Unavailable(
            OverloadedReason,
            "the engine is at capacity and did not start this call; retry after the hint with the same transaction id",
            TimeSpan.FromMilliseconds(_options.RetryAfterMilliseconds));
    }

    /// <summary>One log line every 5 s at most while calls are being refused, with the count: not one per call.</summary>
    private void ReportNowAndThen(long refused)
    {
        var last = Interlocked.Read(ref _lastReport);
        if (Stopwatch.GetElapsedTime(last) < TimeSpan.FromSeconds(5) || Interlocked.CompareExchange(ref _lastReport, Stopwatch.GetTimestamp(), last) != last)
        {
            return;
        }

        var statistics = _limiter.GetStatistics();
        LogOverloaded(_logger, refused, _options.MaxInFlight - (statistics?.CurrentAvailablePermits ?? 0), statistics?.CurrentQueuedCount ?? 0);
    }

    public void Dispose() => _limiter.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "At capacity: {Refused} terminal calls refused with a retry hint since start ({InFlight} running, {Queued} waiting)")]
    private static partial void LogOverloaded(ILogger logger, long refused, long inFlight, long queued);
}
