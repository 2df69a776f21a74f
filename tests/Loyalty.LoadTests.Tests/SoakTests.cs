using System.Diagnostics;
using System.Text.Json;
using Loyalty.LoadTests.Load;
using Loyalty.LoadTests.Metrics;
using Loyalty.LoadTests.Reporting;
using Loyalty.LoadTests.Scenarios;
using Loyalty.LoadTests.Tests.Infrastructure;

namespace Loyalty.LoadTests.Tests;

/// <summary>
/// The soak scenario died after 45–110 s with "Specified argument was out of the range of valid
/// values": the per-second sampler read an interval histogram that concurrent terminals had
/// corrupted (lost increments), and HdrHistogram's iteration gave up on it.
/// </summary>
public sealed class SoakTests
{
    [Fact]
    public void The_per_second_sample_counts_every_call_when_many_terminals_record_at_once()
    {
        var metrics = new RunMetrics();
        metrics.SetWindow(TimeSpan.Zero, TimeSpan.FromHours(1));
        var op = metrics.Op("checkout");
        const int Terminals = 4;
        const int CallsEach = 1_000_000;
        var start = Stopwatch.GetTimestamp();
        var recording = Terminals;
        Exception? samplerFailure = null;

        // The driver samples once a second for the whole run; here it samples every millisecond
        // while four threads record as fast as they can: far more intervals and far more
        // contention than the soak runs that failed after 45 and 110 s.
        var sampler = new Thread(() =>
        {
            try
            {
                for (var second = 1; Volatile.Read(ref recording) > 0; second++)
                {
                    op.Sample(second, 1);
                    Thread.Sleep(1);
                }
            }
            catch (Exception failure)
            {
                samplerFailure = failure;
            }
        });
        var terminals = Enumerable.Range(0, Terminals).Select(_ => new Thread(() =>
        {
            for (var i = 0; i < CallsEach; i++)
            {
                op.Success(start);
            }

            Interlocked.Decrement(ref recording);
        })).ToList();
        sampler.Start();
        terminals.ForEach(t => t.Start());
        terminals.ForEach(t => t.Join());
        sampler.Join();
        Assert.Null(samplerFailure);
        op.Sample(1e9, 1);

        Assert.Equal(Terminals * CallsEach, op.Ok);
        Assert.Equal(Terminals * CallsEach, op.Measured.TotalCount);
        Assert.Equal(Terminals * CallsEach, op.Timeline.Sum(p => p.Count));
    }

    [Fact]
    public async Task A_failure_in_the_per_second_sampler_stops_the_run_at_once_with_that_failure()
    {
        var options = new RunOptions { Model = LoadModel.Open, Rate = 50, RampUp = TimeSpan.Zero, Duration = TimeSpan.FromSeconds(30) };
        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => LoadDriver.RunAsync(
            new Instant(),
            options,
            new RunMetrics(),
            elapsed =>
            {
                if (elapsed > TimeSpan.FromSeconds(1.5))
                {
                    throw new InvalidOperationException("sampler broke");
                }
            },
            CancellationToken.None));

        Assert.Equal("sampler broke", failure.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the run went on for {clock.Elapsed.TotalSeconds:0} s after its sampler failed");
    }

    /// <summary>A target that answers at once.</summary>
    private sealed class Instant : IArrivals
    {
        public TimeSpan WarmUp => TimeSpan.Zero;

        public Task<bool> RunAsync(long arrival, long due, RunMetrics metrics, CancellationToken cancellationToken)
        {
            metrics.Op("call").Success(due);
            return Task.FromResult(true);
        }
    }
}

/// <summary>The soak scenario end to end against the in-process engine, and what a run that stops midway leaves behind.</summary>
[Collection(TargetsCollection.Name)]
public sealed class SoakRunTests(Targets targets)
{
    [Fact]
    public async Task A_soak_runs_past_the_point_where_it_used_to_die_and_writes_its_report()
    {
        var output = NewOutput();
        try
        {
            // 50 s: past the 45 s at which the shorter of the two failed soak runs died.
            var code = await Commands.RunAsync("soak", ["--address", targets.EngineAddress, "--rate", "80", "--duration", "50s", "--ramp-up", "2s", "--members", "1000", "--out", output, "--no-live"]);

            Assert.Equal(0, code);
            using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(output, "report.json", SearchOption.AllDirectories))));
            var root = report.RootElement;
            Assert.Equal(JsonValueKind.Null, root.GetProperty("failure").ValueKind);
            Assert.InRange(root.GetProperty("timeline").GetProperty("checkout").GetArrayLength(), 49, 60);
            Assert.All(root.GetProperty("operations").EnumerateArray(), o => Assert.Equal(0, o.GetProperty("errors").GetInt64()));
            Assert.All(root.GetProperty("checks").EnumerateArray(), c => Assert.True(c.GetProperty("passed").GetBoolean(), c.GetProperty("detail").GetString()));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task A_run_stopped_midway_still_writes_the_report_of_what_it_measured_with_the_error_and_its_stack_trace()
    {
        var options = new RunOptions
        {
            Scenario = "soak",
            Address = targets.EngineAddress,
            Model = LoadModel.Open,
            Rate = 50,
            RampUp = TimeSpan.Zero,
            Duration = TimeSpan.FromSeconds(60),
            Members = 50,
            Live = false,
        };
        using var workload = await Workload.SeedAsync(options);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));

        var report = await Runner.RunAsync(workload, options, "test", _ => { }, stop.Token);

        Assert.Contains("Canceled", report.Failure);
        Assert.Contains("   at ", report.Failure); // the stack trace, not just the message
        Assert.InRange(report.MeasuredSeconds, 2, 10);
        Assert.True(report.Operations.Single(o => o.Name == "checkout").Ok > 50, "what was measured before the stop is kept");
        Assert.Equal(5, Runner.ExitCode(report));
        var output = NewOutput();
        try
        {
            await ReportWriter.WriteAsync(report, output);
            var md = await File.ReadAllTextAsync(Path.Combine(output, "report.md"));
            Assert.Contains("RUN FAILED MIDWAY", md);
            Assert.Contains(report.Failure!, md);
            Assert.Contains("<pre>", await File.ReadAllTextAsync(Path.Combine(output, "report.html")));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static string NewOutput() => Path.Combine(Path.GetTempPath(), "lt-soak-" + Guid.NewGuid().ToString("N"));
}
