using System.Text.RegularExpressions;
using Loyalty.Host.Hosting;
using Loyalty.Host.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Loyalty.Host.Tests;

/// <summary>
/// Settings the engine refuses to start with (issues #13 and #27, finding 7): in Production, weak or example secrets
/// and cleartext or plaintext Orleans ports beyond loopback without the explicit opt-outs. Each refusal names the
/// setting; Development starts with each of them.
/// </summary>
public sealed partial class StartupSecurityTests
{
    private const string Pepper = TestEngine.Pepper;

    [Fact]
    public async Task In_production_the_engine_refuses_to_start_without_a_lookup_pepper()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => BuildAsync("Production", pepper: string.Empty, token: null));
        Assert.Contains("PersonalDataPepper", failure.Message, StringComparison.Ordinal);

        await using var development = await BuildAsync("Development", pepper: string.Empty, token: null); // a developer's machine may
        await using var production = await BuildAsync("Production", pepper: Pepper, token: null);
    }

    [Fact]
    public async Task In_production_the_engine_refuses_to_start_without_keys_for_personal_data_and_with_a_malformed_one()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => BuildAsync("Production", pepper: Pepper, token: null, keys: string.Empty));
        Assert.Contains("PersonalDataKeys", failure.Message, StringComparison.Ordinal);
        var malformed = await Assert.ThrowsAsync<ArgumentException>(() => BuildAsync("Production", pepper: Pepper, token: null, keys: "k1:c2hvcnQ="));
        Assert.Contains("32 bytes", malformed.Message, StringComparison.Ordinal);
        await using var development = await BuildAsync("Development", pepper: string.Empty, token: null, keys: string.Empty);
    }

    [Fact]
    public async Task A_configured_operator_token_shorter_than_32_characters_is_refused()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => BuildAsync("Production", pepper: Pepper, token: "short-token"));
        Assert.Contains("OperatorToken", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_production_the_example_secrets_of_the_deploy_files_and_placeholder_tokens_are_refused()
    {
        var published = await ExampleSecretsAsync();
        Assert.NotEmpty(published["OperatorToken"]); // the files still hold examples: the check below reads them
        foreach (var token in published["OperatorToken"].Append("a-real-looking-operator-token-changeme-0123"))
        {
            await RefusedAsync("Loyalty:Security:OperatorToken", pepper: Pepper, token: token);
            await using var development = await BuildAsync("Development", pepper: Pepper, token: token);
        }

        foreach (var pepper in published["PersonalDataPepper"])
        {
            await RefusedAsync("Loyalty:PersonalDataPepper", pepper: pepper, token: null);
        }

        foreach (var keys in published["PersonalDataKeys"].Append("example:Q0hBTkdFLU1FLWNvbXBvc2UtZXhhbXBsZS1rZXktMzI="))
        {
            await RefusedAsync("Loyalty:PersonalDataKeys", pepper: Pepper, token: null, keys: keys);
        }
    }

    [Fact]
    public async Task In_production_a_blank_or_short_pepper_is_refused()
    {
        foreach (var pepper in new[] { " ", "x", new string(' ', 40), new string('p', StartupChecks.MinPepperBytes - 1) })
        {
            await RefusedAsync("Loyalty:PersonalDataPepper", pepper: pepper, token: null);
            await using var development = await BuildAsync("Development", pepper: pepper, token: null);
        }

        await using var exactly = await BuildAsync("Production", pepper: new string('p', StartupChecks.MinPepperBytes), token: null);
    }

    [Fact]
    public async Task In_production_cleartext_http_beyond_loopback_is_refused_unless_allowed_or_served_over_tls()
    {
        var failure = await RefusedAsync("Loyalty:AllowPlaintextHttp", pepper: Pepper, token: null, extra: new() { ["Loyalty:ListenAddress"] = "any" });
        Assert.Contains("Loyalty:ListenAddress", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Loyalty:Tls:CertificatePath", failure.Message, StringComparison.Ordinal);

        await using var allowed = await BuildAsync("Production", pepper: Pepper, token: null, extra: new() { ["Loyalty:ListenAddress"] = "any", ["Loyalty:AllowPlaintextHttp"] = "true" });
        await using var development = await BuildAsync("Development", pepper: Pepper, token: null, extra: new() { ["Loyalty:ListenAddress"] = "any" });
        await using var loopback = await BuildAsync("Production", pepper: Pepper, token: null, extra: new() { ["Loyalty:ListenAddress"] = "127.0.0.1" });
    }

    [Fact]
    public async Task In_production_a_silo_port_or_gateway_beyond_loopback_without_silo_tls_is_refused_unless_allowed()
    {
        var beyondLoopback = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=never-reached", // refused before any connection
            ["Loyalty:ClusteringMode"] = "AdoNet",
            ["Loyalty:ListenAddress"] = "any",
            ["Loyalty:AllowPlaintextHttp"] = "true",
            ["Loyalty:GatewayPort"] = "30001",
        };
        var failure = await RefusedAsync("Loyalty:AllowPlaintextSiloPort", pepper: Pepper, token: null, extra: beyondLoopback);
        Assert.Contains("Loyalty:SiloTls:CertificatePath", failure.Message, StringComparison.Ordinal);
        Assert.Contains("gateway port 30001", failure.Message, StringComparison.Ordinal);

        var kubernetes = await RefusedAsync("Loyalty:AllowPlaintextSiloPort", pepper: Pepper, token: null, extra: new() { ["Loyalty:KubernetesHosting"] = "true" });
        Assert.Contains("silo port", kubernetes.Message, StringComparison.Ordinal);

        var database = await TestPostgres.CreateDatabaseAsync();
        try
        {
            await using var allowed = await BuildAsync("Production", pepper: Pepper, token: null, extra: new(beyondLoopback)
            {
                ["ConnectionStrings:Postgres"] = database,
                ["Loyalty:AllowPlaintextSiloPort"] = "true",
            });
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    private static async Task<InvalidOperationException> RefusedAsync(string setting, string pepper, string? token, string? keys = TestEngine.PersonalDataKeys, Dictionary<string, string?>? extra = null)
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => BuildAsync("Production", pepper, token, keys, extra));
        Assert.Contains(setting, failure.Message, StringComparison.Ordinal);
        return failure;
    }

    /// <summary>The secrets deploy/compose.yaml and the systemd environment example publish, by setting name.</summary>
    private static async Task<Dictionary<string, List<string>>> ExampleSecretsAsync()
    {
        var found = new Dictionary<string, List<string>> { ["OperatorToken"] = [], ["PersonalDataPepper"] = [], ["PersonalDataKeys"] = [] };
        foreach (var file in new[] { "compose.yaml", "systemd/loyalty.env.example" })
        {
            foreach (Match match in ExampleSecret().Matches(await File.ReadAllTextAsync(Path.Combine(TestPostgres.RepoRoot, "deploy", file))))
            {
                if (!match.Groups["value"].Value.StartsWith('$'))
                {
                    found[match.Groups["name"].Value].Add(match.Groups["value"].Value);
                }
            }
        }

        return found;
    }

    private static Task<Microsoft.AspNetCore.Builder.WebApplication> BuildAsync(string environment, string pepper, string? token, string? keys = TestEngine.PersonalDataKeys, Dictionary<string, string?>? extra = null) =>
        LoyaltyHost.BuildAsync(["--environment", environment], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = string.Empty,
                ["Loyalty:PersonalDataPepper"] = pepper,
                ["Loyalty:Security:OperatorToken"] = token,
                ["Loyalty:PersonalDataKeys"] = keys,
                ["Loyalty:ListenAddress"] = "127.0.0.1",
            });
            builder.Configuration.AddInMemoryCollection(extra ?? []);
        });

    [GeneratedRegex("""Loyalty__(?:Security__)?(?<name>OperatorToken|PersonalDataPepper|PersonalDataKeys)[:=] *"?(?<value>[^"\s]+)""")]
    private static partial Regex ExampleSecret();
}
