using System.Globalization;
using Loyalty.LoadTests.Metrics;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Loyalty.LoadTests.Reporting;

/// <summary>
/// Live progress: a Spectre.Console table refreshed every second in an interactive terminal,
/// otherwise (CI, bench logs) one plain line every five seconds.
/// </summary>
internal sealed class Progress(RunMetrics metrics, string title, TimeSpan duration, bool live)
{
    private LiveDisplayContext? _context;
    private TimeSpan _lastLine;

    public bool Interactive { get; } = live && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public async Task RunAsync(Func<Task> work)
    {
        if (!Interactive)
        {
            await work();
            return;
        }

        await AnsiConsole.Live(Render(TimeSpan.Zero)).AutoClear(false).StartAsync(async context =>
        {
            _context = context;
            await work();
            context.UpdateTarget(Render(metrics.Elapsed));
            _context = null;
        });
    }

    public void Tick(TimeSpan elapsed)
    {
        if (_context is { } context)
        {
            context.UpdateTarget(Render(elapsed));
            return;
        }

        if (Interactive || elapsed - _lastLine < TimeSpan.FromSeconds(5))
        {
            return;
        }

        _lastLine = elapsed;
        var parts = metrics.Operations.Select(op =>
        {
            var last = op.Timeline.Count > 0 ? op.Timeline[^1] : null;
            return string.Create(CultureInfo.InvariantCulture, $"{op.Name} {last?.PerSecond ?? 0:0}/s p99 {last?.P99Ms ?? 0:0.#}ms err {op.Failed}");
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{elapsed.TotalSeconds,5:0}s/{duration.TotalSeconds:0}s] {string.Join(" | ", parts)}"));
    }

    private IRenderable Render(TimeSpan elapsed)
    {
        var table = new Table().Title($"[bold]{Markup.Escape(title)}[/]  {elapsed.TotalSeconds:0}s / {duration.TotalSeconds:0}s")
            .AddColumns("operation", "ok", "refused", "errors", "last s: calls/s", "p50 ms", "p99 ms", "max ms");
        foreach (var op in metrics.Operations)
        {
            var last = op.Timeline.Count > 0 ? op.Timeline[^1] : null;
            table.AddRow(
                op.Name,
                op.Ok.ToString("N0", CultureInfo.InvariantCulture),
                op.Refused.ToString("N0", CultureInfo.InvariantCulture),
                op.Failed == 0 ? "0" : $"[red]{op.Failed:N0}[/]",
                (last?.PerSecond ?? 0).ToString("N0", CultureInfo.InvariantCulture),
                (last?.P50Ms ?? 0).ToString("0.##", CultureInfo.InvariantCulture),
                (last?.P99Ms ?? 0).ToString("0.##", CultureInfo.InvariantCulture),
                (last?.MaxMs ?? 0).ToString("0.##", CultureInfo.InvariantCulture));
        }

        if (metrics.Dropped > 0)
        {
            table.Caption($"[red]{metrics.Dropped:N0} arrivals dropped (target far behind)[/]");
        }

        return table;
    }
}
