using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Loyalty.Api.V1;

namespace Loyalty.Client;

public sealed class PosClientOptions
{
    /// <summary>
    /// Attempts per call, including the first. Retries reuse the same transaction id. A call may go on
    /// longer: see <see cref="ReadRetryWindow"/> and <see cref="WriteRetryWindow"/>.
    /// </summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// How long a side-effect-free call (Identify, GetBalance, Quote) goes on retrying a retryable
    /// failure — same back-off, same failover — once <see cref="MaxAttempts"/> are used up, counted
    /// from its first attempt. When a silo dies, the grains it held answer UNAVAILABLE from every silo
    /// until the cluster has declared it dead (seconds), longer than a few quick attempts last; a read
    /// changes nothing, so repeating it is free, and the till cannot go on without it.
    /// <see cref="TimeSpan.Zero"/> makes reads stop at MaxAttempts too.
    /// </summary>
    public TimeSpan ReadRetryWindow { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The same window for calls that change something (Enroll, Commit, Void, Refund). Each is idempotent by its id
    /// (the transaction id, refund id or member id is kept by every retry), so repeating it is safe: a silo's death or a
    /// database outage shorter than the window delays the sale and fails none (issue #29). <see cref="TimeSpan.Zero"/>
    /// makes writes stop at MaxAttempts, for a terminal that settles unanswered sales itself later.
    /// </summary>
    public TimeSpan WriteRetryWindow { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Deadline of each attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First back-off; doubles per attempt with jitter, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest back-off between two attempts.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long an engine address is passed over after it failed at the transport level (connection
    /// refused or reset, or no answer before the deadline). Other addresses are tried meanwhile; when
    /// every address is being passed over, the one whose pause ends first is tried. Never shorter than
    /// <see cref="AttemptTimeout"/>: a frozen silo that accepts connections but never answers costs each
    /// caller one attempt timeout, so a shorter pause would send the next calls back into it.
    /// </summary>
    public TimeSpan FailoverCooldown { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The terminal's credential, sent as <c>authorization: Bearer …</c> on every call: a <see cref="TerminalToken"/>
    /// for a till, a <see cref="TerminalFleet"/> for a simulator of many. Without it the engine answers UNAUTHENTICATED.
    /// </summary>
    public ITerminalCredentials? Credentials { get; set; }

    /// <summary>Called for every failed attempt, retried or not (for terminal logs and tests). Must not throw.</summary>
    public Action<PosCallFailure>? OnFailure { get; set; }
}

/// <summary>One failed attempt: which call, against which engine address, and what came back.</summary>
/// <param name="Method">The RPC name, e.g. <c>Commit</c>.</param>
/// <param name="Address">The engine address the attempt went to.</param>
/// <param name="Attempt">1 for the first attempt.</param>
/// <param name="Status">The gRPC status code.</param>
/// <param name="Reason">The engine's machine-readable reason (e.g. STORAGE_CONFLICT), or null when the engine did not answer.</param>
/// <param name="WillRetry">Whether the client retries (same request, same transaction id).</param>
/// <param name="Detail">The status detail text (for logs; never parse it).</param>
public sealed record PosCallFailure(string Method, string Address, int Attempt, StatusCode Status, string? Reason, bool WillRetry, string Detail);

/// <summary>
/// The POS SDK: a typed wrapper over the generated gRPC client for one program. Every call is
/// safe to retry (commits are idempotent by transaction id), so calls that fail with
/// UNAVAILABLE or DEADLINE_EXCEEDED are retried with the very same request — the same
/// transaction id — until <see cref="PosClientOptions.MaxAttempts"/> is reached; reads (Identify,
/// GetBalance, Quote) go on within <see cref="PosClientOptions.ReadRetryWindow"/>, so they ride
/// through a silo's death.
/// <para>
/// Given several engine addresses (every silo serves gRPC), each terminal has its own first address (from its
/// store and terminal id, else the client's), so the terminals of one client spread over the silos and do not move
/// together; each retry of a call goes to the next address. An address that did not answer at all is passed over by
/// every call for <see cref="PosClientOptions.FailoverCooldown"/> (at least the attempt timeout), then tried again,
/// so a restarted silo is used again.
/// </para>
/// </summary>
public sealed class PosClient : IDisposable
{
    private readonly Engine[] _engines;
    private readonly GrpcChannel[] _ownedChannels;
    private readonly PosClientOptions _options;

    /// <summary>The first address of calls that name no terminal (a till's client names none: its credential does).</summary>
    private readonly int _home;

    public PosClient(ChannelBase channel, string programId, PosClientOptions? options = null)
        : this([channel], [], programId, options)
    {
    }

    /// <summary>
    /// Over channels the caller made and owns (one per engine address, e.g. tuned for a load
    /// generator); failover as with <see cref="Connect(IEnumerable{string}, string, PosClientOptions?)"/>.
    /// Several clients may share the channels; disposing the client leaves them open.
    /// </summary>
    public PosClient(IReadOnlyList<ChannelBase> channels, string programId, PosClientOptions? options = null)
        : this(channels, [], programId, options)
    {
    }

    private PosClient(IReadOnlyList<ChannelBase> channels, GrpcChannel[] owned, string programId, PosClientOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(programId);
        if (channels.Count == 0)
        {
            throw new ArgumentException("at least one engine address is required", nameof(channels));
        }

        _engines = channels.Select(c => new Engine(c)).ToArray();
        _ownedChannels = owned;
        _options = options ?? new PosClientOptions();
        ProgramId = programId;
        _home = _engines.Length == 1 ? 0 : Random.Shared.Next(_engines.Length);
    }

    public string ProgramId { get; }

    /// <summary>The engine addresses, in the order given.</summary>
    public IReadOnlyList<string> Addresses => _engines.Select(e => e.Address).ToArray();

    /// <summary>The address the next call naming no terminal goes to first.</summary>
    public string CurrentAddress => Pick(_home).Address;

    /// <summary>
    /// Connects to one engine address such as <c>http://127.0.0.1:5080</c> (HTTP/2 cleartext or TLS),
    /// or to several given as one comma-separated string.
    /// </summary>
    public static PosClient Connect(string address, string programId, PosClientOptions? options = null) =>
        Connect(ParseAddresses(address), programId, options);

    /// <summary>Connects a till: its engine address(es), program and terminal token (admin <c>RegisterTerminal</c>).</summary>
    public static PosClient Connect(string address, string programId, string terminalToken, PosClientOptions? options = null)
    {
        options ??= new PosClientOptions();
        options.Credentials = new TerminalToken(terminalToken);
        return Connect(ParseAddresses(address), programId, options);
    }

    /// <summary>Connects to several engine addresses (silos of one cluster); see the class remarks for failover.</summary>
    public static PosClient Connect(IEnumerable<string> addresses, string programId, PosClientOptions? options = null)
    {
        var channels = addresses.Select(CreateChannel).ToArray();
        return new PosClient(channels, channels, programId, options);
    }

    /// <summary><c>"http://a:7101, http://b:7102"</c> → the two addresses.</summary>
    public static IReadOnlyList<string> ParseAddresses(string addresses) =>
        addresses.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// A channel tuned for terminals: a dead or frozen peer is noticed by HTTP/2 keep-alive pings
    /// and a short connect timeout, and a broken connection is replaced on the next call.
    /// </summary>
    public static GrpcChannel CreateChannel(string address) => CreateChannel(address, null, null);

    /// <summary>
    /// As <see cref="CreateChannel(string)"/>, for an engine serving TLS with a certificate from the chain's own CA
    /// (<paramref name="trustedCa"/>: only certificates it issued are accepted) and, where the engine asks for one,
    /// the terminal's client certificate (mutual TLS).
    /// </summary>
    public static GrpcChannel CreateChannel(string address, X509Certificate2? trustedCa, X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(3),
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        if (trustedCa is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is not null && IssuedBy(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), trustedCa)
                && (errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) == System.Net.Security.SslPolicyErrors.None;
        }

        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }

        return GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
    }

    private static bool IssuedBy(X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    /// <summary>A fresh transaction id for a receipt: store, terminal, time and randomness, unique per sale.</summary>
    public static string NewTransactionId(string storeId, string terminalId) =>
        $"{storeId}-{terminalId}-{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}";

    public Task<MemberResponse> EnrollAsync(string? memberId = null, string? cardNumber = null, string? name = null, CancellationToken cancellationToken = default)
    {
        var request = new EnrollRequest { ProgramId = ProgramId, MemberId = memberId ?? string.Empty, CardNumber = cardNumber ?? string.Empty, Name = name ?? string.Empty };
        return CallAsync("Enroll", Kind.Write, null, null, (pos, o) => pos.EnrollAsync(request, o), cancellationToken);
    }

    public Task<MemberResponse> IdentifyByMemberAsync(string memberId, CancellationToken cancellationToken = default)
    {
        var request = new IdentifyRequest { ProgramId = ProgramId, MemberId = memberId };
        return CallAsync("Identify", Kind.Read, null, null, (pos, o) => pos.IdentifyAsync(request, o), cancellationToken);
    }

    public Task<MemberResponse> IdentifyByCardAsync(string cardNumber, CancellationToken cancellationToken = default)
    {
        var request = new IdentifyRequest { ProgramId = ProgramId, CardNumber = cardNumber };
        return CallAsync("Identify", Kind.Read, null, null, (pos, o) => pos.IdentifyAsync(request, o), cancellationToken);
    }

    public Task<BalanceResponse> GetBalanceAsync(string memberId, CancellationToken cancellationToken = default)
    {
        var request = new GetBalanceRequest { ProgramId = ProgramId, MemberId = memberId };
        return CallAsync("GetBalance", Kind.Read, null, null, (pos, o) => pos.GetBalanceAsync(request, o), cancellationToken);
    }

    public Task<QuoteResponse> QuoteAsync(QuoteRequest request, CancellationToken cancellationToken = default)
    {
        request.ProgramId = ProgramId;
        return CallAsync("Quote", Kind.Read, request.StoreId, request.TerminalId, (pos, o) => pos.QuoteAsync(request, o), cancellationToken);
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

        return CallAsync("Commit", Kind.Write, request.StoreId, request.TerminalId, (pos, o) => pos.CommitAsync(request, o), cancellationToken);
    }

    public Task<VoidSaleResponse> VoidAsync(string memberId, string transactionId, CancellationToken cancellationToken = default) =>
        VoidAsync(memberId, transactionId, null, null, cancellationToken);

    /// <summary>
    /// Voids a sale from the till of <paramref name="storeId"/>/<paramref name="terminalId"/> (null: the default terminal). A till
    /// voids its own store's sales only, unless the program allows cross-store returns (SALE_OF_ANOTHER_STORE).
    /// </summary>
    public Task<VoidSaleResponse> VoidAsync(string memberId, string transactionId, string? storeId, string? terminalId, CancellationToken cancellationToken = default)
    {
        var request = new VoidSaleRequest { ProgramId = ProgramId, MemberId = memberId, TransactionId = transactionId, StoreId = storeId ?? string.Empty, TerminalId = terminalId ?? string.Empty };
        return CallAsync("Void", Kind.Write, storeId, terminalId, (pos, o) => pos.VoidAsync(request, o), cancellationToken);
    }

    /// <summary>
    /// Returns lines of a committed sale, from the till its <c>store_id</c>/<c>terminal_id</c> name (empty: the default
    /// terminal; a till returns its own store's sales only). When <paramref name="request"/> has no refund id one is
    /// generated once and reused by every retry, like a commit's transaction id.
    /// </summary>
    public Task<RefundResponse> RefundAsync(RefundRequest request, CancellationToken cancellationToken = default)
    {
        request.ProgramId = ProgramId;
        if (string.IsNullOrEmpty(request.RefundId))
        {
            request.RefundId = "refund-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        }

        return CallAsync("Refund", Kind.Write, request.StoreId, request.TerminalId, (pos, o) => pos.RefundAsync(request, o), cancellationToken);
    }

    public void Dispose()
    {
        foreach (var channel in _ownedChannels)
        {
            channel.Dispose();
        }
    }

    /// <summary>Whether a failure leaves the outcome unknown and a retry with the same request is the fix.</summary>
    public static bool IsRetryable(RpcException failure) => IsRetryable(failure.StatusCode, failure.Reason());

    /// <summary>
    /// UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED and ABORTED are retryable. So are INTERNAL and
    /// UNKNOWN when the engine did not name a reason: the engine never answers those itself, so they
    /// come from the connection breaking mid-call (a silo killed or frozen; the HTTP/2 client reports
    /// a dead keep-alive or a reset stream as INTERNAL) and the outcome is unknown. Every call is
    /// idempotent, so the retry is safe; a refusal by the rules (with a reason) never is retried.
    /// </summary>
    public static bool IsRetryable(StatusCode status, string? reason) => status switch
    {
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted => true,
        StatusCode.Internal or StatusCode.Unknown => reason is null,
        _ => false,
    };

    private async Task<T> CallAsync<T>(
        string method, Kind kind, string? storeId, string? terminalId, Func<PosService.PosServiceClient, CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        Metadata? headers = null;
        if (_options.Credentials is { } credentials)
        {
            headers = [new Metadata.Entry("authorization", await credentials.HeaderAsync(storeId, terminalId, cancellationToken))];
        }

        var backoff = _options.InitialBackoff;
        var started = Stopwatch.GetTimestamp();
        var window = kind == Kind.Read ? _options.ReadRetryWindow : _options.WriteRetryWindow;
        var first = First(storeId, terminalId);
        for (var attempt = 1; ; attempt++)
        {
            var engine = Pick(first + attempt - 1);
            try
            {
                var options = new CallOptions(headers, DateTime.UtcNow + _options.AttemptTimeout, cancellationToken);
                return await call(engine.Pos, options);
            }
            catch (RpcException failure) when (!cancellationToken.IsCancellationRequested)
            {
                var reason = failure.Reason();
                var pause = backoff + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * backoff.TotalMilliseconds);
                if (failure.RetryAfter() is { } hint && hint > pause)
                {
                    // An overloaded engine says when to come back: no sooner (with jitter, so tills do not return together).
                    pause = hint + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * hint.TotalMilliseconds);
                }

                var retry = IsRetryable(failure.StatusCode, reason)
                    && (attempt < _options.MaxAttempts || Stopwatch.GetElapsedTime(started) + pause < window);
                _options.OnFailure?.Invoke(new PosCallFailure(method, engine.Address, attempt, failure.StatusCode, reason, retry, failure.Status.Detail));
                if (!retry)
                {
                    throw;
                }

                // The next attempt goes to the next address. The engine answered (it names a reason) → it is alive,
                // only this call failed: other calls keep using it. No answer at all → every call passes it over for a while.
                if (reason is null)
                {
                    Pause(engine);
                }

                await Task.Delay(pause, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
            }
        }
    }

    /// <summary>Whether a call changes anything: it decides which retry window applies.</summary>
    private enum Kind
    {
        /// <summary>Side-effect-free: retried within <see cref="PosClientOptions.ReadRetryWindow"/>.</summary>
        Read,

        /// <summary>Changes state (idempotent by its id): retried within <see cref="PosClientOptions.WriteRetryWindow"/>.</summary>
        Write,
    }

    /// <summary>The first address of a call: the terminal's own, so the terminals of a shared client spread over the silos.</summary>
    private int First(string? storeId, string? terminalId)
    {
        if (_engines.Length == 1 || (string.IsNullOrEmpty(storeId) && string.IsNullOrEmpty(terminalId)))
        {
            return _home;
        }

        // A stable hash (string.GetHashCode differs per process): the same terminal starts at the same silo every time.
        var hash = 2166136261u;
        foreach (var c in storeId + "/" + terminalId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)_engines.Length);
    }

    /// <summary>The address at <paramref name="start"/>, or the next one not passed over; when all are, the one whose pause ends first.</summary>
    private Engine Pick(int start)
    {
        var now = Environment.TickCount64;
        Engine? soonest = null;
        for (var i = 0; i < _engines.Length; i++)
        {
            var engine = _engines[(start + i) % _engines.Length];
            if (engine.PausedUntil <= now)
            {
                return engine;
            }

            if (soonest is null || engine.PausedUntil < soonest.PausedUntil)
            {
                soonest = engine;
            }
        }

        return soonest!;
    }

    private void Pause(Engine failed)
    {
        if (_engines.Length > 1)
        {
            var cooldown = _options.FailoverCooldown > _options.AttemptTimeout ? _options.FailoverCooldown : _options.AttemptTimeout;
            failed.PausedUntil = Environment.TickCount64 + (long)cooldown.TotalMilliseconds;
        }
    }

    private sealed class Engine(ChannelBase channel)
    {
        private long _pausedUntil;

        public string Address { get; } = channel.Target;

        public PosService.PosServiceClient Pos { get; } = new(channel);

        public long PausedUntil
        {
            get => Volatile.Read(ref _pausedUntil);
            set => Volatile.Write(ref _pausedUntil, value);
        }
    }
}
