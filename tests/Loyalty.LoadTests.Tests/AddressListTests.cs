using System.Text.Json;
using Loyalty.LoadTests.Tests.Infrastructure;

namespace Loyalty.LoadTests.Tests;

/// <summary>
/// <c>deploy/cluster.sh addresses</c> prints the silos' gRPC addresses comma-separated; the SDK
/// and the tour take that list, and so must every scenario of the load generator.
/// </summary>
[Collection(TargetsCollection.Name)]
public sealed class AddressListTests(Targets targets)
{
    public static TheoryData<string, string[]> Scenarios => new()
    {
        { "checkout", ["--duration", "1s", "--terminals", "4"] },
        { "accrual", ["--duration", "1s", "--terminals", "4"] },
        { "reads", ["--duration", "1s", "--terminals", "4"] },
        { "flash-sale", ["--terminals", "10", "--budget", "15", "--duration", "30s"] },
        { "soak", ["--rate", "40", "--duration", "2s", "--ramp-up", "0.5s"] },
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Every_scenario_seeds_runs_and_verifies_against_a_comma_separated_address_list(string scenario, string[] shape)
    {
        // Two spellings of the one in-process engine stand in for two silos.
        var list = $"{targets.EngineAddress},{targets.EngineAddress.Replace("127.0.0.1", "localhost", StringComparison.Ordinal)}";
        var output = Path.Combine(Path.GetTempPath(), "lt-list-" + Guid.NewGuid().ToString("N"));
        try
        {
            var code = await Commands.RunAsync(scenario, ["--address", list, "--members", "40", "--out", output, "--no-live", .. shape]);

            Assert.Equal(0, code);
            var report = Assert.Single(Directory.GetFiles(output, "report.json", SearchOption.AllDirectories));
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report));
            Assert.Equal(list, json.RootElement.GetProperty("address").GetString());
            Assert.All(json.RootElement.GetProperty("checks").EnumerateArray(), c => Assert.True(c.GetProperty("passed").GetBoolean(), c.GetProperty("detail").GetString()));
            Assert.NotEqual(0, json.RootElement.GetProperty("checks").GetArrayLength());
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    [Fact]
    public void A_malformed_address_in_the_list_is_a_usage_error_naming_it()
    {
        var bad = Assert.Throws<UsageException>(() => RunOptions.Parse(["--address", "http://127.0.0.1:7101,http://127.0.0.1:71o2"]));
        Assert.Contains("71o2", bad.Message);
        Assert.Equal("http://127.0.0.1:7101, http://127.0.0.1:7102", RunOptions.Parse(["--address", "http://127.0.0.1:7101, http://127.0.0.1:7102"]).Address);
    }
}
