using System.Collections.Concurrent;
using Loyalty.Contracts;
using Npgsql;

namespace Loyalty.Host.Security;

/// <summary>One audited admin action: who (credential and role), what (the call, its program, its request), when.</summary>
public sealed record AuditRecord(long Id, DateTimeOffset At, string CredentialId, AccessRole Role, string Method, string? ProgramId, string Detail);

/// <summary>The append-only audit trail of admin actions that create value or access (table <c>admin_audit</c>).</summary>
public interface IAuditTrail
{
    Task AppendAsync(AuditRecord record, CancellationToken cancellationToken);

    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<AuditRecord>> ListAsync(string? programId, int limit, CancellationToken cancellationToken);
}

internal sealed class PostgresAuditTrail(NpgsqlDataSource dataSource) : IAuditTrail
{
    public async Task AppendAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO admin_audit (at, credential_id, role, method, program_id, detail) VALUES (@at, @credential, @role, @method, @program, @detail)");
        command.Parameters.AddWithValue("at", record.At);
        command.Parameters.AddWithValue("credential", record.CredentialId);
        command.Parameters.AddWithValue("role", record.Role.ToString());
        command.Parameters.AddWithValue("method", record.Method);
        command.Parameters.AddWithValue("program", (object?)record.ProgramId ?? DBNull.Value);
        command.Parameters.AddWithValue("detail", record.Detail);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AuditRecord>> ListAsync(string? programId, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT id, at, credential_id, role, method, program_id, detail FROM admin_audit
            WHERE @program::text IS NULL OR program_id = @program
            ORDER BY id DESC LIMIT @limit
            """);
        command.Parameters.AddWithValue("program", NpgsqlTypes.NpgsqlDbType.Text, (object?)programId ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit);
        var records = new List<AuditRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new AuditRecord(
                reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), Enum.Parse<AccessRole>(reader.GetString(3)),
                reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetString(6)));
        }

        return records;
    }
}

/// <summary>Without a database: kept in memory (like everything else then), for development.</summary>
internal sealed class MemoryAuditTrail : IAuditTrail
{
    private readonly ConcurrentQueue<AuditRecord> _records = new();
    private long _id;

    public Task AppendAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        _records.Enqueue(record with { Id = Interlocked.Increment(ref _id) });
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<AuditRecord>> ListAsync(string? programId, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<AuditRecord>>([.. _records.Where(r => programId is null || r.ProgramId == programId).OrderByDescending(r => r.Id).Take(limit)]);
}
