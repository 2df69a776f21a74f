using System.Collections.Concurrent;
using System.Diagnostics;
using Loyalty.Contracts;
using Microsoft.Extensions.Logging;

namespace Loyalty.Grains;

/// <summary>
/// Every program's settings as this silo last heard them, so that identify, quote and commit do not each
/// make a call to the program grain (docs/write-path.md, "Program settings cache").
/// </summary>
/// <remarks>
/// <para>
/// A read registers this silo with the program grain (<see cref="IProgramGrain.WatchAsync"/>); the grain tells
/// every registered silo of a change before the admin call that made it returns, so a commit anywhere after
/// the change sees it. The highest version wins, whichever of a read's answer and a change arrives first.
/// </para>
/// <para>
/// An entry is trusted for <see cref="Lifetime"/>; after that the next read asks the grain again (and registers
/// again). That bounds how long a silo can miss a change the grain could not tell it of: the program grain
/// moved to another silo after a crash (its new activation knows no watchers yet), or this silo was cut off
/// while the change was made.
/// </para>
/// </remarks>
public sealed class ProgramCache(IGrainFactory grains, ILogger<ProgramCache> logger)
    : IProgramWatcher, ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>How long an entry is used without asking the program grain again.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private static readonly long LifetimeTicks = (long)(Lifetime.TotalSeconds * Stopwatch.Frequency);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    // Created once the silo is up: Orleans makes observer references only outside a grain's turn.
    private IProgramWatcher? _self;

    /// <summary>The program's settings; PROGRAM_NOT_FOUND (from the grain) when it was never defined.</summary>
    public ValueTask<ProgramSettings> GetAsync(string programId) =>
        _entries.TryGetValue(programId, out var entry) && Stopwatch.GetTimestamp() - entry.ReadAt < LifetimeTicks
            ? ValueTask.FromResult(entry.Program.Settings)
            : new ValueTask<ProgramSettings>(ReadAsync(programId));

    public Task ChangedAsync(VersionedProgram program)
    {
        Keep(program, Stopwatch.GetTimestamp());
        return Task.CompletedTask;
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ProgramCache), ServiceLifecycleStage.Active, _ =>
        {
            _self = grains.CreateObjectReference<IProgramWatcher>(this);
            return Task.CompletedTask;
        });

    private async Task<ProgramSettings> ReadAsync(string programId)
    {
        var grain = grains.Grain<IProgramGrain>(programId);
        if (_self is not { } self)
        {
            // The silo is still starting: no cache yet.
            return await grain.GetAsync();
        }

        var readAt = Stopwatch.GetTimestamp();
        var program = await grain.WatchAsync(self);
        return Keep(program, readAt).Settings;
    }

    private VersionedProgram Keep(VersionedProgram program, long readAt)
    {
        var kept = _entries.AddOrUpdate(
            program.Settings.ProgramId,
            static (_, fresh) => fresh,
            static (_, old, fresh) => fresh.Program.Version >= old.Program.Version ? fresh : old with { ReadAt = fresh.ReadAt },
            new Entry(program, readAt));
        if (kept.Program.Version > program.Version)
        {
            logger.LogDebug("Program {ProgramId}: kept version {Kept} over the older {Older}", program.Settings.ProgramId, kept.Program.Version, program.Version);
        }

        return kept.Program;
    }

    private sealed record Entry(VersionedProgram Program, long ReadAt);
}
