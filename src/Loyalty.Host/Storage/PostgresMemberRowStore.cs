using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Grains;
using Npgsql;
using Orleans.Storage;

namespace Loyalty.Host.Storage;

/// <summary>
/// A member's rows in PostgreSQL (<c>member_sales</c>, <c>ledger_entries</c>, <c>member_keys</c>): written by the
/// grain storage in the member's own transaction (<see cref="BatchedGrainStorage"/>), read back here when a
/// sale is no longer among the member's recent ones (a void, a refund, a late retry) and when a till
/// identifies a member by card or phone.
/// </summary>
public sealed class PostgresMemberRowStore(NpgsqlDataSource dataSource, string serviceId, IGrainStorageSerializer serializer) : IMemberRowStore
{
    private const string FindSql = """
        SELECT record FROM member_sales
        WHERE service_id = $1 AND program_id = $2 AND member_id = $3 AND transaction_id = $4
        """;

    private const string FindKeySql = """
        SELECT member_id, blocked FROM member_keys
        WHERE service_id = $1 AND program_id = $2 AND kind = $3 AND key = $4
        """;

    public bool WritesWithState => true;

    public async Task<SaleRecord?> FindSaleAsync(string programId, string memberId, string transactionId)
    {
        await using var command = Command(FindSql, programId, memberId, transactionId);
        var record = await command.ExecuteScalarAsync() as byte[];
        return record is null ? null : serializer.Deserialize<SaleRecord>(BinaryData.FromBytes(record));
    }

    public async Task<MemberKeyOwner?> FindKeyAsync(string programId, string kind, string key)
    {
        await using var command = Command(FindKeySql, programId, kind, key);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? new MemberKeyOwner(reader.GetString(0), reader.GetBoolean(1)) : null;
    }

    /// <summary>A query of this service's rows: the service id, then <paramref name="values"/>, as text parameters in order.</summary>
    private NpgsqlCommand Command(string sql, params string[] values)
    {
        var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = serviceId });
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
        }

        return command;
    }

    public Task AppendAsync(MemberRows rows) =>
        throw new InvalidOperationException("member rows are written with the member's state in PostgreSQL");

    public string? ClaimKeys(MemberRows rows) =>
        throw new InvalidOperationException("keys are claimed by the member's own write in PostgreSQL");
}
