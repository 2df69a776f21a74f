using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Loyalty.Api.V1;

namespace Loyalty.Client;

/// <summary>
/// Where a <see cref="PosClient"/> gets the bearer token for a call. A till has one credential
/// (<see cref="TerminalToken"/>); a simulator of many tills (<see cref="TerminalFleet"/>) one per terminal.
/// Calls that name no store or terminal (GetBalance, Void, Refund) ask with nulls.
/// </summary>
public interface ITerminalCredentials
{
    /// <summary>The token for a call from <paramref name="storeId"/>/<paramref name="terminalId"/> (null: the default terminal).</summary>
    ValueTask<string> TokenAsync(string? storeId, string? terminalId, CancellationToken cancellationToken);

    /// <summary>The <c>authorization</c> header value for such a call (<c>Bearer &lt;token&gt;</c>).</summary>
    async ValueTask<string> HeaderAsync(string? storeId, string? terminalId, CancellationToken cancellationToken) =>
        "Bearer " + await TokenAsync(storeId, terminalId, cancellationToken);
}

/// <summary>One terminal's credential: the token its operator registered it with (admin <c>RegisterTerminal</c>).</summary>
public sealed class TerminalToken(string token) : ITerminalCredentials
{
    public string Token { get; } = string.IsNullOrWhiteSpace(token) ? throw new ArgumentException("a terminal token is required", nameof(token)) : token.Trim();

    private readonly string _header = "Bearer " + token.Trim();

    public ValueTask<string> TokenAsync(string? storeId, string? terminalId, CancellationToken cancellationToken) => ValueTask.FromResult(Token);

    public ValueTask<string> HeaderAsync(string? storeId, string? terminalId, CancellationToken cancellationToken) => ValueTask.FromResult(_header);
}

/// <summary>
/// Credentials for many simulated terminals (load generators, tests, a lane controller): each store and terminal a
/// call names is registered through the admin API once, on first use, and its token kept for the fleet's life.
/// Needs an operator token on <paramref name="admin"/>.
/// </summary>
public sealed class TerminalFleet(AdminService.AdminServiceClient admin, string programId, string defaultStoreId = "store-1", string defaultTerminalId = "pos-1")
    : ITerminalCredentials
{
    private readonly ConcurrentDictionary<(string Store, string Terminal), Lazy<Task<string>>> _tokens = new();
    private readonly ConcurrentDictionary<string, Lazy<Task>> _stores = new(StringComparer.Ordinal);

    public string ProgramId { get; } = programId;

    /// <summary>How many terminals the fleet has registered so far.</summary>
    public int Count => _tokens.Count;

    /// <summary>Registers these terminals now (a few at a time), so that no measured call waits for a registration.</summary>
    public Task RegisterAsync(IEnumerable<(string StoreId, string TerminalId)> terminals, CancellationToken cancellationToken = default) =>
        Parallel.ForEachAsync(
            terminals,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (t, ct) => await HeaderAsync(t.StoreId, t.TerminalId, ct));

    public async ValueTask<string> TokenAsync(string? storeId, string? terminalId, CancellationToken cancellationToken) =>
        (await HeaderAsync(storeId, terminalId, cancellationToken))["Bearer ".Length..];

    /// <summary>The header value, kept per terminal (no allocation per call once registered).</summary>
    public ValueTask<string> HeaderAsync(string? storeId, string? terminalId, CancellationToken cancellationToken)
    {
        var key = (string.IsNullOrEmpty(storeId) ? defaultStoreId : storeId, string.IsNullOrEmpty(terminalId) ? defaultTerminalId : terminalId);
        var header = _tokens.TryGetValue(key, out var known) ? known : _tokens.GetOrAdd(key, k => new Lazy<Task<string>>(() => RegisterAsync(k.Store, k.Terminal)));
        if (header.Value.IsCompletedSuccessfully)
        {
            return ValueTask.FromResult(header.Value.Result);
        }

        return new ValueTask<string>(AwaitAsync(key, header));
    }

    private async Task<string> AwaitAsync((string Store, string Terminal) key, Lazy<Task<string>> token)
    {
        try
        {
            return await token.Value;
        }
        catch
        {
            _tokens.TryRemove(new KeyValuePair<(string, string), Lazy<Task<string>>>(key, token)); // the next call tries again
            throw;
        }
    }

    private async Task<string> RegisterAsync(string storeId, string terminalId)
    {
        var store = _stores.GetOrAdd(storeId, s => new Lazy<Task>(() => admin.RegisterStoreAsync(new RegisterStoreRequest { ProgramId = ProgramId, StoreId = s }).ResponseAsync));
        try
        {
            await store.Value;
        }
        catch
        {
            _stores.TryRemove(new KeyValuePair<string, Lazy<Task>>(storeId, store));
            throw;
        }

        var issued = await admin.RegisterTerminalAsync(new RegisterTerminalRequest { ProgramId = ProgramId, StoreId = storeId, TerminalId = terminalId });
        return "Bearer " + issued.Token;
    }
}

/// <summary>The admin API's client: dials an admin gRPC port (default 5082) with an operator or marketer token.</summary>
public static class LoyaltyAdmin
{
    /// <summary>The default admin gRPC address of a local engine.</summary>
    public const string DefaultAddress = "http://127.0.0.1:5082";

    /// <summary>The generated admin client over <paramref name="channel"/>, sending <paramref name="operatorToken"/> on every call.</summary>
    public static AdminService.AdminServiceClient Create(ChannelBase channel, string operatorToken) =>
        new(channel.Intercept(WithBearer(operatorToken)));

    /// <summary>A channel to the admin address and the client on it; dispose the channel when done.</summary>
    public static (GrpcChannel Channel, AdminService.AdminServiceClient Admin) Connect(string adminAddress, string operatorToken)
    {
        var channel = GrpcChannel.ForAddress(adminAddress);
        return (channel, Create(channel, operatorToken));
    }

    /// <summary>Adds <c>authorization: Bearer &lt;token&gt;</c> to a call's headers.</summary>
    public static Func<Metadata, Metadata> WithBearer(string token)
    {
        var header = "Bearer " + token;
        return metadata =>
        {
            metadata.Add("authorization", header);
            return metadata;
        };
    }
}

/// <summary>
/// For callers of the generated <c>PosService</c> client that serve many programs, stores and terminals (tests,
/// tools): adds to each call the credential of the request's <c>program_id</c>, <c>store_id</c> and
/// <c>terminal_id</c>, from <see cref="ITerminalCredentials"/> chosen per program.
/// </summary>
public sealed class TerminalCredentialsInterceptor(Func<string, ITerminalCredentials> forProgram) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var started = StartAsync(request, context, continuation);
        return new AsyncUnaryCall<TResponse>(
            ResponseAsync(started),
            HeadersAsync(started),
            () => started.IsCompletedSuccessfully ? started.Result.GetStatus() : new Status(StatusCode.Unknown, "the call has not started"),
            () => started.IsCompletedSuccessfully ? started.Result.GetTrailers() : [],
            () =>
            {
                if (started.IsCompletedSuccessfully)
                {
                    started.Result.Dispose();
                }
            });
    }

    private async Task<AsyncUnaryCall<TResponse>> StartAsync<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        where TRequest : class
        where TResponse : class
    {
        if (request is not Google.Protobuf.IMessage message || Field(message, "program_id") is not { Length: > 0 } programId)
        {
            return continuation(request, context);
        }

        var header = await forProgram(programId).HeaderAsync(Field(message, "store_id"), Field(message, "terminal_id"), context.Options.CancellationToken);
        var headers = new Metadata();
        foreach (var entry in context.Options.Headers ?? [])
        {
            headers.Add(entry);
        }

        headers.Add("authorization", header);
        return continuation(request, new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers)));
    }

    private static async Task<TResponse> ResponseAsync<TResponse>(Task<AsyncUnaryCall<TResponse>> started) => await (await started).ResponseAsync;

    private static async Task<Metadata> HeadersAsync<TResponse>(Task<AsyncUnaryCall<TResponse>> started) => await (await started).ResponseHeadersAsync;

    private static string? Field(Google.Protobuf.IMessage message, string name) =>
        message.Descriptor.FindFieldByName(name) is { FieldType: Google.Protobuf.Reflection.FieldType.String, IsRepeated: false } field
            ? (string)field.Accessor.GetValue(message)
            : null;
}
