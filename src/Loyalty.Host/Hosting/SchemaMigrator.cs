using Npgsql;

namespace Loyalty.Host.Hosting;

/// <summary>
/// Applies the project's own schema (deploy/sql/*.sql, copied next to the binaries) in file-name
/// order. Every script is idempotent; an advisory lock makes silos starting together apply it once
/// at a time.
/// </summary>
public static partial class SchemaMigrator
{
    private const long LockKey = 0x4C6F79616C7479; // "Loyalty"

    public static string ScriptDirectory => Path.Combine(AppContext.BaseDirectory, "sql");

    public static async Task ApplyAsync(string connectionString, ILogger logger, CancellationToken cancellationToken = default)
    {
        // A script that changes a table while another silo writes to it can lose a deadlock to that silo's batch
        // (PostgreSQL aborts one of them; the scripts add columns only when missing, so this is an upgrade's first
        // start): the schema is all or nothing, so it is simply applied again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ApplyOnceAsync(connectionString, logger, cancellationToken);
                return;
            }
            catch (PostgresException deadlock) when (deadlock.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < 5)
            {
                LogDeadlock(logger, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken);
            }
        }
    }

    private static async Task ApplyOnceAsync(string connectionString, ILogger logger, CancellationToken cancellationToken)
    {
        var scripts = Directory.GetFiles(ScriptDirectory, "*.sql").Order(StringComparer.Ordinal).ToArray();
        if (scripts.Length == 0)
        {
            throw new InvalidOperationException($"No schema scripts found in {ScriptDirectory}.");
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockKey})", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var script in scripts)
        {
            var sql = await File.ReadAllTextAsync(script, cancellationToken);
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
            LogApplied(logger, Path.GetFileName(script));
        }

        await transaction.CommitAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Applying the schema lost a deadlock to another silo's writes (attempt {Attempt}); applying it again")]
    private static partial void LogDeadlock(ILogger logger, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schema script {Script} applied")]
    private static partial void LogApplied(ILogger logger, string script);
}
