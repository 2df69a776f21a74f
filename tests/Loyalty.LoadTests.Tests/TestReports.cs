using Loyalty.LoadTests.Metrics;
using Loyalty.LoadTests.Reporting;

namespace Loyalty.LoadTests.Tests;

/// <summary>A run report with every required field filled and nothing measured; tests set what they look at with <c>with</c>.</summary>
internal static class TestReports
{
    public static RunReport Empty() => new()
    {
        Scenario = "accrual",
        Target = "engine",
        Address = "http://127.0.0.1:1",
        Description = "test",
        Model = "closed",
        DurationSeconds = 10,
        WarmUpSeconds = 0,
        MeasuredSeconds = 10,
        Seed = 1,
        Members = 10,
        Zipf = 0.7,
        ProgramId = "p",
        StartedAt = DateTimeOffset.UtcNow,
        Machine = "test",
        Command = "test",
        Headline = "h",
        HeadlineUnit = "ops",
        Operations = [],
        Dropped = 0,
        Timeline = new Dictionary<string, List<TimelinePoint>>(),
        Processes = [],
        Checks = [],
        Thresholds = [],
        Notes = [],
    };
}
