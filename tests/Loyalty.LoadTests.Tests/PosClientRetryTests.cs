using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loyalty.LoadTests.Tests;

/// <summary>
/// The SDK's retry policy for side-effect-free calls, against a tiny fake engine on loopback that
/// answers UNAVAILABLE (ENGINE_UNAVAILABLE, as a silo does while the cluster has not yet noticed a
/// dead peer) for a while, then answers normally.
/// </summary>
public sealed class PosClientRetryTests
{
    // Few, quick attempts: used up in well under a second, while the outage lasts 1.5 s.
    private static PosClientOptions Quick() => new()
    {
        MaxAttempts = 3,
        AttemptTimeout = TimeSpan.FromSeconds(2),
        InitialBackoff = TimeSpan.FromMilliseconds(50),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
    };

    [Fact]
    public async Task Reads_and_commits_retry_through_an_outage_that_outlasts_the_attempts()
    {
        // Issue #29: a 15 s database outage failed 427 sales because writes stopped at their attempts; a commit is
        // idempotent by its transaction id, so it rides through the window as a read does.
        await using var engine = await FakeEngine.StartAsync(unavailableFor: TimeSpan.FromSeconds(1.5));
        using var pos = PosClient.Connect(engine.Address, "club", Quick());

        var identify = pos.IdentifyByMemberAsync("m1");
        var balance = pos.GetBalanceAsync("m1");
        var quote = pos.QuoteAsync(new QuoteRequest { MemberId = "m1" });
        var commit = pos.CommitAsync(new CommitRequest { MemberId = "m1", TransactionId = "t1" });

        Assert.Equal("m1", (await identify).MemberId);
        Assert.Equal(7, (await balance).Balance.Available);
        Assert.Equal(3, (await quote).PointsToEarn);
        Assert.Equal("t1", (await commit).TransactionId);
        Assert.True(engine.Calls("Commit") > 3, $"the commit was tried {engine.Calls("Commit")} times");
        Assert.True(engine.Calls("Identify") > 3, $"identify was tried {engine.Calls("Identify")} times");
    }

    [Fact]
    public async Task A_commit_without_a_write_window_stops_at_its_attempts()
    {
        await using var engine = await FakeEngine.StartAsync(unavailableFor: TimeSpan.FromSeconds(1.5));
        var options = Quick();
        options.WriteRetryWindow = TimeSpan.Zero;
        using var pos = PosClient.Connect(engine.Address, "club", options);

        // The terminal settles an unanswered sale later itself, with the same id.
        var refused = await Assert.ThrowsAsync<RpcException>(() => pos.CommitAsync(new CommitRequest { MemberId = "m1", TransactionId = "t1" }));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Equal(3, engine.Calls("Commit"));
    }

    [Fact]
    public async Task Terminals_of_one_client_spread_over_the_silos_and_a_frozen_one_costs_each_call_at_most_one_attempt()
    {
        // A frozen silo (SIGSTOP) accepts the call and never answers. 40 terminals share one client over two addresses.
        await using var frozen = await FakeEngine.StartAsync(unavailableFor: TimeSpan.Zero, hangs: true);
        await using var healthy = await FakeEngine.StartAsync(unavailableFor: TimeSpan.Zero);
        var options = Quick();
        options.AttemptTimeout = TimeSpan.FromMilliseconds(500);
        options.FailoverCooldown = TimeSpan.FromMilliseconds(100); // shorter than an attempt: the client must hold it to the attempt timeout
        using var pos = PosClient.Connect([frozen.Address, healthy.Address], "club", options);
        var terminals = Enumerable.Range(0, 40).Select(i => $"pos-{i}").ToArray();

        // The first sale of each terminal at once: about half start at the frozen silo, and each of those waits one attempt.
        var clock = Stopwatch.StartNew();
        var sales = await Task.WhenAll(terminals.Select(async t =>
        {
            var started = clock.Elapsed;
            await pos.CommitAsync(new CommitRequest { MemberId = "m1", StoreId = "store-1", TerminalId = t, TransactionId = t + "-1" });
            return clock.Elapsed - started;
        }));
        var firstAttempts = frozen.Calls("Commit");
        Assert.InRange(firstAttempts, 8, 32); // spread: neither all nor none started at the frozen silo
        Assert.All(sales, took => Assert.True(took < TimeSpan.FromSeconds(1.5), $"a sale took {took.TotalMilliseconds:F0} ms"));

        // Within the attempt timeout after that, no call goes back to the frozen silo, whatever terminal makes it.
        foreach (var t in terminals)
        {
            await pos.CommitAsync(new CommitRequest { MemberId = "m1", StoreId = "store-1", TerminalId = t, TransactionId = t + "-2" });
        }

        Assert.Equal(firstAttempts, frozen.Calls("Commit"));
        Assert.Equal(80, healthy.Calls("Commit"));
    }

    [Fact]
    public async Task An_overloaded_engines_retry_hint_spaces_the_attempts_so_a_commit_outlasts_the_overload()
    {
        // Refused for 0.5 s with a 400 ms hint; the client's own back-off alone (10–20 ms) would use up its 4 attempts
        // in well under 0.1 s and fail the sale.
        await using var engine = await FakeEngine.StartAsync(unavailableFor: TimeSpan.FromMilliseconds(500), retryAfter: TimeSpan.FromMilliseconds(400));
        using var pos = PosClient.Connect(engine.Address, "club", new PosClientOptions
        {
            MaxAttempts = 4, AttemptTimeout = TimeSpan.FromSeconds(2), InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(20),
        });

        Assert.Equal("t1", (await pos.CommitAsync(new CommitRequest { MemberId = "m1", TransactionId = "t1" })).TransactionId);
        var arrivals = engine.Arrivals("Commit");
        Assert.InRange(arrivals.Length, 2, 3);
        Assert.All(arrivals.Zip(arrivals.Skip(1)), gap => Assert.True(gap.Second - gap.First >= TimeSpan.FromMilliseconds(390), $"attempts {gap.First.TotalMilliseconds:F0} and {gap.Second.TotalMilliseconds:F0} ms apart"));
    }

    [Fact]
    public async Task A_read_fails_over_to_the_next_address_when_one_engine_keeps_answering_unavailable()
    {
        await using var sick = await FakeEngine.StartAsync(unavailableFor: TimeSpan.FromHours(1));
        await using var healthy = await FakeEngine.StartAsync(unavailableFor: TimeSpan.Zero);
        var options = Quick();
        options.MaxAttempts = 1;

        // Each terminal starts at a random address: ten of them, so some start at the sick one.
        for (var i = 0; i < 10; i++)
        {
            using var pos = PosClient.Connect([sick.Address, healthy.Address], "club", options);
            Assert.Equal("m1", (await pos.IdentifyByMemberAsync("m1")).MemberId);
        }

        Assert.True(healthy.Calls("Identify") == 10, $"the healthy engine answered {healthy.Calls("Identify")} of 10");
    }

    [Fact]
    public async Task A_read_gives_up_once_its_retry_window_is_over()
    {
        await using var engine = await FakeEngine.StartAsync(unavailableFor: TimeSpan.FromHours(1));
        var options = Quick();
        options.MaxAttempts = 2;
        options.ReadRetryWindow = TimeSpan.FromSeconds(3);
        using var pos = PosClient.Connect(engine.Address, "club", options);

        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<RpcException>(() => pos.IdentifyByMemberAsync("m1"));

        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(10));

        // A read retries for its window, not for MaxAttempts. The window is wide enough that a busy machine (a CI run
        // with silos starting beside it held only 3 attempts in 1 s) still makes more than MaxAttempts calls.
        Assert.True(engine.Calls("Identify") > options.MaxAttempts, $"{engine.Calls("Identify")} attempts");
    }

    /// <summary>
    /// Speaks just enough gRPC over HTTP/2 cleartext: UNAVAILABLE with an ErrorInfo reason (in
    /// grpc-status-details-bin, as the engine sends it) from its first call until the outage is
    /// over, then canned answers.
    /// </summary>
    private sealed class FakeEngine : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
        private readonly TimeSpan _outage;
        private readonly TimeSpan? _retryAfter;
        private readonly bool _hangs;
        private readonly ConcurrentQueue<(string Method, long At)> _log = new();
        private long _firstCall;

        private FakeEngine(TimeSpan unavailableFor, TimeSpan? retryAfter, bool hangs)
        {
            _outage = unavailableFor;
            _retryAfter = retryAfter;
            _hangs = hangs;
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
            _app = builder.Build();
            _app.MapPost("/loyalty.v1.PosService/{method}", (Func<HttpContext, string, Task>)AnswerAsync);
        }

        public string Address { get; private set; } = string.Empty;

        /// <param name="retryAfter">With a value, the outage answers as an overloaded silo does: ENGINE_OVERLOADED with this retry hint.</param>
        /// <param name="hangs">A frozen silo: every call is taken and never answered (until the caller gives up).</param>
        public static async Task<FakeEngine> StartAsync(TimeSpan unavailableFor, TimeSpan? retryAfter = null, bool hangs = false)
        {
            var engine = new FakeEngine(unavailableFor, retryAfter, hangs);
            await engine._app.StartAsync();
            engine.Address = engine._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            return engine;
        }

        public int Calls(string method) => _calls.GetValueOrDefault(method);

        /// <summary>When each call of <paramref name="method"/> arrived, from the first call of any.</summary>
        public TimeSpan[] Arrivals(string method) =>
            [.. _log.Where(c => c.Method == method).Select(c => Stopwatch.GetElapsedTime(Interlocked.Read(ref _firstCall), c.At))];

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private async Task AnswerAsync(HttpContext context, string method)
        {
            _calls.AddOrUpdate(method, 1, (_, n) => n + 1);
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Response.ContentType = "application/grpc";
            Interlocked.CompareExchange(ref _firstCall, Stopwatch.GetTimestamp(), 0);
            _log.Enqueue((method, Stopwatch.GetTimestamp()));
            if (_hangs)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            if (Stopwatch.GetElapsedTime(Interlocked.Read(ref _firstCall)) < _outage)
            {
                var status = new Google.Rpc.Status
                {
                    Code = (int)Code.Unavailable,
                    Message = "the engine could not complete the call; retry with the same transaction id",
                    Details = { Any.Pack(new ErrorInfo { Reason = _retryAfter is null ? "ENGINE_UNAVAILABLE" : "ENGINE_OVERLOADED", Domain = "loyalty.v1" }) },
                };
                if (_retryAfter is { } hint)
                {
                    status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(hint) }));
                }

                await context.Response.StartAsync();
                context.Response.AppendTrailer("grpc-status", ((int)StatusCode.Unavailable).ToString(System.Globalization.CultureInfo.InvariantCulture));
                context.Response.AppendTrailer("grpc-message", status.Message);
                context.Response.AppendTrailer("grpc-status-details-bin", Convert.ToBase64String(status.ToByteArray()));
                return;
            }

            IMessage answer = method switch
            {
                "Identify" => new MemberResponse { MemberId = "m1" },
                "GetBalance" => new BalanceResponse { Balance = new Balance { Available = 7 } },
                "Quote" => new QuoteResponse { PointsToEarn = 3 },
                "Commit" => new CommitResponse { TransactionId = "t1" },
                _ => new Empty(),
            };
            var payload = answer.ToByteArray();
            var frame = new byte[5 + payload.Length];
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
            payload.CopyTo(frame, 5);
            await context.Response.Body.WriteAsync(frame);
            context.Response.AppendTrailer("grpc-status", "0");
        }
    }
}
