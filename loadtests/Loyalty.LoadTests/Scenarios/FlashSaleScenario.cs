using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.LoadTests.Load;
using Loyalty.LoadTests.Metrics;
using Loyalty.LoadTests.Reporting;

namespace Loyalty.LoadTests.Scenarios;

/// <summary>
/// A chain-wide flash sale: the first B customers get the deal, however many terminals race.
/// <list type="bullet">
/// <item><c>--flash-mode campaign</c> (default): one campaign (30% off) with a budget of B
/// redemptions; every attempt is a plain sale that qualifies for it, so all terminals hit the same
/// budget at the same instant. The terminals only want the deal: they send the discounted total as
/// <c>expected_total</c> (strict pricing), so a sale after the budget is gone is refused with TOTAL_CHANGED
/// and writes nothing.</item>
/// <item><c>--flash-mode coupons</c>: the budget is a pool of B single-use coupons (one grant = one
/// redeemed code). The attempts for one code are queued next to each other, so terminals really
/// race for the same codes; losers get COUPON_ALREADY_REDEEMED.</item>
/// </list>
/// Demand is B × contention attempts. Exactly min(B, demand) grants must be acknowledged, and the
/// target must report exactly that many redemptions.
/// </summary>
internal sealed class FlashSaleScenario(Workload workload, RunOptions options) : Scenario(workload, options)
{
    private readonly long _demand = (long)Math.Round(options.Budget * options.Contention);
    private readonly bool _campaign = options.FlashMode == "campaign";
    private List<string> _codes = [];
    private string _campaignId = string.Empty;
    private long _refused;
    private long _issued;

    public override string Name => "flash-sale";

    public override string Headline => "decision";

    public override string HeadlineUnit => "grant decisions (granted or refused)";

    public override TimeSpan WarmUp => TimeSpan.Zero;

    /// <summary>The flash item and what a terminal shows for it with the deal (30% off, at most 5,000).</summary>
    private const long ItemPrice = 9_990;

    private static readonly long DealTotal = ItemPrice - Math.Min(5_000, ItemPrice * 30 / 100);

    private string Refusal => _campaign ? "TOTAL_CHANGED" : "COUPON_ALREADY_REDEEMED";

    public override async Task PrepareAsync(Action<string> log, CancellationToken cancellationToken)
    {
        if (_campaign)
        {
            _campaignId = "flash-" + RunId;
            try
            {
                await Workload.Admin.DefineCampaignAsync(FlashCampaign(), deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
            }
            catch (RpcException ended) when (Ledger.IsReplay && ended.Reason() == "CAMPAIGN_ENDED")
            {
                // The run replayed ended its campaign (FinishAsync): its grants are answered from their sales, the rest refused.
                Notes.Add($"replay: campaign {_campaignId} was ended by the run replayed; its grants are answered again, every other attempt is refused");
            }

            Notes.Add($"budget: campaign {_campaignId} with {Options.Budget:N0} redemptions; demand {_demand:N0} attempts from {Options.Terminals:N0} racing terminals");
        }
        else
        {
            _codes = await Workload.CreateCouponsAsync(Options.Budget, new CouponTerms { PercentOff = 30, MaxDiscount = 5_000 }, cancellationToken);
            Notes.Add($"budget: {_codes.Count:N0} single-use coupons; demand {_demand:N0} attempts, {Options.Contention:0.##} per code, from {Options.Terminals:N0} racing terminals");
        }

        log($"  {Notes[^1]}");
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
        if (arrival >= _demand || (!_campaign && _codes.Count == 0))
        {
            return false;
        }

        Interlocked.Increment(ref _issued);
        var rng = new Rng(Options.Seed, arrival);
        var index = rng.Next(Workload.Members.Length); // a flash crowd: everyone, not the regulars
        var (store, terminal) = TerminalOf(arrival);
        var request = new CommitRequest
        {
            TransactionId = TransactionId(store, terminal, arrival),
            MemberId = Workload.Members[index],
            StoreId = store,
            TerminalId = terminal,
            CouponCode = _campaign ? string.Empty : _codes[CodeOf(arrival, _demand, _codes.Count)],
        };
        request.Lines.Add(new BasketLine { Sku = "flash-item", Category = "deal", Quantity = 1, UnitPrice = ItemPrice });
        if (_campaign)
        {
            request.ExpectedTotal = DealTotal;
        }

        var (_, refusal) = await CommitAsync(request, simulateTimeout: false, metrics.Op("decision"), due, Refusal, cancellationToken);
        if (refusal == Refusal)
        {
            Interlocked.Increment(ref _refused);
        }

        return true;
    }

    public override async Task CheckAsync(List<CheckResult> checks, CancellationToken cancellationToken)
    {
        var budget = _campaign ? Options.Budget : _codes.Count;
        var issued = Interlocked.Read(ref _issued); // the run may end (its duration) before the whole demand was sent
        var expected = Math.Min(budget, issued);
        if (issued < _demand)
        {
            Notes.Add($"the run's duration ended after {issued:N0} of {_demand:N0} attempts");
        }

        var codes = _codes.ToHashSet(StringComparer.Ordinal);
        var granted = Ledger.Sales.Values.Count(s => s.VoidRemoved is null && (_campaign ? s.Campaign == _campaignId : s.Coupon is not null && codes.Contains(s.Coupon)));
        checks.Add(new CheckResult(
            "flash budget: exactly min(B, demand) granted",
            granted == expected,
            $"{granted:N0} grants acknowledged, expected exactly {expected:N0} (budget {budget:N0}, {issued:N0} attempts); {Interlocked.Read(ref _refused):N0} refused as {Refusal}"));

        var redeemed = _campaign ? await CampaignRedemptionsAsync(cancellationToken) : await RedeemedCodesAsync(cancellationToken);
        checks.Add(new CheckResult(
            "flash budget: never over-granted",
            redeemed == expected,
            _campaign
                ? $"the target counts {redeemed:N0} redemptions of campaign {_campaignId}, expected {expected:N0}"
                : $"{redeemed:N0} of {_codes.Count:N0} codes redeemed on the target, expected {expected:N0}"));
    }

    /// <summary>
    /// Ends the campaign when it could still touch a later run's sales: on the engine when a run cut short by its duration
    /// left budget (a live 30%-off campaign would discount every later sale of the program; an exhausted one applies to
    /// none and stays on the books as exhausted); on the baseline always, since it takes the first campaign a sale
    /// qualifies for and refuses the sale when that one's budget is gone. The baseline has no EndCampaign (UNIMPLEMENTED):
    /// there the campaign is defined again with its validity ending now.
    /// </summary>
    public override async Task FinishAsync(CancellationToken cancellationToken)
    {
        if (!_campaign || _campaignId.Length == 0)
        {
            return;
        }

        var status = await Workload.Admin.GetCampaignStatusAsync(
            new GetCampaignStatusRequest { ProgramId = Workload.ProgramId, CampaignId = _campaignId },
            deadline: DateTime.UtcNow.AddSeconds(30),
            cancellationToken: cancellationToken);
        if (status.Exhausted && Workload.Target != "baseline")
        {
            return;
        }

        try
        {
            await Workload.Admin.EndCampaignAsync(
                new EndCampaignRequest { ProgramId = Workload.ProgramId, CampaignId = _campaignId },
                deadline: DateTime.UtcNow.AddSeconds(30),
                cancellationToken: cancellationToken);
        }
        catch (RpcException unsupported) when (unsupported.StatusCode == StatusCode.Unimplemented)
        {
            var ended = FlashCampaign();
            ended.ValidUntil = Timestamp.FromDateTime(DateTime.UtcNow);
            await Workload.Admin.DefineCampaignAsync(ended, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
        }
    }

    /// <summary>The flash campaign: 30% off (at most 50.00) any basket, for the first <c>--budget</c> sales.</summary>
    private Campaign FlashCampaign() => new()
    {
        ProgramId = Workload.ProgramId,
        CampaignId = _campaignId,
        Name = "Flash sale",
        PercentOff = 30,
        MaxDiscount = 5_000,
        MaxRedemptions = Options.Budget,
    };

    /// <summary>The campaign's redemptions once no grant is on hold any more (holds settle within seconds).</summary>
    private async Task<long> CampaignRedemptionsAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var status = await Workload.Admin.GetCampaignStatusAsync(
                new GetCampaignStatusRequest { ProgramId = Workload.ProgramId, CampaignId = _campaignId },
                deadline: DateTime.UtcNow.AddSeconds(30),
                cancellationToken: cancellationToken);
            if (status.PendingHolds == 0 || attempt >= 40)
            {
                return status.Redemptions;
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    private async Task<long> RedeemedCodesAsync(CancellationToken cancellationToken)
    {
        long redeemed = 0;
        await Parallel.ForEachAsync(_codes, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (code, ct) =>
        {
            var coupon = await Workload.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = Workload.ProgramId, Code = code }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: ct);
            if (coupon.Redeemed)
            {
                Interlocked.Increment(ref redeemed);
            }
        });
        return redeemed;
    }
}
