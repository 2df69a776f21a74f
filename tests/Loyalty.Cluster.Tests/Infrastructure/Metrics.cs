using System.Globalization;

namespace Loyalty.Cluster.Tests.Infrastructure;

/// <summary>Reads a silo's Prometheus scrape (the text exposition format) from its admin port.</summary>
public static class Metrics
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10), DefaultRequestHeaders = { Authorization = new("Bearer", TestCluster.OperatorToken) } };

    public static async Task<string> ScrapeAsync(SiloProcess silo) => await Http.GetStringAsync($"{silo.AdminAddress}/metrics");

    /// <summary>The sum of every sample of <paramref name="name"/> whose labels contain all of <paramref name="labels"/> (e.g. <c>when="after"</c>).</summary>
    public static double Sum(string scrape, string name, params string[] labels) => scrape
        .Split('\n')
        .Where(line => line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is '{' or ' ')
        .Where(line => labels.All(label => line.Contains(label, StringComparison.Ordinal)))
        .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    public static bool Has(string scrape, string name) => scrape.Split('\n').Any(line => line.StartsWith(name, StringComparison.Ordinal));
}
