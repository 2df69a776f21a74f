using Loyalty.Grains;
using Npgsql;

namespace Loyalty.Host.Storage;

/// <summary>
/// The programs of this service, read from the program grains' own rows in <c>grain_state</c> (state name
/// <see cref="ProgramGrain.StateName"/>, keyed by program id): the state a definition wrote is the record, so a
/// program is listed exactly when its grain has stored settings, with no second write to go missing. The
/// primary key's prefix (service id, state name) finds them without reading any other grain's rows.
/// </summary>
public sealed class PostgresProgramDirectory(NpgsqlDataSource dataSource, string serviceId) : IProgramDirectory
{
    private const string ListSql = """
        SELECT grain_key FROM grain_state
        WHERE service_id = $1 AND state_name = $2 AND grain_n0 = 0 AND grain_n1 = 0 AND payload IS NOT NULL
        ORDER BY grain_key COLLATE "C"
        """;

    /// <summary>Nothing to write: the program grain's state row, written before this is called, is the record.</summary>
    public Task RecordAsync(string programId) => Task.CompletedTask;

    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ListSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = serviceId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ProgramGrain.StateName });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var programs = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            programs.Add(reader.GetString(0));
        }

        return programs;
    }
}
