using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Grains;
using Npgsql;
using Orleans.Storage;

namespace Loyalty.Host.Storage;

/// <summary>
/// Moves the card grains of earlier versions into <c>member_keys</c> (deploy/sql/009): each was a
/// <c>grain_state</c> row named "card", keyed "program/card" or "program/tel:…" (a phone's peppered hash),
/// holding a <see cref="LegacyCardState"/>. Runs at startup before the silo takes calls, in one transaction
/// (rows inserted, the card rows deleted), so it finds nothing to do on every later start. A card that a
/// member already holds as a row keeps that row. Stop every silo of the earlier version before the
/// first start of this one (docs/operations.md): they would still claim cards as grains.
/// </summary>
public static partial class LegacyCardMigration
{
    private const string SelectSql = """
        SELECT grain_key, payload FROM grain_state
        WHERE service_id = $1 AND state_name = 'card' AND grain_n0 = 0 AND grain_n1 = 0
        FOR UPDATE
        """;

    private const string InsertSql = """
        INSERT INTO member_keys (service_id, program_id, kind, key, member_id, blocked)
        SELECT $1, k.program_id, k.kind, k.key, k.member_id, k.blocked
        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[]) AS k(program_id, kind, key, member_id, blocked)
        ON CONFLICT ON CONSTRAINT member_keys_pk DO NOTHING
        """;

    private const string DeleteSql = "DELETE FROM grain_state WHERE service_id = $1 AND state_name = 'card'";

    /// <summary>Moves every card grain row of the service; answers how many keys were moved.</summary>
    public static async Task<int> RunAsync(NpgsqlDataSource dataSource, string serviceId, IGrainStorageSerializer serializer, ILogger logger)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var programs = new List<string>();
        var kinds = new List<string>();
        var keys = new List<string>();
        var members = new List<string>();
        var blocked = new List<bool>();
        await using (var select = new NpgsqlCommand(SelectSql, connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = serviceId });
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                if (reader.IsDBNull(1))
                {
                    continue;
                }

                var card = serializer.Deserialize<LegacyCardState>(BinaryData.FromBytes((byte[])reader.GetValue(1)));
                if (card?.MemberId is not { } member)
                {
                    continue;
                }

                var (program, key) = Keys.Split(reader.GetString(0));
                programs.Add(program);
                kinds.Add(key.StartsWith(Profiles.PhoneKeyPrefix, StringComparison.Ordinal) ? MemberKeys.Phone : MemberKeys.Card);
                keys.Add(key);
                members.Add(member);
                blocked.Add(card.Blocked);
            }
        }

        if (programs.Count > 0)
        {
            await using var insert = new NpgsqlCommand(InsertSql, connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = serviceId });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. programs] });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. kinds] });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. keys] });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. members] });
            insert.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. blocked] });
            await insert.ExecuteNonQueryAsync();
        }

        await using (var delete = new NpgsqlCommand(DeleteSql, connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = serviceId });
            await delete.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
        if (programs.Count > 0)
        {
            LogMoved(logger, programs.Count);
        }

        return programs.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} cards and phone numbers moved from card grains to member_keys")]
    private static partial void LogMoved(ILogger logger, int count);
}
