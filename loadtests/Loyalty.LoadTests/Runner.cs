using System.Diagnostics;
using Grpc.Core;
using Loyalty.LoadTests.Load;
using Loyalty.LoadTests.Metrics;
using Loyalty.LoadTests.Reporting;
using Loyalty.LoadTests.Scenarios;

namespace Loyalty.LoadTests;

/// <summary>Runs one scenario against one seeded workload: prepare, drive, check, report.</summary>
internal static class Runner
{
    public static readonly string[] ScenarioNames = ["checkout", "accrual", "reads", "flash-sale", "soak"];

    public static Scenario Create(Workload workload, RunOptions options) => options.Scenario switch
    {
        "checkout" or "soak" => new CheckoutScenario(workload, options),
        "accrual" => new AccrualScenario(workload, options),
        "reads" => new ReadsScenario(workload, options),
        "flash-sale" => new FlashSaleScenario(workload, options),
        _ => throw new UsageException($"unknown scenario '{options.Scenario}' (one of {string.Join(", ", ScenarioNames)})"),
    };

    public static async Task<RunReport> RunAsync(Workload workload, RunOptions options, string command, Action<string> log, CancellationToken cancellationToken)
    {
        // A fresh run id unless one is given: a given one replays that run's transaction ids on purpose.
        var runId = options.RunId ?? RunIds.New();
        await workload.StartRunAsync(runId, replay: options.RunId is not null, cancellationToken);
        var scenario = Create(workload, options);
        log($"{options.Scenario} → {options.Target} ({options.ResolvedAddress}): {options.Describe()}");
        log($"  run id {runId}{(options.RunId is null ? string.Empty : " (given: a replay)")}; to replay this run on purpose: "
            + $"--run-id {runId} --program {workload.ProgramId} --seed {options.Seed}{(options.Shard == 0 ? string.Empty : $" --shard {options.Shard}")}");
        if (workload.Ledger.IsReplay)
        {
            scenario.Notes.Add($"a replay of run {runId}: sales the target already had are answered again and must not move a balance; TRANSACTION_ID_REUSED is expected where the request differs (e.g. another coupon)");
        }

        await scenario.PrepareAsync(log, cancellationToken);

        var startedAt = DateTimeOffset.UtcNow;
        var loadBefore = ProcessWatch.LoadAverage();
        var metrics = new RunMetrics();
        var watch = new ProcessWatch(options.Watch.Append(new WatchedProcess("generator", Environment.ProcessId, false)));
        watch.Sample(0);
        var progress = new Progress(metrics, $"{options.Scenario} → {options.Target}", options.Duration, options.Live);
        Exception? failure = null;
        try
        {
            await progress.RunAsync(() => LoadDriver.RunAsync(
                scenario,
                options,
                metrics,
                elapsed =>
                {
                    watch.Sample(elapsed.TotalSeconds);
                    progress.Tick(elapsed);
                },
                cancellationToken));
        }
        catch (Exception broke)
        {
            // Keep what the run measured until it broke: the report is written all the same.
            failure = broke;
            metrics.EndWindowNow();
            log($"  the run failed after {metrics.Elapsed.TotalSeconds:0} s of {options.Duration.TotalSeconds:0} s: {broke.GetType().Name}: {broke.Message}");
            scenario.Notes.Add($"the run failed after {metrics.Elapsed.TotalSeconds:0} s of its {options.Duration.TotalSeconds:0} s; everything here covers that part only");
        }

        var checks = new List<CheckResult>();
        if (!options.Verify && !cancellationToken.IsCancellationRequested)
        {
            // Not checked, but settled all the same: nothing this run sent may land in the next run's window.
            var settled = await Checker.SettleAsync(workload, log, cancellationToken);
            if (!settled.Passed)
            {
                scenario.Notes.Add($"not checked; {settled.Detail}");
            }
        }

        if (options.Verify && !cancellationToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            log("  checking correctness against the target …");
            try
            {
                checks.AddRange(await Checker.RunAsync(workload, log, cancellationToken));
                await scenario.CheckAsync(checks, cancellationToken);
                log($"  checks done in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
            }
            catch (Exception checking) when (failure is not null)
            {
                scenario.Notes.Add($"the correctness checks after the failure did not finish: {checking.GetType().Name}: {checking.Message}");
            }
        }
        else if (options.Verify)
        {
            scenario.Notes.Add("interrupted: no correctness checks");
        }

        if (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await scenario.FinishAsync(cancellationToken);
            }
            catch (RpcException finishing)
            {
                // The run and its checks are done: say what was left on the program, and keep the report.
                scenario.Notes.Add($"putting away what the run set up failed: {Workload.Key(finishing)}: {finishing.Status.Detail}");
            }
        }

        if (options.Scenario == "soak" && watch.Timelines.FirstOrDefault(t => t.Name != "generator") is { Samples.Count: > 1 } engine)
        {
            scenario.Notes.Add($"{engine.Name} resident memory went from {engine.FirstRssMb:0} MB to {engine.LastRssMb:0} MB (max {engine.MaxRssMb:0} MB) over {options.Duration.TotalSeconds:0} s");
        }

        if (loadBefore is { } before && ProcessWatch.LoadAverage() is { } after)
        {
            scenario.Notes.Add($"machine load average (1 min) {before:0.0} before the run, {after:0.0} after, on {Environment.ProcessorCount} cores");
        }

        var operations = metrics.Operations.Select(o => OperationSummary.From(o, metrics.Measured)).ToList();
        var headline = operations.FirstOrDefault(o => o.Name == scenario.Headline);
        var thresholds = new List<ThresholdResult>();
        if (options.MaxP99Ms is { } maxP99)
        {
            var actual = headline?.P99Ms ?? double.PositiveInfinity;
            thresholds.Add(new ThresholdResult($"{scenario.Headline} p99 ms at most", maxP99, actual, actual <= maxP99));
        }

        if (options.MinRps is { } minRps)
        {
            var actual = headline?.PerSecond ?? 0;
            thresholds.Add(new ThresholdResult($"{scenario.Headline} per second at least", minRps, actual, actual >= minRps));
        }

        return new RunReport
        {
            Scenario = options.Scenario,
            Target = options.Target,
            Address = options.ResolvedAddress,
            Description = options.Describe(),
            Model = options.Model.ToString().ToLowerInvariant(),
            Rate = options.Model == LoadModel.Open ? options.Rate : null,
            Terminals = options.Model == LoadModel.Closed ? options.Terminals : null,
            DurationSeconds = options.Duration.TotalSeconds,
            WarmUpSeconds = options.Model == LoadModel.Open ? options.RampUp.TotalSeconds : scenario.WarmUp.TotalSeconds,
            MeasuredSeconds = Math.Round(metrics.Measured.TotalSeconds, 2),
            Seed = options.Seed,
            Members = options.Members,
            Zipf = options.Zipf,
            ProgramId = workload.ProgramId,
            RunId = runId,
            StartedAt = startedAt,
            Machine = RunReport.DescribeMachine(),
            Command = command,
            Headline = scenario.Headline,
            HeadlineUnit = scenario.HeadlineUnit,
            Operations = operations,
            Dropped = metrics.Dropped,
            Timeline = metrics.Operations.ToDictionary(o => o.Name, o => o.Timeline),
            Processes = watch.Timelines,
            Checks = checks,
            Thresholds = thresholds,
            Notes = scenario.Notes,
            Failure = failure?.ToString(),
        };
    }

    /// <summary>The run's exit code: 1 correctness failed, 5 the run failed midway, 3 thresholds missed, 0 passed.</summary>
    public static int ExitCode(RunReport report) =>
        !report.ChecksPassed ? 1 : report.Failure is not null ? 5 : report.ThresholdsPassed ? 0 : 3;

    /// <summary>Prints the verdict and returns <see cref="ExitCode"/>; a correctness failure is loud, a failed run shows its stack trace.</summary>
    public static int Verdict(RunReport report, string directory)
    {
        var h = report.HeadlineOperation;
        Console.WriteLine($"  {report.Scenario} → {report.Target}: {h?.PerSecond ?? 0:N0} {report.HeadlineUnit}/s, p50 {h?.P50Ms ?? 0:0.##} ms, p99 {h?.P99Ms ?? 0:0.##} ms, p99.9 {h?.P999Ms ?? 0:0.##} ms; report {directory}/report.md");
        foreach (var check in report.Checks.Where(c => !c.Passed))
        {
            Console.Error.WriteLine($"  ✗ CORRECTNESS CHECK FAILED — {check.Name}: {check.Detail}");
        }

        foreach (var threshold in report.Thresholds.Where(t => !t.Passed))
        {
            Console.Error.WriteLine($"  ✗ threshold missed — {threshold.Name} {threshold.Limit:0.##}: measured {threshold.Actual:0.##}");
        }

        if (report.Failure is { } failure)
        {
            Console.Error.WriteLine($"  ✗ the run failed after {report.MeasuredSeconds + report.WarmUpSeconds:0} s; what it measured until then is in {directory}/report.md");
            Console.Error.WriteLine($"error: {failure}");
        }

        if (!report.ChecksPassed)
        {
            Console.Error.WriteLine("""

                ######################################################################
                #  CORRECTNESS FAILED: the target lost, duplicated or over-granted.  #
                ######################################################################
                """);
        }

        return ExitCode(report);
    }

    public static string RunDirectory(RunOptions options, string? name = null) =>
        Path.Combine(options.Out, name ?? $"{DateTime.Now:yyyyMMdd-HHmmss}-{options.Scenario}-{options.Target}");
}
