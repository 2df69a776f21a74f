using System.Diagnostics;

namespace Loyalty.Testing;

/// <summary>
/// A private PostgreSQL server driven through deploy/pg.sh (installed from Debian's packages if missing).
/// <paramref name="directory"/> is its LOYALTY_PG_DIR, null for pg.sh's default (&lt;checkout&gt;/.data/pg);
/// <paramref name="script"/> a copy of pg.sh elsewhere, by default this checkout's.
/// </summary>
public sealed class PgServer(string? directory, int port, string? script = null)
{
    private readonly string _script = script ?? Path.Combine(Repo.Root, "deploy", "pg.sh");
    private bool? _wasRunning;

    public int Port { get; } = port;

    /// <summary>Starts the server (initialising it on first use); returns a connection string to its postgres database.</summary>
    public async Task<string> StartAsync()
    {
        _wasRunning ??= await IsRunningAsync();
        var output = await RunAsync("start");
        return output.Trim().Split('\n')[^1].Trim();
    }

    /// <summary>Stops the server if this test run is the one that started it.</summary>
    public async Task StopIfStartedHereAsync()
    {
        if (_wasRunning == false)
        {
            await StopAsync();
        }
    }

    /// <summary>pg.sh status: whether the server is running.</summary>
    public async Task<bool> IsRunningAsync()
    {
        try
        {
            await RunAsync("status");
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Stops the server. <paramref name="immediate"/>: like a crash (no checkpoint, connections cut, WAL
    /// replayed at the next start) — what a power cut or an OOM kill does to the database.
    /// </summary>
    public Task StopAsync(bool immediate = false) => immediate ? RunAsync("stop", "--immediate") : RunAsync("stop");

    /// <summary>pg.sh psql with these arguments; returns what it printed.</summary>
    public Task<string> PsqlAsync(params string[] args) => RunAsync(["psql", .. args]);

    /// <summary>Where the server's data directory is (pg.sh datadir), wherever pg.sh decided to keep it.</summary>
    public async Task<string> DataDirectoryAsync() => (await RunAsync("datadir")).Trim();

    private async Task<string> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash", [_script, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (directory is null)
        {
            start.Environment.Remove("LOYALTY_PG_DIR");
        }
        else
        {
            start.Environment["LOYALTY_PG_DIR"] = directory;
        }

        start.Environment["LOYALTY_PG_PORT"] = Port.ToString();
        start.Environment["LOYALTY_PG_DB"] = "postgres";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not run {_script}");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg.sh {string.Join(' ', args)} failed ({process.ExitCode}): {await errors}");
        }

        return await output;
    }
}
