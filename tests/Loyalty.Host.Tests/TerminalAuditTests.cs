using Loyalty.Api.V1;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

/// <summary>
/// The audit trail of the terminal port (issue #27, finding 9) over real gRPC and PostgreSQL: every operator's Enroll,
/// UpdateProfile, ReplaceCard, Void and Refund, and a till's profile change, are rows naming the port
/// ("PosService/…"), the credential and its role, with no personal data in clear (cards to their last 4 digits).
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class TerminalAuditTests(EngineFixture fixture)
{
    private const string Phone = "+420 601 234 567";
    private const string NewPhone = "+420 602 765 432";

    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task Operator_actions_on_the_terminal_port_are_audited_without_personal_data_in_clear()
    {
        var program = await fixture.NewProgramAsync();
        var member = "mem-" + Guid.NewGuid().ToString("N")[..10];
        var card = "8800" + Guid.NewGuid().ToString("N")[..8] + "4321";
        var newCard = "8800" + Guid.NewGuid().ToString("N")[..8] + "9876";
        await Engine.OperatorPos.EnrollAsync(new EnrollRequest
        {
            ProgramId = program, MemberId = member, CardNumber = card, Name = "Jana Auditová", Phone = Phone, Email = "jana@example.org", BirthDate = "1988-03-09",
        });
        await Engine.OperatorPos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = member, Phone = NewPhone, Email = "jana.new@example.org" });
        await Engine.OperatorPos.ReplaceCardAsync(new ReplaceCardRequest { ProgramId = program, MemberId = member, LostCardNumber = card, NewCardNumber = newCard });
        await Engine.OperatorPos.CommitAsync(Sales.Commit(program, member, "audited-sale-1"));
        await Engine.OperatorPos.CommitAsync(Sales.Commit(program, member, "audited-sale-2"));
        await Engine.OperatorPos.VoidAsync(new VoidSaleRequest { ProgramId = program, MemberId = member, TransactionId = "audited-sale-1" });
        await Engine.OperatorPos.RefundAsync(new RefundRequest { ProgramId = program, MemberId = member, TransactionId = "audited-sale-2", RefundId = "ret-1", Lines = { new RefundLineRef { LineIndex = 0, Quantity = 1 } } });

        var rows = (await Engine.Admin.ListAuditAsync(new ListAuditRequest { FilterProgramId = program })).Entries;
        Assert.Equal(
            ["PosService/Enroll", "PosService/Refund", "PosService/ReplaceCard", "PosService/UpdateProfile", "PosService/Void"],
            rows.Where(r => r.Method.StartsWith("PosService/", StringComparison.Ordinal)).Select(r => r.Method).Order(StringComparer.Ordinal));
        Assert.All(rows.Where(r => r.Method.StartsWith("PosService/", StringComparison.Ordinal)), r => Assert.Equal(("configured", OperatorRole.Operator), (r.CredentialId, r.Role)));
        AssertNoPersonalData(rows, card, newCard, "Jana", "Auditová", Phone, NewPhone, "jana@example.org", "jana.new@example.org", "example.org", "1988-03-09");
        Assert.Contains("4321", rows.Single(r => r.Method == "PosService/Enroll").Detail, StringComparison.Ordinal); // the card's last 4 digits tell which
        Assert.Contains("9876", rows.Single(r => r.Method == "PosService/ReplaceCard").Detail, StringComparison.Ordinal);
        Assert.Contains("changed", rows.Single(r => r.Method == "PosService/UpdateProfile").Detail, StringComparison.Ordinal);
        Assert.Contains("audited-sale-1", rows.Single(r => r.Method == "PosService/Void").Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(rows, r => r.Method == "PosService/Commit"); // a sale is the sales tables' record
    }

    [Fact]
    public async Task A_tills_profile_change_is_audited_under_its_own_credential_without_personal_data()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);

        await Engine.Pos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = member, Name = "Karel Přejmenovaný", BirthDate = "1975-11-30" });

        var row = Assert.Single((await Engine.Admin.ListAuditAsync(new ListAuditRequest { FilterProgramId = program })).Entries, r => r.Method == "PosService/UpdateProfile");
        Assert.Equal(OperatorRole.Terminal, row.Role);
        Assert.NotEqual("configured", row.CredentialId);
        Assert.Contains("store-1", row.Detail, StringComparison.Ordinal); // the till's store and terminal, as authenticated
        Assert.Contains("pos-1", row.Detail, StringComparison.Ordinal);
        AssertNoPersonalData([row], "Karel", "Přejmenovaný", "1975-11-30");
    }

    private static void AssertNoPersonalData(IEnumerable<AuditEntry> rows, params string[] personal)
    {
        foreach (var row in rows)
        {
            foreach (var value in personal)
            {
                Assert.DoesNotContain(value, row.Detail, StringComparison.Ordinal);
            }
        }
    }
}
