using System.Diagnostics;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.LoadTests.Load;
using Loyalty.LoadTests.Metrics;
using Loyalty.LoadTests.Reporting;

namespace Loyalty.LoadTests.Scenarios;

/// <summary>
/// A till at a checkout: identify the customer (card or member id), quote the basket (with a
/// coupon for a share of sales), commit with a transaction id of store-terminal-run-receipt.
/// A share of baskets (guest-share) are walk-in customers': no identify, quote and commit with an
/// empty member id, at the same stores and terminals, with coupons, retries and voids in the same shares.
/// A share of commits first time out and are retried with the same id; a few sales are voided
/// (and some voided twice); a few try a coupon another sale already used and must be refused.
/// The quote must predict the commit: the points a quote promises are the points the commit earns
/// (none for a guest). Each checkout counts under "checkout", and under "member checkout" or
/// "guest checkout" when the mix has guests.
/// </summary>
internal sealed class CheckoutScenario(Workload workload, RunOptions options) : Scenario(workload, options)
{
    public const string GuestCheckout = "guest checkout";
    public const string MemberCheckout = "member checkout";

    private List<string> _coupons = [];
    private int _nextCoupon = -1;
    private long _quoteMismatches;

    public override string Name => "checkout";

    public override string Headline => "checkout";

    public override string HeadlineUnit => Options.GuestShare > 0
        ? $"committed checkouts (identify + quote + commit; {Options.GuestShare * 100:0.#}% guests: quote + commit)"
        : "committed checkouts (identify + quote + commit)";

    public override async Task PrepareAsync(Action<string> log, CancellationToken cancellationToken)
    {
        var pool = Math.Clamp((int)(EstimatedArrivals() * Options.CouponShare * 1.3) + 100, 100, 20_000);
        if (Options.CouponShare <= 0)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        _coupons = await Workload.CreateCouponsAsync(pool, new CouponTerms { AmountOff = 300, MinBasket = 500 }, cancellationToken);
        log($"  {_coupons.Count:N0} single-use coupons minted in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
    }

    public override async Task<bool> RunAsync(long arrival, long due, RunMetrics metrics, CancellationToken cancellationToken)
    {
        var rng = new Rng(Options.Seed, arrival);
        // Chance(0) draws nothing: with --guest-share 0 every arrival is the member checkout it was before guests.
        var guest = rng.Chance(Options.GuestShare);
        var (store, terminal) = TerminalOf(arrival);
        var session = new Session(metrics.Op("checkout"), Options.GuestShare > 0 ? metrics.Op(guest ? GuestCheckout : MemberCheckout) : null);
        var memberId = string.Empty;
        if (!guest)
        {
            var index = Workload.Popularity.Sample(ref rng);
            memberId = Workload.Members[index];
            var byCard = rng.Chance(0.5);
            var identified = await TimedAsync(metrics.Op("identify"), due, () => byCard
                ? Workload.Pos.IdentifyByCardAsync(Workload.Cards[index], cancellationToken)
                : Workload.Pos.IdentifyByMemberAsync(memberId, cancellationToken));
            if (identified is null)
            {
                session.Error("identify failed");
                return true;
            }
        }

        var lines = Basket(ref rng);
        string? coupon = null;
        string? expectedRefusal = null;
        if (rng.Chance(Options.CouponShare))
        {
            var next = Interlocked.Increment(ref _nextCoupon);
            coupon = next < _coupons.Count ? _coupons[next] : null;
            if (coupon is not null)
            {
                // Make sure the basket reaches the coupon's minimum.
                lines.Add(new BasketLine { Sku = "sku-coffee", Category = "drinks", Quantity = 1, UnitPrice = 650 });
            }
        }
        else if (rng.Chance(Options.ReuseShare) && Ledger.RedeemedCouponCount > 0)
        {
            coupon = Ledger.AnyRedeemedCoupon(rng.Next(Ledger.RedeemedCouponCount));
            expectedRefusal = coupon is null ? null : "COUPON_ALREADY_REDEEMED";
            lines.Add(new BasketLine { Sku = "sku-coffee", Category = "drinks", Quantity = 1, UnitPrice = 650 });
        }

        var quoteRequest = new QuoteRequest { MemberId = memberId, StoreId = store, TerminalId = terminal, CouponCode = coupon ?? string.Empty };
        quoteRequest.Lines.AddRange(lines);
        // A guest's checkout starts with the quote: it is timed from the arrival's due time, as a member's identify is.
        var quote = await TimedAsync(metrics.Op("quote"), guest ? due : Stopwatch.GetTimestamp(), () => Workload.Pos.QuoteAsync(quoteRequest, cancellationToken));
        if (quote is null)
        {
            session.Error("quote failed");
            return true;
        }

        var request = new CommitRequest
        {
            TransactionId = TransactionId(store, terminal, arrival),
            MemberId = memberId,
            StoreId = store,
            TerminalId = terminal,
            CouponCode = coupon ?? string.Empty,
        };
        request.Lines.AddRange(lines);
        var (committed, refusal) = await CommitAsync(request, rng.Chance(Options.RetryShare), metrics.Op("commit"), Stopwatch.GetTimestamp(), expectedRefusal, cancellationToken);
        if (committed is null)
        {
            if (refusal is not null)
            {
                session.ExpectedRefusal(refusal, due);
            }
            else
            {
                session.Error("commit failed");
            }

            return true;
        }

        // A reused coupon that was accepted is judged by the checker: fine only if its first sale was voided meanwhile.
        session.Success(due);
        var quotedCouponValid = quote.Coupon?.Valid ?? false;
        // A replay's sale the target already had is answered as it was then; the quote is of now.
        var earlier = Ledger.Sales.TryGetValue(request.TransactionId, out var acknowledged) && acknowledged.Earlier;
        if (!earlier && quotedCouponValid == (coupon is not null) && quote.PointsToEarn != committed.PointsEarned)
        {
            Interlocked.Increment(ref _quoteMismatches);
            Ledger.Violation($"quote promised {quote.PointsToEarn} points, commit {request.TransactionId} earned {committed.PointsEarned}");
        }

        if (guest && (quote.PointsToEarn != 0 || committed.PointsEarned + committed.BonusPoints != 0))
        {
            Ledger.Violation($"guest sale {request.TransactionId}: quote promised {quote.PointsToEarn} points, commit earned {committed.PointsEarned + committed.BonusPoints}; a guest earns none");
        }

        if (rng.Chance(Options.VoidShare))
        {
            await VoidAsync(memberId, request.TransactionId, store, terminal, twice: rng.Chance(0.3), metrics, cancellationToken);
        }

        return true;
    }

    public override Task CheckAsync(List<CheckResult> checks, CancellationToken cancellationToken)
    {
        var used = Math.Min(_nextCoupon + 1, _coupons.Count);
        if (_coupons.Count > 0 && _nextCoupon + 1 >= _coupons.Count)
        {
            Notes.Add($"the coupon pool ({_coupons.Count:N0}) ran out; later sales went without a coupon");
        }

        Notes.Add($"{used:N0} single-use coupons handed to sales");
        checks.Add(new CheckResult("quote predicts commit", Interlocked.Read(ref _quoteMismatches) == 0, $"{_quoteMismatches} commits earned other points than their quote"));
        return Task.CompletedTask;
    }

    private async Task VoidAsync(string memberId, string transactionId, string store, string terminal, bool twice, RunMetrics metrics, CancellationToken cancellationToken)
    {
        var op = metrics.Op("void");
        var start = Stopwatch.GetTimestamp();
        try
        {
            var voided = await Workload.Pos.VoidAsync(memberId, transactionId, store, terminal, cancellationToken);
            op.Success(start);
            Ledger.Voided(transactionId, voided);
            if (twice)
            {
                var again = await Workload.Pos.VoidAsync(memberId, transactionId, store, terminal, cancellationToken);
                if (!again.AlreadyVoided || again.PointsRemoved != voided.PointsRemoved)
                {
                    Ledger.Violation($"voiding {transactionId} twice was not harmless (already_voided={again.AlreadyVoided}, {again.PointsRemoved} vs {voided.PointsRemoved} points)");
                }
            }
        }
        catch (RpcException failure)
        {
            op.Error(Workload.Key(failure));
            if (PosClient.IsRetryable(failure) || failure.StatusCode == StatusCode.Cancelled)
            {
                Ledger.VoidUnknown(memberId, transactionId, store, terminal);
            }
        }
    }

    /// <summary>One checkout's outcome, counted under "checkout" and, when the mix has guests, under its kind too.</summary>
    private readonly record struct Session(OperationMetrics All, OperationMetrics? Kind)
    {
        public void Success(long due)
        {
            All.Success(due);
            Kind?.Success(due);
        }

        public void ExpectedRefusal(string reason, long due)
        {
            All.ExpectedRefusal(reason, due);
            Kind?.ExpectedRefusal(reason, due);
        }

        public void Error(string key)
        {
            All.Error(key);
            Kind?.Error(key);
        }
    }

    private double EstimatedArrivals() => Options.Model == LoadModel.Open
        ? new ArrivalSchedule(Options.Rate, Options.RampUp, Options.Duration).Total
        : Options.Terminals * Options.Duration.TotalSeconds * 40; // generous: ~40 sales/s per busy terminal
}
