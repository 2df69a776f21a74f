using System.Collections.Immutable;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// Applying, voiding and refunding sales on a member's points. Pure: the grain loads state,
/// calls these, and persists. Every points movement is a ledger entry.
/// </summary>
public static class Sales
{
    /// <summary>
    /// The live tolerance: a sale stamped at most this long before it reaches the engine is live (priced
    /// like its quote, with campaigns, coupons and spending); one stamped earlier is an offline replay.
    /// </summary>
    public static readonly TimeSpan OfflineThreshold = TimeSpan.FromMinutes(5);

    /// <summary>Tills' clocks drift; a sale stamped this far in the future is refused.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Points one sale may earn, bonuses included: past it the sale is refused, so no balance can wrap.</summary>
    public const long MaxPointsPerSale = 1_000_000_000_000;

    /// <summary>Categories a member's history keeps for segments; past it, those bought longest ago are dropped.</summary>
    public const int MaxCategoriesKept = 100;

    /// <summary>
    /// Checks what can be refused before anything is redeemed: the sale's time (offline window,
    /// offline spending) and whether points may be spent at all. Returns the time the sale happened.
    /// </summary>
    public static DateTimeOffset CheckTiming(ProgramSettings program, CommitCommand command, DateTimeOffset now)
    {
        var occurredAt = command.OccurredAt ?? now;
        if (occurredAt > now + MaxClockSkew)
        {
            throw LoyaltyException.Invalid("occurred_at", "occurred_at is in the future");
        }

        if (!IsLive(occurredAt, now))
        {
            if (now - occurredAt > TimeSpan.FromDays(program.OfflineWindowDays))
            {
                throw new LoyaltyException(ErrorReason.OfflineWindowExceeded, $"offline sales are accepted for {program.OfflineWindowDays} days");
            }

            if (command.PointsToSpend > 0 || command.CreditToSpend > 0 || command.CouponCode is not null || !command.RewardIds.IsDefaultOrEmpty)
            {
                throw new LoyaltyException(ErrorReason.OfflineSpendNotAllowed, "an offline sale can only earn; spending points, credit or coupons needs a live commit");
            }
        }

        if (command.PointsToSpend < 0)
        {
            throw LoyaltyException.Invalid("points_to_spend", "points to spend must not be negative");
        }

        if (command.CreditToSpend < 0)
        {
            throw LoyaltyException.Invalid("credit_to_spend", "credit to spend must not be negative");
        }

        if (command.PointsToSpend > 0 && program.PointValue <= 0)
        {
            throw new LoyaltyException(ErrorReason.BurnNotEnabled, "this program does not accept points as payment");
        }

        return occurredAt;
    }

    /// <summary>Whether a sale that happened at <paramref name="occurredAt"/> is live now (within the live tolerance), not an offline replay.</summary>
    public static bool IsLive(DateTimeOffset occurredAt, DateTimeOffset now) => now - occurredAt <= OfflineThreshold;

    /// <summary>The money value of spent points, refused when over the program's share of the basket.</summary>
    public static long PointsValue(ProgramSettings program, long pointsToSpend, long totalAfterDiscounts)
    {
        if (pointsToSpend == 0)
        {
            return 0;
        }

        var value = (Int128)pointsToSpend * program.PointValue;
        var limit = (Int128)totalAfterDiscounts * program.MaxBurnPercent / 100;
        if (value > limit)
        {
            throw new LoyaltyException(
                ErrorReason.BurnLimitExceeded,
                $"points may pay at most {program.MaxBurnPercent}% of the basket ({limit / program.PointValue} points here)");
        }

        return (long)value;
    }

    public static SaleRecord Commit(
        PointsAccount account,
        ProgramSettings program,
        CommitCommand command,
        CouponDefinition? coupon,
        string fingerprint,
        DateTimeOffset now,
        SpendHistory? spend = null,
        DateOnly? birthDate = null,
        PricedBasket? plan = null,
        ImmutableArray<DroppedPromotion> dropped = default)
    {
        spend ??= new SpendHistory();
        var occurredAt = CheckTiming(program, command, now);
        ExpireDue(account, program, now);
        var tier = Tiers.Evaluate(program.Tiers, spend, occurredAt)?.Level;
        // The grain prices once (campaigns included) and passes the plan; without one, no campaigns apply.
        var priced = plan ?? Pricing.Price(command.Lines, program, coupon, tier, command.RewardIds);
        EnsureExpectedTotal(command, priced.Total);
        var pointsValue = PointsValue(program, command.PointsToSpend, priced.Total);
        if (command.CreditToSpend > priced.Total - pointsValue)
        {
            throw LoyaltyException.Invalid("credit_to_spend", $"credit to spend is more than the {priced.Total - pointsValue} left to pay");
        }

        var pointsSpent = command.PointsToSpend + priced.RewardPoints;
        var burned = pointsSpent > 0 ? Ledger.Burn(account, pointsSpent, command.TransactionId, now) : [];
        var creditSpentFrom = command.CreditToSpend > 0 ? CreditWallet.Spend(account, command.CreditToSpend, command.TransactionId, now) : [];

        // Points are earned on the money paid: what was paid with points or store credit earns nothing.
        var earned = Earning.PointsFor(command.Lines, program, tier, priced.Discount + pointsValue + command.CreditToSpend, priced.ExtraMultiplier);
        var points = (Int128)earned + EventBonus(program.Earn, spend, birthDate, occurredAt) + priced.CampaignPoints;
        if (points > MaxPointsPerSale)
        {
            throw LoyaltyException.Invalid("lines", $"the sale would earn {points} points; a sale earns at most {MaxPointsPerSale}");
        }

        var bonus = (long)(points - earned);

        var month = Months.Of(occurredAt);
        var availableFrom = program.PendingDays > 0 ? occurredAt.AddDays(program.PendingDays) : occurredAt;
        Ledger.Credit(account, LedgerEntryType.Earn, earned, month, availableFrom, command.TransactionId, now);
        Ledger.Credit(account, LedgerEntryType.Bonus, bonus, month, availableFrom, command.TransactionId, now);

        var amountDue = priced.Total - pointsValue - command.CreditToSpend;
        var cashback = CreditWallet.CashbackFor(amountDue, program.CashbackPercent);
        CreditWallet.Earn(account, LedgerEntryType.Earn, cashback, month, CreditWallet.ExpiryFor(program, occurredAt), command.TransactionId, now);
        spend.ByMonthForWrite()[month] = spend.ByMonth.GetValueOrDefault(month) + amountDue;
        spend.Lifetime += amountDue;
        spend.Purchases++;
        RecordCategories(spend, command.Lines, month);
        Tiers.Forget(spend, now);

        // An offline sale may arrive after its month's points already expired: they land and expire at once.
        ExpireDue(account, program, now);
        var result = Receipt(command, priced, occurredAt, now, command.CouponCode, dropped) with
        {
            PointsEarned = earned,
            EarnMonth = month,
            AvailableAfter = Ledger.Available(account, now),
            PointsSpent = pointsSpent,
            PointsValue = pointsValue,
            PointsPending = availableFrom > now ? earned + bonus : 0,
            BonusPoints = bonus,
            TierName = tier?.Name,
            CreditSpent = command.CreditToSpend,
            CreditEarned = cashback,
            CreditAfter = CreditWallet.Available(account, now),
        };
        return new SaleRecord
        {
            Fingerprint = fingerprint,
            Result = result,
            Lines = command.Lines,
            BurnedByMonth = burned,
            RefundedQuantities = new int[command.Lines.Length],
            SpendCounted = amountDue,
            CreditSpentFrom = creditSpentFrom,
        };
    }

    /// <summary>
    /// What every receipt says, a member's or a walk-in customer's (<see cref="GuestSales"/>): its ids and time, the
    /// amounts, discount lines, campaigns and hints of the priced basket, the coupon and what was dropped; no points.
    /// </summary>
    internal static CommitResult Receipt(
        CommitCommand command, PricedBasket priced, DateTimeOffset occurredAt, DateTimeOffset now, string? couponCode, ImmutableArray<DroppedPromotion> dropped) => new()
    {
        TransactionId = command.TransactionId,
        Subtotal = priced.Subtotal,
        Discount = priced.Discount,
        Total = priced.Total,
        PointsEarned = 0,
        EarnMonth = Months.Of(occurredAt),
        CouponCode = couponCode,
        AvailableAfter = 0,
        CommittedAt = now,
        OccurredAt = occurredAt,
        TierDiscount = priced.TierDiscount,
        RewardDiscount = priced.RewardDiscount,
        RewardPoints = priced.RewardPoints,
        CampaignId = AppliedCampaign.ReceiptCampaignId(priced.Campaigns),
        CampaignDiscount = priced.CampaignDiscount,
        DiscountLines = priced.Lines,
        Campaigns = priced.Campaigns,
        Hints = priced.Hints,
        StoreId = command.StoreId,
        Dropped = dropped.IsDefault ? [] : dropped,
    };

    /// <summary>Records every expiry that is due, points and credit, once.</summary>
    public static void ExpireDue(PointsAccount account, ProgramSettings program, DateTimeOffset now)
    {
        Ledger.ExpireDue(account, program.ExpiryMonths, now);
        CreditWallet.ExpireDue(account, now);
    }

    /// <summary>First-purchase and birthday-month bonuses (the birthday bonus once per year).</summary>
    private static long EventBonus(EarnRules? rules, SpendHistory spend, DateOnly? birthDate, DateTimeOffset occurredAt)
    {
        if (rules is null)
        {
            return 0;
        }

        var bonus = spend.Purchases == 0 ? rules.FirstPurchaseBonus : 0;
        var year = occurredAt.UtcDateTime.Year;
        if (rules.BirthdayMonthBonus > 0 && birthDate?.Month == occurredAt.UtcDateTime.Month && !spend.BirthdayBonusYears.Contains(year))
        {
            bonus += rules.BirthdayMonthBonus;
            spend.BirthdayBonusYearsForWrite().Add(year);
        }

        return bonus;
    }

    /// <summary>
    /// The latest month each category was bought in (an offline replay never moves it back). A void or
    /// refund does not un-buy (as it does not un-count the purchase): segments read "has bought".
    /// </summary>
    public static void RecordCategories(SpendHistory spend, ImmutableArray<BasketLine> lines, int month)
    {
        var bought = spend.CategoryLastMonthForWrite();
        foreach (var line in lines)
        {
            if (line.Category.Length > 0 && (!bought.TryGetValue(line.Category, out var last) || last < month))
            {
                bought[line.Category] = month;
            }
        }

        if (bought.Count > MaxCategoriesKept)
        {
            foreach (var stale in bought.OrderBy(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(bought.Count - MaxCategoriesKept).ToList())
            {
                bought.Remove(stale.Key);
            }
        }
    }

    private static void Unspend(SpendHistory? spend, SaleRecord sale, long amount)
    {
        amount = Math.Min(amount, sale.SpendCounted - sale.SpendReversed);
        if (spend is null || amount <= 0)
        {
            return;
        }

        var month = Months.Of(sale.Result.OccurredAt);
        if (spend.ByMonth.TryGetValue(month, out var monthSpend))
        {
            spend.ByMonthForWrite()[month] = Math.Max(0, monthSpend - amount);
        }

        spend.Lifetime = Math.Max(0, spend.Lifetime - amount);
        sale.SpendReversed += amount;
    }

    /// <summary>Reverses what is left of a sale: earned points taken back, spent points returned to their months.</summary>
    public static VoidResult Void(PointsAccount account, ProgramSettings program, SaleRecord sale, DateTimeOffset now, SpendHistory? spend = null)
    {
        var committed = sale.Result;
        var reversal = Reverse(
            account, program, sale, spend, LedgerEntryType.Void, now,
            claw: committed.PointsEarned + committed.BonusPoints - sale.PointsTakenBack,
            pointsBack: committed.PointsSpent - sale.PointsReturned,
            creditClaw: committed.CreditEarned - sale.CreditTakenBack,
            creditBack: committed.CreditSpent - sale.CreditReturned,
            spendBack: sale.SpendCounted);
        sale.Void = new VoidResult
        {
            TransactionId = committed.TransactionId,
            PointsRemoved = reversal.PointsTaken,
            CouponRestored = committed.CouponCode is not null,
            AlreadyVoided = false,
            AvailableAfter = Ledger.Available(account, now),
            VoidedAt = now,
            PointsReturned = reversal.PointsReturned,
            PointsNotRecovered = reversal.PointsNotRecovered,
            CreditTakenBack = reversal.CreditTaken,
            CreditReturned = reversal.CreditReturned,
        };
        return sale.Void;
    }

    /// <summary>
    /// A partial refund: earned points are clawed back, and spent points returned, in proportion to
    /// the returned lines' share of the receipt's gross amount, rounded down, computed on the
    /// cumulative refunded amount so several refunds never take back more than the sale earned.
    /// </summary>
    public static RefundResult Refund(PointsAccount account, ProgramSettings program, SaleRecord sale, RefundCommand command, DateTimeOffset now, SpendHistory? spend = null)
    {
        var quantities = RefundedQuantitiesAfter(sale, command);
        var refundedNow = command.Lines.Sum(l => l.Quantity * sale.Lines[l.LineIndex].UnitPrice);
        var committed = sale.Result;
        var refundedGross = sale.Lines.Select((l, i) => quantities[i] * l.UnitPrice).Sum();

        // Every point the returned lines brought, bonuses (event and campaign) included, in proportion.
        var reversal = Reverse(
            account, program, sale, spend, LedgerEntryType.Refund, now,
            claw: Share(committed.PointsEarned + committed.BonusPoints, refundedGross, committed.Subtotal) - sale.PointsTakenBack,
            pointsBack: Share(committed.PointsSpent, refundedGross, committed.Subtotal) - sale.PointsReturned,
            creditClaw: Share(committed.CreditEarned, refundedGross, committed.Subtotal) - sale.CreditTakenBack,
            creditBack: Share(committed.CreditSpent, refundedGross, committed.Subtotal) - sale.CreditReturned,
            spendBack: Share(sale.SpendCounted, refundedGross, committed.Subtotal) - sale.SpendReversed);
        sale.RefundedQuantities = quantities;
        return new RefundResult
        {
            RefundId = command.RefundId,
            TransactionId = committed.TransactionId,
            RefundedAmount = refundedNow,
            PointsClawedBack = reversal.PointsTaken,
            PointsReturned = reversal.PointsReturned,
            PointsNotRecovered = reversal.PointsNotRecovered,
            AvailableAfter = Ledger.Available(account, now),
            RefundedAt = now,
            CreditTakenBack = reversal.CreditTaken,
            CreditReturned = reversal.CreditReturned,
        };
    }

    /// <summary>What one reversal of a sale (its void, or a refund of some lines) moved.</summary>
    /// <param name="PointsTaken">Earned points taken back from the account.</param>
    /// <param name="PointsNotRecovered">Earned points no longer there to take back (spent or expired).</param>
    /// <param name="PointsReturned">Spent points given back to their months.</param>
    /// <param name="CreditTaken">Earned store credit taken back.</param>
    /// <param name="CreditReturned">Spent store credit given back.</param>
    private readonly record struct Reversal(long PointsTaken, long PointsNotRecovered, long PointsReturned, long CreditTaken, long CreditReturned);

    /// <summary>
    /// The one reversal a void and a refund share: due expiries first, then earned points taken back
    /// (<paramref name="claw"/>), spent points returned (<paramref name="pointsBack"/>), earned credit taken back and
    /// spent credit returned, the spend behind tiers reduced; the sale remembers what was reversed so far, so
    /// repeated reversals never move more than the sale did.
    /// </summary>
    private static Reversal Reverse(
        PointsAccount account, ProgramSettings program, SaleRecord sale, SpendHistory? spend, LedgerEntryType type, DateTimeOffset now,
        long claw, long pointsBack, long creditClaw, long creditBack, long spendBack)
    {
        var committed = sale.Result;
        ExpireDue(account, program, now);
        var (taken, notRecovered) = Ledger.TakeBack(account, committed.EarnMonth, program.ExpiryMonths, claw, type, committed.TransactionId, now);
        var returned = Return(account, sale, pointsBack, type, now);
        var (creditTaken, creditLost) = CreditWallet.TakeBack(
            account, creditClaw, committed.EarnMonth, CreditWallet.ExpiryFor(program, committed.OccurredAt), type, committed.TransactionId, now);
        var creditReturned = CreditWallet.Return(account, sale, creditBack, type, now);
        ExpireDue(account, program, now);
        Unspend(spend, sale, spendBack);
        sale.PointsTakenBack += taken + notRecovered;
        sale.PointsReturned += returned;
        sale.CreditTakenBack += creditTaken + creditLost;
        sale.CreditReturned += creditReturned;
        return new Reversal(taken, notRecovered, returned, creditTaken, creditReturned);
    }

    /// <summary>
    /// A till's reach is its store (issue #27): a till of <paramref name="tillStoreId"/> voids and returns its own store's
    /// sales only, unless the program allows cross-store returns; customer service (null: an operator) reaches every sale.
    /// Checked before a retry is answered, so another store's till learns nothing of the sale. SALE_OF_ANOTHER_STORE otherwise.
    /// </summary>
    public static void EnsureWithinReach(ProgramSettings program, SaleRecord sale, string? tillStoreId)
    {
        if (tillStoreId is null || program.CrossStoreReturns || string.Equals(sale.Result.StoreId ?? string.Empty, tillStoreId, StringComparison.Ordinal))
        {
            return;
        }

        throw new LoyaltyException(
            ErrorReason.SaleOfAnotherStore,
            "this sale was made in another store: its void or return is made there, or by customer service (the program does not allow cross-store returns)");
    }

    /// <summary>
    /// A retried refund's answer: the stored result when this refund id was already applied with the same lines,
    /// REFUND_ID_REUSED when with other lines, null when the refund is new.
    /// </summary>
    public static RefundResult? KnownRefund(SaleRecord sale, string refundId, string fingerprint) =>
        !sale.Refunds.TryGetValue(refundId, out var known) ? null
        : known.Fingerprint == fingerprint ? known.Result
        : throw new LoyaltyException(ErrorReason.RefundIdReused, "this refund id was already used for different lines");

    /// <summary>The sale's refunded quantities per line after this refund; throws the precise reason it cannot be made.</summary>
    public static int[] RefundedQuantitiesAfter(SaleRecord sale, RefundCommand command)
    {
        if (sale.Void is not null)
        {
            throw new LoyaltyException(ErrorReason.TransactionVoided, "the sale was voided");
        }

        if (command.Lines.IsDefaultOrEmpty)
        {
            throw LoyaltyException.Invalid("lines", "a refund needs at least one line");
        }

        var quantities = (int[])sale.RefundedQuantities.Clone();
        for (var i = 0; i < command.Lines.Length; i++)
        {
            var line = command.Lines[i];
            if (line.LineIndex < 0 || line.LineIndex >= sale.Lines.Length)
            {
                throw LoyaltyException.Invalid($"lines[{i}].line_index", $"the sale has lines 0..{sale.Lines.Length - 1}");
            }

            if (line.Quantity <= 0)
            {
                throw LoyaltyException.Invalid($"lines[{i}].quantity", "quantity must be positive");
            }

            // Compared before it is added (in 64 bits): a huge quantity cannot wrap round to pass the check.
            if ((long)quantities[line.LineIndex] + line.Quantity > sale.Lines[line.LineIndex].Quantity)
            {
                throw new LoyaltyException(ErrorReason.RefundExceedsSale, $"line {line.LineIndex} would be refunded more than was sold");
            }

            quantities[line.LineIndex] += line.Quantity;
        }

        return quantities;
    }

    /// <summary>
    /// The stamp cards a return of units changes, with their new counts (<see cref="Campaigns.StampsAfterReturn"/>):
    /// for each stamp card the sale filled, the stamped units returned before and after this return are the
    /// returned quantities of the lines the card counts (all lines when the campaign is gone), at most the
    /// stamps the sale added. A void returns everything: pass the sale's quantities as <paramref name="returnedAfter"/>.
    /// </summary>
    public static IEnumerable<(string CampaignId, int Stamps)> StampsAfterReturn(
        ProgramSettings program, SaleRecord sale, IReadOnlyDictionary<string, int> stamps, int[] returnedBefore, int[] returnedAfter)
    {
        foreach (var applied in sale.Result.Campaigns.IsDefault ? [] : sale.Result.Campaigns)
        {
            if (applied.StampsAdded <= 0 || !stamps.TryGetValue(applied.CampaignId, out var current))
            {
                continue;
            }

            var card = program.Campaigns.IsDefault ? null : program.Campaigns.FirstOrDefault(c => c.CampaignId == applied.CampaignId && c.Kind == CampaignKind.StampCard);
            int Stamped(int[] returned) =>
                (int)Math.Min(applied.StampsAdded, sale.Lines.Select((l, i) => card is null || Promotions.Matches(card.Targets, l) ? (long)returned.ElementAtOrDefault(i) : 0).Sum());
            var (before, after) = (Stamped(returnedBefore), Stamped(returnedAfter));
            if (after != before)
            {
                yield return (applied.CampaignId, Campaigns.StampsAfterReturn(current, applied.StampsAdded, applied.StampsAfter, before, after, card is null ? null : card.BuyQuantity + 1));
            }
        }
    }

    /// <summary>Where a committed sale stands now (a retried commit reports it with the original receipt).</summary>
    public static SaleStatus StatusOf(SaleRecord sale) =>
        sale.Void is not null ? SaleStatus.Voided
        : sale.RefundedQuantities.Length == 0 || sale.RefundedQuantities.All(q => q == 0) ? SaleStatus.Committed
        : AllReturned(sale, sale.RefundedQuantities) ? SaleStatus.Refunded
        : SaleStatus.PartiallyRefunded;

    /// <summary>
    /// Strict pricing: a terminal that sent the total it showed the customer gets a precise refusal when the
    /// total the sale would commit at differs (a campaign sold out, a coupon capped away in between).
    /// </summary>
    public static void EnsureExpectedTotal(CommitCommand command, long total)
    {
        if (command.ExpectedTotal is { } expected && expected != total)
        {
            throw new LoyaltyException(ErrorReason.TotalChanged, $"the sale would commit at a total of {total}, not the {expected} the terminal showed; quote again");
        }
    }

    /// <summary>Whether this refund (valid, or it throws why not) returns the last of the sale's units: a full return.</summary>
    public static bool CompletesReturn(SaleRecord sale, RefundCommand command) => AllReturned(sale, RefundedQuantitiesAfter(sale, command));

    /// <summary>Whether <paramref name="returned"/> (per line) is every unit the sale sold.</summary>
    private static bool AllReturned(SaleRecord sale, int[] returned) => returned.Select((q, i) => q >= sale.Lines[i].Quantity).All(done => done);

    private static long Share(long points, long part, long whole) => whole <= 0 ? points : (long)((Int128)points * part / whole);

    /// <summary>Gives spent points back to the months they were taken from, oldest first.</summary>
    private static long Return(PointsAccount account, SaleRecord sale, long points, LedgerEntryType type, DateTimeOffset now)
    {
        var remaining = points;
        foreach (var (month, burned) in sale.BurnedByMonth.OrderBy(b => b.Key).ToList())
        {
            if (remaining <= 0)
            {
                break;
            }

            var give = Math.Min(burned, remaining);
            Ledger.Credit(account, type, give, month, DateTimeOffset.MinValue, sale.Result.TransactionId, now);
            sale.BurnedByMonthForWrite()[month] = burned - give;
            remaining -= give;
        }

        return points - Math.Max(remaining, 0);
    }
}
