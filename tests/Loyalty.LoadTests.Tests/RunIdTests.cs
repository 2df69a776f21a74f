using Google.Protobuf.WellKnownTypes;
using Loyalty.Api.V1;
using Loyalty.Contracts;
using Loyalty.LoadTests.Scenarios;

namespace Loyalty.LoadTests.Tests;

/// <summary>
/// Issue #33: a second run against the same program repeated the first one's transaction ids. Run ids are drawn
/// per run from the time and the operating system's randomness, and every transaction id carries one.
/// </summary>
public sealed class RunIdTests
{
    [Fact]
    public void Generators_starting_in_the_same_second_draw_different_run_ids()
    {
        // As many processes as this would be, all started at one instant: only the random part can keep them apart.
        var now = new DateTimeOffset(2026, 11, 28, 9, 30, 0, TimeSpan.Zero);

        var ids = Enumerable.Range(0, 10_000).Select(_ => RunIds.New(now)).ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.Single(ids.Select(id => id[..6]).Distinct()); // the same time ...
        Assert.All(ids, id => Assert.Equal(14, id.Length)); // ... and eight random digits each
    }

    [Fact]
    public void A_run_id_sorts_by_its_start_and_is_not_the_seed_s()
    {
        var first = RunIds.New(new DateTimeOffset(2026, 11, 28, 9, 30, 0, TimeSpan.Zero));
        var second = RunIds.New(new DateTimeOffset(2026, 11, 28, 9, 30, 1, TimeSpan.Zero));
        var years = RunIds.New(new DateTimeOffset(2080, 1, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.True(string.CompareOrdinal(first, second) < 0, $"{first} sorts before {second}");
        Assert.True(string.CompareOrdinal(second, years) < 0, $"{second} sorts before {years}");
        // Two runs with the same options (the same seed) in the same second still differ.
        Assert.NotEqual(RunIds.New(), RunIds.New());
    }

    [Fact]
    public void Two_runs_never_make_the_same_transaction_id_whatever_their_stores_terminals_and_arrivals()
    {
        var a = RunIds.New();
        var b = RunIds.New();
        var stores = new[] { "s000", "s049", "s3.012" };
        var terminals = new[] { "t00", "t07" };
        var arrivals = new long[] { 0, 1, 42, 1_234_567, long.MaxValue };

        var ofA = Ids(a).ToHashSet(StringComparer.Ordinal);
        var ofB = Ids(b).ToList();

        Assert.DoesNotContain(ofB, ofA.Contains);
        Assert.All(ofA, id => Assert.Equal(a, RunIds.RunOf(id)));
        Assert.All(ofB, id => Assert.Equal(b, RunIds.RunOf(id)));

        IEnumerable<string> Ids(string run) =>
            from s in stores from t in terminals from n in arrivals select RunIds.TransactionId(s, t, run, n);
    }

    [Fact]
    public void Transaction_ids_stay_well_inside_what_the_engine_accepts()
    {
        var drawn = RunIds.TransactionId("s049", "t07", RunIds.New(), 9_999_999);
        var longest = RunIds.TransactionId("s999.049", "t99", new string('z', RunIds.MaxLength), long.MaxValue);

        Assert.Null(Keys.Problem(drawn));
        Assert.True(drawn.Length <= 32, $"{drawn} is {drawn.Length} characters");
        Assert.Null(Keys.Problem(longest)); // even a given run id of the most characters, at the last store and arrival
        Assert.Equal(Keys.MaxIdLength, RunIds.MaxIdLength);
        Assert.Null(Keys.Problem("flash-" + new string('z', RunIds.MaxLength)));
    }

    [Theory]
    [InlineData("1x9k2qa7b3mzp4", null)]
    [InlineData("Replay1", null)]
    [InlineData("", "1 to 24")]
    [InlineData("abcdefghijklmnopqrstuvwxy", "1 to 24")] // 25
    [InlineData("r1-2", "letters and digits")] // a '-' would make ids ambiguous
    [InlineData("r1.2", "letters and digits")]
    public void A_given_run_id_is_letters_and_digits(string runId, string? problem)
    {
        if (problem is null)
        {
            Assert.Equal(runId, RunOptions.Parse(["--run-id", runId]).RunId);
            return;
        }

        var refused = Assert.Throws<UsageException>(() => RunOptions.Parse(["--run-id", runId]));
        Assert.Contains(problem, refused.Message);
    }

    [Fact]
    public void Without_a_run_id_each_run_draws_its_own()
    {
        Assert.Null(new RunOptions().RunId);
        Assert.Null(RunOptions.Parse(["--seed", "7", "--program", "over"]).RunId);
    }

    [Fact]
    public void A_shard_has_stores_and_tills_of_its_own()
    {
        var shard0 = new RunOptions { Stores = 2, TerminalsPerStore = 2 };
        var shard3 = RunOptions.Parse(["--shard", "3", "--stores", "2", "--terminals-per-store", "2"]);

        var slots0 = Enumerable.Range(0, 4).Select(slot => Workload.TerminalAt(shard0, slot)).ToList();
        var slots3 = Enumerable.Range(0, 4).Select(slot => Workload.TerminalAt(shard3, slot)).ToList();

        Assert.Equal([("s000", "t00"), ("s000", "t01"), ("s001", "t00"), ("s001", "t01")], slots0);
        Assert.Equal([("s3.000", "t00"), ("s3.000", "t01"), ("s3.001", "t00"), ("s3.001", "t01")], slots3);
        // Enroll, identify and balance name no till: each shard sends them as a desk of its own.
        Assert.Equal("pos-1", Workload.DeskOf(shard0));
        Assert.Equal("pos-1.3", Workload.DeskOf(shard3));
        Assert.Throws<UsageException>(() => RunOptions.Parse(["--shard", "-1"]));
    }

    [Fact]
    public void In_a_replay_a_sale_the_target_stamped_before_the_run_moves_no_balance_but_a_new_one_and_a_new_void_do()
    {
        var start = new DateTimeOffset(2026, 11, 28, 9, 30, 0, TimeSpan.Zero);
        var ledger = new Ledger(replayedBefore: start);
        ledger.SetInitial("m1", 500);
        ledger.SetInitial("m2", 100);

        ledger.Committed(Sale("old", "m1"), Answer("old", 40, start.AddMinutes(-3))); // the earlier run's sale, answered again
        ledger.Committed(Sale("old-voided", "m1"), Answer("old-voided", 25, start.AddMinutes(-3)));
        ledger.Voided("old-voided", new VoidSaleResponse { TransactionId = "old-voided", PointsRemoved = 25, AlreadyVoided = true, VoidedAt = Timestamp.FromDateTimeOffset(start.AddMinutes(-2)) });
        ledger.Committed(Sale("new", "m2"), Answer("new", 30, start.AddMilliseconds(5)));
        ledger.Committed(Sale("old-then-voided-now", "m2"), Answer("old-then-voided-now", 10, start.AddMinutes(-1)));
        ledger.Voided("old-then-voided-now", new VoidSaleResponse { TransactionId = "old-then-voided-now", PointsRemoved = 10, VoidedAt = Timestamp.FromDateTimeOffset(start.AddSeconds(1)) });

        var expected = ledger.ExpectedBalances();

        Assert.True(ledger.IsReplay);
        Assert.Equal(3, ledger.EarlierSales);
        Assert.Equal(500, expected["m1"]); // both already in the balance read at the start
        Assert.Equal(100 + 30 - 10, expected["m2"]);

        // Outside a replay every acknowledged sale is this run's, whatever its time.
        var fresh = new Ledger();
        fresh.SetInitial("m1", 500);
        fresh.Committed(Sale("x", "m1"), Answer("x", 40, start.AddYears(-1)));
        Assert.Equal(540, fresh.ExpectedBalances()["m1"]);
        Assert.False(fresh.IsReplay);
    }

    private static CommitRequest Sale(string transactionId, string memberId) => new() { TransactionId = transactionId, MemberId = memberId };

    private static CommitResponse Answer(string transactionId, long points, DateTimeOffset at) =>
        new() { TransactionId = transactionId, PointsEarned = points, CommittedAt = Timestamp.FromDateTimeOffset(at) };
}
