using System.Collections.Immutable;
using Loyalty.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Loyalty.Grains.Tests;

/// <summary>Series codes in the in-memory store (the in-memory mode): the grain takes the series' terms and records redemptions for the export.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CouponSeriesGrainTests(ClusterFixture fixture)
{
    private static readonly ImmutableArray<BasketLine> Basket = [new("tea", "food", 2, 1_500, false), new("cup", "home", 1, 2_000, false)];

    [Fact]
    public async Task A_series_code_redeems_with_the_series_terms_and_the_export_shows_it_until_a_void()
    {
        var silo = (InProcessSiloHandle)fixture.Cluster.Primary!;
        var store = silo.SiloHost.Services.GetRequiredService<ICouponSeriesStore>();
        var program = "p" + Guid.NewGuid().ToString("N")[..8];
        await fixture.Grains.GetGrain<IProgramGrain>(program).DefineAsync(new ProgramSettings(program, "Club", "EUR", 1, 100, 1));
        var member = fixture.Grains.GetGrain<IMemberGrain>(Keys.Scoped(program, "m1"));
        await member.EnrollAsync(new EnrollCommand("Eva", null));
        var terms = new CouponDefinition(CouponKind.AmountOff, 250, 0, 0, null, null);
        await store.RegisterAsync(program, "s1", 120, terms, DateTimeOffset.UtcNow, CancellationToken.None);
        while (!(await store.GenerateChunkAsync(program, "s1", 50, DateTimeOffset.UtcNow, CancellationToken.None)).Complete)
        {
        }

        var codes = await ToListAsync(store.ExportAsync(program, "s1", CancellationToken.None));
        Assert.Equal(120, codes.Select(c => c.Code).Distinct().Count());
        var different = await Assert.ThrowsAsync<LoyaltyException>(() => store.RegisterAsync(program, "s1", 120, terms with { Value = 1 }, DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Equal(ErrorReason.CouponAlreadyExists, different.Reason);

        var sale = await member.CommitAsync(new CommitCommand("t1", "s1", "pos", Basket, codes[7].Code));
        Assert.Equal(250, sale.Discount);
        var status = await fixture.Grains.GetGrain<ICouponGrain>(Keys.Scoped(program, codes[7].Code)).GetAsync();
        Assert.Equal(("s1", "t1"), (status.SeriesId, status.RedeemedByTransaction));

        var redeemed = Assert.Single(await ToListAsync(store.ExportAsync(program, "s1", CancellationToken.None)), c => c.Redeemed);
        Assert.Equal((codes[7].Code, "m1", "t1"), (redeemed.Code, redeemed.MemberId, redeemed.TransactionId));
        Assert.Equal(1, (await store.GetAsync(program, "s1", CancellationToken.None))!.Redeemed);

        await member.VoidAsync("t1");
        Assert.DoesNotContain(await ToListAsync(store.ExportAsync(program, "s1", CancellationToken.None)), c => c.Redeemed);
    }

    private static async Task<List<CouponSeriesCode>> ToListAsync(IAsyncEnumerable<CouponSeriesCode> codes)
    {
        var list = new List<CouponSeriesCode>();
        await foreach (var code in codes)
        {
            list.Add(code);
        }

        return list;
    }
}
