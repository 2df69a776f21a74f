using System.Diagnostics;

namespace Loyalty.Host.Tests.Infrastructure;

/// <summary>The engine as a real OS process (so it can be killed with SIGKILL), on loopback ports.</summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Grpc.Net.Client.GrpcChannel _channel;
    private readonly Grpc.Net.Client.GrpcChannel _adminChannel;

    private HostProcess(Process process, int grpcPort, int adminGrpcPort)
    {
        _process = process;
        Address = $"http://127.0.0.1:{grpcPort}";
        _channel = Grpc.Net.Client.GrpcChannel.ForAddress(Address);
        _adminChannel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{adminGrpcPort}");
        Admin = Loyalty.Client.LoyaltyAdmin.Create(_adminChannel, TestEngine.OperatorToken);
        var fleets = new System.Collections.Concurrent.ConcurrentDictionary<string, Loyalty.Client.TerminalFleet>();
        Pos = new Loyalty.Api.V1.PosService.PosServiceClient(Grpc.Core.Interceptors.ChannelExtensions.Intercept(
            _channel, new Loyalty.Client.TerminalCredentialsInterceptor(p => fleets.GetOrAdd(p, id => new Loyalty.Client.TerminalFleet(Admin, id)))));
    }

    public string Address { get; }

    /// <summary>The terminal API, each call with its terminal's credential (as <see cref="TestEngine.Pos"/>).</summary>
    public Loyalty.Api.V1.PosService.PosServiceClient Pos { get; }

    /// <summary>The admin API on the admin gRPC port, with the operator token.</summary>
    public Loyalty.Api.V1.AdminService.AdminServiceClient Admin { get; }

    public static async Task<HostProcess> StartAsync(string connectionString, string serviceId, int grpcPort, int siloPort)
    {
        var adminGrpcPort = FreePort();
        var start = new ProcessStartInfo("dotnet", [HostDll(), $"--Loyalty:GrpcPort={grpcPort}", $"--Loyalty:HealthPort={FreePort()}",
            $"--Loyalty:AdminGrpcPort={adminGrpcPort}", $"--Loyalty:Security:OperatorToken={TestEngine.OperatorToken}", $"--Loyalty:PersonalDataPepper={TestEngine.Pepper}", $"--Loyalty:PersonalDataKeys={TestEngine.PersonalDataKeys}",
            "--Loyalty:ListenAddress=127.0.0.1", $"--Loyalty:SiloPort={siloPort}",
            $"--Loyalty:ServiceId={serviceId}", "--Loyalty:ClusterId=kill-test", "--Logging:LogLevel:Default=Warning"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ConnectionStrings__Postgres"] = connectionString;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the host");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new HostProcess(process, grpcPort, adminGrpcPort);
        await host.WaitUntilServingAsync();
        return host;
    }

    /// <summary>SIGKILL: no shutdown, no flush — whatever was not durable is gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
        _channel.Dispose();
        _adminChannel.Dispose();
    }

    public static int FreePort() => TestEngine.FreePort();

    private async Task WaitUntilServingAsync()
    {
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(Address);
        var health = new Grpc.Health.V1.Health.HealthClient(channel);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the host exited with code {_process.ExitCode}");
            }

            try
            {
                var reply = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                if (reply.Status == Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (Grpc.Core.RpcException) when (DateTime.UtcNow < deadline)
            {
            }

            await Task.Delay(200);
        }
    }

    private static string HostDll()
    {
        // The host is a project reference of this test project, so its build output sits next to ours.
        var candidates = Directory.GetFiles(Path.Combine(TestPostgres.RepoRoot, "src", "Loyalty.Host", "bin"), "Loyalty.Host.dll", SearchOption.AllDirectories);
        return candidates.OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            ?? throw new InvalidOperationException("build src/Loyalty.Host first");
    }
}
