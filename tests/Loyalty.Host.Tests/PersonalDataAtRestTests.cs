using System.Text;
using Loyalty.Api.V1;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// Issue #13: phone numbers and e-mail addresses are encrypted at rest — the member's stored state and the message
/// outbox hold them sealed, never in plain text — while lookups by phone, profile changes and the outbox read
/// through the admin API work as before.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class PersonalDataAtRestTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task Phones_and_emails_are_sealed_in_grain_state_and_the_outbox_and_read_back_in_plain_text()
    {
        var program = "seal-" + Guid.NewGuid().ToString("N")[..8];
        await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = program, Name = "Club", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 12,
            Automations = { new Automation { Kind = AutomationKind.Welcome, Template = "Welcome, {name}!" } },
        });
        const string phone = "+420606112233";
        const string email = "sealed.eva@example.org";
        await Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "eva", CardNumber = "card-seal-1", Name = "Eva", Phone = phone, Email = email, MarketingConsent = true });
        await Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "ola", Name = "Ola", Phone = "+420606445566", MarketingConsent = true });
        await Engine.Admin.RunAutomationsAsync(new RunAutomationsRequest { ProgramId = program });

        // Stored: sealed.
        var state = await BytesAsync("SELECT payload FROM grain_state WHERE state_name = 'member' AND grain_key = @k", $"{program}/eva");
        var text = Encoding.UTF8.GetString(state);
        Assert.DoesNotContain("606112233", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sealed.eva", text, StringComparison.Ordinal);
        Assert.Contains("enc:v1:test:", text, StringComparison.Ordinal);
        var recipients = await TextsAsync("SELECT recipient FROM member_messages WHERE program_id = @k", program);
        Assert.Equal(2, recipients.Count);
        Assert.All(recipients, r => Assert.StartsWith("enc:v1:test:", r, StringComparison.Ordinal));

        // Read: in plain text, where a caller may see them.
        Assert.Equal("eva", (await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, Phone = "+420 606 112 233" })).MemberId);
        var messages = (await Engine.Admin.ListMessagesAsync(new ListMessagesRequest { ProgramId = program })).Messages;
        Assert.Equal([email, "+420606445566"], messages.OrderBy(m => m.MemberId, StringComparer.Ordinal).Select(m => m.Recipient));

        // A retried enrollment with the same contacts is the same request (compared in plain text, not sealed form).
        await Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "eva", CardNumber = "card-seal-1", Name = "Eva", Phone = phone, Email = email, MarketingConsent = true });
        await Engine.Pos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = "eva", Email = email }); // unchanged: no proof needed
        await Engine.OperatorPos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = "eva", Phone = "+420606999000" });
        Assert.Equal("eva", (await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, Phone = "+420606999000" })).MemberId);
        Assert.DoesNotContain("606999000", Encoding.UTF8.GetString(await BytesAsync("SELECT payload FROM grain_state WHERE state_name = 'member' AND grain_key = @k", $"{program}/eva")), StringComparison.Ordinal);
    }

    private async Task<byte[]> BytesAsync(string sql, string key)
    {
        await using var db = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
        await db.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, db);
        command.Parameters.AddWithValue("k", key);
        return (byte[])(await command.ExecuteScalarAsync())!;
    }

    private async Task<List<string>> TextsAsync(string sql, string key)
    {
        await using var db = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
        await db.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, db);
        command.Parameters.AddWithValue("k", key);
        var texts = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            texts.Add(reader.GetString(0));
        }

        return texts;
    }
}
