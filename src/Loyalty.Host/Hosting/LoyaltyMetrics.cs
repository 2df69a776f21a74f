using System.Diagnostics.Metrics;

namespace Loyalty.Host.Hosting;

/// <summary>
/// The engine's own meter, <c>Loyalty</c>, next to Orleans' <c>Microsoft.Orleans</c> and ASP.NET Core's meters.
/// Prometheus names (scrape <c>/metrics</c> on the health/admin port):
/// <list type="bullet">
/// <item><c>loyalty_rpc_duration_seconds</c> (histogram; method, code): latency and rate of every terminal/admin call.</item>
/// <item><c>loyalty_commits_total</c> (outcome = applied | replayed): acknowledged commits; a replay is a retry answered from the stored result.</item>
/// <item><c>loyalty_coupon_redemptions_total</c>: single-use coupons redeemed by applied commits.</item>
/// <item><c>loyalty_points_earned_total</c>: points credited by applied commits.</item>
/// <item><c>loyalty_refusals_total</c> (reason): refusals by rule, e.g. COUPON_ALREADY_REDEEMED.</item>
/// <item><c>loyalty_storage_write_duration_seconds</c> (state, outcome = ok | conflict | error): grain-state writes;
/// <c>conflict</c> is the version check refusing a stale (zombie) writer.</item>
/// <item><c>loyalty_storage_faults_injected_total</c> (state, when): only when test fault injection is on.</item>
/// </list>
/// Member ids, names and coupon codes are never tags: the cardinality stays fixed and no personal data leaves.
/// </summary>
public sealed class LoyaltyMetrics
{
    public const string MeterName = "Loyalty";

    private readonly Histogram<double> _rpcDuration;
    private readonly Counter<long> _commits;
    private readonly Counter<long> _couponRedemptions;
    private readonly Counter<long> _pointsEarned;
    private readonly Counter<long> _refusals;
    private readonly Histogram<double> _storageWrite;
    private readonly Counter<long> _faultsInjected;

    public LoyaltyMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _rpcDuration = meter.CreateHistogram<double>("loyalty.rpc.duration", "s", "Duration of gRPC calls served by this silo.");
        _commits = meter.CreateCounter<long>("loyalty.commits", "{commit}", "Acknowledged commits.");
        _couponRedemptions = meter.CreateCounter<long>("loyalty.coupon.redemptions", "{coupon}", "Single-use coupons redeemed by applied commits.");
        _pointsEarned = meter.CreateCounter<long>("loyalty.points.earned", "{point}", "Points credited by applied commits.");
        _refusals = meter.CreateCounter<long>("loyalty.refusals", "{refusal}", "Calls refused by a rule, by reason.");
        _storageWrite = meter.CreateHistogram<double>("loyalty.storage.write.duration", "s", "Grain-state writes to storage.");
        _faultsInjected = meter.CreateCounter<long>("loyalty.storage.faults.injected", "{fault}", "Storage faults injected by test configuration.");
        meter.CreateObservableGauge(
            "loyalty.campaign.budget.remaining",
            BudgetRemaining,
            "{unit}",
            "What each campaign budget hosted on this silo has left (limit=redemptions or money); reported by the silo hosting it.");
    }

    private static IEnumerable<Measurement<long>> BudgetRemaining()
    {
        foreach (var ((program, campaign), left) in Loyalty.Grains.BudgetGauges.Snapshot)
        {
            if (left.Redemptions is { } redemptions)
            {
                yield return new Measurement<long>(redemptions, Tag("program", program), Tag("campaign", campaign), Tag("limit", "redemptions"));
            }

            if (left.Money is { } money)
            {
                yield return new Measurement<long>(money, Tag("program", program), Tag("campaign", campaign), Tag("limit", "money"));
            }
        }
    }

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

    public void Rpc(string method, string code, double seconds) =>
        _rpcDuration.Record(seconds, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("code", code));

    public void Commit(bool replayed, bool withCoupon, long points)
    {
        _commits.Add(1, new KeyValuePair<string, object?>("outcome", replayed ? "replayed" : "applied"));
        if (replayed)
        {
            return;
        }

        if (withCoupon)
        {
            _couponRedemptions.Add(1);
        }

        _pointsEarned.Add(points);
    }

    public void Refusal(string reason) => _refusals.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void StorageWrite(string state, string outcome, double seconds) =>
        _storageWrite.Record(seconds, new KeyValuePair<string, object?>("state", state), new KeyValuePair<string, object?>("outcome", outcome));

    public void FaultInjected(string state, string when) =>
        _faultsInjected.Add(1, new KeyValuePair<string, object?>("state", state), new KeyValuePair<string, object?>("when", when));
}
