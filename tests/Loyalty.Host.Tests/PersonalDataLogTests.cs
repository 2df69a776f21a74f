using System.Collections.Concurrent;
using System.Net.Http.Json;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Host.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Loyalty.Host.Tests;

/// <summary>
/// Issue #13: names, phones and e-mails never reach the log. An engine on PostgreSQL logging everything at
/// Information (and the engine's own categories at Debug) into memory goes through enrollments, lookups, profile
/// changes, sales, refusals of bad input carrying personal data, unauthenticated calls, and customer service's
/// member lookups by phone on the admin API (gRPC and JSON); then every log line,
/// exceptions included, is searched for each personal value the test used.
/// </summary>
public sealed class PersonalDataLogTests
{
    [Fact]
    public async Task No_phone_email_or_name_the_calls_carried_appears_in_the_log()
    {
        var lines = new ConcurrentQueue<string>();
        var database = await TestPostgres.CreateDatabaseAsync();
        try
        {
            await using var engine = await TestEngine.StartAsync(
                database,
                "pii-" + Guid.NewGuid().ToString("N")[..8],
                extra: new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Information", ["Logging:LogLevel:Loyalty"] = "Debug" },
                configure: builder =>
                {
                    builder.Logging.SetMinimumLevel(LogLevel.Information);
                    builder.Logging.AddProvider(new LogCapture(lines));
                });
            var personal = await ExerciseAsync(engine);

            Assert.NotEmpty(lines); // the capture works: the engine logs its start, storage and refusals
            foreach (var value in personal)
            {
                Assert.DoesNotContain(lines, line => line.Contains(value, StringComparison.OrdinalIgnoreCase));
            }
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    /// <summary>The calls; answers every personal value they carried.</summary>
    private static async Task<string[]> ExerciseAsync(TestEngine engine)
    {
        const string program = "pii";
        const string name = "Zdeňka Quaxbrennerová";
        const string phone = "+420777123987";
        const string email = "zdenka.quax@example.org";
        const string newEmail = "zq.second@example.net";
        const string badEmail = "zdenka@@broken";
        await engine.Admin.UpsertProgramAsync(new LoyaltyProgram { ProgramId = program, Name = "PII", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1 });
        var member = await engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, CardNumber = "card-pii-1", Name = name, Phone = phone, Email = email, BirthDate = "1987-03-14" });
        await engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, Phone = "+420 777 123 987" });
        await engine.OperatorPos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = member.MemberId, Email = newEmail });
        await engine.Pos.CommitAsync(Sales.Commit(program, member.MemberId, "pii-sale-1"));

        // Refusals that carry personal data in the request.
        await Swallow(engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "other", Name = name, Phone = phone }).ResponseAsync); // PHONE_IN_USE
        await Swallow(engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "bad-mail", Email = badEmail }).ResponseAsync);
        await Swallow(engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "bad-name", Name = name + "\r\nURGENT" }).ResponseAsync);
        await Swallow(engine.Pos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = member.MemberId, Phone = "+420600000001" }).ResponseAsync); // no proof
        await Swallow(engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, Phone = "+420600000002" }).ResponseAsync);
        await Swallow(new PosService.PosServiceClient(engine.Channel).EnrollAsync(new EnrollRequest { ProgramId = program, Name = name, Email = email }).ResponseAsync); // no credential
        await engine.Admin.RunAutomationsAsync(new RunAutomationsRequest { ProgramId = program });

        // Customer service finds members by phone on the admin API: gRPC and JSON, hits, misses and refusals.
        await engine.Admin.FindMemberAsync(new FindMemberRequest { ProgramId = program, Phone = "+420 777 123 987" });
        await Swallow(engine.Admin.FindMemberAsync(new FindMemberRequest { ProgramId = program, Phone = "+420600000003" }).ResponseAsync);
        await Swallow(engine.Admin.FindMemberAsync(new FindMemberRequest { ProgramId = program, Phone = "+420600000004", Card = "card-pii-1" }).ResponseAsync);
        using var http = engine.AdminHttp();
        (await http.PostAsJsonAsync($"/v1/programs/{program}/members:find", new { phone })).EnsureSuccessStatusCode();
        await http.PostAsJsonAsync($"/v1/programs/{program}/members:find", new { phone = "+420600000005" });
        await http.GetAsync($"/v1/programs/{program}/members:find?phone=%2B420600000006"); // refused: a phone goes in a body, never a URL
        return [name, "Quaxbrenner", phone, "777123987", email, newEmail, badEmail, "+420600000001", "+420600000002", "600000003", "600000004", "600000005", "600000006"];
    }

    private static async Task Swallow(Task call)
    {
        try
        {
            await call;
        }
        catch (RpcException)
        {
        }
    }
}
