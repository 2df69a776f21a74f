using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Net.Client;
using Loyalty.Api.V1;

namespace Loyalty.Client;

public sealed class PosClientOptions
{
    /// <summary>Attempts per call, including the first. Retries reuse the same transaction id.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Deadline of each attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First back-off; doubles per attempt with jitter.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>
/// The POS SDK: a typed wrapper over the generated gRPC client for one program. Every call is
/// safe to retry (commits are idempotent by transaction id), so calls that fail with
/// UNAVAILABLE or DEADLINE_EXCEEDED are retried with the very same request — the same
/// transaction id — until <see cref="PosClientOptions.MaxAttempts"/> is reached.
/// </summary>
public sealed class PosClient : IDisposable
{
    private readonly GrpcChannel? _ownedChannel;
    private readonly PosService.PosServiceClient _pos;
    private readonly PosClientOptions _options;

    public PosClient(ChannelBase channel, string programId, PosClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(programId);
        _pos = new PosService.PosServiceClient(channel);
        Admin = new AdminService.AdminServiceClient(channel);
        ProgramId = programId;
        _options = options ?? new PosClientOptions();
    }

    private PosClient(GrpcChannel channel, string programId, PosClientOptions? options)
        : this((ChannelBase)channel, programId, options)
    {
        _ownedChannel = channel;
    }

    public string ProgramId { get; }

    /// <summary>The generated admin client on the same channel (programs, coupons).</summary>
    public AdminService.AdminServiceClient Admin { get; }

    /// <summary>Connects to an engine address such as <c>http://127.0.0.1:5080</c> (HTTP/2 cleartext or TLS).</summary>
    public static PosClient Connect(string address, string programId, PosClientOptions? options = null) =>
        new(GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true } }), programId, options);

    /// <summary>A fresh transaction id for a receipt: store, terminal, time and randomness, unique per sale.</summary>
    public static string NewTransactionId(string storeId, string terminalId) =>
        $"{storeId}-{terminalId}-{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}";

    public Task<MemberResponse> EnrollAsync(string? memberId = null, string? cardNumber = null, string? name = null, CancellationToken cancellationToken = default)
    {
        var request = new EnrollRequest { ProgramId = ProgramId, MemberId = memberId ?? string.Empty, CardNumber = cardNumber ?? string.Empty, Name = name ?? string.Empty };
        return CallAsync(o => _pos.EnrollAsync(request, o), cancellationToken);
    }

    public Task<MemberResponse> IdentifyByMemberAsync(string memberId, CancellationToken cancellationToken = default)
    {
        var request = new IdentifyRequest { ProgramId = ProgramId, MemberId = memberId };
        return CallAsync(o => _pos.IdentifyAsync(request, o), cancellationToken);
    }

    public Task<MemberResponse> IdentifyByCardAsync(string cardNumber, CancellationToken cancellationToken = default)
    {
        var request = new IdentifyRequest { ProgramId = ProgramId, CardNumber = cardNumber };
        return CallAsync(o => _pos.IdentifyAsync(request, o), cancellationToken);
    }

    public Task<BalanceResponse> GetBalanceAsync(string memberId, CancellationToken cancellationToken = default)
    {
        var request = new GetBalanceRequest { ProgramId = ProgramId, MemberId = memberId };
        return CallAsync(o => _pos.GetBalanceAsync(request, o), cancellationToken);
    }

    public Task<QuoteResponse> QuoteAsync(QuoteRequest request, CancellationToken cancellationToken = default)
    {
        request.ProgramId = ProgramId;
        return CallAsync(o => _pos.QuoteAsync(request, o), cancellationToken);
    }

    /// <summary>
    /// Commits a sale. When <paramref name="request"/> has no transaction id one is generated once,
    /// written into the request, and reused by every retry; keep the request to retry it later yourself.
    /// </summary>
    public Task<CommitResponse> CommitAsync(CommitRequest request, CancellationToken cancellationToken = default)
    {
        request.ProgramId = ProgramId;
        if (string.IsNullOrEmpty(request.TransactionId))
        {
            request.TransactionId = NewTransactionId(
                string.IsNullOrEmpty(request.StoreId) ? "store" : request.StoreId,
                string.IsNullOrEmpty(request.TerminalId) ? "pos" : request.TerminalId);
        }

        return CallAsync(o => _pos.CommitAsync(request, o), cancellationToken);
    }

    public Task<VoidSaleResponse> VoidAsync(string memberId, string transactionId, CancellationToken cancellationToken = default)
    {
        var request = new VoidSaleRequest { ProgramId = ProgramId, MemberId = memberId, TransactionId = transactionId };
        return CallAsync(o => _pos.VoidAsync(request, o), cancellationToken);
    }

    public void Dispose() => _ownedChannel?.Dispose();

    /// <summary>Whether a failure leaves the outcome unknown and a retry with the same request is the fix.</summary>
    public static bool IsRetryable(RpcException failure) =>
        failure.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted;

    private async Task<T> CallAsync<T>(Func<CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        var backoff = _options.InitialBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var options = new CallOptions(deadline: DateTime.UtcNow + _options.AttemptTimeout, cancellationToken: cancellationToken);
                return await call(options);
            }
            catch (RpcException failure) when (attempt < _options.MaxAttempts && IsRetryable(failure) && !cancellationToken.IsCancellationRequested)
            {
                var jitter = Random.Shared.NextDouble() * backoff.TotalMilliseconds;
                await Task.Delay(backoff + TimeSpan.FromMilliseconds(jitter), cancellationToken);
                backoff *= 2;
            }
        }
    }
}
