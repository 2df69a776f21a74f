using System.Collections.Concurrent;
using Loyalty.Contracts;

namespace Loyalty.Grains;

/// <summary>The window one automation pass looks at: from the previous pass (or a day back) to now.</summary>
public sealed record AutomationWindow(DateTimeOffset From, DateTimeOffset To);

/// <summary>
/// Where automations find candidates and leave messages (<c>member_directory</c>, <c>ledger_entries</c>
/// and <c>member_messages</c> in PostgreSQL). Candidates are a superset: each member decides from its own
/// state whether something is due, so a loose query costs grain calls, never a wrong message.
/// </summary>
public interface IAutomationStore
{
    /// <summary>Records what the time-driven automations need to find the member (the birth date); idempotent.</summary>
    Task UpsertMemberAsync(string programId, string memberId, DateOnly? birthDate, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<string>> CandidatesAsync(ProgramSettings program, AutomationWindow window, CancellationToken cancellationToken = default);

    /// <summary>Adds the message unless one with its (program, member, key) exists: a retried automation never sends twice.</summary>
    Task AppendMessageAsync(OutboxMessage message, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<OutboxMessage>> ListMessagesAsync(string programId, string? memberId, int limit, CancellationToken cancellationToken = default);
}

/// <summary>The automation store when no database is configured (and in grain tests): every member is a candidate.</summary>
public sealed class MemoryAutomationStore : IAutomationStore
{
    private readonly ConcurrentDictionary<(string Program, string Member), DateOnly?> _members = new();
    private readonly ConcurrentDictionary<(string Program, string Member, string Key), OutboxMessage> _messages = new();

    public Task UpsertMemberAsync(string programId, string memberId, DateOnly? birthDate, CancellationToken cancellationToken = default)
    {
        _members[(programId, memberId)] = birthDate;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> CandidatesAsync(ProgramSettings program, AutomationWindow window, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([.. _members.Keys.Where(k => k.Program == program.ProgramId).Select(k => k.Member).Order(StringComparer.Ordinal)]);

    public Task AppendMessageAsync(OutboxMessage message, CancellationToken cancellationToken = default)
    {
        _messages.TryAdd((message.ProgramId, message.MemberId, message.Key), message);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<OutboxMessage>> ListMessagesAsync(string programId, string? memberId, int limit, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<OutboxMessage>>([.. _messages.Values
            .Where(m => m.ProgramId == programId && (memberId is null || m.MemberId == memberId))
            .OrderBy(m => m.CreatedAt)
            .ThenBy(m => m.Key, StringComparer.Ordinal)
            .Take(limit)]);
}
