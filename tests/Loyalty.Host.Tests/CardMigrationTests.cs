using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Contracts;
using Loyalty.Grains;
using Loyalty.Host.Storage;
using Loyalty.Host.Tests.Infrastructure;
using Npgsql;

namespace Loyalty.Host.Tests;

/// <summary>
/// Cards and phones stored by the previous version — one card grain each, a "card" row of grain_state —
/// still identify their members after an upgrade: the engine moves them to member_keys at startup.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class CardMigrationTests(EngineFixture fixture)
{
    // A card grain's state as the previous version wrote it (alias loyalty.CardState: [Id(0)] member "m-1", [Id(1)] blocked true).
    private const string CardStateBytes = "2040076D2D310103E0";

    [Fact]
    public async Task Cards_and_phones_held_by_card_grains_identify_their_members_after_the_upgrade()
    {
        var serviceId = "cards-" + Guid.NewGuid().ToString("N")[..8];
        var program = "p-" + Guid.NewGuid().ToString("N")[..8];
        string first, second;
        await using (var before = await TestEngine.StartAsync(fixture.ConnectionString, serviceId))
        {
            await before.Admin.UpsertProgramAsync(new LoyaltyProgram { ProgramId = program, Name = "x", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 3 });
            first = (await before.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, CardNumber = "card-1", Phone = "+4917612345678" })).MemberId;
            second = (await before.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, CardNumber = "card-2" })).MemberId;
            await before.OperatorPos.ReplaceCardAsync(new ReplaceCardRequest { ProgramId = program, MemberId = second, LostCardNumber = "card-2", NewCardNumber = "card-3" });

            // Turn the keys back into what the previous version stored: a card grain row each, no member_keys row.
            var serializer = before.Services.GrainStateSerializer();
            await using var data = NpgsqlDataSource.Create(fixture.ConnectionString);
            var keys = new List<(string Key, string Member, bool Blocked)>();
            await using (var read = data.CreateCommand($"SELECT key, member_id, blocked FROM member_keys WHERE service_id = '{serviceId}'"))
            await using (var reader = await read.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    keys.Add((reader.GetString(0), reader.GetString(1), reader.GetBoolean(2)));
                }
            }

            Assert.Equal(4, keys.Count); // card-1, the phone, card-2 (blocked), card-3
            Assert.Equal(["card-2"], keys.Where(k => k.Blocked).Select(k => k.Key));
            foreach (var (key, member, blocked) in keys)
            {
                await using var insert = data.CreateCommand(
                    "INSERT INTO grain_state (service_id, state_name, grain_key, grain_n0, grain_n1, version, payload) VALUES ($1, 'card', $2, 0, 0, 1, $3)");
                insert.Parameters.AddWithValue(serviceId);
                insert.Parameters.AddWithValue(Keys.Scoped(program, key));
                insert.Parameters.AddWithValue(serializer.Serialize(new LegacyCardState { MemberId = member, Blocked = blocked }).ToArray());
                await insert.ExecuteNonQueryAsync();
            }

            await using var delete = data.CreateCommand($"DELETE FROM member_keys WHERE service_id = '{serviceId}'");
            await delete.ExecuteNonQueryAsync();
        }

        await using var after = await TestEngine.StartAsync(fixture.ConnectionString, serviceId);

        Assert.Equal(first, (await after.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = "card-1" })).MemberId);
        Assert.Equal(first, (await after.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, Phone = "+49 176 12345678" })).MemberId);
        Assert.Equal(second, (await after.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = "card-3" })).MemberId);
        var lost = await Assert.ThrowsAsync<RpcException>(() => after.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = "card-2" }).ResponseAsync);
        Assert.Equal("CARD_BLOCKED", lost.Reason());
        var taken = await Assert.ThrowsAsync<RpcException>(() => after.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "someone-else", CardNumber = "card-1" }).ResponseAsync);
        Assert.Equal("CARD_IN_USE", taken.Reason());
        Assert.Equal(0L, await TestPostgres.ScalarAsync<long>(fixture.ConnectionString,
            "SELECT count(*) FROM grain_state WHERE service_id = $1 AND state_name = 'card'", serviceId));
    }

    [Fact]
    public void A_card_grain_state_reads_from_the_bytes_the_previous_version_wrote()
    {
        var serializer = fixture.Engine.Services.GrainStateSerializer();
        var written = Convert.ToHexString(serializer.Serialize(new LegacyCardState { MemberId = "m-1", Blocked = true }).ToArray());
        Assert.Equal(CardStateBytes, written);
        var state = serializer.Deserialize<LegacyCardState>(BinaryData.FromBytes(Convert.FromHexString(CardStateBytes)));
        Assert.Equal(("m-1", true), (state?.MemberId, state?.Blocked));
    }
}
