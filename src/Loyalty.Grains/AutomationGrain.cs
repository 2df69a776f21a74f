using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;
using Microsoft.Extensions.Logging;

namespace Loyalty.Grains;

[GenerateSerializer, Alias("loyalty.AutomationState")]
public sealed class AutomationState
{
    /// <summary>The end of the last completed pass: the next pass looks at what happened since.</summary>
    [Id(0)]
    public DateTimeOffset? LastPassAt { get; set; }
}

/// <summary>
/// Runs a program's time-driven automations: an Orleans reminder (durable, survives silo restarts)
/// ticks every hour; each pass asks the store for candidates and each candidate member fires what is
/// due from its own state. A missed tick is caught up by the next (the window starts at the last
/// completed pass); a repeated tick fires nothing twice (members remember each occasion).
/// </summary>
public sealed partial class AutomationGrain(
    [PersistentState("automation", ProviderNames.GrainStorage)] IPersistentState<AutomationState> state,
    IAutomationStore store,
    LoyaltyClock clock,
    ILogger<AutomationGrain> logger)
    : Grain, IAutomationGrain, IRemindable
{
    public const string ReminderName = "automations";
    public static readonly TimeSpan Period = TimeSpan.FromHours(1);

    private static readonly AutomationKind[] TimeDriven = [AutomationKind.Birthday, AutomationKind.WinBack, AutomationKind.PointsExpiring];

    public async Task ScheduleAsync(ImmutableArray<AutomationRule> rules)
    {
        var needed = !rules.IsDefaultOrEmpty && rules.Any(a => TimeDriven.Contains(a.Kind));
        if (needed)
        {
            await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), Period);
        }
        else if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var report = await RunAsync();
        LogPass(logger, report.Candidates, report.Fired, report.Failed);
    }

    public async Task<AutomationReport> RunAsync()
    {
        var programId = this.GetPrimaryKeyString();
        var program = await GrainFactory.Grain<IProgramGrain>(programId).GetAsync();
        var now = clock.UtcNow;
        if (program.Automations.IsDefaultOrEmpty)
        {
            return new AutomationReport(0, 0, 0, now);
        }

        var window = new AutomationWindow(state.State.LastPassAt ?? now.AddDays(-1), now);
        var candidates = await store.CandidatesAsync(program, window);
        int fired = 0, failed = 0;

        // In the grain's own context, 16 members at a time: a pass never floods the cluster.
        foreach (var chunk in candidates.Chunk(16))
        {
            var results = await Task.WhenAll(chunk.Select(async memberId =>
            {
                try
                {
                    return (Fired: await GrainFactory.Grain<IMemberGrain>(Keys.Scoped(programId, memberId)).RunAutomationsAsync(), Failed: false);
                }
                catch (LoyaltyException e) when (e.Reason == ErrorReason.MemberNotFound)
                {
                    return (Fired: 0, Failed: false);
                }
                catch (Exception failure)
                {
                    LogMemberFailed(logger, failure);
                    return (Fired: 0, Failed: true);
                }
            }));
            fired += results.Sum(r => r.Fired);
            failed += results.Count(r => r.Failed);
        }

        if (failed == 0)
        {
            // Only a clean pass moves the window: members that failed are candidates again next time.
            state.State.LastPassAt = now;
            await state.WriteStateAsync();
        }

        return new AutomationReport(candidates.Count, fired, failed, now);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Automation pass: {Candidates} candidates, {Fired} fired, {Failed} failed")]
    private static partial void LogPass(ILogger logger, int candidates, int fired, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An automation for a member failed; it is retried on the next pass")]
    private static partial void LogMemberFailed(ILogger logger, Exception exception);
}
