using Loyalty.LoadTests;
using Loyalty.LoadTests.Load;
using Loyalty.LoadTests.Scenarios;

namespace Loyalty.LoadTests.Tests;

public sealed class GeneratorPartsTests
{
    [Theory]
    [InlineData(89, 1_148, 775)]      // the engine at 89% of a core doing 1,148 accruals/s: 775 µs each
    [InlineData(200, 10_000, 200)]
    [InlineData(50, 0, double.NaN)]
    public void Cpu_per_operation_is_the_mean_cpu_spread_over_the_operations(double cpuPercent, double perSecond, double micros) =>
        Assert.Equal(micros, Math.Round(Commands.CpuMicrosPerOperation(cpuPercent, perSecond)));

    [Fact]
    public void A_process_group_counts_its_shared_and_file_backed_memory_once()
    {
        if (!Metrics.ProcessWatch.Supported)
        {
            return; // /proc is Linux's
        }

        // Two children of this process: the same sleep binary and libc mapped three times over.
        var children = Enumerable.Range(0, 2)
            .Select(_ => System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", "30") { UseShellExecute = false })!)
            .ToList();
        try
        {
            var self = Environment.ProcessId;
            var watch = new Metrics.ProcessWatch([new Metrics.WatchedProcess("group", self, WithChildren: true), new Metrics.WatchedProcess("alone", self, WithChildren: false)]);
            watch.Sample(0);
            var group = watch.Timelines.Single(t => t.Name == "group").Samples.Single().RssMb;
            var alone = watch.Timelines.Single(t => t.Name == "alone").Samples.Single().RssMb;
            var separately = alone + children.Sum(c => Metrics.ProcessWatch.RssMb(c.Id) ?? 0);

            Assert.True(group > alone, $"the group ({group} MB) holds more than the parent alone ({alone} MB)");
            Assert.True(group < separately, $"the group ({group} MB) is less than its members' resident memory added up ({separately} MB)");
        }
        finally
        {
            foreach (var child in children)
            {
                child.Kill();
                child.WaitForExit();
            }
        }
    }

    [Fact]
    public void The_guest_share_is_a_share_of_baskets_from_0_to_1()
    {
        Assert.Equal(0.40, new RunOptions().GuestShare);
        Assert.Equal(0.4, RunOptions.Parse(["--guest-share", "0.4"]).GuestShare);
        Assert.Equal(0, RunOptions.Parse(["--guest-share", "0"]).GuestShare);
        Assert.Equal(1, RunOptions.Parse(["--guest-share", "1"]).GuestShare);
        foreach (var bad in new[] { "1.5", "-0.1", "NaN" })
        {
            var refused = Assert.Throws<UsageException>(() => RunOptions.Parse(["--guest-share", bad]));
            Assert.Contains("--guest-share", refused.Message);
        }
    }

    [Fact]
    public void A_chance_of_zero_draws_nothing_so_guest_share_0_replays_the_member_only_arrivals()
    {
        var before = new Rng(42, 7);
        var now = new Rng(42, 7);
        Assert.False(now.Chance(0));
        Assert.Equal(before.NextUInt64(), now.NextUInt64());
    }

    [Fact]
    public void Zipf_draws_ranks_with_the_zipf_frequencies()
    {
        var zipf = new ZipfSampler(10, 1.0);
        var harmonic = Enumerable.Range(1, 10).Sum(k => 1.0 / k);
        Assert.Equal(1 / harmonic, zipf.Probability(0), 9);

        var counts = new int[10];
        var rng = new Rng(7, 0);
        const int Draws = 200_000;
        for (var i = 0; i < Draws; i++)
        {
            counts[zipf.Sample(ref rng)]++;
        }

        for (var k = 0; k < 10; k++)
        {
            Assert.InRange(counts[k] / (double)Draws, zipf.Probability(k) - 0.005, zipf.Probability(k) + 0.005);
        }

        Assert.True(counts[0] > 2.5 * counts[2], "rank 1 must be about three times as popular as rank 3");
    }

    [Fact]
    public void Zipf_with_exponent_zero_is_uniform()
    {
        var zipf = new ZipfSampler(4, 0);
        Assert.All(Enumerable.Range(0, 4), k => Assert.Equal(0.25, zipf.Probability(k), 9));
    }

    [Fact]
    public void The_same_seed_and_arrival_give_the_same_choices()
    {
        var a = new Rng(42, 1234);
        var b = new Rng(42, 1234);
        var c = new Rng(42, 1235);
        var first = Enumerable.Range(0, 5).Select(_ => a.NextUInt64()).ToList();
        Assert.Equal(first, Enumerable.Range(0, 5).Select(_ => b.NextUInt64()));
        Assert.NotEqual(first, Enumerable.Range(0, 5).Select(_ => c.NextUInt64()));
    }

    [Fact]
    public void Schedule_without_ramp_spaces_arrivals_evenly()
    {
        var schedule = new ArrivalSchedule(200, TimeSpan.Zero, TimeSpan.FromSeconds(3));
        Assert.Equal(600, schedule.Total);
        Assert.Equal(TimeSpan.Zero, schedule.DueAt(0));
        Assert.Equal(0.005, schedule.DueAt(1).TotalSeconds, 9);
        Assert.Equal(2.995, schedule.DueAt(599).TotalSeconds, 9);
    }

    [Fact]
    public void Schedule_ramps_up_linearly_then_holds_the_rate()
    {
        var schedule = new ArrivalSchedule(1_000, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5));
        // Ramp: area of the triangle (1,000/s × 2 s / 2) = 1,000 arrivals, then 3 s × 1,000/s.
        Assert.Equal(4_000, schedule.Total);
        Assert.Equal(250, schedule.CountBefore(TimeSpan.FromSeconds(1))); // a quarter of the ramp's arrivals in its first half
        Assert.Equal(2.0, schedule.DueAt(1_000).TotalSeconds, 6);
        for (long k = 1; k < schedule.Total; k += 97)
        {
            Assert.True(schedule.DueAt(k) > schedule.DueAt(k - 1));
            Assert.Equal(k, schedule.CountBefore(schedule.DueAt(k)));
        }
    }

    [Fact]
    public void Flash_sale_queues_the_attempts_for_one_code_together_and_tries_every_code()
    {
        var codes = Enumerable.Range(0, 10).Select(j => FlashSaleScenario.CodeOf(j, demand: 10, budget: 4)).ToList();
        Assert.Equal([0, 0, 0, 1, 1, 1, 2, 2, 3, 3], codes);
        Assert.Equal([0, 1, 2], Enumerable.Range(0, 3).Select(j => FlashSaleScenario.CodeOf(j, demand: 3, budget: 5)));
        var big = Enumerable.Range(0, 30_000).Select(j => FlashSaleScenario.CodeOf(j, 30_000, 7_000)).ToList();
        Assert.Equal(7_000, big.Distinct().Count());
        Assert.True(big.SequenceEqual(big.Order()), "attempts for one code are adjacent");
    }
}
