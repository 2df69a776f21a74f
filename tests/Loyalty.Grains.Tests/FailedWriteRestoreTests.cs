using System.Collections.Concurrent;
using Loyalty.Contracts;
using Loyalty.Domain;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Loyalty.Grains.Tests;

/// <summary>A one-silo cluster set up as <see cref="ClusterFixture"/>'s, whose grain storage fails a chosen write.</summary>
public sealed class FaultyStorageFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; } = new TestClusterBuilder(1).AddSiloBuilderConfigurator<SiloConfigurator>().Build();

    public IGrainFactory Grains => Cluster.GrainFactory;

    public Task InitializeAsync() => Cluster.DeployAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>What storage holds for a grain, read past the grain (not its memory).</summary>
    public async Task<T> StoredAsync<T>(string stateName, IAddressable grain)
        where T : new()
    {
        var silo = (InProcessSiloHandle)Cluster.Primary!;
        var storage = silo.SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(ProviderNames.GrainStorage);
        var stored = new GrainState<T>(new T());
        await storage.ReadStateAsync(stateName, grain.GetGrainId(), stored);
        return stored.State ?? throw new InvalidOperationException("storage returned no state");
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            new ClusterFixture.SiloConfigurator().Configure(silo);
            FaultyGrainStorage.Decorate(silo.Services, ProviderNames.GrainStorage);
        }
    }
}

/// <summary>Wraps the grain storage: a write a test asked to fail waits for the test's signal, then fails without reaching storage.</summary>
public sealed class FaultyGrainStorage(IGrainStorage inner) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private static readonly ConcurrentDictionary<GrainId, Fault> Faults = new();

    /// <summary>The next write of <paramref name="grain"/>: <see cref="Fault.Entered"/> when it starts, fails once <see cref="Fault.Release"/> is called.</summary>
    public static Fault FailNextWrite(IAddressable grain) => Faults[grain.GetGrainId()] = new Fault();

    public static void Decorate(IServiceCollection services, string name)
    {
        var descriptor = services.Last(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, name));
        var create = descriptor.KeyedImplementationFactory!;
        services.Remove(descriptor);
        services.AddKeyedSingleton<IGrainStorage>(name, (provider, key) => new FaultyGrainStorage((IGrainStorage)create(provider, key)));
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (Faults.TryRemove(grainId, out var fault))
        {
            fault.Entered.TrySetResult();
            await fault.Released.Task;
            throw new IOException($"injected storage fault (the {stateName} write)");
        }

        await inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);

    public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);

    public sealed class Fault
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => Released.TrySetResult();
    }
}

/// <summary>
/// Issue #14: a group-commit batch whose write fails is undone in memory, every field of it. The next batch,
/// queued while the failing write was in flight, is decided by the same activation and written: if any field
/// of the failed batch stayed in memory, that write would make it durable and the next answers would differ.
/// So after the failure, the grain's answers and what storage holds are both what the failed batch never granted.
/// </summary>
public sealed class FailedWriteRestoreTests(FaultyStorageFixture fixture) : IClassFixture<FaultyStorageFixture>
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task A_series_code_whose_redemption_write_failed_holds_nothing_of_it_in_memory_or_storage()
    {
        // Definition and SeriesId come from the series table at activation, and are in storage only after the first write.
        var program = await NewProgramAsync();
        var silo = (InProcessSiloHandle)fixture.Cluster.Primary!;
        var store = silo.SiloHost.Services.GetRequiredService<ICouponSeriesStore>();
        var terms = new CouponDefinition(CouponKind.AmountOff, 250, 0, 0, null, null);
        await store.RegisterAsync(program, "s1", 1, terms, DateTimeOffset.UtcNow, CancellationToken.None);
        while (!(await store.GenerateChunkAsync(program, "s1", 10, DateTimeOffset.UtcNow, CancellationToken.None)).Complete)
        {
        }

        var codes = new List<string>();
        await foreach (var series in store.ExportAsync(program, "s1", CancellationToken.None))
        {
            codes.Add(series.Code);
        }

        var coupon = Grains.GetGrain<ICouponGrain>(Keys.Scoped(program, Assert.Single(codes)));

        // The redemption sets the holder, the hold and a record in the outbox; the withdrawal queued behind it asks whether anyone redeemed.
        var (lost, withdraw) = await DuringFailedWriteAsync(
            coupon, () => coupon.RedeemAsync(Redemption("lost", "m1")), () => coupon.WithdrawAsync("issuing-sale"));

        await AssertWriteFailedAsync(lost);
        Assert.False(await withdraw, "nobody holds the code: the failed redemption was never granted");

        var memory = await coupon.GetAsync();
        var stored = await fixture.StoredAsync<CouponState>("coupon", coupon);
        Assert.Equal(
            (250L, "s1", (string?)null, (string?)null, (DateTimeOffset?)null, 0L, 0, stored.WithdrawnAt),
            (memory.Definition.Value, memory.SeriesId, memory.RedeemedByTransaction, memory.RedeemedByMember, memory.RedeemedAt, memory.Redemptions, memory.PendingHolds, memory.WithdrawnAt));
        Assert.Equal(
            ((long?)250, "s1", (string?)null, (string?)null, (DateTimeOffset?)null, 0, 0L, 0, "issuing-sale"),
            (stored.Definition?.Value, stored.SeriesId, stored.RedeemedByTransaction, stored.RedeemedByMember, stored.RedeemedAt, stored.Holds.Count, stored.RecordVersion, stored.Outbox.Count, stored.WithdrawnFor));
        Assert.NotNull(stored.WithdrawnAt);
    }

    [Fact]
    public async Task A_shared_code_whose_return_write_failed_keeps_its_count_and_takes_the_return_again()
    {
        var program = await NewProgramAsync();
        var code = CouponCodes.Next();
        var coupon = Grains.GetGrain<ICouponGrain>(Keys.Scoped(program, code));
        await coupon.CreateAsync(new CouponDefinition(CouponKind.AmountOff, 100, 0, 0, null, null, CouponUse.Shared, MaxRedemptions: 1));
        await coupon.RedeemAsync(Redemption("paid", "m1"));
        await coupon.ConfirmAsync("paid"); // one-way: returns when sent
        await WaitAsync(async () => (await coupon.GetAsync()).PendingHolds == 0);

        // The void of "paid" gives its redemption back and remembers the return; another sale queued behind it then fits under the cap.
        var (returned, next) = await DuringFailedWriteAsync(
            coupon, () => coupon.RestoreAsync("paid"), () => coupon.RedeemAsync(Redemption("next", "m2")));

        await AssertWriteFailedAsync(returned);
        var full = await Assert.ThrowsAsync<LoyaltyException>(() => next);
        Assert.Equal(ErrorReason.CouponExhausted, full.Reason);

        var memory = await coupon.GetAsync();
        var stored = await fixture.StoredAsync<CouponState>("coupon", coupon);
        Assert.Equal((1L, 0), (memory.Redemptions, memory.PendingHolds));
        Assert.Equal((1L, 0, 0), (stored.Redemptions, stored.Holds.Count, stored.Returned.Count));

        // The return was not remembered, so the retried void gives the redemption back.
        Assert.True(await coupon.RestoreAsync("paid"));
        Assert.Equal(0, (await coupon.GetAsync()).Redemptions);
    }

    [Fact]
    public async Task A_budget_whose_return_write_failed_keeps_its_counts_and_takes_the_return_again()
    {
        var program = await NewProgramAsync();
        await Grains.GetGrain<IProgramGrain>(program).DefineCampaignAsync(new CampaignDefinition(
            "flash", "Flash", CampaignKind.PercentOffBasket, 10, 0, 0, null, null, 1, MaxRedemptions: 1, MaxDiscountMoney: 0, MaxPerStore: 1));
        var budget = Grains.GetGrain<ICampaignBudgetGrain>(Keys.Scoped(program, "flash"));
        Assert.True(await budget.ReserveAsync("paid", "m1", 500, "s1"));
        await budget.ConfirmAsync("paid"); // one-way: returns when sent
        await WaitAsync(async () => (await budget.GetStatusAsync()).PendingHolds == 0);

        // The void of "paid" gives back its redemption, discount and store count, and remembers the return;
        // a reservation queued behind it would then fit under the caps.
        var (returned, next) = await DuringFailedWriteAsync(
            budget, () => budget.ReturnAsync("paid", 500, "s1"), () => budget.ReserveAsync("next", "m2", 500, "s1"));

        await AssertWriteFailedAsync(returned);
        var exhausted = await Assert.ThrowsAsync<LoyaltyException>(() => next);
        Assert.Equal(ErrorReason.BudgetExhausted, exhausted.Reason);

        var memory = await budget.GetStatusAsync();
        var stored = await fixture.StoredAsync<CampaignBudgetState>("campaign-budget", budget);
        Assert.Equal((1L, 500L, 0, true), (memory.Redemptions, memory.DiscountGiven, memory.PendingHolds, memory.Exhausted));
        Assert.Equal((1L, 500L, 0, 0, 1L), (stored.Redemptions, stored.DiscountGiven, stored.Holds.Count, stored.Returned.Count, stored.StoreRedemptions["s1"]));
        Assert.False(await budget.CanGrantAsync("s1", 500));

        // The return was not remembered, so the retried void gives the budget back.
        await budget.ReturnAsync("paid", 500, "s1");
        Assert.Equal((0L, 0L), (await budget.GetStatusAsync() is var after ? (after.Redemptions, after.DiscountGiven) : default));
        Assert.True(await budget.CanGrantAsync("s1", 500));
    }

    [Fact]
    public async Task A_failed_write_puts_back_every_field_of_the_state_also_those_no_operation_changes()
    {
        var serializer = fixture.Cluster.ServiceProvider.GetRequiredService<Serializer>();
        var copier = fixture.Cluster.ServiceProvider.GetRequiredService<DeepCopier<CouponState>>();
        var state = new PersistentState<CouponState>(new CouponState
        {
            Definition = new CouponDefinition(CouponKind.AmountOff, 100, 0, 0, null, null),
            HoldsById = { ["held"] = new CouponHold { MemberId = "m1" } },
            ReturnedIds = { "voided" },
            OutboxRecords = { new CouponRecord { Version = 1, Redeemed = true } },
            RecordVersion = 1,
            SeriesId = "s1",
        });
        var before = serializer.SerializeToArray(state.State);
        var untouched = new List<string>();
        var commit = new GroupCommit<int, CouponState>(state, copier, _ =>
        {
            // Every member changes, in place or replaced, as a batch (or a bug) might change it.
            var s = state.State;
            s.Definition = s.Definition! with { Value = 1 };
            (s.RedeemedByTransaction, s.RedeemedByMember, s.RedeemedAt) = ("t", "m", DateTimeOffset.UnixEpoch);
            s.HoldsById["new"] = new CouponHold { MemberId = "m2" };
            s.Redemptions = 7;
            s.ReturnedIds.Add("again");
            s.SeriesId = "s2";
            s.RecordVersion = 2;
            s.OutboxRecords.Clear();
            (s.WithdrawnAt, s.WithdrawnFor) = (DateTimeOffset.UnixEpoch, "w");
            var original = serializer.Deserialize<CouponState>(before);
            untouched.AddRange(typeof(CouponState).GetProperties()
                .Where(p => serializer.SerializeToArray(p.GetValue(original)).AsSpan().SequenceEqual(serializer.SerializeToArray(p.GetValue(s))))
                .Select(p => p.Name));
            return Task.FromResult(new GroupDecision([true], Changed: true));
        }, () => throw new IOException("injected storage fault"), (_, _) => { });

        await Assert.ThrowsAsync<IOException>(() => commit.EnqueueAsync(1));

        Assert.Empty(untouched); // a new state field must be changed above too
        Assert.Equal(before, serializer.SerializeToArray(state.State));
    }

    /// <summary>
    /// Starts <paramref name="failing"/>, whose batch write is held and then fails; while it is held, queues
    /// <paramref name="next"/> (decided after the failure, by the same activation, and written).
    /// </summary>
    private static async Task<(Task<TFailing> Failing, Task<TNext> Next)> DuringFailedWriteAsync<TFailing, TNext>(
        IAddressable grain, Func<Task<TFailing>> failing, Func<Task<TNext>> next)
    {
        var fault = FaultyGrainStorage.FailNextWrite(grain);
        var first = failing();
        await fault.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var second = next();

        // A read answered after the queued call was sent: it has reached the grain (in order, the grain is reentrant).
        await (grain switch
        {
            ICouponGrain coupon => (Task)coupon.GetAsync(),
            ICampaignBudgetGrain budget => budget.GetStatusAsync(),
            _ => throw new ArgumentException("not a group-commit grain", nameof(grain)),
        });
        fault.Release();
        return (first, second);
    }

    private static async Task<(Task<bool> Failing, Task<bool> Next)> DuringFailedWriteAsync(IAddressable grain, Func<Task> failing, Func<Task<bool>> next)
    {
        var (first, second) = await DuringFailedWriteAsync(grain, async () => { await failing(); return true; }, next);
        return (first, second);
    }

    /// <summary>The caller got the storage failure (wrapped by the grain's state, as Orleans does), not an answer.</summary>
    private static async Task AssertWriteFailedAsync(Task call)
    {
        var failed = await Assert.ThrowsAsync<OrleansException>(() => call);
        Assert.IsType<IOException>(failed.InnerException);
    }

    private static CouponRedemption Redemption(string transactionId, string memberId) =>
        new(transactionId, memberId, 5_000, new CouponContext(memberId, "s1", null, 0, 0));

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100 && !await condition(); i++)
        {
            await Task.Delay(50);
        }
    }

    private async Task<string> NewProgramAsync()
    {
        var program = "p" + Guid.NewGuid().ToString("N")[..8];
        await Grains.GetGrain<IProgramGrain>(program).DefineAsync(new ProgramSettings(program, "Club", "EUR", 1, 100, 1));
        return program;
    }

    /// <summary>A grain's persistent state outside a silo: the group commit reads and replaces <see cref="State"/>.</summary>
    private sealed class PersistentState<T>(T state) : IPersistentState<T>
    {
        public T State { get; set; } = state;

        public string? Etag => null;

        public bool RecordExists => true;

        public Task ClearStateAsync() => Task.CompletedTask;

        public Task WriteStateAsync() => Task.CompletedTask;

        public Task ReadStateAsync() => Task.CompletedTask;
    }
}
