using Loyalty.Api.V1;
using Loyalty.LoadTests.Load;
using Loyalty.LoadTests.Metrics;
using Loyalty.LoadTests.Reporting;

namespace Loyalty.LoadTests.Scenarios;

/// <summary>
/// A chain-wide flash sale: the first B customers get the deal. Campaign budgets are not in the
/// engine yet, so the budget is a pool of B single-use coupons (one grant = one redeemed code) —
/// a stand-in with the same correctness rule: never one grant more than B, however many terminals
/// race. Demand is B × contention attempts; the attempts for one code are queued next to each
/// other, so the terminals (all starting at the same instant) really race for the same codes.
/// Exactly min(B, demand) grants must be acknowledged and exactly that many codes redeemed.
/// </summary>
internal sealed class FlashSaleScenario(Workload workload, RunOptions options) : Scenario(workload, options)
{
    private readonly long _demand = (long)Math.Round(options.Budget * options.Contention);
    private List<string> _codes = [];
    private long _granted;
    private long _refused;

    public override string Name => "flash-sale";

    public override string Headline => "decision";

    public override string HeadlineUnit => "grant decisions (granted or refused)";

    public override TimeSpan WarmUp => TimeSpan.Zero;

    public long Demand => _demand;

    public long Granted => Interlocked.Read(ref _granted);

    public override async Task PrepareAsync(Action<string> log, CancellationToken cancellationToken)
    {
        _codes = await Workload.CreateCouponsAsync(Options.Budget, new CouponTerms { PercentOff = 30, MaxDiscount = 5_000 }, cancellationToken);
        log($"  budget: {_codes.Count:N0} single-use codes; demand {_demand:N0} attempts from {Options.Terminals:N0} terminals");
        Notes.Add($"budget stand-in: {_codes.Count:N0} single-use coupons (campaign budgets are not in the engine yet); demand {_demand:N0} attempts, {Options.Contention:0.##} per code, racing terminals {Options.Terminals:N0}");
    }

    /// <summary>Which code attempt <paramref name="j"/> goes for: attempts per code are adjacent, and every code is tried when demand ≥ budget.</summary>
    public static int CodeOf(long j, long demand, int budget)
    {
        if (demand <= budget)
        {
            return (int)j;
        }

        var per = demand / budget;
        var extra = demand % budget; // the first `extra` codes get one attempt more
        var bigBlock = extra * (per + 1);
        return (int)(j < bigBlock ? j / (per + 1) : extra + ((j - bigBlock) / per));
    }

    public override async Task<bool> RunAsync(long arrival, long due, RunMetrics metrics, CancellationToken cancellationToken)
    {
        if (arrival >= _demand || _codes.Count == 0)
        {
            return false;
        }

        var rng = new Rng(Options.Seed, arrival);
        var index = rng.Next(Workload.Members.Length); // a flash crowd: everyone, not the regulars
        var (store, terminal) = TerminalOf(arrival);
        var request = new CommitRequest
        {
            TransactionId = TransactionId(store, terminal, arrival),
            MemberId = Workload.Members[index],
            StoreId = store,
            TerminalId = terminal,
            CouponCode = _codes[CodeOf(arrival, _demand, _codes.Count)],
        };
        request.Lines.Add(new BasketLine { Sku = "flash-item", Category = "deal", Quantity = 1, UnitPrice = 9_990 });
        var (granted, refused) = await CommitAsync(request, simulateTimeout: false, metrics.Op("decision"), due, "COUPON_ALREADY_REDEEMED", cancellationToken);
        if (granted is not null)
        {
            Interlocked.Increment(ref _granted);
        }
        else if (refused)
        {
            Interlocked.Increment(ref _refused);
        }

        return true;
    }

    public override async Task CheckAsync(List<CheckResult> checks, CancellationToken cancellationToken)
    {
        var expected = Math.Min(_codes.Count, _demand);
        var codes = _codes.ToHashSet(StringComparer.Ordinal);
        var acknowledged = Ledger.Sales.Values.Where(s => s.Coupon is not null && codes.Contains(s.Coupon) && s.VoidRemoved is null).ToList();
        checks.Add(new CheckResult(
            "flash budget: exactly min(B, demand) granted",
            acknowledged.Count == expected,
            $"{acknowledged.Count:N0} grants acknowledged, expected exactly {expected:N0} (budget {_codes.Count:N0}, demand {_demand:N0}); {Interlocked.Read(ref _refused):N0} refused as COUPON_ALREADY_REDEEMED"));

        var redeemed = 0;
        await Parallel.ForEachAsync(_codes, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (code, ct) =>
        {
            var coupon = await Workload.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = Workload.ProgramId, Code = code }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: ct);
            if (coupon.Redeemed)
            {
                Interlocked.Increment(ref redeemed);
            }
        });
        checks.Add(new CheckResult(
            "flash budget: never over-granted",
            redeemed == expected,
            $"{redeemed:N0} of {_codes.Count:N0} codes redeemed on the target, expected {expected:N0}"));
    }
}
