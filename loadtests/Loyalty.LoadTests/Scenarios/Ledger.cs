using System.Collections.Concurrent;
using Loyalty.Api.V1;

namespace Loyalty.LoadTests.Scenarios;

/// <summary>
/// What the generator knows the target acknowledged in one run: every commit and void it got an answer for,
/// by transaction id, and the members' balances at the start of the run. After the run the checker
/// compares this with what the target reports: each acknowledged commit must be counted exactly
/// once, each acknowledged void exactly once, and each single-use coupon held by at most one live sale.
/// A guest's sale (an empty member id) has no balance to check: it keeps its request, so the checker
/// can replay it and see the target answer with the sale it acknowledged.
/// </summary>
/// <param name="replayedBefore">
/// Set when the run replays an earlier one on purpose (<c>--run-id</c>): the target's time at the start of this run.
/// A commit or void the target answers with an earlier time is the earlier run's, answered again: it is checked for
/// consistency like any answer, but it does not move a balance in this run.
/// </param>
internal sealed class Ledger(DateTimeOffset? replayedBefore = null)
{
    private readonly ConcurrentDictionary<string, long> _initial = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Sale> _sales = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CommitRequest> _unknownCommits = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Member, string Transaction, string Store, string Terminal)> _unknownVoids = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentDictionary<string, string> _redeemedCoupons = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CommitRequest> _guestRequests = new(StringComparer.Ordinal);
    private long _retriesCompared;

    public sealed class Sale(string memberId, string transactionId, long points, string? coupon, long committedAtTicks, string? campaign = null, long total = 0)
    {
        /// <summary>The campaign whose budget this sale used, if any.</summary>
        public string? Campaign { get; } = campaign;

        /// <summary>The member, or empty for a guest's sale.</summary>
        public string MemberId { get; } = memberId;

        /// <summary>A walk-in customer's sale: no member, no points, no balance to check.</summary>
        public bool IsGuest => MemberId.Length == 0;

        public string TransactionId { get; } = transactionId;

        public long Points { get; } = points;

        public string? Coupon { get; } = coupon;

        public long CommittedAtTicks { get; } = committedAtTicks;

        /// <summary>What the customer paid.</summary>
        public long Total { get; } = total;

        /// <summary>Points the acknowledged void removed; null while not voided.</summary>
        public long? VoidRemoved { get; set; }

        /// <summary>Spent points the void gave back.</summary>
        public long VoidReturned { get; set; }

        /// <summary>Committed before this run (a replay's sale the target already had): its points are in the starting balance.</summary>
        public bool Earlier { get; init; }

        /// <summary>Voided before this run (a replay of a void the target already had): the starting balance is without its points.</summary>
        public bool VoidEarlier { get; set; }
    }

    /// <summary>Whether this run replays an earlier one on purpose (its transaction ids may be on the target already).</summary>
    public bool IsReplay => replayedBefore is not null;

    /// <summary>Acknowledged sales the target had from before this run (only in a replay).</summary>
    public int EarlierSales => _sales.Values.Count(s => s.Earlier);

    public IReadOnlyDictionary<string, Sale> Sales => _sales;

    public IReadOnlyDictionary<string, long> Initial => _initial;

    public IReadOnlyCollection<string> Violations => _violations;

    public IReadOnlyDictionary<string, CommitRequest> UnknownCommits => _unknownCommits;

    public IReadOnlyDictionary<string, (string Member, string Transaction, string Store, string Terminal)> UnknownVoids => _unknownVoids;

    /// <summary>The request of every acknowledged guest sale, by transaction id (the checker replays some of them).</summary>
    public IReadOnlyDictionary<string, CommitRequest> GuestRequests => _guestRequests;

    /// <summary>Retried commits whose second answer was compared with the first.</summary>
    public long RetriesCompared => Interlocked.Read(ref _retriesCompared);

    public void SetInitial(string memberId, long available) => _initial[memberId] = available;

    public void Violation(string what) => _violations.Enqueue(what);

    /// <summary>An acknowledged commit. A second acknowledgement of the same id must be the same result.</summary>
    public void Committed(CommitRequest request, CommitResponse response)
    {
        _unknownCommits.TryRemove(request.TransactionId, out _);
        var coupon = string.IsNullOrEmpty(request.CouponCode) ? null : response.CouponCode is { Length: > 0 } c ? c : request.CouponCode;
        // The balance moves by what was earned (base + bonuses) less what was spent.
        var committedAt = response.CommittedAt?.ToDateTime().Ticks ?? 0;
        var sale = new Sale(
            request.MemberId,
            request.TransactionId,
            response.PointsEarned + response.BonusPoints - response.PointsSpent,
            coupon,
            committedAt,
            response.CampaignId is { Length: > 0 } campaign ? campaign : null,
            response.Total)
        {
            Earlier = Before(committedAt),
        };
        var stored = _sales.GetOrAdd(request.TransactionId, sale);
        if (!ReferenceEquals(stored, sale))
        {
            Interlocked.Increment(ref _retriesCompared);
            if (stored.Points != sale.Points || stored.CommittedAtTicks != sale.CommittedAtTicks || stored.MemberId != sale.MemberId || stored.Total != sale.Total)
            {
                Violation($"commit {request.TransactionId} answered twice with different results ({stored.Points} vs {sale.Points} points, "
                    + $"total {stored.Total} vs {sale.Total}, committed at {stored.CommittedAtTicks} vs {sale.CommittedAtTicks} ticks) — not idempotent");
            }

            return;
        }

        if (sale.IsGuest)
        {
            _guestRequests[request.TransactionId] = request;
        }

        if (coupon is not null)
        {
            _redeemedCoupons[coupon] = request.TransactionId;
        }
    }

    /// <summary>No answer after every retry: the sale may or may not have happened. The checker settles it.</summary>
    public void CommitUnknown(CommitRequest request) => _unknownCommits.TryAdd(request.TransactionId, request);

    public void Voided(string transactionId, VoidSaleResponse response)
    {
        _unknownVoids.TryRemove(transactionId, out _);
        if (!_sales.TryGetValue(transactionId, out var sale))
        {
            Violation($"void of {transactionId} acknowledged, but its commit never was");
            return;
        }

        lock (sale)
        {
            if (sale.VoidRemoved is { } earlier && earlier != response.PointsRemoved)
            {
                Violation($"void of {transactionId} answered twice with different results ({earlier} vs {response.PointsRemoved} points)");
            }

            if (sale.VoidRemoved is null)
            {
                sale.VoidEarlier = Before(response.VoidedAt?.ToDateTime().Ticks ?? 0);
            }

            sale.VoidRemoved = response.PointsRemoved;
            sale.VoidReturned = response.PointsReturned;
        }

        if (sale.Coupon is { } coupon)
        {
            _redeemedCoupons.TryRemove(new KeyValuePair<string, string>(coupon, transactionId));
        }
    }

    /// <summary>An unknown commit turned out refused: it never happened.</summary>
    public void Settled(string transactionId) => _unknownCommits.TryRemove(transactionId, out _);

    public void VoidUnknown(string memberId, string transactionId, string storeId, string terminalId) => _unknownVoids.TryAdd(transactionId, (memberId, transactionId, storeId, terminalId));

    /// <summary>A coupon some acknowledged, not voided sale holds (for the coupon-reuse probe), or null.</summary>
    public string? AnyRedeemedCoupon(int pick)
    {
        foreach (var (code, _) in _redeemedCoupons)
        {
            if (pick-- <= 0)
            {
                return code;
            }
        }

        return null;
    }

    public int RedeemedCouponCount => _redeemedCoupons.Count;

    /// <summary>
    /// The balance each member must have now: the balance at the start of the run plus every commit acknowledged in it, less
    /// every void acknowledged in it (guests have none). A replay's earlier sales and voids are in the starting balance already.
    /// </summary>
    public Dictionary<string, long> ExpectedBalances()
    {
        var expected = new Dictionary<string, long>(_initial, StringComparer.Ordinal);
        foreach (var sale in _sales.Values.Where(s => !s.IsGuest))
        {
            expected.TryGetValue(sale.MemberId, out var balance);
            var earned = sale.Earlier ? 0 : sale.Points;
            var voided = sale.VoidRemoved is { } removed && !sale.VoidEarlier ? removed - sale.VoidReturned : 0;
            expected[sale.MemberId] = balance + earned - voided;
        }

        return expected;
    }

    /// <summary>Whether the target stamped something before this run started (never, unless the run is a replay).</summary>
    private bool Before(long utcTicks) => replayedBefore is { } start && utcTicks < start.UtcTicks;
}
