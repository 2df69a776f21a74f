using Loyalty.Contracts;
using Loyalty.Grains;
using Npgsql;
using NpgsqlTypes;

namespace Loyalty.Host.Storage;

/// <summary>
/// <c>ledger_entries</c> in PostgreSQL: a whole batch of entries (many members, many commits) in
/// one statement, duplicates ignored by the primary key.
/// </summary>
internal sealed class PostgresLedgerStore(NpgsqlDataSource dataSource) : ILedgerStore
{
    private const string InsertSql = """
        INSERT INTO ledger_entries (program_id, member_id, seq, entry_type, points, bucket_month, transaction_id, occurred_at, asset, reason, note, actor)
        SELECT * FROM unnest(@program, @member, @seq, @type, @points, @month, @transaction, @at, @asset, @reason, @note, @actor)
        ON CONFLICT ON CONSTRAINT ledger_entries_pk DO NOTHING
        """;

    private const string Columns = "seq, entry_type, points, bucket_month, transaction_id, occurred_at, asset, reason, note, actor";

    private const string ListSql = $"""
        SELECT {Columns}
        FROM ledger_entries
        WHERE program_id = @program AND member_id = @member AND seq > @after
        ORDER BY seq
        LIMIT @limit
        """;

    // By the primary key's (program_id, member_id) prefix: the member's entries, filtered. Only a manual adjustment
    // asks (customer service, not the checkout path), so no index of its own.
    private const string FindSql = $"""
        SELECT {Columns}
        FROM ledger_entries
        WHERE program_id = @program AND member_id = @member AND transaction_id = @transaction
        ORDER BY seq
        """;

    public async Task AppendAsync(IReadOnlyList<LedgerRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }

        await using var command = dataSource.CreateCommand(InsertSql);
        command.Parameters.Add(new NpgsqlParameter<string[]>("program", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.ProgramId)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("member", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.MemberId)] });
        command.Parameters.Add(new NpgsqlParameter<long[]>("seq", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. rows.Select(r => r.Entry.Seq)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("type", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => LedgerNames.Type(r.Entry.Type))] });
        command.Parameters.Add(new NpgsqlParameter<long[]>("points", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. rows.Select(r => r.Entry.Points)] });
        command.Parameters.Add(new NpgsqlParameter<int[]>("month", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. rows.Select(r => r.Entry.BucketMonth)] });
        command.Parameters.Add(new NpgsqlParameter<string?[]>("transaction", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.Entry.TransactionId)] });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. rows.Select(r => r.Entry.At.UtcDateTime)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("asset", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => LedgerNames.Asset(r.Entry.Asset))] });
        command.Parameters.Add(new NpgsqlParameter<string?[]>("reason", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.Entry.Reason)] });
        command.Parameters.Add(new NpgsqlParameter<string?[]>("note", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.Entry.Note)] });
        command.Parameters.Add(new NpgsqlParameter<string?[]>("actor", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.Entry.Actor)] });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<LedgerEntry>> ListAsync(string programId, string memberId, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ListSql);
        command.Parameters.AddWithValue("program", programId);
        command.Parameters.AddWithValue("member", memberId);
        command.Parameters.AddWithValue("after", afterSeq);
        command.Parameters.AddWithValue("limit", limit);
        return await ReadAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<LedgerEntry>> FindAsync(string programId, string memberId, string transactionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(FindSql);
        command.Parameters.AddWithValue("program", programId);
        command.Parameters.AddWithValue("member", memberId);
        command.Parameters.AddWithValue("transaction", transactionId);
        return await ReadAsync(command, cancellationToken);
    }

    private static async Task<IReadOnlyList<LedgerEntry>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<LedgerEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new LedgerEntry(
                reader.GetInt64(0),
                Enum.Parse<LedgerEntryType>(reader.GetString(1), ignoreCase: true),
                reader.GetInt64(2),
                reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                new DateTimeOffset(reader.GetFieldValue<DateTime>(5), TimeSpan.Zero),
                Enum.Parse<LedgerAsset>(reader.GetString(6), ignoreCase: true),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9)));
        }

        return entries;
    }
}

/// <summary>How <c>ledger_entries</c> spells an entry's type and asset.</summary>
internal static class LedgerNames
{
    public static string Type(LedgerEntryType type) => type.ToString().ToLowerInvariant();

    public static string Asset(LedgerAsset asset) => asset.ToString().ToLowerInvariant();
}
