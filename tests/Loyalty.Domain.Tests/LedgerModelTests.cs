using CsCheck;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

/// <summary>
/// Model-based property test: random sequences of commits (live and offline, with and without
/// spending points), voids, partial refunds and clock advances across month boundaries, run
/// against the real ledger and against a deliberately naive reference model in which every point
/// is a separate coin stamped with its month and the time it becomes spendable. CsCheck shrinks
/// a failing sequence to a minimal one.
/// </summary>
public sealed class LedgerModelTests
{
    private static readonly ProgramSettings Program = new("p", "Club", "EUR", 1, 100, 1, PointValue: 100, MaxBurnPercent: 50, PendingDays: 3, OfflineWindowDays: 7);

    public sealed record Op(int Kind, int Amount, int Spend, int Pick, int Hours)
    {
        public override string ToString() => Kind switch
        {
            0 => $"commit({Amount}, spend {Spend})",
            1 => $"offline({Amount}, {Hours}h ago)",
            2 => $"void(#{Pick})",
            3 => $"refund(#{Pick}, {Spend}%)",
            _ => $"advance({Hours * 7}h)",
        };
    }

    private static readonly Gen<Op> OpGen =
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, 4_000], Gen.Int[0, 30], Gen.Int[0, 20], Gen.Int[0, 160], (k, a, s, p, h) => new Op(k, a, s, p, h));

    [Fact]
    public void The_ledger_agrees_with_a_coin_by_coin_model_for_random_histories() =>
        OpGen.Array[1, 40].Sample(Run, iter: 1_500);

    private static void Run(Op[] ops)
    {
        var now = new DateTimeOffset(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);
        var account = new PointsAccount();
        var model = new CoinModel();
        var sales = new List<(SaleRecord Sale, CoinModel.Receipt Receipt)>();
        var n = 0;
        foreach (var op in ops)
        {
            n++;
            switch (op.Kind)
            {
                case 0 or 1:
                {
                    var offline = op.Kind == 1;
                    var occurredAt = offline ? now.AddHours(-op.Hours) : now;
                    var spend = offline ? 0 : op.Spend;
                    var command = new CommitCommand($"t{n}", "s", "t", [new BasketLine("a", "c", 1, op.Amount, false)], null, spend, offline ? occurredAt : null);
                    var expected = model.Commit(op.Amount, spend, occurredAt, now, offline);
                    LoyaltyException? refusal = null;
                    SaleRecord? sale = null;
                    try
                    {
                        sale = Sales.Commit(account, Program, command, null, "f", now);
                    }
                    catch (LoyaltyException e)
                    {
                        refusal = e;
                    }

                    Assert.Equal(expected.Refusal, refusal?.Reason);
                    if (sale is not null)
                    {
                        Assert.Equal(expected.Receipt!.Earned, sale.Result.PointsEarned);
                        sales.Add((sale, expected.Receipt));
                    }

                    break;
                }

                case 2 when sales.Count > 0:
                {
                    var (sale, receipt) = sales[op.Pick % sales.Count];
                    if (sale.Void is null)
                    {
                        var result = Sales.Void(account, Program, sale, now);
                        var (taken, returned) = model.Void(receipt, now);
                        Assert.Equal((taken, returned), (result.PointsRemoved, result.PointsReturned));
                    }

                    break;
                }

                case 3 when sales.Count > 0:
                {
                    var (sale, receipt) = sales[op.Pick % sales.Count];
                    var remaining = sale.Lines[0].Quantity - sale.RefundedQuantities[0];
                    if (sale.Void is null && remaining > 0)
                    {
                        // Single-unit lines: a refund returns the whole line.
                        var result = Sales.Refund(account, Program, sale, new RefundCommand($"r{n}", sale.Result.TransactionId, [new RefundLine(0, 1)]), now);
                        var (taken, returned) = model.Refund(receipt, now);
                        Assert.Equal((taken, returned), (result.PointsClawedBack, result.PointsReturned));
                    }

                    break;
                }

                default:
                    now = now.AddHours(op.Hours * 7);
                    break;
            }

            // Invariants after every step.
            Ledger.ExpireDue(account, Program.ExpiryMonths, now);
            model.Expire(now);
            Assert.Equal(model.Available(now), Ledger.Available(account, now));
            Assert.Equal(model.Pending(now), Ledger.Pending(account, now));
            Assert.Equal(account.Outbox.Sum(e => e.Points), account.Lots.Sum(l => l.Points));
            Assert.Equal(account.LedgerTotal, account.Lots.Sum(l => l.Points));
            Assert.All(account.Lots, l => Assert.True(l.Points > 0));
            Assert.Equal(account.Outbox.Count, account.Outbox.Select(e => e.Seq).Distinct().Count());
            foreach (var (sale, _) in sales)
            {
                Assert.True(sale.PointsTakenBack <= sale.Result.PointsEarned, "never take back more than the receipt earned");
            }
        }
    }

    /// <summary>The rules, stated as plainly as possible: one coin per point.</summary>
    private sealed class CoinModel
    {
        private readonly List<(int Month, DateTimeOffset From)> _coins = [];

        public sealed class Receipt
        {
            public int Month { get; init; }

            public long Earned { get; init; }

            public long Gross { get; init; }

            public List<int> BurnedMonths { get; } = [];

            public long TakenBack { get; set; }

            public long Returned { get; set; }

            public bool Refunded { get; set; }
        }

        public (ErrorReason? Refusal, Receipt? Receipt) Commit(long amount, long spend, DateTimeOffset occurredAt, DateTimeOffset now, bool offline)
        {
            if (offline && now - occurredAt > TimeSpan.FromMinutes(5) && now - occurredAt > TimeSpan.FromDays(7))
            {
                return (ErrorReason.OfflineWindowExceeded, null);
            }

            Expire(now);
            if (spend * Program.PointValue > amount * Program.MaxBurnPercent / 100)
            {
                return (ErrorReason.BurnLimitExceeded, null);
            }

            if (spend > Available(now))
            {
                return (ErrorReason.InsufficientPoints, null);
            }

            var receipt = new Receipt { Month = Months.Of(occurredAt), Earned = (amount - (spend * Program.PointValue)) / 100, Gross = amount };
            foreach (var coin in Spendable(now).Take((int)spend).ToList())
            {
                _coins.Remove(coin);
                receipt.BurnedMonths.Add(coin.Month);
            }

            for (var i = 0; i < receipt.Earned; i++)
            {
                _coins.Add((receipt.Month, occurredAt.AddDays(Program.PendingDays)));
            }

            Expire(now);
            return (null, receipt);
        }

        public (long Taken, long Returned) Void(Receipt receipt, DateTimeOffset now)
        {
            Expire(now);
            var taken = TakeBack(receipt, receipt.Earned - receipt.TakenBack, now);
            var returned = Return(receipt, receipt.BurnedMonths.Count - receipt.Returned);
            Expire(now);
            return (taken, returned);
        }

        public (long Taken, long Returned) Refund(Receipt receipt, DateTimeOffset now)
        {
            // The whole (single) line returned: everything left of the receipt, like a void.
            return Void(receipt, now);
        }

        public void Expire(DateTimeOffset now) =>
            _coins.RemoveAll(c => Months.ExpiresAt(c.Month, Program.ExpiryMonths) <= now);

        public long Available(DateTimeOffset now) => _coins.Count(c => c.From <= now);

        public long Pending(DateTimeOffset now) => _coins.Count(c => c.From > now);

        private IEnumerable<(int Month, DateTimeOffset From)> Spendable(DateTimeOffset now) =>
            _coins.Where(c => c.From <= now).OrderBy(c => c.Month).ThenBy(c => c.From);

        private long TakeBack(Receipt receipt, long points, DateTimeOffset now)
        {
            var sameMonth = _coins.Where(c => c.Month == receipt.Month).OrderBy(c => c.From);
            // Once the receipt's month has expired, nothing of it is left to take, and other months are not touched.
            var expired = Months.ExpiresAt(receipt.Month, Program.ExpiryMonths) <= now;
            var others = expired ? [] : Spendable(now).Where(c => c.Month != receipt.Month);
            var victims = sameMonth.Concat(others).Take((int)points).ToList();
            victims.ForEach(c => _coins.Remove(c));
            receipt.TakenBack += points; // what could not be taken is written off
            return victims.Count;
        }

        private long Return(Receipt receipt, long points)
        {
            var months = receipt.BurnedMonths.Order().Skip((int)receipt.Returned).Take((int)points).ToList();
            months.ForEach(m => _coins.Add((m, DateTimeOffset.MinValue)));
            receipt.Returned += months.Count;
            return months.Count;
        }
    }
}
