using Loyalty.Contracts;

namespace Loyalty.Grains.Tests;

/// <summary>A member's manual adjustment whose write fails leaves nothing of it in memory: the retry applies it, once.</summary>
public sealed class AdjustmentGrainTests(FaultyStorageFixture fixture) : IClassFixture<FaultyStorageFixture>
{
    [Fact]
    public async Task An_adjustment_whose_write_failed_is_undone_in_memory_and_its_retry_applies_it_once()
    {
        var program = "p" + Guid.NewGuid().ToString("N")[..8];
        await fixture.Grains.GetGrain<IProgramGrain>(program).DefineAsync(new ProgramSettings(program, "Club", "EUR", 1, 100, 1));
        var member = fixture.Grains.GetGrain<IMemberGrain>(Keys.Scoped(program, "m1"));
        await member.EnrollAsync(new EnrollCommand("Eva", null));
        await member.AdjustAsync(new AdjustCommand("seed", LedgerAsset.Points, 100, "goodwill", null, "op-1"));
        var take = new AdjustCommand("take", LedgerAsset.Points, -60, "till-error", "wrong card", "op-1");

        var fault = FaultyGrainStorage.FailNextWrite(member);
        var failing = member.AdjustAsync(take);
        await fault.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        fault.Release();
        var failed = await Assert.ThrowsAsync<OrleansException>(() => failing);
        Assert.IsType<IOException>(failed.InnerException);

        // Memory holds what storage holds: the 60 points are still there, and no entry names "take".
        Assert.Equal(100, (await member.GetAsync()).Balance.Available);
        var ledger = await member.GetLedgerAsync(0, 100);
        Assert.DoesNotContain(ledger.Entries, e => e.TransactionId == "adj:take");

        var applied = await member.AdjustAsync(take);
        var retried = await member.AdjustAsync(take);
        Assert.Equal((40L, 40L), (applied.Balance.Available, retried.Balance.Available));
        Assert.Equal(applied.Entries.ToList(), retried.Entries.ToList());
        Assert.Single((await member.GetLedgerAsync(0, 100)).Entries, e => e.TransactionId == "adj:take");
    }
}
