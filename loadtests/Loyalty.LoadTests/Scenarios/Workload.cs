using Grpc.Core;
using Grpc.Net.Client;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.LoadTests.Load;

namespace Loyalty.LoadTests.Scenarios;

/// <summary>
/// One seeded program on one target: members with cards, the Zipf popularity of those members,
/// the POS clients the terminals use, and the current run's id and ledger of what the target acknowledged.
/// Seeding is reproducible from the seed and the shard: member ids, cards and names are functions of the index.
/// Coupon codes are the one exception: the target mints them (unguessable by design), so only their count is fixed.
/// </summary>
internal sealed class Workload : IDisposable
{
    private readonly GrpcChannel[] _channels;

    /// <summary>True while the ledger's starting balances are the ones enrollment answered and no run has used them.</summary>
    private bool _seeded;

    private Workload(RunOptions options, GrpcChannel[] channels, GrpcChannel adminChannel, string programId)
    {
        Options = options;
        _channels = [.. channels, adminChannel];
        ProgramId = programId;
        Address = options.ResolvedAddress;
        Target = options.Target;
        // The baseline (plain SQL) takes no credentials; the engine's admin API wants an operator token, and each
        // simulated terminal gets its own terminal credential on first use (EngineAccess).
        var engine = options.Target != "baseline";
        Admin = engine ? LoyaltyAdmin.Create(adminChannel, EngineAccess.OperatorToken(options.OperatorToken)) : new AdminService.AdminServiceClient(adminChannel);
        // Calls that name no till (enroll, identify, balance) go out as the shard's own desk: a second generator
        // registering the same till would revoke this one's credential.
        Terminals = engine ? new TerminalFleet(Admin, programId, DeskStore, DeskOf(options)) : null;

        // One channel per address (a cluster's silos, as deploy/cluster.sh addresses prints them),
        // shared by the three clients; each client fails over between them on its own.
        Pos = new PosClient(channels, programId, new PosClientOptions { MaxAttempts = 4, AttemptTimeout = TimeSpan.FromSeconds(10), Credentials = Terminals });
        // A terminal whose patience runs out after a millisecond or two: the call usually times out
        // client-side while the target goes on with it, exactly like a lost response.
        Impatient = new PosClient(channels, programId, new PosClientOptions
        {
            MaxAttempts = 1, AttemptTimeout = TimeSpan.FromMilliseconds(2), WriteRetryWindow = TimeSpan.Zero, Credentials = Terminals,
        });
        Patient = new PosClient(channels, programId, new PosClientOptions
        {
            MaxAttempts = 10, AttemptTimeout = TimeSpan.FromSeconds(30), InitialBackoff = TimeSpan.FromMilliseconds(200), Credentials = Terminals,
        });
        // Shard 0 keeps the ids of the runs before shards existed, so a program seeded then is seeded again, not doubled.
        var shard = options.Shard == 0 ? string.Empty : $"{options.Shard}.";
        Members = Enumerable.Range(0, options.Members).Select(i => $"m{shard}{i:D7}").ToArray();
        Cards = Enumerable.Range(0, options.Members).Select(i => $"card-{options.Seed}-{shard}{i:D7}").ToArray();
        Popularity = new ZipfSampler(options.Members, options.Zipf);
        Ledger = new Ledger();
    }

    public RunOptions Options { get; }

    public string ProgramId { get; }

    public string Address { get; }

    public string Target { get; }

    public PosClient Pos { get; }

    public PosClient Impatient { get; }

    public PosClient Patient { get; }

    /// <summary>The admin API (the engine's admin port with the operator token; the baseline's one port); no retries.</summary>
    public AdminService.AdminServiceClient Admin { get; }

    /// <summary>The simulated terminals' credentials (engine only), registered on first use.</summary>
    public TerminalFleet? Terminals { get; }

    public string[] Members { get; }

    public string[] Cards { get; }

    public ZipfSampler Popularity { get; }

    /// <summary>What the target acknowledged in the current run, from the members' balances at its start (<see cref="StartRunAsync"/>).</summary>
    public Ledger Ledger { get; private set; }

    /// <summary>The current run's id, in every transaction id it sends (<see cref="RunIds"/>); empty before the first run.</summary>
    public string RunId { get; private set; } = string.Empty;

    public TimeSpan SeedTime { get; private set; }

    /// <summary>
    /// Starts a run on this workload: its id, and a new ledger that starts from the members' balances now, so the
    /// run's checks judge this run only, whatever earlier runs (of this process or any other) did to the program.
    /// The first run after seeding starts from the balances enrollment answered a moment ago; a later one reads
    /// every member's balance. A replay (<paramref name="replay"/>: the run id was given, so the target may have
    /// sales with these ids already) also reads the target's clock, from the enrollment time of a marker member
    /// enrolled now: a sale or void the target stamped before it is the earlier run's, answered again, and moves no balance.
    /// </summary>
    public async Task StartRunAsync(string runId, bool replay, CancellationToken cancellationToken)
    {
        DateTimeOffset? replayedBefore = null;
        if (replay)
        {
            var marker = await Patient.EnrollAsync($"clock-{RunIds.New()}", cancellationToken: cancellationToken);
            replayedBefore = marker.EnrolledAt?.ToDateTimeOffset() ?? throw new InvalidOperationException("the target answered an enrollment without its time");
        }

        var ledger = new Ledger(replayedBefore);
        if (_seeded)
        {
            foreach (var (member, available) in Ledger.Initial)
            {
                ledger.SetInitial(member, available);
            }
        }
        else
        {
            await Parallel.ForEachAsync(
                Members,
                new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken },
                async (member, ct) => ledger.SetInitial(member, (await Patient.GetBalanceAsync(member, ct)).Balance?.Available ?? 0));
        }

        _seeded = false;
        RunId = runId;
        Ledger = ledger;
    }

    public static GrpcChannel Channel(string address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
        },
        MaxReceiveMessageSize = 8 * 1024 * 1024,
    });

    /// <summary>Defines the program and enrolls every member with a card (idempotent: re-seeding finds them).</summary>
    public static async Task<Workload> SeedAsync(RunOptions options, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var programId = options.Program ?? $"lt{options.Seed}-{DateTime.UtcNow:MMddHHmmss}-{Random.Shared.Next(0x1000, 0xFFFF):x4}";
        var workload = new Workload(options, PosClient.ParseAddresses(options.ResolvedAddress).Select(Channel).ToArray(), Channel(options.ResolvedAdminAddress), programId);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await workload.Admin.UpsertProgramAsync(
            new LoyaltyProgram
            {
                ProgramId = programId,
                Name = "Load test club",
                Currency = "EUR",
                EarnPoints = 1,
                EarnPerAmount = 100,
                ExpiryMonths = 0, // never expire: a run that crosses a month boundary still adds up
            },
            deadline: DateTime.UtcNow.AddSeconds(30),
            cancellationToken: cancellationToken);

        if (workload.Terminals is { } fleet)
        {
            // Every terminal the scenarios use (Scenario.TerminalOf), registered before anything is measured.
            var slots = Enumerable.Range(0, options.Stores * options.TerminalsPerStore).Select(slot => TerminalAt(options, slot));
            await fleet.RegisterAsync(slots, cancellationToken);
            log?.Invoke($"  registered {fleet.Count:N0} terminals (one credential each)");
        }

        var done = 0;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, options.Members),
            new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var member = await workload.Patient.EnrollAsync(workload.Members[i], workload.Cards[i], $"Member {i}", ct);
                workload.Ledger.SetInitial(workload.Members[i], member.Balance?.Available ?? 0);
                if (Interlocked.Increment(ref done) % 5_000 == 0)
                {
                    log?.Invoke($"  enrolled {done:N0} of {options.Members:N0} members");
                }
            });
        workload.SeedTime = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        workload._seeded = true;
        return workload;
    }

    /// <summary>Mints single-use coupons on the target (≤ 1,000 per admin call, two calls at a time).</summary>
    public async Task<List<string>> CreateCouponsAsync(int count, CouponTerms terms, CancellationToken cancellationToken)
    {
        const int PerCall = 1_000;
        var batches = Enumerable.Range(0, (count + PerCall - 1) / PerCall).Select(b => Math.Min(PerCall, count - (b * PerCall))).ToList();
        var codes = new List<string>[batches.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, batches.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = cancellationToken },
            async (b, ct) =>
            {
                var response = await Admin.CreateCouponsAsync(
                    new CreateCouponsRequest { ProgramId = ProgramId, Count = batches[b], Terms = terms },
                    deadline: DateTime.UtcNow.AddMinutes(2),
                    cancellationToken: ct);
                codes[b] = [.. response.Codes];
            });
        return codes.SelectMany(c => c).ToList();
    }

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }

    /// <summary>The store and terminal of a terminal slot (0 .. stores × terminals per store − 1); a shard's stores are its own.</summary>
    public static (string Store, string Terminal) TerminalAt(RunOptions options, int slot) =>
        ($"s{(options.Shard == 0 ? string.Empty : $"{options.Shard}.")}{slot / options.TerminalsPerStore:D3}", $"t{slot % options.TerminalsPerStore:D2}");

    /// <summary>The store of the till that calls naming none (enroll, identify, balance) go out as.</summary>
    public const string DeskStore = "store-1";

    /// <summary>That till's terminal: pos-1 for shard 0 (as before shards), pos-1.K for shard K.</summary>
    public static string DeskOf(RunOptions options) => options.Shard == 0 ? "pos-1" : $"pos-1.{options.Shard}";

    /// <summary>"STATUS/REASON" for error tables.</summary>
    public static string Key(RpcException failure) => $"{failure.StatusCode}/{failure.Reason() ?? "-"}";
}
