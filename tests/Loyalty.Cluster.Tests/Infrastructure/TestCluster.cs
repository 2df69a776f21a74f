using System.Collections.Concurrent;
using System.Net.Http.Json;
using Loyalty.Client;

namespace Loyalty.Cluster.Tests.Infrastructure;

/// <summary>
/// An Orleans cluster of silo processes on loopback, sharing one fresh PostgreSQL database for
/// membership (ADO.NET clustering), grain state and reminders — the production topology on one machine.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    /// <summary>
    /// Failure detection tuned for tests: a silo that stops answering is suspected after two missed
    /// 1-second probes and declared dead by two votes; with Orleans' connection-liveness window this
    /// takes about 10 s for a frozen silo (less for a killed one). A grain call gives up after 5 s.
    /// Production keeps Orleans' defaults (docs/operations.md).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> FastFailureDetection = new Dictionary<string, string>
    {
        ["Loyalty__Membership__ProbeTimeout"] = "00:00:01",
        ["Loyalty__Membership__NumMissedProbesLimit"] = "2",
        ["Loyalty__Membership__NumVotesForDeathDeclaration"] = "2",
        ["Loyalty__Membership__TableRefreshTimeout"] = "00:00:02",
        ["Loyalty__Membership__IAmAliveTablePublishTimeout"] = "00:00:05",
        ["Loyalty__Membership__DeathVoteExpirationTimeout"] = "00:00:30",
        ["Loyalty__Messaging__ResponseTimeout"] = "00:00:05",
    };

    /// <summary>The operator token of every test cluster (Loyalty:Security:OperatorToken).</summary>
    public const string OperatorToken = "cluster-test-operator-token-0123456789";

    private static readonly ConcurrentDictionary<SiloProcess, bool> Everything = new();
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<PosClient, Loyalty.Api.V1.AdminService.AdminServiceClient> Admins = new();
    private readonly ConcurrentDictionary<string, TerminalFleet> _fleets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<SiloProcess, Grpc.Net.Client.GrpcChannel> _adminChannels = new();
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10), DefaultRequestHeaders = { Authorization = new("Bearer", OperatorToken) } }; // /admin/* wants a token, loopback too
    private readonly bool _ownsDatabase;
    private readonly List<PosClient> _clients = [];

    static TestCluster()
    {
        // Never leave a silo behind, even when the test host is torn down without disposing fixtures.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var silo in Everything.Keys)
            {
                silo.Kill();
            }
        };
    }

    private readonly List<SiloProcess> _silos;
    private readonly Dictionary<string, string> _shared;
    private readonly string _logDirectory;

    private TestCluster(string connectionString, bool ownsDatabase, List<SiloProcess> silos, Dictionary<string, string> shared, string logDirectory)
    {
        ConnectionString = connectionString;
        _ownsDatabase = ownsDatabase;
        _silos = silos;
        _shared = shared;
        _logDirectory = logDirectory;
    }

    public string ConnectionString { get; }

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public IReadOnlyList<string> Addresses => Silos.Select(s => s.GrpcAddress).ToArray();

    /// <summary>Starts <paramref name="silos"/> silo processes and waits until every one is ready.</summary>
    public static async Task<TestCluster> StartAsync(
        string name,
        int silos,
        string? connectionString = null,
        IReadOnlyDictionary<string, string>? settings = null,
        Func<int, IReadOnlyDictionary<string, string>>? perSilo = null)
    {
        if (!File.Exists(Paths.HostDll))
        {
            throw new InvalidOperationException($"{Paths.HostDll} is missing: build the solution first");
        }

        var ownsDatabase = connectionString is null;
        connectionString ??= await Postgres.CreateDatabaseAsync();
        var logDirectory = Path.Combine(Paths.LogRoot, name);
        if (Directory.Exists(logDirectory))
        {
            Directory.Delete(logDirectory, recursive: true);
        }

        var id = Guid.NewGuid().ToString("N")[..8];
        var shared = new Dictionary<string, string>(FastFailureDetection)
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["Loyalty__ClusteringMode"] = "AdoNet",
            ["Loyalty__ClusterId"] = $"{name}-{id}",
            ["Loyalty__ServiceId"] = $"{name}-{id}",
            ["Loyalty__ListenAddress"] = "127.0.0.1",
            ["Loyalty__Security__OperatorToken"] = OperatorToken,
            ["Loyalty__PersonalDataPepper"] = "cluster-test-pepper-0123456789abcdef", // >= 32 bytes (Production)
            ["Loyalty__PersonalDataKeys"] = "cluster:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Orleans"] = "Warning",
            ["Logging__LogLevel__Orleans.Runtime.MembershipService"] = "Information",
            ["Logging__LogLevel__Loyalty.Host"] = "Information",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            shared[key] = value;
        }

        var processes = new List<SiloProcess>();
        for (var i = 1; i <= silos; i++)
        {
            var own = new Dictionary<string, string>(shared);
            foreach (var (key, value) in perSilo?.Invoke(i) ?? new Dictionary<string, string>())
            {
                own[key] = value;
            }

            processes.Add(new SiloProcess($"silo{i}", own, logDirectory));
        }

        var cluster = new TestCluster(connectionString, ownsDatabase, processes, shared, logDirectory);
        try
        {
            // All at once: the schema is applied under an advisory lock (one silo at a time, idempotent)
            // and the cluster's membership version row is created by whichever silo comes first.
            await Task.WhenAll(processes.Select(cluster.StartSiloAsync));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async Task StartSiloAsync(SiloProcess silo)
    {
        Everything[silo] = true;
        silo.Start();
        await silo.WaitReadyAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>Starts one more silo in this cluster: the shared settings with <paramref name="overrides"/> on top.</summary>
    public async Task<SiloProcess> AddSiloAsync(string name, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var own = new Dictionary<string, string>(_shared);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            own[key] = value;
        }

        var silo = new SiloProcess(name, own, _logDirectory);
        _silos.Add(silo);
        await StartSiloAsync(silo);
        return silo;
    }

    /// <summary>
    /// A POS SDK client over every silo's gRPC address (or the given ones), disposed with the cluster; its terminals
    /// are registered on first use. <see cref="Admin(PosClient)"/> gives the admin API on a live silo among the same addresses.
    /// </summary>
    public PosClient Client(string programId, PosClientOptions? options = null, IEnumerable<string>? addresses = null)
    {
        var list = (addresses ?? Addresses).ToList();
        options ??= new PosClientOptions();
        options.Credentials ??= _fleets.GetOrAdd(programId, p => new TerminalFleet(AdminOn(list), p));
        var client = PosClient.Connect(list, programId, options);
        Admins.AddOrUpdate(client, AdminOn(list));
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    /// <summary>The admin API (operator token) of the silos <paramref name="client"/> talks to: each call goes to the first one running and not frozen.</summary>
    public static Loyalty.Api.V1.AdminService.AdminServiceClient Admin(PosClient client) =>
        Admins.TryGetValue(client, out var admin) ? admin : throw new InvalidOperationException("not a TestCluster client");

    private Loyalty.Api.V1.AdminService.AdminServiceClient AdminOn(IReadOnlyList<string> addresses) => new(new LiveSiloInvoker(() =>
    {
        var silo = Silos.Where(s => addresses.Contains(s.GrpcAddress)).FirstOrDefault(s => s.Pid is not null && !s.Frozen)
            ?? Silos.First(s => addresses.Contains(s.GrpcAddress));
        var channel = _adminChannels.GetOrAdd(silo, s => Grpc.Net.Client.GrpcChannel.ForAddress(s.AdminGrpcAddress));
        return Grpc.Core.Interceptors.ChannelExtensions.Intercept(channel, LoyaltyAdmin.WithBearer(OperatorToken));
    }));

    /// <summary>Sends each call through the invoker <paramref name="pick"/> chooses at that moment.</summary>
    private sealed class LiveSiloInvoker(Func<Grpc.Core.CallInvoker> pick) : Grpc.Core.CallInvoker
    {
        public override TResponse BlockingUnaryCall<TRequest, TResponse>(Grpc.Core.Method<TRequest, TResponse> method, string? host, Grpc.Core.CallOptions options, TRequest request) =>
            pick().BlockingUnaryCall(method, host, options, request);

        public override Grpc.Core.AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Grpc.Core.Method<TRequest, TResponse> method, string? host, Grpc.Core.CallOptions options, TRequest request) =>
            pick().AsyncUnaryCall(method, host, options, request);

        public override Grpc.Core.AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Grpc.Core.Method<TRequest, TResponse> method, string? host, Grpc.Core.CallOptions options, TRequest request) =>
            pick().AsyncServerStreamingCall(method, host, options, request);

        public override Grpc.Core.AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Grpc.Core.Method<TRequest, TResponse> method, string? host, Grpc.Core.CallOptions options) =>
            pick().AsyncClientStreamingCall(method, host, options);

        public override Grpc.Core.AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Grpc.Core.Method<TRequest, TResponse> method, string? host, Grpc.Core.CallOptions options) =>
            pick().AsyncDuplexStreamingCall(method, host, options);
    }

    /// <summary>The silo whose directory says it hosts the grain (asked through <paramref name="via"/>), or null.</summary>
    public async Task<SiloProcess?> LocateAsync(SiloProcess via, string kind, string programId, string id)
    {
        var location = await Http.GetFromJsonAsync<Location>($"{via.AdminAddress}/admin/grains/{kind}/{programId}/{id}");
        return Silos.FirstOrDefault(s => s.SiloPort == location?.SiloPort);
    }

    /// <summary>The membership table's status (3 active, 6 dead) of each generation of a silo, newest first.</summary>
    public Task<List<int>> MembershipStatusesAsync(SiloProcess silo) =>
        TestPostgres.QueryAsync(ConnectionString, $"SELECT status FROM orleansmembershiptable WHERE port = {silo.SiloPort} ORDER BY generation DESC", r => r.GetInt32(0));

    public async ValueTask DisposeAsync()
    {
        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }

        foreach (var channel in _adminChannels.Values)
        {
            channel.Dispose();
        }

        foreach (var silo in Silos)
        {
            if (silo.Frozen)
            {
                silo.Resume();
            }

            silo.Kill();
            Everything.TryRemove(silo, out _);
        }

        if (_ownsDatabase)
        {
            try
            {
                await TestPostgres.DropDatabaseAsync(ConnectionString);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException)
            {
                // The server may already be gone at the end of the run; the database is disposable.
            }
        }
    }

    private sealed record Location(string Kind, string Key, string? Silo, int? SiloPort);
}
