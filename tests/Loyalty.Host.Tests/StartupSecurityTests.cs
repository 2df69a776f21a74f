using Loyalty.Host.Hosting;
using Loyalty.Host.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Loyalty.Host.Tests;

/// <summary>Settings the engine refuses to start with (issue #13).</summary>
public sealed class StartupSecurityTests
{
    [Fact]
    public async Task In_production_the_engine_refuses_to_start_without_a_lookup_pepper()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => BuildAsync("Production", pepper: string.Empty, token: null));
        Assert.Contains("PersonalDataPepper", failure.Message, StringComparison.Ordinal);

        await using var development = await BuildAsync("Development", pepper: string.Empty, token: null); // a developer's machine may
        await using var production = await BuildAsync("Production", pepper: "a-pepper", token: null);
    }

    [Fact]
    public async Task In_production_the_engine_refuses_to_start_without_keys_for_personal_data_and_with_a_malformed_one()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => BuildAsync("Production", pepper: "a-pepper", token: null, keys: string.Empty));
        Assert.Contains("PersonalDataKeys", failure.Message, StringComparison.Ordinal);
        var malformed = await Assert.ThrowsAsync<ArgumentException>(() => BuildAsync("Production", pepper: "a-pepper", token: null, keys: "k1:c2hvcnQ="));
        Assert.Contains("32 bytes", malformed.Message, StringComparison.Ordinal);
        await using var development = await BuildAsync("Development", pepper: string.Empty, token: null, keys: string.Empty);
    }

    [Fact]
    public async Task A_configured_operator_token_shorter_than_32_characters_is_refused()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => BuildAsync("Production", pepper: "a-pepper", token: "short-token"));
        Assert.Contains("OperatorToken", failure.Message, StringComparison.Ordinal);
    }

    private static Task<Microsoft.AspNetCore.Builder.WebApplication> BuildAsync(string environment, string pepper, string? token, string? keys = TestEngine.PersonalDataKeys) =>
        LoyaltyHost.BuildAsync(["--environment", environment], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = string.Empty,
            ["Loyalty:PersonalDataPepper"] = pepper,
            ["Loyalty:Security:OperatorToken"] = token,
            ["Loyalty:PersonalDataKeys"] = keys,
        }));
}
