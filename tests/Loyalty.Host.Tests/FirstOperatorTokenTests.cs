using System.Text.RegularExpressions;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Host.Tests;

/// <summary>
/// Issue #13: without a configured operator token, the first start of an engine on a database issues one and prints
/// it once; it works; later starts print nothing and the token still works.
/// </summary>
public sealed partial class FirstOperatorTokenTests
{
    [Fact]
    public async Task The_first_start_prints_one_working_operator_token_and_later_starts_print_none()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        try
        {
            var serviceId = "first-" + Guid.NewGuid().ToString("N")[..8];
            var firstOutput = new StringWriter();
            string token;
            await using (var first = await StartAsync(database, serviceId, firstOutput))
            {
                var printed = OperatorToken().Matches(firstOutput.ToString());
                token = Assert.Single(printed).Value;
                var tokens = await ListAsync(first, token);
                Assert.Equal(["first operator (generated at first start)"], tokens.Select(t => t.Name));
                Assert.Equal(OperatorRole.Operator, tokens[0].Role);
            }

            var secondOutput = new StringWriter();
            await using var second = await StartAsync(database, serviceId, secondOutput);
            Assert.DoesNotMatch(OperatorToken(), secondOutput.ToString());
            Assert.Single(await ListAsync(second, token)); // still one token, and it still works
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    private static Task<TestEngine> StartAsync(string database, string serviceId, StringWriter output) =>
        TestEngine.StartAsync(
            database,
            serviceId,
            extra: new Dictionary<string, string?> { ["Loyalty:Security:OperatorToken"] = string.Empty },
            configure: builder => builder.Services.AddSingleton(new Security.FirstOperatorToken.Output(output)));

    private static async Task<IReadOnlyList<OperatorToken>> ListAsync(TestEngine engine, string token) =>
        (await LoyaltyAdmin.Create(engine.AdminChannel, token).ListOperatorTokensAsync(new ListOperatorTokensRequest())).OperatorTokens;

    [GeneratedRegex("op_[0-9a-f]{16}_[A-Za-z0-9_-]{43}_[A-Za-z0-9_-]{22}")]
    private static partial Regex OperatorToken();
}
