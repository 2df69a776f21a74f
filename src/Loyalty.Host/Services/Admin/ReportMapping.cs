using System.Globalization;
using System.Text;
using Loyalty.Api.V1;
using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Host.Storage;

namespace Loyalty.Host.Services.Admin;

/// <summary>Reports (Domain figures) → proto messages, and each report as CSV: a header line, then one line per row.</summary>
internal static class ReportMapping
{
    public const string CsvContentType = "text/csv; charset=utf-8";

    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Decimal2(decimal value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    public static LiabilityReport ToProto(string programId, ReportPeriod period, ProgramSettings program, LiabilityFigures figures)
    {
        var report = new LiabilityReport
        {
            ProgramId = programId,
            From = Day(period.From),
            To = Day(period.To),
            Currency = program.Currency,
            PointValue = program.PointValue,
            AsOf = SharedMapping.Time(figures.AsOf),
            OutstandingPoints = figures.OutstandingPoints,
            OutstandingValue = figures.OutstandingValue,
            OutstandingCredit = figures.OutstandingCredit,
        };
        report.Buckets.AddRange(figures.Buckets.Select(b => new LiabilityBucket
        {
            ExpiryMonth = b.ExpiryMonth is { } month ? Months.Format(month) : string.Empty,
            ExpiresAt = SharedMapping.Time(b.ExpiresAt),
            Points = b.Points,
            Value = b.Value,
        }));
        report.Months.AddRange(figures.Months.Select(m => new LiabilityMonth
        {
            Month = Months.Format(m.Month),
            Issued = m.Issued,
            Burned = m.Burned,
            Expired = m.Expired,
            ExpiredUnrecorded = m.ExpiredUnrecorded,
            Adjusted = m.Adjusted,
            Voided = m.Voided,
            Refunded = m.Refunded,
        }));
        return report;
    }

    public static PromotionCostReport ToProto(ReportScope scope, ProgramSettings program, PromotionCostData data, int markupBps)
    {
        var report = new PromotionCostReport
        {
            ProgramId = scope.ProgramId,
            From = Day(scope.Period.From),
            To = Day(scope.Period.To),
            StoreId = scope.StoreId ?? string.Empty,
            Currency = program.Currency,
            DiscountedReceipts = data.DiscountedReceipts,
            Discount = data.Discount,
        };
        report.Promotions.AddRange(data.Promotions.Select(p => new PromotionCost
        {
            Source = p.Source,
            Id = p.Id,
            Redemptions = p.Redemptions,
            Discount = p.Discount,
            Subtotal = p.Subtotal,
            Total = p.Total,
            BreakEven = markupBps > 0 ? ToProto(Reports.BreakEven(p, markupBps)) : null,
        }));
        return report;
    }

    private static Api.V1.PromotionBreakEven ToProto(Domain.PromotionBreakEven figures)
    {
        var proto = new Api.V1.PromotionBreakEven
        {
            CurrentDiscountBps = figures.CurrentDiscountBps,
            DiscountBps = figures.DiscountBps,
            SalesWithout = figures.SalesWithout,
            Sales = figures.Sales,
        };
        if (figures.BreakEvenSales is { } needed)
        {
            (proto.BreakEvenSales, proto.ExtraSalesNeeded, proto.UpliftNeededBps) = (needed, figures.ExtraSalesNeeded!.Value, figures.UpliftNeededBps!.Value);
        }

        return proto;
    }

    public static MembersVsGuestsReport ToProto(ReportScope scope, ProgramSettings program, SalesTotals members, SalesTotals guests) => new()
    {
        ProgramId = scope.ProgramId,
        From = Day(scope.Period.From),
        To = Day(scope.Period.To),
        StoreId = scope.StoreId ?? string.Empty,
        Currency = program.Currency,
        Members = ToProto(members),
        Guests = ToProto(guests),
    };

    private static SalesFigures ToProto(SalesTotals totals) => new()
    {
        Receipts = totals.Receipts,
        SalesTotal = totals.Total,
        AverageCheck = totals.AverageCheck,
        Items = totals.Items,
        ItemsPerReceipt = Decimal2(totals.ItemsPerReceipt),
        Discount = totals.Discount,
        Refunded = totals.Refunded,
    };

    public static MemberActivityReport ToProto(ReportScope scope, MemberActivityFigures figures)
    {
        var report = new MemberActivityReport
        {
            ProgramId = scope.ProgramId,
            From = Day(scope.Period.From),
            To = Day(scope.Period.To),
            StoreId = scope.StoreId ?? string.Empty,
            Active30Days = figures.Active30Days,
            Active90Days = figures.Active90Days,
            NewMembers = figures.NewMembers,
            PurchasingMembers = figures.PurchasingMembers,
            RepeatMembers = figures.RepeatMembers,
            RepeatPurchasePercent = Decimal2(figures.RepeatPurchasePercent),
            AverageDaysBetweenVisits = figures.AverageDaysBetweenVisits is { } days ? Decimal2(days) : string.Empty,
        };
        report.Tiers.AddRange(figures.Tiers.Select(t => new TierCount { Tier = t.Tier, Members = t.Members }));
        return report;
    }

    /// <summary>
    /// The liability as one table: a row per expiry month of the outstanding points (section "outstanding"), a row
    /// per calendar month of the movements ("month"), and a "total" row (outstanding points, their value, the
    /// outstanding store credit, and the movements of the whole period).
    /// </summary>
    public static string Csv(LiabilityReport report)
    {
        var csv = new CsvText("section", "month", "expires_at", "points", "value", "credit", "issued", "burned", "expired", "expired_unrecorded", "adjusted", "voided", "refunded");
        foreach (var b in report.Buckets)
        {
            csv.Row("outstanding", b.ExpiryMonth, b.ExpiresAt is null ? string.Empty : b.ExpiresAt.ToDateTimeOffset().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), N(b.Points), N(b.Value), string.Empty,
                string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty);
        }

        foreach (var m in report.Months)
        {
            csv.Row("month", m.Month, string.Empty, string.Empty, string.Empty, string.Empty,
                N(m.Issued), N(m.Burned), N(m.Expired), N(m.ExpiredUnrecorded), N(m.Adjusted), N(m.Voided), N(m.Refunded));
        }

        csv.Row("total", string.Empty, string.Empty, N(report.OutstandingPoints), N(report.OutstandingValue), N(report.OutstandingCredit),
            N(report.Months.Sum(m => m.Issued)), N(report.Months.Sum(m => m.Burned)), N(report.Months.Sum(m => m.Expired)),
            N(report.Months.Sum(m => m.ExpiredUnrecorded)), N(report.Months.Sum(m => m.Adjusted)), N(report.Months.Sum(m => m.Voided)),
            N(report.Months.Sum(m => m.Refunded)));
        return csv.ToString();
    }

    public static string Csv(PromotionCostReport report)
    {
        var csv = new CsvText("source", "id", "redemptions", "discount", "subtotal", "total", "discount_bps", "break_even_sales", "uplift_needed_bps");
        foreach (var p in report.Promotions)
        {
            var be = p.BreakEven;
            csv.Row(p.Source, p.Id, N(p.Redemptions), N(p.Discount), N(p.Subtotal), N(p.Total),
                be is null ? string.Empty : be.DiscountBps.ToString(CultureInfo.InvariantCulture),
                be is { HasBreakEvenSales: true } ? N(be.BreakEvenSales) : string.Empty,
                be is { HasUpliftNeededBps: true } ? N(be.UpliftNeededBps) : string.Empty);
        }

        return csv.ToString();
    }

    public static string Csv(MembersVsGuestsReport report)
    {
        var csv = new CsvText("customers", "receipts", "sales_total", "average_check", "items", "items_per_receipt", "discount", "refunded");
        foreach (var (name, f) in new[] { ("members", report.Members), ("guests", report.Guests) })
        {
            csv.Row(name, N(f.Receipts), N(f.SalesTotal), N(f.AverageCheck), N(f.Items), f.ItemsPerReceipt, N(f.Discount), N(f.Refunded));
        }

        return csv.ToString();
    }

    /// <summary>One measure per line; the tier distribution as "tier" lines, one per tier.</summary>
    public static string Csv(MemberActivityReport report)
    {
        var csv = new CsvText("measure", "tier", "value");
        csv.Row("active_30_days", string.Empty, N(report.Active30Days));
        csv.Row("active_90_days", string.Empty, N(report.Active90Days));
        csv.Row("new_members", string.Empty, N(report.NewMembers));
        csv.Row("purchasing_members", string.Empty, N(report.PurchasingMembers));
        csv.Row("repeat_members", string.Empty, N(report.RepeatMembers));
        csv.Row("repeat_purchase_percent", string.Empty, report.RepeatPurchasePercent);
        csv.Row("average_days_between_visits", string.Empty, report.AverageDaysBetweenVisits);
        foreach (var t in report.Tiers)
        {
            csv.Row("tier", t.Tier, N(t.Members));
        }

        return csv.ToString();
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// RFC 4180 text: fields with a comma, quote or line break are quoted (quotes doubled); lines end in CRLF. A text
    /// field a spreadsheet would take for a formula (=, +, -, @ first) gets a leading apostrophe; an integer (a
    /// negative one starts with '-') is written as it is.
    /// </summary>
    private sealed class CsvText
    {
        private readonly StringBuilder _text = new();
        private readonly int _columns;

        public CsvText(params string[] header)
        {
            _columns = header.Length;
            Line(header);
        }

        public void Row(params string[] fields)
        {
            if (fields.Length != _columns)
            {
                throw new ArgumentException($"a row of {fields.Length} fields under a header of {_columns}", nameof(fields));
            }

            Line(fields);
        }

        private void Line(string[] fields)
        {
            for (var i = 0; i < fields.Length; i++)
            {
                if (i > 0)
                {
                    _text.Append(',');
                }

                _text.Append(Field(fields[i]));
            }

            _text.Append("\r\n");
        }

        private static string Field(string value)
        {
            var numeric = value.Length > 0 && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
            if (!numeric && value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
            {
                value = "'" + value;
            }

            return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
        }

        public override string ToString() => _text.ToString();
    }
}
