using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Loyalty.Host.Tests;

/// <summary>
/// Issue #13 and #27 (finding 6): without a configured operator token, the first start of an engine on a database
/// issues one and writes it to a new file only its user can read (Loyalty:Security:FirstOperatorTokenPath), never to
/// the log or standard output, which journald, docker and kubectl keep; the token works; later starts write nothing;
/// a file already at the path is never replaced.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes
public sealed partial class FirstOperatorTokenTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("loyalty-first-").FullName;

    [Fact]
    public async Task The_first_start_writes_one_working_operator_token_to_a_mode_600_file_and_logs_only_its_path_and_id()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        try
        {
            var serviceId = "first-" + Guid.NewGuid().ToString("N")[..8];
            var path = Path.Combine(_directory, "secrets", "first-operator-token");
            var log = new ConcurrentQueue<string>();
            var stdout = new StringWriter();
            var console = Console.Out;
            string token;
            Console.SetOut(stdout);
            try
            {
                await using var first = await StartAsync(database, serviceId, path, log);
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
                token = Assert.Single(OperatorToken().Matches(await File.ReadAllTextAsync(path))).Value;
                var tokens = await ListAsync(first, token);
                Assert.Equal(["first operator (generated at first start)"], tokens.Select(t => t.Name));
                Assert.Equal(OperatorRole.Operator, tokens[0].Role);
                Assert.Contains(log, line => line.Contains(path, StringComparison.Ordinal) && line.Contains(tokens[0].CredentialId, StringComparison.Ordinal));
            }
            finally
            {
                Console.SetOut(console);
            }

            Assert.DoesNotContain(token, stdout.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(log, line => line.Contains(token, StringComparison.Ordinal) || OperatorToken().IsMatch(line));

            // A later start on the same database writes nothing, and the token still works.
            File.Delete(path);
            await using var second = await StartAsync(database, serviceId, path, log);
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!));
            Assert.Single(await ListAsync(second, token));
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    [Fact]
    public async Task A_file_already_at_the_path_is_not_replaced_and_the_token_goes_to_a_file_of_its_own_beside_it()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        try
        {
            var path = Path.Combine(_directory, "first-operator-token");
            await File.WriteAllTextAsync(path, "someone else's file\n");
            var log = new ConcurrentQueue<string>();
            await using var engine = await StartAsync(database, "first-" + Guid.NewGuid().ToString("N")[..8], path, log);

            Assert.Equal("someone else's file\n", await File.ReadAllTextAsync(path));
            var aside = Assert.Single(Directory.GetFiles(_directory, "first-operator-token.*.new"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(aside));
            var token = Assert.Single(OperatorToken().Matches(await File.ReadAllTextAsync(aside))).Value;
            Assert.Single(await ListAsync(engine, token));
            Assert.Contains(log, line => line.Contains(aside, StringComparison.Ordinal));
            Assert.DoesNotContain(log, line => line.Contains(token, StringComparison.Ordinal));
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Task<TestEngine> StartAsync(string database, string serviceId, string path, ConcurrentQueue<string> log) =>
        TestEngine.StartAsync(
            database,
            serviceId,
            extra: new Dictionary<string, string?>
            {
                ["Loyalty:Security:OperatorToken"] = string.Empty,
                ["Loyalty:Security:FirstOperatorTokenPath"] = path,
            },
            configure: builder =>
            {
                builder.Logging.SetMinimumLevel(LogLevel.Information);
                builder.Logging.AddProvider(new LogCapture(log));
            });

    private static async Task<IReadOnlyList<OperatorToken>> ListAsync(TestEngine engine, string token) =>
        (await LoyaltyAdmin.Create(engine.AdminChannel, token).ListOperatorTokensAsync(new ListOperatorTokensRequest())).OperatorTokens;

    [GeneratedRegex("op_[0-9a-f]{16}_[A-Za-z0-9_-]{43}_[A-Za-z0-9_-]{22}")]
    private static partial Regex OperatorToken();
}
