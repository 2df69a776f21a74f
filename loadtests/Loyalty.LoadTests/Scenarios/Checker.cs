using System.Collections.Concurrent;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.LoadTests.Reporting;

namespace Loyalty.LoadTests.Scenarios;

/// <summary>
/// The correctness checks every run ends with. First it settles every call whose outcome the
/// generator never heard (it replays the very same request, which is safe by design); then it
/// compares the target with the ledger: each member's balance, each coupon's holder, and for
/// guests' sales (no member, no balance) a replay of some of them, which must be answered with
/// the sale the target acknowledged.
/// </summary>
internal static class Checker
{
    /// <summary>Live guest sales replayed at most: enough to catch a lost sale, few enough to stay seconds.</summary>
    public const int GuestReplays = 500;

    public static async Task<List<CheckResult>> RunAsync(Workload workload, Action<string> log, CancellationToken cancellationToken)
    {
        var checks = new List<CheckResult> { await SettleAsync(workload, log, cancellationToken) };
        var ledger = workload.Ledger;
        var pos = workload.Patient;

        var expected = ledger.ExpectedBalances();
        var touched = ledger.Sales.Values.Where(s => !s.IsGuest).Select(s => s.MemberId).ToHashSet(StringComparer.Ordinal);
        // Every member a sale touched, plus untouched ones as a control group (their balance must not move).
        var toCheck = expected.Keys.Where(m => touched.Contains(m)).Concat(expected.Keys.Where(m => !touched.Contains(m)).Take(200)).ToList();
        var wrong = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(toCheck, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (member, ct) =>
        {
            var balance = await pos.GetBalanceAsync(member, ct);
            if (balance.Balance.Available != expected[member])
            {
                wrong.Add($"{member}: target says {balance.Balance.Available}, acknowledged sales say {expected[member]}");
            }
        });
        var sales = ledger.Sales.Values.Count(s => !s.IsGuest);
        var voided = ledger.Sales.Values.Count(s => !s.IsGuest && s.VoidRemoved is not null);
        var replayed = ledger.IsReplay ? $"; a replay: {ledger.EarlierSales:N0} of the sales were the earlier run's, answered again without moving a balance" : string.Empty;
        checks.Add(new CheckResult(
            "every acknowledged commit counted exactly once",
            wrong.IsEmpty,
            wrong.IsEmpty
                ? $"{toCheck.Count:N0} balances match their balance at the start of the run with {sales:N0} acknowledged member commits and {voided:N0} voids ({ledger.RetriesCompared:N0} retried commits answered identically{replayed})"
                : $"{wrong.Count} balances differ from their balance at the start of the run with this run's acknowledged sales, e.g. {string.Join("; ", wrong.Take(3))} "
                    + "(another generator on the same members at the same time would do this too: give each its own --shard)"));

        if (ledger.GuestRequests.Count > 0)
        {
            checks.Add(await GuestSalesOnRecordAsync(ledger, pos, cancellationToken));
        }

        var holders = new Dictionary<string, List<Ledger.Sale>>(StringComparer.Ordinal);
        foreach (var sale in ledger.Sales.Values.Where(s => s.Coupon is not null))
        {
            if (!holders.TryGetValue(sale.Coupon!, out var list))
            {
                holders[sale.Coupon!] = list = [];
            }

            list.Add(sale);
        }

        var couponProblems = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(holders, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (entry, ct) =>
        {
            var live = entry.Value.Where(s => s.VoidRemoved is null).ToList();
            if (live.Count > 1)
            {
                couponProblems.Add($"{Redact(entry.Key)} redeemed by {live.Count} live sales ({string.Join(", ", live.Select(s => s.TransactionId))})");
                return;
            }

            var coupon = await workload.Admin.GetCouponAsync(new GetCouponRequest { ProgramId = workload.ProgramId, Code = entry.Key }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: ct);
            var holder = live.Count == 1 ? live[0].TransactionId : null;
            if (holder is null ? coupon.Redeemed : coupon.RedeemedByTransaction != holder)
            {
                couponProblems.Add($"{Redact(entry.Key)}: target says {(coupon.Redeemed ? "redeemed by " + coupon.RedeemedByTransaction : "not redeemed")}, expected {holder ?? "not redeemed (voided)"}");
            }
        });
        checks.Add(new CheckResult(
            "single-use coupons redeemed exactly once",
            couponProblems.IsEmpty,
            couponProblems.IsEmpty
                ? $"{holders.Count:N0} coupons: each held by its one live sale, released by its void"
                : $"{couponProblems.Count} coupons wrong, e.g. {string.Join("; ", couponProblems.Take(3))}"));

        var violations = ledger.Violations.ToList();
        checks.Add(new CheckResult(
            "answers consistent (retries, voids, quotes)",
            violations.Count == 0,
            violations.Count == 0 ? "no inconsistent answer seen during the run" : $"{violations.Count} inconsistencies, e.g. {string.Join("; ", violations.Take(3))}"));
        return checks;
    }

    /// <summary>
    /// Settles every call of the run whose outcome the generator never heard, by replaying the very same request (safe
    /// by design): once the target answers a replay, the first call can no longer land later, in another run's window.
    /// </summary>
    public static async Task<CheckResult> SettleAsync(Workload workload, Action<string> log, CancellationToken cancellationToken)
    {
        var ledger = workload.Ledger;
        var pos = workload.Patient;
        var unknownCommits = ledger.UnknownCommits.Values.ToList();
        var unknownVoids = ledger.UnknownVoids.Values.ToList();
        if (unknownCommits.Count + unknownVoids.Count > 0)
        {
            log($"  settling {unknownCommits.Count} commits and {unknownVoids.Count} voids with unknown outcome (replaying the same requests)");
        }

        var settleFailures = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(unknownCommits, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (request, ct) =>
        {
            try
            {
                ledger.Committed(request, await pos.CommitAsync(request, ct));
            }
            catch (RpcException failure) when (!PosClient.IsRetryable(failure))
            {
                // A definite refusal: the sale did not happen (e.g. another sale got the coupon).
                ledger.Settled(request.TransactionId);
            }
            catch (RpcException failure)
            {
                settleFailures.Add($"commit {request.TransactionId}: {Workload.Key(failure)}");
            }
        });
        await Parallel.ForEachAsync(unknownVoids, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (v, ct) =>
        {
            try
            {
                ledger.Voided(v.Transaction, await pos.VoidAsync(v.Member, v.Transaction, v.Store, v.Terminal, ct));
            }
            catch (RpcException failure)
            {
                settleFailures.Add($"void {v.Transaction}: {Workload.Key(failure)}");
            }
        });
        return new CheckResult(
            "every outcome known",
            settleFailures.IsEmpty,
            settleFailures.IsEmpty
                ? $"{unknownCommits.Count + unknownVoids.Count} unanswered calls settled by replaying them"
                : $"{settleFailures.Count} calls still without an answer, e.g. {string.Join("; ", settleFailures.Take(3))}");
    }

    /// <summary>
    /// A guest's sale has no balance that would show it lost or counted twice, so some live ones (spread evenly over
    /// the run) are committed again with their very request: the target must answer with the sale it acknowledged
    /// (same time, same total, no points). A sale it lost would be committed anew, at another time.
    /// </summary>
    private static async Task<CheckResult> GuestSalesOnRecordAsync(Ledger ledger, PosClient pos, CancellationToken cancellationToken)
    {
        var live = ledger.GuestRequests
            .Where(r => ledger.Sales.TryGetValue(r.Key, out var sale) && sale.VoidRemoved is null)
            .OrderBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => r.Value)
            .ToList();
        var stride = Math.Max(1, live.Count / GuestReplays);
        var sample = live.Where((_, i) => i % stride == 0).Take(GuestReplays).ToList();
        var problems = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(sample, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (request, ct) =>
        {
            var acknowledged = ledger.Sales[request.TransactionId];
            try
            {
                var again = await pos.CommitAsync(request, ct);
                var committedAt = again.CommittedAt?.ToDateTime().Ticks ?? 0;
                if (committedAt != acknowledged.CommittedAtTicks || again.Total != acknowledged.Total || again.PointsEarned + again.BonusPoints != 0)
                {
                    problems.Add($"{request.TransactionId}: answered total {again.Total}, {again.PointsEarned + again.BonusPoints} points, committed at {again.CommittedAt}, "
                        + $"not the acknowledged sale (total {acknowledged.Total})");
                }
            }
            catch (RpcException failure)
            {
                problems.Add($"{request.TransactionId}: {Workload.Key(failure)}");
            }
        });
        return new CheckResult(
            "acknowledged guest sales on record",
            problems.IsEmpty,
            problems.IsEmpty
                ? $"{sample.Count:N0} of {live.Count:N0} live guest sales ({ledger.GuestRequests.Count:N0} acknowledged) replayed: each answered with the sale acknowledged"
                : $"{problems.Count} of {sample.Count:N0} replayed guest sales answered otherwise, e.g. {string.Join("; ", problems.Take(3))}");
    }

    private static string Redact(string code) => code.Length <= 4 ? "****" : code[..4] + "…";
}
