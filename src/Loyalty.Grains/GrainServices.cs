using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Loyalty.Grains;

public static class GrainServices
{
    /// <summary>What the grains need from the silo: the business clock, the ledger store and its batching outbox.</summary>
    public static IServiceCollection AddLoyaltyGrains(this IServiceCollection services, TimeProvider? businessTime = null)
    {
        services.TryAddSingleton(new LoyaltyClock(businessTime ?? TimeProvider.System));
        services.TryAddSingleton<ILedgerStore, MemoryLedgerStore>();
        services.TryAddSingleton(new PersonalData(string.Empty));
        services.TryAddSingleton<IAutomationStore, MemoryAutomationStore>();
        services.AddSingleton<LedgerOutbox>();
        services.AddHostedService(sp => sp.GetRequiredService<LedgerOutbox>());
        return services;
    }
}
