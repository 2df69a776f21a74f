using Loyalty.LoadTests.Metrics;

namespace Loyalty.LoadTests.Reporting;

internal sealed record CheckResult(string Name, bool Passed, string Detail);

internal sealed record ThresholdResult(string Name, double Limit, double Actual, bool Passed);

/// <summary>One operation over the measured window.</summary>
internal sealed record OperationSummary(
    string Name,
    long Ok,
    long Refused,
    long Errors,
    double PerSecond,
    double P50Ms,
    double P90Ms,
    double P99Ms,
    double P999Ms,
    double MaxMs,
    double MeanMs,
    IReadOnlyDictionary<string, long> ErrorsByReason,
    IReadOnlyDictionary<string, long> RefusalsByReason)
{
    public static OperationSummary From(OperationMetrics op, TimeSpan measured)
    {
        var h = op.Measured;
        var empty = h.TotalCount == 0;
        double At(double percentile) => empty ? 0 : OperationMetrics.Millis(h.GetValueAtPercentile(percentile));
        return new OperationSummary(
            op.Name,
            op.Ok,
            op.Refused,
            op.Failed,
            measured.TotalSeconds > 0 ? Math.Round((op.WindowOk + op.WindowRefused) / measured.TotalSeconds, 1) : 0,
            At(50),
            At(90),
            At(99),
            At(99.9),
            empty ? 0 : OperationMetrics.Millis(HdrHistogram.HistogramExtensions.GetMaxValue(h)),
            empty ? 0 : Math.Round(HdrHistogram.HistogramExtensions.GetMean(h) / 1000, 3),
            new SortedDictionary<string, long>(op.Errors.ToDictionary(), StringComparer.Ordinal),
            new SortedDictionary<string, long>(op.Refusals.ToDictionary(), StringComparer.Ordinal));
    }
}

/// <summary>Everything a run produced, as written to report.json (and rendered to Markdown and HTML).</summary>
internal sealed record RunReport
{
    public required string Scenario { get; init; }

    public required string Target { get; init; }

    public required string Address { get; init; }

    public required string Description { get; init; }

    public required string Model { get; init; }

    public double? Rate { get; init; }

    public int? Terminals { get; init; }

    public required double DurationSeconds { get; init; }

    public required double WarmUpSeconds { get; init; }

    public required double MeasuredSeconds { get; init; }

    public required long Seed { get; init; }

    public required int Members { get; init; }

    public required double Zipf { get; init; }

    public required string ProgramId { get; init; }

    /// <summary>The run id in every transaction id of the run (Scenarios.RunIds); <c>--run-id</c> with it replays the run.</summary>
    public string RunId { get; init; } = string.Empty;

    public required DateTimeOffset StartedAt { get; init; }

    public required string Machine { get; init; }

    public required string Command { get; init; }

    public required string Headline { get; init; }

    public required string HeadlineUnit { get; init; }

    public required IReadOnlyList<OperationSummary> Operations { get; init; }

    public required long Dropped { get; init; }

    public required IReadOnlyDictionary<string, List<TimelinePoint>> Timeline { get; init; }

    public required IReadOnlyList<ProcessTimeline> Processes { get; init; }

    public required IReadOnlyList<CheckResult> Checks { get; init; }

    public required IReadOnlyList<ThresholdResult> Thresholds { get; init; }

    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>The exception (with its stack trace) that ended the run early; null when it ran its course.</summary>
    public string? Failure { get; init; }

    public bool ChecksPassed => Checks.All(c => c.Passed);

    public bool ThresholdsPassed => Thresholds.All(t => t.Passed);

    public OperationSummary? HeadlineOperation => Operations.FirstOrDefault(o => o.Name == Headline);

    public static string DescribeMachine() =>
        $"{Environment.ProcessorCount} cores, {Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024))} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}";
}
