using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Rpc;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// Issue #28: a fresh engine driven past its capacity keeps committing; the excess is refused at once with a retry
/// hint and changes nothing; nothing acknowledged is lost. The silo's admission limits are made small
/// (4 calls at once, 16 waiting, 50 ms wait) so that 48 tills on loopback are far past them on any machine.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class OverloadTests(EngineFixture fixture)
{
    private const int Tills = 48;
    private static readonly TimeSpan LoadFor = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task A_fresh_engine_past_its_capacity_commits_every_second_and_refuses_the_excess_with_a_retry_hint()
    {
        await using var engine = await TestEngine.StartAsync(fixture.ConnectionString, "overload-" + Guid.NewGuid().ToString("N")[..8], extra: new Dictionary<string, string?>
        {
            ["Loyalty:Admission:MaxInFlight"] = "4",
            ["Loyalty:Admission:MaxQueued"] = "16",
            ["Loyalty:Admission:MaxQueueWaitMilliseconds"] = "50",
            ["Loyalty:Admission:RetryAfterMilliseconds"] = "100",
        });
        var program = "p-" + Guid.NewGuid().ToString("N")[..8];
        await engine.Admin.UpsertProgramAsync(new LoyaltyProgram { ProgramId = program, Name = "x", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 3 });
        var members = Enumerable.Range(0, 100).Select(i => $"m{i}").ToArray();
        foreach (var chunk in members.Chunk(4))
        {
            await Task.WhenAll(chunk.Select(m => engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = m, Name = "Load" }).ResponseAsync));
        }

        // 48 tills commit new sales for 6 s; a refused till waits for the hint, then rings up its next sale.
        var acknowledged = new ConcurrentDictionary<string, long>(); // member → points acknowledged
        var committedPerSecond = new int[(int)LoadFor.TotalSeconds + 2];
        var refusals = new ConcurrentBag<(TimeSpan Took, string? Reason, TimeSpan? Hint, string? Pushback)>();
        var otherFailures = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Tills).Select(till => Task.Run(async () =>
        {
            for (var sale = 0; clock.Elapsed < LoadFor; sale++)
            {
                var member = members[Random.Shared.Next(members.Length)];
                var started = clock.Elapsed;
                try
                {
                    var reply = await engine.Pos.CommitAsync(Sales.Commit(program, member, $"t{till}-{sale}"), deadline: DateTime.UtcNow.AddSeconds(5));
                    acknowledged.AddOrUpdate(member, reply.PointsEarned, (_, points) => points + reply.PointsEarned);
                    Interlocked.Increment(ref committedPerSecond[(int)clock.Elapsed.TotalSeconds]);
                }
                catch (RpcException refused) when (refused.StatusCode == StatusCode.Unavailable)
                {
                    var hint = refused.GetRpcStatus()?.GetDetail<RetryInfo>()?.RetryDelay?.ToTimeSpan();
                    refusals.Add((clock.Elapsed - started, refused.Reason(), hint, refused.Trailers.GetValue("grpc-retry-pushback-ms")));
                    await Task.Delay(hint ?? TimeSpan.FromMilliseconds(100));
                }
                catch (RpcException failure)
                {
                    otherFailures.Add($"{failure.StatusCode} {failure.Reason()}");
                }
            }
        })));

        // Past capacity: calls were refused, each at once, as ENGINE_OVERLOADED with the configured hint.
        Assert.Empty(otherFailures);
        Assert.True(refusals.Count >= Tills, $"only {refusals.Count} refusals: the load did not pass the admission limit");
        Assert.All(refusals, r => Assert.Equal(("ENGINE_OVERLOADED", TimeSpan.FromMilliseconds(100), "100"), (r.Reason, r.Hint, r.Pushback)));
        var slowest = refusals.Max(r => r.Took);
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"a refusal took {slowest.TotalMilliseconds:F0} ms");

        // No collapse: sales were acknowledged in every second of the load.
        var seconds = committedPerSecond.Take((int)LoadFor.TotalSeconds).ToArray();
        Assert.True(seconds.All(n => n > 0), "commits per second: " + string.Join(", ", seconds));

        // Nothing acknowledged was lost, and nothing refused was applied: every balance is what its acknowledged sales earned.
        foreach (var member in members)
        {
            var balance = await engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member });
            Assert.Equal(acknowledged.GetValueOrDefault(member), balance.Balance.Available);
        }
    }
}
