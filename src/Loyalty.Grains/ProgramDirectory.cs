using System.Collections.Concurrent;

namespace Loyalty.Grains;

/// <summary>
/// Which programs this service has: their ids, for the admin API's list of programs (their settings stay with
/// each program's grain). In PostgreSQL the program's own <c>grain_state</c> row is the record, so there is no
/// second write to keep in step with it (docs/storage-schema.md, "Listing programs").
/// </summary>
public interface IProgramDirectory
{
    /// <summary>The program grain stored a definition of this program (idempotent; nothing to do where the stored state is the record).</summary>
    Task RecordAsync(string programId);

    /// <summary>Every defined program's id, in ordinal order.</summary>
    Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>The program directory when no database is configured (and in grain tests): the ids the program grains recorded.</summary>
public sealed class MemoryProgramDirectory : IProgramDirectory
{
    private readonly ConcurrentDictionary<string, bool> _programs = new(StringComparer.Ordinal);

    public Task RecordAsync(string programId)
    {
        _programs.TryAdd(programId, true);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([.. _programs.Keys.Order(StringComparer.Ordinal)]);
}
