using System.Globalization;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Loyalty.LoadTests.Metrics;
using Loyalty.LoadTests.Reporting;
using Loyalty.LoadTests.Scenarios;

namespace Loyalty.LoadTests;

/// <summary>The command-line verbs: run one scenario, compare engine and baseline, the bench suite.</summary>
internal static class Commands
{
    public static async Task<int> RunAsync(string scenario, List<string> args)
    {
        var options = RunOptions.Parse(args, Defaults(scenario));
        options.Scenario = scenario;
        using var cancel = CancelOnCtrlC();
        try
        {
            using var workload = await SeedAsync(options, cancel.Token);
            var report = await Runner.RunAsync(workload, options, CommandLine(), Log, cancel.Token);
            var dir = await ReportWriter.WriteAsync(report, Runner.RunDirectory(options));
            return Runner.Verdict(report, dir);
        }
        catch (RpcException unreachable) when (unreachable.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            Console.Error.WriteLine($"error: the {options.Target} at {options.ResolvedAddress} did not answer ({unreachable.Status.Detail})");
            return 4;
        }
    }

    public static async Task<int> CompareAsync(string scenario, List<string> args)
    {
        var engineAddress = Take(args, "--engine-address") ?? RunOptions.EngineAddress;
        var baselineAddress = Take(args, "--baseline-address") ?? RunOptions.BaselineAddress;
        var options = RunOptions.Parse(args, Defaults(scenario));
        options.Scenario = scenario;
        var dir = Path.Combine(options.Out, $"{DateTime.Now:yyyyMMdd-HHmmss}-compare-{scenario}");
        using var cancel = CancelOnCtrlC();
        var reports = new List<RunReport>();
        foreach (var (target, address) in new[] { ("engine", engineAddress), ("baseline", baselineAddress) })
        {
            var run = options.Clone(o =>
            {
                o.Target = target;
                o.Address = address;
            });
            using var workload = await SeedAsync(run, cancel.Token);
            var report = await Runner.RunAsync(workload, run, CommandLine(), Log, cancel.Token);
            await ReportWriter.WriteAsync(report, Path.Combine(dir, target));
            reports.Add(report);
        }

        var comparison = new Comparison(scenario, reports[0].Description, reports[0], reports[1]);
        await WriteComparisonAsync([comparison], dir, "compare", $"{scenario}: engine vs baseline", CommandLine(), []);
        Console.WriteLine();
        Console.WriteLine(ComparisonTable([comparison]));
        Console.WriteLine($"report: {dir}/compare.md");
        return Worst(reports.Select(r => Runner.Verdict(r, Path.Combine(dir, r.Target))));
    }

    /// <summary>
    /// The standard suite, sized for a 2-core machine: for engine and baseline in turn, checkout
    /// (closed model for capacity, then open model at one common rate for latency at equal load),
    /// accrual (the same two), reads (closed) and a flash sale. deploy/bench.sh starts the processes.
    /// </summary>
    public static async Task<int> BenchAsync(List<string> args)
    {
        var engineAddress = Take(args, "--engine-address") ?? RunOptions.EngineAddress;
        var baselineAddress = Take(args, "--baseline-address") ?? RunOptions.BaselineAddress;
        var seconds = RunOptions.Seconds(Take(args, "--seconds") ?? "15");
        var warmUp = RunOptions.Seconds(Take(args, "--warmup") ?? "30");
        var enginePid = Take(args, "--engine-pid") is { } ep
            ? int.TryParse(ep, CultureInfo.InvariantCulture, out var given) ? given : throw new UsageException("--engine-pid is a process id")
            : (int?)null;
        // The cold run (issue #28): checkout at an ordinary rate from the first second a fresh target is ready.
        var coldRate = Take(args, "--cold-rate") is { } cr
            ? double.TryParse(cr, CultureInfo.InvariantCulture, out var rate) && rate >= 0 ? rate : throw new UsageException("--cold-rate is arrivals per second (0: no cold run)")
            : 800;
        var coldLength = RunOptions.Seconds(Take(args, "--cold-seconds") ?? "60");
        var options = RunOptions.Parse(args, new RunOptions { Terminals = 64, RampUp = TimeSpan.FromSeconds(3), Members = 5_000, Budget = 3_000, Live = false });
        options.Duration = seconds + options.RampUp;
        if (options.RunId is not null)
        {
            // Every run of the suite needs ids of its own; one given id would have the second run replay the first.
            throw new UsageException("bench makes many runs, each with a fresh run id: replay one of them with <scenario> --run-id ID");
        }

        var dir = Path.Combine(options.Out, $"bench-{DateTime.Now:yyyyMMdd-HHmmss}");
        using var cancel = CancelOnCtrlC();
        var token = cancel.Token;
        var notes = new List<string>();
        var loadAtStart = ProcessWatch.LoadAverage();
        var all = new List<RunReport>();
        var targets = new[] { ("engine", engineAddress), ("baseline", baselineAddress) };
        var workloads = new Dictionary<string, Workload>();
        var comparisons = new List<Comparison>();
        try
        {
            // First, while both targets are as fresh as deploy/bench.sh started them: each one's cold run, on a program
            // of its own (seeded as the suite's are), before anything else has warmed it.
            if (coldRate > 0)
            {
                var pair = new List<RunReport>();
                foreach (var (target, address) in targets)
                {
                    var run = options.Clone(o =>
                    {
                        (o.Target, o.Address, o.Scenario, o.Model, o.Rate) = (target, address, "checkout", LoadModel.Open, coldRate);
                        (o.RampUp, o.Duration) = (TimeSpan.FromSeconds(2), coldLength + TimeSpan.FromSeconds(2));
                    });
                    using var coldWorkload = await SeedAsync(run, token);
                    var report = await Runner.RunAsync(coldWorkload, run, CommandLine(), Log, token);
                    var runDir = Path.Combine(dir, $"checkout-cold-{target}");
                    await ReportWriter.WriteAsync(report, runDir);
                    Runner.Verdict(report, runDir);
                    pair.Add(report);
                    all.Add(report);
                    notes.Add(ColdTimeline(target, report));
                }

                comparisons.Add(new Comparison("checkout, cold", pair[0].Description, pair[0], pair[1]));
            }

            foreach (var (target, address) in targets)
            {
                var rssBefore = target == "engine" && enginePid is { } pid ? ProcessWatch.RssMb(pid) : null;
                workloads[target] = await SeedAsync(options.Clone(o => { o.Target = target; o.Address = address; }), token);
                var rssAfter = target == "engine" && enginePid is { } pid2 ? ProcessWatch.RssMb(pid2) : null;
                notes.Add($"{target}: seeded {options.Members:N0} members with cards in {workloads[target].SeedTime.TotalSeconds:0.0} s ({options.Members / workloads[target].SeedTime.TotalSeconds:N0} enrollments/s)");
                if (rssBefore is { } before && rssAfter is { } after)
                {
                    notes.Add($"engine resident memory {before:0} MB → {after:0} MB while activating {options.Members:N0} members: ≈ {(after - before) * 1024 / options.Members:0.0} KB per member, GC not forced (rough upper bound)");
                }
            }

            // A server that has been up for a minute has compiled its hot paths; a run that starts cold
            // measures the JIT instead (dotnet-counters: 40-65% of a core spent compiling during the first
            // ~30 s of checkout load). Both targets get the same unmeasured warm-up: checkout, then accrual.
            if (warmUp > TimeSpan.Zero)
            {
                foreach (var (target, address) in targets)
                {
                    foreach (var (scenario, length) in new[] { ("checkout", warmUp), ("accrual", warmUp / 3) })
                    {
                        var run = options.Clone(o =>
                        {
                            o.Target = target;
                            o.Address = address;
                            o.Scenario = scenario;
                            o.Model = LoadModel.Closed;
                            o.Duration = length;
                            o.Verify = false;
                        });
                        var report = await Runner.RunAsync(workloads[target], run, CommandLine(), Log, token);
                        var h = report.HeadlineOperation;
                        var errors = report.Operations.Sum(o => o.Errors);
                        Log($"  warm-up {scenario} → {target}: {h?.PerSecond ?? 0:N0}/s over {length.TotalSeconds:0} s, {errors:N0} errors (not measured)");
                        notes.Add($"warm-up (not measured, before the suite): {scenario} → {target} for {length.TotalSeconds:0} s, {h?.PerSecond ?? 0:N0}/s, {errors:N0} errors");
                    }
                }
            }

            async Task<Comparison> Both(string label, Func<RunOptions, RunOptions> shape)
            {
                var pair = new List<RunReport>();
                foreach (var (target, address) in targets)
                {
                    var run = shape(options.Clone(o => { o.Target = target; o.Address = address; }));
                    Console.WriteLine();
                    var report = await Runner.RunAsync(workloads[target], run, CommandLine(), Log, token);
                    var runDir = Path.Combine(dir, $"{Slug(label)}-{target}");
                    await ReportWriter.WriteAsync(report, runDir);
                    Runner.Verdict(report, runDir);
                    pair.Add(report);
                    all.Add(report);
                }

                var comparison = new Comparison(label, pair[0].Description, pair[0], pair[1]);
                comparisons.Add(comparison);
                return comparison;
            }

            var checkout = await Both("checkout, closed", o => o.Clone(c => { c.Scenario = "checkout"; c.Model = LoadModel.Closed; }));
            var checkoutRate = Math.Max(50, Math.Round(0.5 * Math.Min(checkout.Engine.HeadlineOperation?.PerSecond ?? 0, checkout.Baseline.HeadlineOperation?.PerSecond ?? 0) / 50) * 50);
            await Both("checkout, open", o => o.Clone(c => { c.Scenario = "checkout"; c.Model = LoadModel.Open; c.Rate = checkoutRate; }));
            var accrual = await Both("accrual, closed", o => o.Clone(c => { c.Scenario = "accrual"; c.Model = LoadModel.Closed; }));
            var accrualRate = Math.Max(50, Math.Min(2_500, Math.Round(0.5 * Math.Min(accrual.Engine.HeadlineOperation?.PerSecond ?? 0, accrual.Baseline.HeadlineOperation?.PerSecond ?? 0) / 50) * 50));
            await Both("accrual, open", o => o.Clone(c => { c.Scenario = "accrual"; c.Model = LoadModel.Open; c.Rate = accrualRate; }));
            await Both("reads, closed", o => o.Clone(c => { c.Scenario = "reads"; c.Model = LoadModel.Closed; }));
            await Both("flash-sale", o => o.Clone(c =>
            {
                c.Scenario = "flash-sale";
                c.Model = LoadModel.Closed;
                c.Terminals = Math.Max(c.Terminals, 1_000);
                c.Duration = TimeSpan.FromSeconds(Math.Max(60, c.Duration.TotalSeconds));
            }));
            if (loadAtStart is { } l0 && ProcessWatch.LoadAverage() is { } l1)
            {
                notes.Add($"machine load average (1 min): {l0:0.0} at the start, {l1:0.0} at the end ({Environment.ProcessorCount} cores); each run's report shows the CPU of processes that are not ours");
            }

            notes.Add($"open-model rates are half the lower of the two closed-model throughputs (checkout {checkoutRate:N0}/s, accrual {accrualRate:N0}/s, accrual capped at 2,500/s): both targets get the same offered load");
            var floor = FloorText(Floor(comparisons)) + Environment.NewLine + TargetsText(Targets(comparisons));
            await WriteComparisonAsync(comparisons, dir, "summary", "Benchmark: engine vs plain-SQL baseline", CommandLine(), notes, floor);
            Console.WriteLine();
            Console.WriteLine(ComparisonTable(comparisons));
            Console.WriteLine(floor);
            Console.WriteLine($"summary: {dir}/summary.md");
            return Worst(all.Select(Runner.ExitCode));
        }
        finally
        {
            foreach (var workload in workloads.Values)
            {
                workload.Dispose();
            }
        }
    }

    /// <summary>
    /// A cold run's first minute in 5-second steps: what was committed per second and the p99 (the highest of the
    /// five one-second p99s: an upper bound of the step's p99).
    /// </summary>
    internal static string ColdTimeline(string target, RunReport report)
    {
        if (!report.Timeline.TryGetValue(report.Headline, out var points) || points.Count == 0)
        {
            return $"checkout, cold → {target}: no timeline";
        }

        var steps = points.GroupBy(p => (int)(p.Second / 5)).OrderBy(g => g.Key).ToList();
        var rates = string.Join(", ", steps.Select(g => (g.Sum(p => p.Count) / 5.0).ToString("N0", CultureInfo.InvariantCulture)));
        var p99s = string.Join(", ", steps.Select(g => g.Max(p => p.P99Ms).ToString("0", CultureInfo.InvariantCulture)));
        var empty = points.Count(p => p.Second >= 5 && p.Count == 0);
        return $"checkout, cold → {target} ({report.Description}): committed/s per 5 s: {rates}; p99 ms per 5 s: {p99s}; seconds without a commit after the first 5: {empty}";
    }

    internal sealed record Comparison(string Label, string Load, RunReport Engine, RunReport Baseline)
    {
        public double Ratio => (Baseline.HeadlineOperation?.PerSecond ?? 0) > 0 ? (Engine.HeadlineOperation?.PerSecond ?? 0) / Baseline.HeadlineOperation!.PerSecond : double.NaN;
    }

    /// <summary>One item of the write-path issue's floor (#12), judged from one suite.</summary>
    internal sealed record FloorItem(string Item, bool Holds, string Measured);

    /// <summary>
    /// Issue #12's floor, judged from one suite's runs: accrual ≥ 5,000/s and ≥ 2× the baseline, checkout ≥ 2,500/s
    /// and ≥ 2×, the engine's p99 ≤ the baseline's in each open-model run, every correctness check passing. (The
    /// constant write size is judged by deploy/bench.sh from the stored rows.) A run missing from the suite fails its item.
    /// </summary>
    internal static IReadOnlyList<FloorItem> Floor(IReadOnlyList<Comparison> comparisons)
    {
        var items = new List<FloorItem>();
        foreach (var (label, minimum) in new[] { ("accrual, closed", 5_000d), ("checkout, closed", 2_500d) })
        {
            var c = comparisons.FirstOrDefault(c => c.Label == label);
            var rate = c?.Engine.HeadlineOperation?.PerSecond ?? 0;
            items.Add(new FloorItem(
                $"{label}: engine ≥ {minimum:N0}/s and ≥ 2× the baseline",
                c is not null && rate >= minimum && c.Ratio >= 2,
                c is null ? "not run" : $"{rate:N0}/s, {ReportWriter.F(c.Ratio, "0.00")}×"));
        }

        foreach (var label in new[] { "checkout, open", "accrual, open" })
        {
            var c = comparisons.FirstOrDefault(c => c.Label == label);
            var (engine, baseline) = (c?.Engine.HeadlineOperation?.P99Ms, c?.Baseline.HeadlineOperation?.P99Ms);
            items.Add(new FloorItem(
                $"{label}: engine p99 ≤ baseline p99",
                engine is { } e && baseline is { } b && e <= b,
                c is null ? "not run" : $"{engine:0.0} vs {baseline:0.0} ms"));
        }

        var failed = comparisons.Where(c => !c.Engine.ChecksPassed || !c.Baseline.ChecksPassed).Select(c => c.Label).ToList();
        items.Add(new FloorItem("every correctness check passed", comparisons.Count > 0 && failed.Count == 0, failed.Count == 0 ? "all" : "failed in: " + string.Join(", ", failed)));
        return items;
    }

    internal static string FloorText(IReadOnlyList<FloorItem> floor)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Issue #12's floor in this suite: {(floor.All(f => f.Holds) ? "**holds**" : "**not met**")} (the write size per commit: the line deploy/bench.sh adds below)");
        return Checklist(md, floor);
    }

    /// <summary>Appends one line per item (✅ or ❌, what is asked, what was measured) after a blank line.</summary>
    private static string Checklist(StringBuilder md, IReadOnlyList<FloorItem> items)
    {
        md.AppendLine();
        foreach (var item in items)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {(item.Holds ? "✅" : "❌")} {item.Item}: {item.Measured}");
        }

        return md.ToString();
    }

    /// <summary>
    /// Issue #12's targets for the runs a suite has (rate, p99 and ratio to the baseline), each with how far this suite
    /// is from it. The flash sale runs here at the suite's scale (budget 3,000, 1,000 terminals), not the target's
    /// (100,000, 2,000); the CPU targets are judged from the summary's CPU table.
    /// </summary>
    internal static IReadOnlyList<FloorItem> Targets(IReadOnlyList<Comparison> comparisons)
    {
        var items = new List<FloorItem>();
        foreach (var (label, rate, p99, ratio) in new[]
        {
            ("accrual, closed", 10_000d, 25d, 3d), ("checkout, closed", 5_000d, 25d, 3d), ("reads, closed", 20_000d, 10d, 0d), ("flash-sale", 20_000d, 0d, 0d),
        })
        {
            var wanted = $"{label}: ≥ {rate:N0}/s" + (p99 > 0 ? $", p99 ≤ {p99:0} ms" : string.Empty) + (ratio > 0 ? $", ≥ {ratio:0}× the baseline" : string.Empty);
            if (comparisons.FirstOrDefault(c => c.Label == label) is not { Engine.HeadlineOperation: { } engine } c)
            {
                items.Add(new FloorItem(wanted, false, "not run"));
                continue;
            }

            var misses = new List<string>();
            if (engine.PerSecond < rate)
            {
                misses.Add($"rate {ReportWriter.F(rate / engine.PerSecond, "0.0")}× short");
            }

            if (p99 > 0 && engine.P99Ms > p99)
            {
                misses.Add($"p99 {ReportWriter.F(engine.P99Ms / p99, "0.0")}× over");
            }

            if (ratio > 0 && !(c.Ratio >= ratio))
            {
                misses.Add($"ratio {ReportWriter.F(ratio / c.Ratio, "0.0")}× short");
            }

            var measured = $"{engine.PerSecond:N0}/s, p99 {engine.P99Ms:0.0} ms, {ReportWriter.F(c.Ratio, "0.00")}× the baseline"
                + (misses.Count == 0 ? string.Empty : " — " + string.Join(", ", misses));
            items.Add(new FloorItem(wanted, misses.Count == 0, measured));
        }

        return items;
    }

    internal static string TargetsText(IReadOnlyList<FloorItem> targets)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Issue #12's targets in this suite: {targets.Count(t => t.Holds)} of {targets.Count} met (each miss says by how much; docs/performance.md says why)");
        return Checklist(md, targets);
    }

    public static string ComparisonTable(IReadOnlyList<Comparison> comparisons)
    {
        var md = new StringBuilder();
        md.AppendLine("| scenario | load | unit | engine /s | engine p50 / p99 / p99.9 ms | baseline /s | baseline p50 / p99 / p99.9 ms | engine ÷ baseline | checks |");
        md.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---|");
        foreach (var c in comparisons)
        {
            var e = c.Engine.HeadlineOperation;
            var b = c.Baseline.HeadlineOperation;
            var checks = (c.Engine.ChecksPassed ? "engine ✅" : "engine ❌") + " " + (c.Baseline.ChecksPassed ? "baseline ✅" : "baseline ❌");
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {c.Label} | {c.Load} | {c.Engine.HeadlineUnit} | {ReportWriter.N(e?.PerSecond ?? 0)} | {Lat(e)} | {ReportWriter.N(b?.PerSecond ?? 0)} | {Lat(b)} | {(double.IsNaN(c.Ratio) ? "–" : ReportWriter.F(c.Ratio, "0.00") + "×")} | {checks} |");
        }

        return md.ToString();

        static string Lat(OperationSummary? o) => o is null ? "–" : $"{ReportWriter.F(o.P50Ms, "0.0")} / {ReportWriter.F(o.P99Ms, "0.0")} / {ReportWriter.F(o.P999Ms, "0.0")}";
    }

    /// <param name="verdict">Markdown after the table (the suite's floor verdict), or null.</param>
    private static async Task WriteComparisonAsync(
        IReadOnlyList<Comparison> comparisons, string dir, string name, string title, string command, IReadOnlyList<string> notes, string? verdict = null)
    {
        Directory.CreateDirectory(dir);
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# {title}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- machine: {RunReport.DescribeMachine()}; engine, baseline, PostgreSQL and generator on the same box");
        md.AppendLine(CultureInfo.InvariantCulture, $"- command: `{command}`");
        md.AppendLine(CultureInfo.InvariantCulture, $"- finished {DateTimeOffset.UtcNow:u}");
        foreach (var note in notes)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
        }

        md.AppendLine();
        md.Append(ComparisonTable(comparisons));
        md.AppendLine();
        if (verdict is not null)
        {
            md.Append(verdict);
            md.AppendLine();
        }

        md.AppendLine("Closed model: N terminals back to back (capacity, latency under saturation). Open model: fixed arrival rate, latency from the intended start (no coordinated omission). Each run's own report has every operation, errors by reason, the correctness checks, CPU and memory of each process:");
        md.AppendLine();
        foreach (var c in comparisons)
        {
            var slug = Slug(c.Label);
            md.AppendLine(CultureInfo.InvariantCulture, $"- {c.Label}: [engine]({slug}-engine/report.md), [baseline]({slug}-baseline/report.md)");
        }

        var cpu = comparisons.SelectMany(c => new[] { c.Engine, c.Baseline }).Where(r => r.Processes.Count > 0).ToList();
        if (cpu.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Where the CPU went (mean %, 100% = one core; the machine has " + Environment.ProcessorCount + ")");
            md.AppendLine();
            var names = cpu.SelectMany(r => r.Processes.Select(p => p.Name)).Distinct().ToList();
            md.AppendLine("| run | " + string.Join(" | ", names) + " | others (not ours) |");
            md.AppendLine("|---|" + string.Concat(names.Select(_ => "---:|")) + "---:|");
            foreach (var r in cpu)
            {
                var machine = r.Processes.FirstOrDefault(p => p.Pid == 0);
                var others = machine is null ? "–" : ReportWriter.F(Math.Max(0, machine.MeanCpuPercent - r.Processes.Where(p => p.Pid != 0).Sum(p => p.MeanCpuPercent)), "0");
                md.AppendLine($"| {r.Scenario} ({r.Model}) → {r.Target} | " + string.Join(" | ", names.Select(n => r.Processes.FirstOrDefault(p => p.Name == n) is { } p ? ReportWriter.F(p.MeanCpuPercent, "0") : "–")) + $" | {others} |");
            }

            md.AppendLine();
            md.AppendLine("## CPU per operation (µs of CPU per headline operation: mean CPU % × 10,000 ÷ operations per second)");
            md.AppendLine();
            md.AppendLine("| run | " + string.Join(" | ", names) + " |");
            md.AppendLine("|---|" + string.Concat(names.Select(_ => "---:|")));
            foreach (var r in cpu)
            {
                var perSecond = r.HeadlineOperation?.PerSecond ?? 0;
                md.AppendLine($"| {r.Scenario} ({r.Model}) → {r.Target} | " + string.Join(" | ", names.Select(n =>
                    r.Processes.FirstOrDefault(p => p.Name == n) is { } p && perSecond > 0 ? ReportWriter.N(CpuMicrosPerOperation(p.MeanCpuPercent, perSecond)) : "–")) + " |");
            }
        }

        var markdown = md.ToString();
        await File.WriteAllTextAsync(Path.Combine(dir, name + ".md"), markdown);
        var html = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + Svg.Esc(title) + "</title>" + ReportWriter.Style + "</head><body>");
        html.Append(ReportWriter.MarkdownToHtml(markdown));
        html.Append(Svg.Bars("Throughput (headline unit per second)", comparisons.SelectMany(c => new[]
        {
            ($"{c.Label} — engine", c.Engine.HeadlineOperation?.PerSecond ?? 0),
            ($"{c.Label} — baseline", c.Baseline.HeadlineOperation?.PerSecond ?? 0),
        }).ToList(), "/s"));
        html.Append(Svg.Bars("p99 latency of the headline operation", comparisons.SelectMany(c => new[]
        {
            ($"{c.Label} — engine", c.Engine.HeadlineOperation?.P99Ms ?? 0),
            ($"{c.Label} — baseline", c.Baseline.HeadlineOperation?.P99Ms ?? 0),
        }).ToList(), "ms"));
        html.Append("</body></html>");
        await File.WriteAllTextAsync(Path.Combine(dir, name + ".html"), html.ToString());
        var json = comparisons.Select(c => new
        {
            c.Label,
            c.Load,
            Unit = c.Engine.HeadlineUnit,
            Engine = c.Engine.HeadlineOperation,
            Baseline = c.Baseline.HeadlineOperation,
            Ratio = double.IsNaN(c.Ratio) ? (double?)null : Math.Round(c.Ratio, 3),
            EngineChecksPassed = c.Engine.ChecksPassed,
            BaselineChecksPassed = c.Baseline.ChecksPassed,
        });
        await File.WriteAllTextAsync(Path.Combine(dir, name + ".json"), JsonSerializer.Serialize(new { Title = title, Machine = RunReport.DescribeMachine(), Command = command, Notes = notes, Comparisons = json }, ReportWriter.Json));
    }

    /// <summary>Microseconds of CPU one operation costs a process: its mean CPU (100 = one core) spread over the operations of each second.</summary>
    public static double CpuMicrosPerOperation(double meanCpuPercent, double operationsPerSecond) =>
        operationsPerSecond > 0 ? meanCpuPercent * 10_000 / operationsPerSecond : double.NaN;

    private static RunOptions Defaults(string scenario) => scenario == "soak"
        ? new RunOptions { Model = LoadModel.Open, Rate = 200, Duration = TimeSpan.FromMinutes(10) }
        : new RunOptions();

    private static async Task<Workload> SeedAsync(RunOptions options, CancellationToken cancellationToken)
    {
        Log($"seeding {options.Target} at {options.ResolvedAddress}: {options.Members:N0} members (seed {options.Seed}) …");
        var workload = await Workload.SeedAsync(options, Log, cancellationToken);
        Log($"  program {workload.ProgramId}: {options.Members:N0} members in {workload.SeedTime.TotalSeconds:0.0} s");
        return workload;
    }

    private static string? Take(List<string> args, string name)
    {
        var index = args.IndexOf(name);
        if (index < 0 || index + 1 >= args.Count)
        {
            return null;
        }

        var value = args[index + 1];
        args.RemoveRange(index, 2);
        return value;
    }

    private static int Worst(IEnumerable<int> codes)
    {
        var all = codes.ToList(); // evaluate once: the verdicts print as they are computed
        return all.Contains(1) ? 1 : all.Contains(5) ? 5 : all.Contains(3) ? 3 : 0;
    }

    private static string Slug(string label) => new string(label.ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c == ' ' || c == '-').Select(c => c == ' ' ? '-' : c).ToArray()).Replace("--", "-", StringComparison.Ordinal);

    private static string CommandLine() => "dotnet run --project loadtests/Loyalty.LoadTests -- " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));

    private static CancellationTokenSource CancelOnCtrlC()
    {
        var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        return cancel;
    }

    private static void Log(string line) => Console.WriteLine(line);
}
