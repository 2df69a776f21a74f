using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime;
using System.Text.Json;
using Loyalty.Contracts;
using Loyalty.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;

namespace Loyalty.MemoryBench;

/// <summary>
/// One silo in this process, storage that keeps nothing, N member grains activated through the
/// silo's own grain factory; the managed heap and the working set after a full GC, before and after.
/// </summary>
public static class MemoryBench
{
    public const double TargetBytesPerMember = 2048;

    private const string ProgramId = "bench";

    private static readonly ImmutableArray<BasketLine> Basket = [new("tea", "food", 2, 1_500, false)];

    public sealed record Snapshot(long ManagedHeap, long WorkingSet);

    public sealed record Phase(string Name, long Activations, double Seconds, double ManagedBytesPerMember, double WorkingSetBytesPerMember, double RatioToTarget);

    public sealed record Report(
        string Mode,
        int Members,
        long ActivationsVerified,
        string Storage,
        string Machine,
        string Gc,
        Snapshot Baseline,
        IReadOnlyList<Phase> Phases,
        StateFootprint.Result StateProbe,
        int Failures);

    /// <summary>Two forced, compacting, blocking gen-2 collections with the finalizers run in between.</summary>
    public static Snapshot Settle()
    {
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        return new Snapshot(heap, process.WorkingSet64);
    }

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var mode = options.ControlState ? "control (grain with an empty persistent state)" : options.Control ? "control (empty grain)" : options.WithSale ? "member, enrolled + one sale" : "member, enrolled";
        Console.WriteLine($"Loyalty.MemoryBench: {mode}, {options.Members:N0} activations, {options.Concurrency} in flight");
        Console.WriteLine("Storage: a null grain storage (reads complete empty, writes are accepted and dropped), null ledger and automation stores:");
        Console.WriteLine("         the figures are what the activations hold, with no copy of any state in a database cache.");
        var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}";
        var gc = GCSettings.IsServerGC ? "server" : "workstation";
        Console.WriteLine($"Machine: {machine}; {gc} GC");

        var probe = StateFootprint.Measure();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"State probe (no Orleans): MemberState as enrolled (collections created on first write) {probe.EnrolledStateBytes:F0} B; with its {probe.CollectionsPerState} collections created empty (the shape before) {probe.EagerCollectionsStateBytes:F0} B; empty List {probe.EmptyListBytes:F0} B, Dictionary {probe.EmptyDictionaryBytes:F0} B, HashSet {probe.EmptyHashSetBytes:F0} B"));

        // Not stopped at the end: deactivating a million grains one by one takes longer than the bench,
        // and there is nothing to save; Program exits the process once the figures are written.
        var host = BuildHost();
        await host.StartAsync();
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var management = grains.GetGrain<IManagementGrain>(0);
        var grainType = (options.ControlState ? typeof(ControlStateGrain) : options.Control ? typeof(ControlGrain) : typeof(MemberGrain)).FullName!;

        await grains.GetGrain<IProgramGrain>(ProgramId).DefineAsync(new ProgramSettings(ProgramId, "Bench club", "EUR", EarnPoints: 1, EarnPerAmount: 100, ExpiryMonths: 1));

        // Warm-up: one activation of the measured kind so JIT and first-use allocations fall in the baseline.
        await ActivateAsync(grains, options, "warmup");
        await CountAsync(management, grainType); // the first call activates the management grain: in the baseline too
        var baselineActivations = await CountAsync(management, grainType);
        var baseline = Settle();
        Console.WriteLine($"Baseline after full GC: managed heap {Mb(baseline.ManagedHeap)}, working set {Mb(baseline.WorkingSet)} ({baselineActivations} {grainType} activation: the warm-up)");

        var phases = new List<Phase>();
        var failures = 0;
        var total = Stopwatch.StartNew();
        var watch = Stopwatch.StartNew();
        failures += await RunPhaseAsync("activate", options, i => ActivateAsync(grains, options, MemberKey(i)));
        var activations = await CountAsync(management, grainType) - baselineActivations;
        phases.Add(Measure(options.ControlState ? "control+state" : options.Control ? "control" : "enrolled", activations, watch.Elapsed, baseline, options.Members));

        if (options.WithSale)
        {
            watch.Restart();
            failures += await RunPhaseAsync("commit", options, i => grains.GetGrain<IMemberGrain>(Keys.Scoped(ProgramId, MemberKey(i)))
                .CommitAsync(new CommitCommand(Guid.NewGuid().ToString(), "store-1", "till-1", Basket, null)));
            activations = await CountAsync(management, grainType) - baselineActivations;
            phases.Add(Measure("with-sale", activations, watch.Elapsed, baseline, options.Members));
        }

        var report = new Report(mode, options.Members, activations, "null (nothing kept)", machine, gc, baseline, phases, probe, failures);
        Console.WriteLine();
        Console.WriteLine($"{"phase",-13} {"activations",12} {"time s",8} {"managed B/member",17} {"working set B/member",21} {"÷ 2 KB",7}");
        foreach (var p in phases)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{p.Name,-13} {p.Activations,12:N0} {p.Seconds,8:F1} {p.ManagedBytesPerMember,17:N0} {p.WorkingSetBytesPerMember,21:N0} {p.RatioToTarget,6:F2}×"));
        }

        Console.WriteLine($"Total {total.Elapsed.TotalSeconds:F1} s; failures {failures}; {grainType} activations verified by IManagementGrain: {activations:N0} (expected {options.Members:N0})");
        if (options.Out is { } path)
        {
            await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"JSON: {path}");
        }

        return failures == 0 && activations == options.Members ? 0 : 1;
    }

    private static IHost BuildHost()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Orleans.Runtime.Silo", LogLevel.Error);
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);
        builder.Logging.AddFilter("Orleans.Runtime.Scheduler", LogLevel.Error);

        // Registered before AddLoyaltyGrains, whose TryAdd then keeps them.
        builder.Services.AddSingleton<ILedgerStore, NullLedgerStore>();
        builder.Services.AddSingleton<IAutomationStore, NullAutomationStore>();
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort: FreePort(), gatewayPort: FreePort())
            .UseInMemoryReminderService()
            .Configure<GrainCollectionOptions>(o =>
            {
                // Nothing is collected while the bench runs: idle for 2 h at most, no shedding under memory pressure.
                o.CollectionAge = TimeSpan.FromHours(2);
                o.EnableActivationSheddingOnMemoryPressure = false;
            })
            .ConfigureServices(services =>
            {
                services.AddGrainStorage(ProviderNames.GrainStorage, (_, _) => new NullGrainStorage());
                services.AddLoyaltyGrains();
            }));
        return builder.Build();
    }

    private static Task ActivateAsync(IGrainFactory grains, BenchOptions options, string id) =>
        options.ControlState ? grains.GetGrain<IControlStateGrain>(Keys.Scoped(ProgramId, id)).TouchAsync()
        : options.Control
            ? grains.GetGrain<IControlGrain>(Keys.Scoped(ProgramId, id)).TouchAsync()
            : grains.GetGrain<IMemberGrain>(Keys.Scoped(ProgramId, id)).EnrollAsync(new EnrollCommand("Member " + id, null));

    private static string MemberKey(int i) => "m" + i.ToString("D7", CultureInfo.InvariantCulture);

    /// <summary>Calls <paramref name="call"/> for 0..N-1 with a fixed number of calls in flight, printing progress.</summary>
    private static async Task<int> RunPhaseAsync(string name, BenchOptions options, Func<int, Task> call)
    {
        var next = -1;
        var done = 0;
        var failures = 0;
        Exception? first = null;
        var watch = Stopwatch.StartNew();

        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < options.Members)
            {
                try
                {
                    await call(i);
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref first, e, null);
                }

                Interlocked.Increment(ref done);
            }
        }

        var workers = Task.WhenAll(Enumerable.Range(0, Math.Min(options.Concurrency, options.Members)).Select(_ => Task.Run(Worker)));
        while (await Task.WhenAny(workers, Task.Delay(TimeSpan.FromSeconds(10))) != workers)
        {
            var n = Volatile.Read(ref done);
            Console.WriteLine($"  {name}: {n:N0} / {options.Members:N0} in {watch.Elapsed.TotalSeconds:F0} s ({n / watch.Elapsed.TotalSeconds:N0}/s), {Mb(GC.GetTotalMemory(false))} managed");
        }

        await workers;
        Console.WriteLine($"  {name}: {options.Members:N0} in {watch.Elapsed.TotalSeconds:F1} s ({options.Members / watch.Elapsed.TotalSeconds:N0}/s), {failures} failed{(first is null ? string.Empty : ": " + first.GetType().Name + " " + first.Message)}");
        return failures;
    }

    private static Phase Measure(string name, long activations, TimeSpan elapsed, Snapshot baseline, int members)
    {
        var now = Settle();
        var managed = (now.ManagedHeap - baseline.ManagedHeap) / (double)members;
        var workingSet = (now.WorkingSet - baseline.WorkingSet) / (double)members;
        Console.WriteLine($"After full GC ({name}): managed heap {Mb(now.ManagedHeap)}, working set {Mb(now.WorkingSet)}");
        return new Phase(name, activations, Math.Round(elapsed.TotalSeconds, 1), Math.Round(managed), Math.Round(workingSet), Math.Round(managed / TargetBytesPerMember, 2));
    }

    private static async Task<long> CountAsync(IManagementGrain management, string grainType)
    {
        var stats = await management.GetSimpleGrainStatistics();
        return stats.Where(s => s.GrainType.Split(',')[0] == grainType).Sum(s => (long)s.ActivationCount);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:N1} MB");
}
