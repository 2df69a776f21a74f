using System.Diagnostics;

namespace Loyalty.Cluster.Tests.Infrastructure;

/// <summary>
/// One silo as a separate OS process: <c>dotnet Loyalty.Host.dll</c> configured by environment
/// variables, its output appended to a log file. The process id is the dotnet process itself, so
/// SIGKILL, SIGSTOP and SIGCONT hit the silo and nothing else.
/// </summary>
public sealed class SiloProcess
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private Process? _process;
    private int _starts;

    public SiloProcess(string name, IReadOnlyDictionary<string, string> settings, string logDirectory)
    {
        Name = name;
        Settings = new Dictionary<string, string>(settings)
        {
            ["Loyalty__SiloName"] = name,
            ["Loyalty__GrpcPort"] = TestPorts.Free().ToString(),
            ["Loyalty__HealthPort"] = TestPorts.Free().ToString(),
            ["Loyalty__AdminGrpcPort"] = TestPorts.Free().ToString(),
            ["Loyalty__SiloPort"] = TestPorts.Free().ToString(),
        };
        LogDirectory = logDirectory;
    }

    public string Name { get; }

    /// <summary>Environment of the process: settings shared by the cluster plus this silo's name and ports.</summary>
    public Dictionary<string, string> Settings { get; }

    public string LogDirectory { get; }

    public int GrpcPort => int.Parse(Settings["Loyalty__GrpcPort"]);

    public int HealthPort => int.Parse(Settings["Loyalty__HealthPort"]);

    public int SiloPort => int.Parse(Settings["Loyalty__SiloPort"]);

    public string GrpcAddress => $"http://127.0.0.1:{GrpcPort}";

    public string AdminAddress => $"http://127.0.0.1:{HealthPort}";

    /// <summary>The admin API over gRPC (HTTP/2).</summary>
    public string AdminGrpcAddress => $"http://127.0.0.1:{Settings["Loyalty__AdminGrpcPort"]}";

    public string LogFile => Path.Combine(LogDirectory, $"{Name}-{_starts}.log");

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public bool IsRunning => _process is { HasExited: false };

    public bool Frozen { get; private set; }

    /// <summary>Starts the process (again, after a kill: same name and ports, a new Orleans generation).</summary>
    public void Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running");
        }

        _starts++;
        Directory.CreateDirectory(LogDirectory);
        var start = new ProcessStartInfo("bash", ["-c", "exec dotnet \"$0\" >>\"$1\" 2>&1", Paths.HostDll, LogFile])
        {
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Paths.HostDll)!,
        };
        foreach (var (key, value) in Settings)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Name}");
        Frozen = false;
    }

    /// <summary>Waits until /health/ready answers 200 (the silo is an active member and serves gRPC).</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (!IsRunning)
            {
                throw new InvalidOperationException($"{Name} exited during startup:\n{Tail()}");
            }

            try
            {
                using var response = await Http.GetAsync($"{AdminAddress}/health/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{Name} not ready after {timeout}:\n{Tail()}");
    }

    /// <summary>SIGKILL: the process vanishes mid-flight, as in a machine or OOM kill.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit(10_000);
        }

        Frozen = false;
    }

    /// <summary>SIGSTOP: the process stops dead without knowing (a long GC pause, a frozen VM); its sockets stay open.</summary>
    public void Freeze()
    {
        Signal("STOP");
        Frozen = true;
    }

    /// <summary>SIGCONT after <see cref="Freeze"/>: the process carries on where it stopped — a zombie if the cluster moved on.</summary>
    public void Resume()
    {
        Signal("CONT");
        Frozen = false;
    }

    /// <summary>Graceful stop (SIGTERM), then SIGKILL if it takes too long.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        if (Frozen)
        {
            Resume();
        }

        Signal("TERM");
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    /// <summary>The last lines of the current log.</summary>
    public string Tail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>The whole log of every start of this silo.</summary>
    public string AllLogs() => string.Join('\n', Directory.GetFiles(LogDirectory, $"{Name}-*.log").Order().Select(f =>
    {
        using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }));

    private void Signal(string signal)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString()]) ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit();
    }
}
