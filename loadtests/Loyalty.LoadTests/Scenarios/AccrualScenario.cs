using System.Diagnostics;
using Loyalty.Api.V1;
using Loyalty.LoadTests.Load;
using Loyalty.LoadTests.Metrics;

namespace Loyalty.LoadTests.Scenarios;

/// <summary>
/// Commit-only earning: the terminal already knows the member and just books the sale. Every
/// commit is a durable write of the member's points; a share are retried after a simulated timeout.
/// </summary>
internal sealed class AccrualScenario(Workload workload, RunOptions options) : Scenario(workload, options)
{
    public override string Name => "accrual";

    public override string Headline => "commit";

    public override string HeadlineUnit => "durable accruals (commit with earn)";

    public override async Task<bool> RunAsync(long arrival, long due, RunMetrics metrics, CancellationToken cancellationToken)
    {
        var rng = new Rng(Options.Seed, arrival);
        var memberId = Workload.Members[Workload.Popularity.Sample(ref rng)];
        var (store, terminal) = TerminalOf(arrival);
        var request = new CommitRequest { TransactionId = TransactionId(store, terminal, arrival), MemberId = memberId, StoreId = store, TerminalId = terminal };
        request.Lines.AddRange(Basket(ref rng));
        await CommitAsync(request, rng.Chance(Options.RetryShare), metrics.Op("commit"), due, expectedRefusal: null, cancellationToken);
        return true;
    }
}

/// <summary>
/// Reads only: half identify a member (by card or id), half quote a basket for a member, a fifth
/// of the quotes with a coupon to validate. Nothing is written.
/// </summary>
internal sealed class ReadsScenario(Workload workload, RunOptions options) : Scenario(workload, options)
{
    private List<string> _coupons = [];

    public override string Name => "reads";

    public override string Headline => "read";

    public override string HeadlineUnit => "reads (one identify or one quote each)";

    public override async Task PrepareAsync(Action<string> log, CancellationToken cancellationToken)
    {
        _coupons = await Workload.CreateCouponsAsync(200, new CouponTerms { PercentOff = 10, MaxDiscount = 1_000 }, cancellationToken);
        log($"  {_coupons.Count} coupons minted for quotes to validate");
    }

    public override async Task<bool> RunAsync(long arrival, long due, RunMetrics metrics, CancellationToken cancellationToken)
    {
        var rng = new Rng(Options.Seed, arrival);
        var index = Workload.Popularity.Sample(ref rng);
        var read = metrics.Op("read");
        if (rng.Chance(0.5))
        {
            var byCard = rng.Chance(0.5);
            var member = await TimedAsync(metrics.Op("identify"), due, () => byCard
                ? Workload.Pos.IdentifyByCardAsync(Workload.Cards[index], cancellationToken)
                : Workload.Pos.IdentifyByMemberAsync(Workload.Members[index], cancellationToken));
            Done(member is not null);
        }
        else
        {
            var (store, terminal) = TerminalOf(arrival);
            var request = new QuoteRequest
            {
                MemberId = Workload.Members[index],
                StoreId = store,
                TerminalId = terminal,
                CouponCode = rng.Chance(0.2) && _coupons.Count > 0 ? _coupons[rng.Next(_coupons.Count)] : string.Empty,
            };
            request.Lines.AddRange(Basket(ref rng));
            var quote = await TimedAsync(metrics.Op("quote"), due, () => Workload.Pos.QuoteAsync(request, cancellationToken));
            Done(quote is not null);
        }

        return true;

        void Done(bool ok)
        {
            if (ok)
            {
                read.Success(due);
            }
            else
            {
                read.Error("read failed");
            }
        }
    }
}
