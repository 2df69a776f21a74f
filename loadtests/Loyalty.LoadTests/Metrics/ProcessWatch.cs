using System.Globalization;

namespace Loyalty.LoadTests.Metrics;

/// <summary>A process to watch during a run: its pid, and whether its child processes count too (PostgreSQL backends).</summary>
internal sealed record WatchedProcess(string Name, int Pid, bool WithChildren)
{
    /// <summary>Parses <c>name=pid</c>, or <c>name=pid+</c> to include the process's children.</summary>
    public static WatchedProcess Parse(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new UsageException($"--watch expects name=pid or name=pid+, got '{text}'");
        }

        var pidText = text[(eq + 1)..];
        var children = pidText.EndsWith('+');
        return int.TryParse(children ? pidText[..^1] : pidText, CultureInfo.InvariantCulture, out var pid)
            ? new WatchedProcess(text[..eq], pid, children)
            : throw new UsageException($"--watch expects name=pid or name=pid+, got '{text}'");
    }
}

/// <summary>One reading of a watched process: resident memory and CPU use over the last interval (100% = one core).</summary>
internal sealed record ProcessSample(double Second, double RssMb, double CpuPercent);

internal sealed record ProcessTimeline(string Name, int Pid, List<ProcessSample> Samples)
{
    public double MaxRssMb => Samples.Count == 0 ? 0 : Samples.Max(s => s.RssMb);

    public double FirstRssMb => Samples.Count == 0 ? 0 : Samples[0].RssMb;

    public double LastRssMb => Samples.Count == 0 ? 0 : Samples[^1].RssMb;

    /// <summary>Mean CPU over the samples (100% = one core busy).</summary>
    public double MeanCpuPercent => Samples.Count <= 1 ? 0 : Samples.Skip(1).Average(s => s.CpuPercent);
}

/// <summary>
/// Reads /proc once a second: RSS and CPU time of the engine, the baseline, PostgreSQL (with its
/// backends) and the generator itself, so a report shows where the machine's two cores went.
/// Linux only; elsewhere it records nothing.
/// </summary>
internal sealed class ProcessWatch
{
    private const double ClockTicksPerSecond = 100.0; // USER_HZ on Linux
    private readonly List<(WatchedProcess Process, ProcessTimeline Timeline)> _watched;
    private readonly Dictionary<int, double> _lastCpuSeconds = [];
    private double _lastSecond;
    private double _lastBusy = -1;
    private double _lastTotal;

    public ProcessWatch(IEnumerable<WatchedProcess> processes)
    {
        _watched = processes.Select(p => (p, new ProcessTimeline(p.Name, p.Pid, []))).ToList();
    }

    public IReadOnlyList<ProcessTimeline> Timelines => Machine.Samples.Count > 0
        ? [.. _watched.Select(w => w.Timeline), Machine]
        : _watched.Select(w => w.Timeline).ToList();

    public static bool Supported => Directory.Exists("/proc/self");

    /// <summary>The whole machine (all processes, ours or not), from /proc/stat: shows when something else competed for the cores.</summary>
    public ProcessTimeline Machine { get; } = new("machine (all processes)", 0, []);

    public void Sample(double second)
    {
        if (!Supported || _watched.Count == 0)
        {
            return;
        }

        var interval = second - _lastSecond;
        _lastSecond = second;
        SampleMachine(second, interval);
        Dictionary<int, List<int>>? children = null;
        foreach (var (process, timeline) in _watched)
        {
            var pids = new List<int> { process.Pid };
            if (process.WithChildren)
            {
                children ??= ChildrenByParent();
                Collect(process.Pid, children, pids);
            }

            // A group's shared memory (PostgreSQL's buffers) and its file-backed pages (the same binary and
            // libraries in every backend) count once: the largest of the group; private memory adds up.
            double anonKb = 0, fileKb = 0, sharedKb = 0, cpu = 0;
            var alive = false;
            foreach (var pid in pids)
            {
                if (Read(pid) is { } reading)
                {
                    alive = true;
                    anonKb += reading.AnonKb;
                    fileKb = Math.Max(fileKb, reading.FileKb);
                    sharedKb = Math.Max(sharedKb, reading.SharedKb);
                    cpu += reading.CpuSeconds;
                }
            }

            var rssKb = anonKb + fileKb + sharedKb;

            if (!alive)
            {
                continue;
            }

            var cpuPercent = _lastCpuSeconds.TryGetValue(process.Pid, out var previous) && interval > 0
                ? Math.Max(0, (cpu - previous) / interval * 100)
                : 0;
            _lastCpuSeconds[process.Pid] = cpu;
            timeline.Samples.Add(new ProcessSample(Math.Round(second, 2), Math.Round(rssKb / 1024, 1), Math.Round(cpuPercent, 1)));
        }
    }

    /// <summary>Resident memory of one process in MB, or null when it cannot be read.</summary>
    public static double? RssMb(int pid) => Read(pid) is { } r ? (r.AnonKb + r.FileKb + r.SharedKb) / 1024 : null;

    /// <summary>Load average over the last minute (runnable processes; above the core count means contention).</summary>
    public static double? LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private void SampleMachine(double second, double interval)
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);
            var total = fields.Take(8).Sum();
            if (_lastBusy >= 0 && total > _lastTotal && interval > 0)
            {
                var busyShare = (total - idle - _lastBusy) / (total - _lastTotal);
                Machine.Samples.Add(new ProcessSample(Math.Round(second, 2), 0, Math.Round(busyShare * Environment.ProcessorCount * 100, 1)));
            }

            _lastBusy = total - idle;
            _lastTotal = total;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // not Linux
        }
    }

    /// <summary>
    /// Resident memory by kind (anonymous, file-backed, shared) and CPU seconds, from /proc/&lt;pid&gt;/status and
    /// /proc/&lt;pid&gt;/stat. Not smaps_rollup (PSS): the kernel walks every page table entry of the process to
    /// answer it, which for PostgreSQL's backends, each mapping the shared buffers, cost the generator a
    /// quarter of a core at one reading a second — CPU taken from the targets it measures (docs/performance.md).
    /// </summary>
    private static (double AnonKb, double FileKb, double SharedKb, double CpuSeconds)? Read(int pid)
    {
        try
        {
            double anon = 0, file = 0, shared = 0, rss = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kb(line);
                }
                else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                {
                    anon = Kb(line);
                }
                else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
                {
                    file = Kb(line);
                }
                else if (line.StartsWith("RssShmem:", StringComparison.Ordinal))
                {
                    shared = Kb(line);
                }
            }

            if (anon + file + shared == 0)
            {
                anon = rss; // a kernel without the split
            }

            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After "pid (comm) ": state=0, ..., utime=11, stime=12 (fields 14 and 15 of proc(5)).
            var ticks = double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
            return (anon, file, shared, ticks / ClockTicksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }

        static double Kb(string line) => double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    private static Dictionary<int, List<int>> ChildrenByParent()
    {
        var map = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (!map.TryGetValue(parent, out var list))
                {
                    map[parent] = list = [];
                }

                list.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // the process ended while we looked
            }
        }

        return map;
    }

    private static void Collect(int pid, Dictionary<int, List<int>> children, List<int> into)
    {
        if (!children.TryGetValue(pid, out var list))
        {
            return;
        }

        foreach (var child in list)
        {
            into.Add(child);
            Collect(child, children, into);
        }
    }
}
