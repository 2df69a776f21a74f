using System.Net.Sockets;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// Issue #27, finding 12 (800 idle unauthenticated HTTP/2 connections held open): each port has a cap on open
/// connections (Loyalty:Limits). With a cap of 2 on the terminal port, a terminal's channel and an idle socket fill it;
/// the next connection is closed as it arrives and its call fails, while the first channel keeps working; once the
/// idle socket goes, a new connection is served.
/// </summary>
public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task Connections_beyond_the_ports_limit_are_closed_while_the_first_ones_keep_working()
    {
        await using var engine = await TestEngine.StartAsync(null, "limit-" + Guid.NewGuid().ToString("N")[..8], extra: new Dictionary<string, string?>
        {
            ["Loyalty:Limits:TerminalConnections"] = "2",
        });
        await engine.Admin.UpsertProgramAsync(new LoyaltyProgram { ProgramId = "limit", Name = "Limit", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1 });
        var port = new Uri(engine.Address).Port;

        using var first = Grpc.Net.Client.GrpcChannel.ForAddress(engine.Address);
        await EnrollAsync(first, "m1"); // connection 1
        using var idle = new TcpClient();
        await idle.ConnectAsync("127.0.0.1", port); // connection 2: idle, unauthenticated
        await Task.Delay(300);

        using var beyond = new TcpClient();
        await beyond.ConnectAsync("127.0.0.1", port);
        var read = beyond.GetStream().ReadAsync(new byte[16]).AsTask();
        Assert.Same(read, await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(5)))); // closed at once, not held
        Assert.True(await read.ContinueWith(r => r.IsFaulted || r.Result == 0), "the third connection was closed");

        using var refused = Grpc.Net.Client.GrpcChannel.ForAddress(engine.Address);
        var failure = await Assert.ThrowsAsync<RpcException>(() => EnrollAsync(refused, "m2"));
        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);

        await EnrollAsync(first, "m3"); // the first connection still works

        idle.Dispose();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        using var later = Grpc.Net.Client.GrpcChannel.ForAddress(engine.Address);
        while (true)
        {
            try
            {
                await EnrollAsync(later, "m4");
                break;
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200); // the server notices the closed socket
            }
        }
    }

    private static async Task EnrollAsync(Grpc.Net.Client.GrpcChannel channel, string member)
    {
        var pos = new PosService.PosServiceClient(channel.Intercept(LoyaltyAdmin.WithBearer(TestEngine.OperatorToken)));
        await pos.EnrollAsync(new EnrollRequest { ProgramId = "limit", MemberId = member }, deadline: DateTime.UtcNow.AddSeconds(10));
    }
}
