using System.Globalization;
using System.Net;
using System.Text;

namespace Loyalty.LoadTests.Reporting;

internal sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>Small inline SVG line charts: no script, no CDN, readable offline.</summary>
internal static class Svg
{
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    public static string LineChart(string title, string xLabel, string yLabel, IReadOnlyList<Series> series, int width = 760, int height = 260)
    {
        const int Left = 64, Right = 150, Top = 28, Bottom = 40;
        var plotW = width - Left - Right;
        var plotH = height - Top - Bottom;
        var all = series.SelectMany(s => s.Points).ToList();
        var maxX = all.Count == 0 ? 1 : Math.Max(1, all.Max(p => p.X));
        var maxY = Nice(all.Count == 0 ? 1 : Math.Max(1e-9, all.Max(p => p.Y)));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Esc(title)}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{Esc(title)}</text>");
        for (var i = 0; i <= 4; i++)
        {
            var y = Top + plotH - (plotH * i / 4.0);
            var value = maxY * i / 4.0;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + plotW}\" y2=\"{y:0.#}\" stroke=\"#ddd\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" font-size=\"11\" text-anchor=\"end\">{Format(value)}</text>");
        }

        for (var i = 0; i <= 5; i++)
        {
            var x = Left + (plotW * i / 5.0);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:0.#}\" y=\"{Top + plotH + 16}\" font-size=\"11\" text-anchor=\"middle\">{Format(maxX * i / 5.0)}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (plotW / 2)}\" y=\"{height - 6}\" font-size=\"11\" text-anchor=\"middle\">{Esc(xLabel)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{Top + (plotH / 2)}\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 14 {Top + (plotH / 2)})\">{Esc(yLabel)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#999\"/>");
        for (var s = 0; s < series.Count; s++)
        {
            var color = Palette[s % Palette.Length];
            var points = string.Join(' ', series[s].Points.Select(p =>
                string.Create(CultureInfo.InvariantCulture, $"{Left + (p.X / maxX * plotW):0.#},{Top + plotH - (Math.Min(p.Y, maxY) / maxY * plotH):0.#}")));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\" points=\"{points}\"/>");
            var ly = Top + 10 + (s * 16);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left + plotW + 10}\" y1=\"{ly}\" x2=\"{Left + plotW + 28}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"3\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + plotW + 32}\" y=\"{ly + 4}\" font-size=\"11\">{Esc(series[s].Name)}</text>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>Horizontal bars, e.g. engine vs baseline throughput.</summary>
    public static string Bars(string title, IReadOnlyList<(string Label, double Value)> bars, string unit, int width = 760)
    {
        const int Left = 220, Right = 90, RowH = 22, Top = 28;
        var height = Top + (bars.Count * RowH) + 10;
        var max = Math.Max(1e-9, bars.Count == 0 ? 1 : bars.Max(b => b.Value));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Esc(title)}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"8\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{Esc(title)}</text>");
        for (var i = 0; i < bars.Count; i++)
        {
            var y = Top + (i * RowH);
            var w = (width - Left - Right) * bars[i].Value / max;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y + 15}\" font-size=\"11\" text-anchor=\"end\">{Esc(bars[i].Label)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{y + 3}\" width=\"{w:0.#}\" height=\"{RowH - 6}\" fill=\"{Palette[i % 2]}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + w + 4:0.#}\" y=\"{y + 15}\" font-size=\"11\">{Format(bars[i].Value)} {Esc(unit)}</text>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    public static string Esc(string text) => WebUtility.HtmlEncode(text);

    private static double Nice(double max)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(max)));
        foreach (var step in new[] { 1.0, 2.0, 2.5, 5.0, 10.0 })
        {
            if (max <= step * magnitude)
            {
                return step * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private static string Format(double value) => value switch
    {
        >= 10_000 => value.ToString("#,0", CultureInfo.InvariantCulture),
        >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.#", CultureInfo.InvariantCulture),
        _ => value.ToString("0.##", CultureInfo.InvariantCulture),
    };
}
