using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Loyalty.Grains;

public static class GrainServices
{
    /// <summary>
    /// What the grains need from the silo: the business clock, the ledger store, where a member's sale and ledger rows go,
    /// the coupon-series store and its redemption outbox, the coupon options, the silo's program settings cache, the list of programs.
    /// </summary>
    public static IServiceCollection AddLoyaltyGrains(this IServiceCollection services, TimeProvider? businessTime = null)
    {
        services.TryAddSingleton(new LoyaltyClock(businessTime ?? TimeProvider.System));
        services.TryAddSingleton<ILedgerStore, MemoryLedgerStore>();
        services.TryAddSingleton(new PersonalData(string.Empty));
        services.TryAddSingleton<IAutomationStore, MemoryAutomationStore>();
        services.TryAddSingleton<IMemberRowStore, MemoryMemberRowStore>();
        services.TryAddSingleton<ICouponSeriesStore, MemoryCouponSeriesStore>();
        services.TryAddSingleton<IProgramDirectory, MemoryProgramDirectory>();
        services.AddSingleton<CouponRedemptionOutbox>();
        services.AddHostedService(sp => sp.GetRequiredService<CouponRedemptionOutbox>());
        services.AddOptions<CouponOptions>();
        services.TryAddSingleton<ProgramCache>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<ProgramCache>());
        return services;
    }
}
