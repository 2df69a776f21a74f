using Loyalty.Contracts;
using Loyalty.Grains;
using Orleans.Storage;

namespace Loyalty.MemoryBench;

/// <summary>
/// Grain storage that keeps nothing: a read completes with the empty state the grain was created
/// with, a write is accepted and forgotten. The bench then counts what the activations hold, not an
/// in-memory copy of every state (which <c>AddMemoryGrainStorage</c> would add, serialized, per grain).
/// </summary>
public sealed class NullGrainStorage : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        grainState.RecordExists = false;
        grainState.ETag = null;
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        grainState.RecordExists = true;
        grainState.ETag = "1";
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        grainState.RecordExists = false;
        grainState.ETag = null;
        return Task.CompletedTask;
    }
}

/// <summary>The ledger table, discarded: the default in-memory store would keep every entry of every member.</summary>
public sealed class NullLedgerStore : ILedgerStore
{
    public Task AppendAsync(IReadOnlyList<LedgerRow> rows, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<IReadOnlyList<LedgerEntry>> ListAsync(string programId, string memberId, long afterSeq, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<LedgerEntry>>([]);

    public Task<IReadOnlyList<LedgerEntry>> FindAsync(string programId, string memberId, string transactionId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<LedgerEntry>>([]);
}

/// <summary>The member directory and message outbox, discarded: the default in-memory store keeps a row per member.</summary>
public sealed class NullAutomationStore : IAutomationStore
{
    public Task UpsertMemberAsync(string programId, string memberId, DateOnly? birthDate, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<IReadOnlyList<string>> CandidatesAsync(ProgramSettings program, AutomationWindow window, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    public Task AppendMessageAsync(OutboxMessage message, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<IReadOnlyList<OutboxMessage>> ListMessagesAsync(string programId, string? memberId, int limit, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<OutboxMessage>>([]);
}
