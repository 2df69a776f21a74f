using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Loyalty.LoadTests.Reporting;

/// <summary>Writes a run's report.md, report.html (self-contained, inline SVG charts) and report.json.</summary>
internal static class ReportWriter
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public static async Task<string> WriteAsync(RunReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "report.md"), Markdown(report));
        await File.WriteAllTextAsync(Path.Combine(directory, "report.html"), Html(report));
        await File.WriteAllTextAsync(Path.Combine(directory, "report.json"), JsonSerializer.Serialize(report, Json));
        return directory;
    }

    public static string F(double value, string format = "0.##") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string N(double value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Markdown(RunReport r)
    {
        var md = new StringBuilder();
        var verdict = !r.ChecksPassed ? "CORRECTNESS FAILED" : r.Failure is not null ? "RUN FAILED MIDWAY" : r.ThresholdsPassed ? "PASSED" : "THRESHOLDS MISSED";
        md.AppendLine(CultureInfo.InvariantCulture, $"# {r.Scenario} → {r.Target}: {verdict}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- target: **{r.Target}** at {r.Address}, program `{r.ProgramId}`");
        md.AppendLine(CultureInfo.InvariantCulture, $"- run id `{r.RunId}`, in every transaction id; to replay the run on purpose: `--run-id {r.RunId} --program {r.ProgramId} --seed {r.Seed}` and its other options");
        md.AppendLine(CultureInfo.InvariantCulture, $"- load: {r.Description}; {N(r.Members)} members (Zipf s = {F(r.Zipf)}), seed {r.Seed}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- measured window: {F(r.MeasuredSeconds, "0.0")} s (after {F(r.WarmUpSeconds, "0.#")} s ramp-up/warm-up); started {r.StartedAt:u}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- machine: {r.Machine}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- command: `{r.Command}`");
        if (r.HeadlineOperation is { } h)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- **headline: {N(h.PerSecond)} {r.HeadlineUnit}/s, p99 {F(h.P99Ms)} ms**");
        }

        if (r.Dropped > 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{N(r.Dropped)} arrivals dropped by the generator** (more than its in-flight limit were waiting: the target was far behind)");
        }

        if (r.Failure is { } failure)
        {
            md.AppendLine();
            md.AppendLine("## The run failed midway");
            md.AppendLine();
            md.AppendLine("Everything below covers the part before the failure.");
            md.AppendLine();
            md.AppendLine("```");
            md.AppendLine(failure);
            md.AppendLine("```");
        }

        md.AppendLine();
        md.AppendLine("## Latency (ms) and throughput per operation");
        md.AppendLine();
        md.AppendLine("| operation | ok | refused (expected) | errors | per second | p50 | p90 | p99 | p99.9 | max | mean |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var o in r.Operations)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {o.Name} | {N(o.Ok)} | {N(o.Refused)} | {N(o.Errors)} | {N(o.PerSecond)} | {F(o.P50Ms)} | {F(o.P90Ms)} | {F(o.P99Ms)} | {F(o.P999Ms)} | {F(o.MaxMs)} | {F(o.MeanMs)} |");
        }

        var errors = r.Operations.SelectMany(o => o.ErrorsByReason.Select(e => (o.Name, e.Key, e.Value))).ToList();
        var refusals = r.Operations.SelectMany(o => o.RefusalsByReason.Select(e => (o.Name, e.Key, e.Value))).ToList();
        if (errors.Count + refusals.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Errors and refusals by status/reason");
            md.AppendLine();
            md.AppendLine("| operation | kind | status/reason | count |");
            md.AppendLine("|---|---|---|---:|");
            foreach (var (op, key, count) in errors)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {op} | error | {key} | {N(count)} |");
            }

            foreach (var (op, key, count) in refusals)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {op} | expected refusal | {key} | {N(count)} |");
            }
        }

        md.AppendLine();
        md.AppendLine("## Correctness checks");
        md.AppendLine();
        foreach (var c in r.Checks)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {(c.Passed ? "✅" : "❌ **FAILED**")} {c.Name}: {c.Detail}");
        }

        if (r.Thresholds.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Thresholds");
            md.AppendLine();
            foreach (var t in r.Thresholds)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {(t.Passed ? "✅" : "❌")} {t.Name}: limit {F(t.Limit)}, measured {F(t.Actual)}");
            }
        }

        if (r.Processes.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Processes (CPU: 100% = one core)");
            md.AppendLine();
            md.AppendLine("| process | mean CPU % | RSS first (MB) | RSS last (MB) | RSS max (MB) |");
            md.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var p in r.Processes)
            {
                md.AppendLine(p.Pid == 0
                    ? string.Create(CultureInfo.InvariantCulture, $"| {p.Name} | {F(p.MeanCpuPercent, "0")} of {Environment.ProcessorCount * 100} | – | – | – |")
                    : string.Create(CultureInfo.InvariantCulture, $"| {p.Name} | {F(p.MeanCpuPercent, "0")} | {F(p.FirstRssMb, "0")} | {F(p.LastRssMb, "0")} | {F(p.MaxRssMb, "0")} |"));
            }

            if (r.Processes.FirstOrDefault(p => p.Pid == 0) is { } machine)
            {
                var others = machine.MeanCpuPercent - r.Processes.Where(p => p.Pid != 0).Sum(p => p.MeanCpuPercent);
                md.AppendLine(CultureInfo.InvariantCulture, $"| others (not watched: kernel, other users' work) | {F(Math.Max(0, others), "0")} | – | – | – |");
            }

            md.AppendLine();
            md.AppendLine("RSS of a process group (PostgreSQL with its backends): the private memory of each process, plus its shared memory (the buffers) and file-backed pages once (the largest of the group).");
        }

        if (r.Notes.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Notes");
            md.AppendLine();
            foreach (var n in r.Notes)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {n}");
            }
        }

        md.AppendLine();
        md.AppendLine("Latency is measured from each call's intended start (open model: its due time on the fixed schedule, so queueing is charged, no coordinated omission; closed model: when the terminal issued it). Percentiles cover calls due inside the measured window; throughput counts calls completed inside it.");
        return md.ToString();
    }

    public static string Html(RunReport r)
    {
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.AppendLine(CultureInfo.InvariantCulture, $"<title>{Svg.Esc(r.Scenario)} → {Svg.Esc(r.Target)}</title>");
        html.AppendLine(Style);
        html.AppendLine("</head><body>");
        html.AppendLine(MarkdownToHtml(Markdown(r)));
        html.AppendLine("<h2>Over time</h2>");
        var throughput = r.Timeline.Select(t => new Series(t.Key, t.Value.Select(p => (p.Second, p.PerSecond)).ToList())).ToList();
        html.AppendLine(Svg.LineChart("Throughput (completed calls per second)", "seconds", "calls/s", throughput));
        if (r.Timeline.TryGetValue(r.Headline, out var headline))
        {
            html.AppendLine(Svg.LineChart($"Latency of {r.Headline} (per second)", "seconds", "ms", [
                new Series("p50", headline.Select(p => (p.Second, p.P50Ms)).ToList()),
                new Series("p99", headline.Select(p => (p.Second, p.P99Ms)).ToList()),
                new Series("max", headline.Select(p => (p.Second, p.MaxMs)).ToList()),
            ]));
        }

        var p99s = r.Timeline.Select(t => new Series(t.Key + " p99", t.Value.Select(p => (p.Second, p.P99Ms)).ToList())).ToList();
        html.AppendLine(Svg.LineChart("p99 latency per operation (per second)", "seconds", "ms", p99s));
        if (r.Processes.Count > 0)
        {
            html.AppendLine(Svg.LineChart("CPU (100% = one core)", "seconds", "%", r.Processes.Select(p => new Series(p.Name, p.Samples.Select(s => (s.Second, s.CpuPercent)).ToList())).ToList()));
            html.AppendLine(Svg.LineChart("Resident memory", "seconds", "MB", r.Processes.Select(p => new Series(p.Name, p.Samples.Select(s => (s.Second, s.RssMb)).ToList())).ToList()));
        }

        html.AppendLine("</body></html>");
        return html.ToString();
    }

    public const string Style = """
        <style>
        body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; color: #222; }
        table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: 3px 8px; }
        td:not(:first-child) { text-align: right; } th { background: #f3f3f3; } code { background: #f3f3f3; padding: 0 3px; }
        svg { display: block; margin: 1em 0; }
        </style>
        """;

    /// <summary>Enough Markdown for the reports we write: headings, bullets, tables, bold, code and fenced blocks.</summary>
    public static string MarkdownToHtml(string markdown)
    {
        var html = new StringBuilder();
        var inList = false;
        var inTable = false;
        var inCode = false;
        foreach (var raw in markdown.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                html.AppendLine(inCode ? "</pre>" : "<pre>");
                inCode = !inCode;
                continue;
            }

            if (inCode)
            {
                html.AppendLine(Svg.Esc(line));
                continue;
            }

            if (inList && !line.StartsWith("- ", StringComparison.Ordinal))
            {
                html.AppendLine("</ul>");
                inList = false;
            }

            if (inTable && !line.StartsWith('|'))
            {
                html.AppendLine("</table>");
                inTable = false;
            }

            if (line.StartsWith('#'))
            {
                var level = line.TakeWhile(c => c == '#').Count();
                html.AppendLine(CultureInfo.InvariantCulture, $"<h{level}>{Inline(line[level..].Trim())}</h{level}>");
            }
            else if (line.StartsWith("- ", StringComparison.Ordinal))
            {
                if (!inList)
                {
                    html.AppendLine("<ul>");
                    inList = true;
                }

                html.AppendLine(CultureInfo.InvariantCulture, $"<li>{Inline(line[2..])}</li>");
            }
            else if (line.StartsWith('|'))
            {
                var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToList();
                if (cells.All(c => c.Length > 0 && c.All(ch => ch is '-' or ':')))
                {
                    continue;
                }

                var tag = inTable ? "td" : "th";
                if (!inTable)
                {
                    html.AppendLine("<table>");
                    inTable = true;
                }

                html.AppendLine("<tr>" + string.Concat(cells.Select(c => $"<{tag}>{Inline(c)}</{tag}>")) + "</tr>");
            }
            else if (line.Length > 0)
            {
                html.AppendLine(CultureInfo.InvariantCulture, $"<p>{Inline(line)}</p>");
            }
        }

        if (inList)
        {
            html.AppendLine("</ul>");
        }

        if (inTable)
        {
            html.AppendLine("</table>");
        }

        return html.ToString();
    }

    private static string Inline(string text)
    {
        var escaped = Svg.Esc(text);
        escaped = System.Text.RegularExpressions.Regex.Replace(escaped, @"\*\*(.+?)\*\*", "<b>$1</b>");
        escaped = System.Text.RegularExpressions.Regex.Replace(escaped, @"`(.+?)`", "<code>$1</code>");
        escaped = System.Text.RegularExpressions.Regex.Replace(escaped, @"\[(.+?)\]\((.+?)\.md\)", "<a href=\"$2.html\">$1</a>");
        return System.Text.RegularExpressions.Regex.Replace(escaped, @"\[(.+?)\]\((.+?)\)", "<a href=\"$2\">$1</a>");
    }
}
