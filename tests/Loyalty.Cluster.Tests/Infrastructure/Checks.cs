using System.Collections.Concurrent;
using System.Text;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;

namespace Loyalty.Cluster.Tests.Infrastructure;

/// <summary>What the checks found: counts for the test log and every violation, each one sentence.</summary>
public sealed class CheckReport
{
    public ConcurrentQueue<string> Violations { get; } = new();

    public int Sales { get; set; }

    public int Acked { get; set; }

    public int AckedLate { get; set; }

    public int Refused { get; set; }

    public int CouponsRedeemed { get; set; }

    public long Points { get; set; }

    public Dictionary<string, int> AttemptFailures { get; set; } = [];

    public void Violation(string what) => Violations.Enqueue(what);

    public override string ToString()
    {
        var text = new StringBuilder()
            .Append($"sales {Sales}: acknowledged {Acked} ({AckedLate} only on the terminal's later retry), refused {Refused}; ")
            .Append($"coupons redeemed {CouponsRedeemed}; points {Points}; failed attempts: ")
            .Append(AttemptFailures.Count == 0 ? "none" : string.Join(", ", AttemptFailures.OrderByDescending(f => f.Value).Select(f => $"{f.Key} x{f.Value}")));
        foreach (var violation in Violations.Take(25))
        {
            text.Append("\n  VIOLATION: ").Append(violation);
        }

        if (Violations.Count > 25)
        {
            text.Append($"\n  ... and {Violations.Count - 25} more");
        }

        return text.ToString();
    }
}

/// <summary>
/// The promises under test, checked against the engine after the faults are over:
/// every acknowledged commit is present exactly once (a retry answers the identical result, the
/// ledger has one earn entry for it), balances equal the sum of acknowledged points and the ledger
/// sum, running balances form an unbroken chain (no write lost or applied on a stale state), no
/// coupon is redeemed by two sales, and the terminals only ever saw retryable failures.
/// </summary>
public static class Checks
{
    private static readonly HashSet<string> ExpectedRefusals = ["COUPON_ALREADY_REDEEMED"];

    /// <summary>
    /// What a terminal does with a sale that never got an answer: retry it later with the same
    /// transaction id until the engine answers. Afterwards every sale is acknowledged or refused.
    /// </summary>
    public static async Task ReconcileAsync(PosClient patient, IEnumerable<Sale> sales)
    {
        await Parallel.ForEachAsync(sales.Where(s => s.Unresolved), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (sale, _) =>
        {
            sale.FailedWith = null;
            await CheckoutDriver.CommitAsync(patient, sale);
            sale.AckedLate = sale.Ack is not null;
        });
    }

    public static async Task<CheckReport> VerifyAsync(PosClient client, Workload workload, IReadOnlyCollection<Sale> sales, IEnumerable<PosCallFailure> failures)
    {
        var report = new CheckReport
        {
            Sales = sales.Count,
            Acked = sales.Count(s => s.Ack is not null),
            AckedLate = sales.Count(s => s.AckedLate),
            Refused = sales.Count(s => s.Refusal is not null),
            CouponsRedeemed = sales.Count(s => s.Ack is not null && s.Coupon is not null),
            Points = sales.Where(s => s.Ack is not null).Sum(s => s.Ack!.PointsEarned),
            AttemptFailures = failures.GroupBy(Describe).ToDictionary(g => g.Key, g => g.Count()),
        };

        CheckFailuresWereRetryable(report, failures);
        CheckOutcomes(report, sales);
        await CheckRetriesAnswerTheSameAsync(report, client, sales);
        await CheckMembersAsync(report, client, workload, sales);
        await CheckCouponsAsync(report, client, workload, sales);
        return report;
    }

    /// <summary>A failed attempt in a few words: status, then the engine's reason or the transport's complaint.</summary>
    public static string Describe(PosCallFailure failure) => failure switch
    {
        { Reason: { } reason } => $"{failure.Status}/{reason}",
        { Detail: var d } when d.Contains("ping", StringComparison.OrdinalIgnoreCase) => $"{failure.Status}/keep-alive ping unanswered",
        { Detail: var d } when d.Contains("refused", StringComparison.OrdinalIgnoreCase) || d.Contains("Error connecting", StringComparison.OrdinalIgnoreCase) => $"{failure.Status}/connection refused",
        { Status: StatusCode.DeadlineExceeded } => "DeadlineExceeded",
        { Detail: var d } when d.Contains("reset", StringComparison.OrdinalIgnoreCase) || d.Contains("ended prematurely", StringComparison.OrdinalIgnoreCase) => $"{failure.Status}/connection lost",
        _ => $"{failure.Status}/{failure.Detail[..Math.Min(60, failure.Detail.Length)]}",
    };

    private static bool IsBrokenConnection(string detail) =>
        detail.Contains("HTTP/2", StringComparison.Ordinal) || detail.Contains("Error starting gRPC call", StringComparison.Ordinal)
        || detail.Contains("Error reading", StringComparison.Ordinal) || detail.Contains("ended prematurely", StringComparison.Ordinal);

    private static void CheckFailuresWereRetryable(CheckReport report, IEnumerable<PosCallFailure> failures)
    {
        foreach (var failure in failures)
        {
            // Stricter than the SDK's retry rule: UNKNOWN means an exception escaped the engine's error
            // mapping, and INTERNAL is accepted only as the HTTP/2 client's word for a broken connection.
            var retryable = failure.Status is StatusCode.Unavailable or StatusCode.DeadlineExceeded
                || (failure.Status == StatusCode.Internal && failure.Reason is null && IsBrokenConnection(failure.Detail));
            var expected = failure.Status == StatusCode.FailedPrecondition && failure.Reason is { } reason && ExpectedRefusals.Contains(reason);
            if (!retryable && !expected)
            {
                report.Violation($"a terminal saw a non-retryable failure: {failure}");
            }
        }
    }

    private static void CheckOutcomes(CheckReport report, IEnumerable<Sale> sales)
    {
        foreach (var sale in sales)
        {
            if (sale.Unresolved)
            {
                report.Violation($"{sale.TransactionId} never got an answer, even on the later retry ({sale.FailedWith})");
            }
            else if (sale.Refusal is { } refusal && (!ExpectedRefusals.Contains(refusal) || sale.Coupon is null))
            {
                report.Violation($"{sale.TransactionId} was refused with {refusal}");
            }
            else if (sale.Ack is { } ack && (ack.TransactionId != sale.TransactionId || ack.PointsEarned <= 0))
            {
                report.Violation($"{sale.TransactionId} was acknowledged with a strange result: {ack}");
            }
        }
    }

    /// <summary>A retry of an acknowledged commit must answer exactly the acknowledged result and apply nothing.</summary>
    private static async Task CheckRetriesAnswerTheSameAsync(CheckReport report, PosClient client, IEnumerable<Sale> sales)
    {
        await Parallel.ForEachAsync(sales.Where(s => s.Ack is not null), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (sale, _) =>
        {
            var again = await client.CommitAsync(sale.Request.Clone());
            if (!again.Equals(sale.Ack))
            {
                report.Violation($"{sale.TransactionId}: the retry answered {again}, the acknowledgement was {sale.Ack}");
            }
        });
    }

    private static async Task CheckMembersAsync(CheckReport report, PosClient client, Workload workload, IReadOnlyCollection<Sale> sales)
    {
        var byMember = sales.GroupBy(s => s.MemberId).ToDictionary(g => g.Key, g => g.ToList());
        await Parallel.ForEachAsync(workload.Members, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (member, _) =>
        {
            var mine = byMember.GetValueOrDefault(member) ?? [];
            var acked = mine.Where(s => s.Ack is not null).ToList();
            var expected = acked.Sum(s => s.Ack!.PointsEarned);

            var balance = (await client.GetBalanceAsync(member)).Balance;
            if (balance.Available + balance.Pending != expected)
            {
                report.Violation($"{member}: balance {balance.Available} (+{balance.Pending} pending), acknowledged sales earned {expected}");
            }

            // Running balances: each acknowledged commit saw exactly the previous one's balance plus its own points.
            long previous = 0;
            foreach (var sale in acked.OrderBy(s => s.Ack!.AvailableAfter))
            {
                if (sale.Ack!.AvailableAfter != previous + sale.Ack.PointsEarned)
                {
                    report.Violation($"{member}: {sale.TransactionId} answered a balance of {sale.Ack.AvailableAfter} after earning {sale.Ack.PointsEarned} on top of {previous} (a lost or doubled write)");
                }

                previous = sale.Ack.AvailableAfter;
            }

            var ledger = await ReadLedgerAsync(client, member);
            if (ledger.Entries.Sum(e => e.Points) != ledger.Balance || ledger.Balance != expected)
            {
                report.Violation($"{member}: ledger entries sum to {ledger.Entries.Sum(e => e.Points)}, ledger balance {ledger.Balance}, acknowledged {expected}");
            }

            var earned = ledger.Entries.Where(e => e.Type == "earn").GroupBy(e => e.TransactionId).ToDictionary(g => g.Key, g => g.ToList());
            foreach (var sale in acked)
            {
                var entries = earned.GetValueOrDefault(sale.TransactionId) ?? [];
                if (entries.Count != 1 || entries[0].Points != sale.Ack!.PointsEarned)
                {
                    report.Violation($"{member}: {sale.TransactionId} has {entries.Count} earn entries ({string.Join(", ", entries.Select(e => e.Points))}) for {sale.Ack!.PointsEarned} acknowledged points");
                }
            }

            var ackedIds = acked.Select(s => s.TransactionId).ToHashSet();
            foreach (var stray in earned.Keys.Where(id => !ackedIds.Contains(id)))
            {
                report.Violation($"{member}: the ledger credits {stray}, which was never acknowledged");
            }
        });
    }

    private static async Task CheckCouponsAsync(CheckReport report, PosClient client, Workload workload, IReadOnlyCollection<Sale> sales)
    {
        var usedBy = sales.Where(s => s.Ack is not null && s.Coupon is not null).GroupBy(s => s.Coupon!).ToDictionary(g => g.Key, g => g.ToList());
        var offered = sales.Where(s => s.Coupon is not null).Select(s => s.Coupon!).Distinct().ToList();
        foreach (var (code, users) in usedBy.Where(u => u.Value.Count > 1))
        {
            report.Violation($"coupon {code[..4]}… was redeemed by {users.Count} acknowledged sales: {string.Join(", ", users.Select(u => u.TransactionId))}");
        }

        await Parallel.ForEachAsync(offered, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (code, _) =>
        {
            var holder = usedBy.GetValueOrDefault(code)?.FirstOrDefault()?.TransactionId ?? string.Empty;
            Coupon coupon;
            try
            {
                coupon = await TestCluster.Admin(client).GetCouponAsync(new GetCouponRequest { ProgramId = workload.ProgramId, Code = code }, deadline: DateTime.UtcNow.AddSeconds(30));
            }
            catch (RpcException failure)
            {
                report.Violation($"coupon {code[..4]}… cannot be read: {failure.Status}");
                return;
            }

            if (coupon.RedeemedByTransaction != holder)
            {
                report.Violation($"coupon {code[..4]}… is held by '{coupon.RedeemedByTransaction}', the acknowledged sale is '{holder}'");
            }
        });
    }

    private static async Task<(List<LedgerEntryView> Entries, long Balance)> ReadLedgerAsync(PosClient client, string member)
    {
        var entries = new List<LedgerEntryView>();
        long after = 0, balance = 0;
        while (true)
        {
            var page = await TestCluster.Admin(client).ListLedgerAsync(
                new ListLedgerRequest { ProgramId = client.ProgramId, MemberId = member, AfterSeq = after, PageSize = 1000 },
                deadline: DateTime.UtcNow.AddSeconds(30));
            entries.AddRange(page.Entries);
            balance = page.Balance;
            if (page.Entries.Count == 0)
            {
                return (entries, balance);
            }

            after = page.NextAfterSeq;
        }
    }
}
