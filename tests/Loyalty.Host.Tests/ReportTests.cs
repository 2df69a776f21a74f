using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Storage;
using Loyalty.Host.Tests.Infrastructure;
using Npgsql;

namespace Loyalty.Host.Tests;

/// <summary>
/// The reports of issue #15 (docs/reports.md) over real gRPC, JSON and PostgreSQL, on a data set seeded with SQL:
/// members A, B, C, D, H and walk-in customers, stores north and south, a campaign, a coupon series, a code in no
/// series, tiers, a reward, voided sales, a sale written before the reports existed (no facts), and ledger entries
/// over January–May 2026 with an expiry that is written, two that are due but not written, a void, a refund and an
/// adjustment. Every expected number is worked out by hand in the comments, from the rows below.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class ReportTests(EngineFixture fixture)
{
    // March and April 2026; the engine's clock is later, so the reports are taken as of 2026-05-01 00:00 UTC.
    private const string From = "2026-03-01";
    private const string To = "2026-05-01";

    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task The_points_liability_counts_due_expiry_as_expired_even_when_it_is_not_written_yet()
    {
        var (program, _) = await SeedAsync();
        var report = await Engine.Admin.GetLiabilityReportAsync(Period(program));

        // Buckets (N = 1: month M expires at 00:00 on the 1st of M+2):
        //   202601  A +100, expire −100 at 03-01      gone before the period (expiry at its start belongs to February)
        //   202602  A +200 −50 (burn), expire −150;  B +80 (no expire entry)   expires 04-01: March, 230, of which 80 unwritten
        //   202603  B +20 (bonus) +120 −120 (void)    expires 05-01 = as of: gone, April, 20 unwritten
        //   202604  A +300 +40 (adjust); C +500 −50 (refund) −100 (burn) = 690   expires 06-01: outstanding, last month May
        //   202605  B +60 on 05-10                    after as of: nothing
        Assert.Equal(Timestamp(2026, 5, 1), report.AsOf);
        Assert.Equal((690, 690 * 5), (report.OutstandingPoints, report.OutstandingValue));
        var bucket = Assert.Single(report.Buckets);
        Assert.Equal(("2026-05", Timestamp(2026, 6, 1), 690L, 3_450L), (bucket.ExpiryMonth, bucket.ExpiresAt, bucket.Points, bucket.Value));

        // Credit: C +1,000 on 04-20, −300 on 04-28; +77 on 05-03 is after as of.
        Assert.Equal(700, report.OutstandingCredit);

        // March: issued 20 (bonus) + 120 = 140; burned 50; expired 230 (80 unwritten); voided −120.
        // April: issued 300 + 500 = 800; burned 100; expired 20 (20 unwritten); adjusted +40; refunded −50.
        Assert.Equal(
            [("2026-03", 140L, 50L, 230L, 80L, 0L, -120L, 0L), ("2026-04", 800L, 100L, 20L, 20L, 40L, 0L, -50L)],
            report.Months.Select(m => (m.Month, m.Issued, m.Burned, m.Expired, m.ExpiredUnrecorded, m.Adjusted, m.Voided, m.Refunded)));

        // What was outstanding at the start (202602: 200 + 80; 202601 expired at that instant) plus the movements is
        // what is outstanding at the end: 280 + 940 − 150 − 250 + 40 − 120 − 50 = 690.
        var february = await Engine.Admin.GetLiabilityReportAsync(new ReportRequest { ProgramId = program, From = "2026-02-01", To = From });
        Assert.Equal(280, february.OutstandingPoints);
        var m = report.Months;
        Assert.Equal(report.OutstandingPoints, february.OutstandingPoints
            + m.Sum(x => x.Issued) - m.Sum(x => x.Burned) - m.Sum(x => x.Expired) + m.Sum(x => x.Adjusted) + m.Sum(x => x.Voided) + m.Sum(x => x.Refunded));
        Assert.Equal(5, report.PointValue);
        Assert.Equal("EUR", report.Currency);
    }

    [Fact]
    public async Task The_cost_of_promotions_is_given_per_campaign_series_code_tier_and_reward_without_voided_sales()
    {
        var (program, _) = await SeedAsync();
        var report = await Engine.Admin.GetPromotionCostReportAsync(Period(program));

        // campaign spring: A1 1,000 (10,000 / 8,500), B3 200 + 100 on two lines = one receipt (3,000 / 2,700), guest G1 200
        //   (2,000 / 1,800); B2 (900) is voided. series spring-series: A3 600 (6,000 / 5,400) and C1 1,700 (20,000 / 18,000).
        //   SHARED10 is in no series of this program (only of another): B1 500 (5,000 / 4,500). tier silver: A1 500.
        //   reward free-coffee: C1 300.
        Assert.Equal(
            [
                ("campaign", "spring", 3L, 1_500L, 15_000L, 13_000L),
                ("coupon_series", "spring-series", 2L, 2_300L, 26_000L, 23_400L),
                ("coupon", "SHARED10", 1L, 500L, 5_000L, 4_500L),
                ("tier", "silver", 1L, 500L, 10_000L, 8_500L),
                ("reward", "free-coffee", 1L, 300L, 20_000L, 18_000L),
            ],
            report.Promotions.Select(p => (p.Source, p.Id, p.Redemptions, p.Discount, p.Subtotal, p.Total)));

        // Receipts with a discount: A1, A3, B1, B3, C1, G1; their discount 1,500 + 600 + 500 + 300 + 2,000 + 200.
        Assert.Equal((6L, 5_100L), (report.DiscountedReceipts, report.Discount));
    }

    [Fact]
    public async Task Members_and_walk_ins_get_receipts_sales_average_check_items_and_discount_each()
    {
        var (program, _) = await SeedAsync();
        var report = await Engine.Admin.GetMembersVsGuestsReportAsync(Period(program));

        // Members: A1 8,500, A2 4,000, A3 5,400, B1 4,500, B3 2,700, C1 18,000, D1 1,004 = 44,104 over 7 receipts
        //   → 6,300.57 → 6,301; items 3 + 1 + 2 + 4 + 1 + 10 + 1 = 22 → 3.142 → "3.14"; discount 1,500 + 600 + 500 + 300
        //   + 2,000 = 4,900; refunded A2 1,000 + D1 1,004. Not counted: B2 (voided), E1 (no facts), F1 (after the period).
        var members = report.Members;
        Assert.Equal((7L, 44_104L, 6_301L, 22L, "3.14", 4_900L, 2_004L),
            (members.Receipts, members.SalesTotal, members.AverageCheck, members.Items, members.ItemsPerReceipt, members.Discount, members.Refunded));

        // Guests: G1 1,800 + G2 3,001 = 4,801 over 2 → 2,400.5 → 2,401 (half away from zero); items 5 → "2.50"; G3 voided.
        var guests = report.Guests;
        Assert.Equal((2L, 4_801L, 2_401L, 5L, "2.50", 200L, 0L),
            (guests.Receipts, guests.SalesTotal, guests.AverageCheck, guests.Items, guests.ItemsPerReceipt, guests.Discount, guests.Refunded));
    }

    [Fact]
    public async Task Member_activity_counts_active_new_and_repeat_members_tiers_and_days_between_visits()
    {
        var (program, _) = await SeedAsync();
        var report = await Engine.Admin.GetMemberActivityReportAsync(Period(program));

        // Active in [04-01, 05-01): A (A3), B (B3), C (C1), D (D1); in [01-31, 05-01) also H (02-15).
        Assert.Equal((4L, 5L), (report.Active30Days, report.Active90Days));

        // Purchasing in the period: A (3 receipts), B (2), C, D; repeat A and B → 50.00%.
        // New: B (its only earlier sale, B0, is voided) and D. A bought on 02-10 (A0); C before the reports existed (C0).
        Assert.Equal((4L, 2L, "50.00", 2L), (report.PurchasingMembers, report.RepeatMembers, report.RepeatPurchasePercent, report.NewMembers));

        // A: 03-03 10:00 → 04-02 10:00 = 30 days over 2 gaps = 15; B: 03-20 12:00 → 04-30 18:00 = 41.25 days;
        // (15 + 41.25) / 2 = 28.125 → "28.13".
        Assert.Equal("28.13", report.AverageDaysBetweenVisits);

        // The tier of each member's latest sale in the period: A gold (A3; its first was silver), B silver, C none, D bronze.
        Assert.Equal([("", 1L), ("bronze", 1L), ("gold", 1L), ("silver", 1L)], report.Tiers.Select(t => (t.Tier, t.Members)));
    }

    [Fact]
    public async Task A_store_filter_keeps_only_that_stores_sales()
    {
        var (program, _) = await SeedAsync();
        var north = Period(program);
        north.StoreId = "north";

        // North: members A1, A3, B1, C1 = 8,500 + 5,400 + 4,500 + 18,000 = 36,400 / 4 = 9,100; items 19 → "4.75";
        // guests G1 only (G3, north, is voided).
        var sales = await Engine.Admin.GetMembersVsGuestsReportAsync(north);
        Assert.Equal((4L, 36_400L, 9_100L, "4.75", 4_600L), (sales.Members.Receipts, sales.Members.SalesTotal, sales.Members.AverageCheck, sales.Members.ItemsPerReceipt, sales.Members.Discount));
        Assert.Equal((1L, 1_800L, "2.00"), (sales.Guests.Receipts, sales.Guests.SalesTotal, sales.Guests.ItemsPerReceipt));
        Assert.Equal("north", sales.StoreId);

        // spring at north: A1 1,000 and G1 200 (B3 was at south).
        var promotions = await Engine.Admin.GetPromotionCostReportAsync(north);
        var spring = promotions.Promotions.Single(p => p.Id == "spring");
        Assert.Equal((2L, 1_200L, 12_000L, 10_300L), (spring.Redemptions, spring.Discount, spring.Subtotal, spring.Total));
        Assert.Equal((5L, 4_800L), (promotions.DiscountedReceipts, promotions.Discount)); // A1, A3, B1, C1, G1

        // Members at north: A (A1, A3: one gap of 30 days), B (B1), C (C1); new: B only; active 30 days: A3, C1; 90 days: A, B, C, H.
        var activity = await Engine.Admin.GetMemberActivityReportAsync(north);
        Assert.Equal((2L, 4L, 3L, 1L, "33.33", 1L, "30.00"),
            (activity.Active30Days, activity.Active90Days, activity.PurchasingMembers, activity.RepeatMembers, activity.RepeatPurchasePercent, activity.NewMembers, activity.AverageDaysBetweenVisits));

        // A store with no sales: zeros, not an error.
        var nowhere = Period(program);
        nowhere.StoreId = "nowhere";
        var empty = await Engine.Admin.GetMembersVsGuestsReportAsync(nowhere);
        Assert.Equal((0L, 0L, "0.00"), (empty.Members.Receipts, empty.Members.AverageCheck, empty.Members.ItemsPerReceipt));
        Assert.Equal(string.Empty, (await Engine.Admin.GetMemberActivityReportAsync(nowhere)).AverageDaysBetweenVisits);
    }

    [Fact]
    public async Task Reports_are_served_as_json_and_as_csv_downloads()
    {
        var (program, _) = await SeedAsync();
        using var http = Engine.AdminHttp();

        var json = await http.GetFromJsonAsync<JsonElement>($"/v1/programs/{program}/reports/members-vs-guests?from={From}&to={To}");
        Assert.Equal("2401", json.GetProperty("guests").GetProperty("averageCheck").GetString()); // int64 as a string
        Assert.Equal("3.14", json.GetProperty("members").GetProperty("itemsPerReceipt").GetString());
        var liability = await http.GetFromJsonAsync<JsonElement>($"/v1/programs/{program}/reports/liability?from={From}&to={To}");
        Assert.Equal("690", liability.GetProperty("outstandingPoints").GetString());

        using var csv = await http.GetAsync($"/v1/programs/{program}/reports/promotion-cost.csv?from={From}&to={To}");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", csv.Content.Headers.ContentType?.CharSet);
        Assert.Equal($"{program}-promotion-cost-{From}-{To}.csv", csv.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n");
        Assert.Equal("source,id,redemptions,discount,subtotal,total,discount_bps,break_even_sales,uplift_needed_bps", lines[0]);
        Assert.Equal("campaign,spring,3,1500,15000,13000,,,", lines[1]);
        Assert.Equal(7, lines.Length); // header, five promotions, and the empty string after the last line break

        // With the category's markup, each promotion says what its discount needed (the discount planner): spring's
        // receipts sold 13,000 of 15,000 (1,333 bps off) and would have sold 14,500 without it.
        using var planned = await http.GetAsync($"/v1/programs/{program}/reports/promotion-cost.csv?from={From}&to={To}&markup_bps=2500");
        var spring = (await planned.Content.ReadAsStringAsync()).Split("\r\n")[1].Split(',');
        Assert.Equal(("1333", true), (spring[6], long.Parse(spring[7]) > 14_500));
        var springJson = (await http.GetFromJsonAsync<JsonElement>($"/v1/programs/{program}/reports/promotion-cost?from={From}&to={To}&markup_bps=2500"))
            .GetProperty("promotions")[0].GetProperty("breakEven");
        Assert.Equal(("14500", "13000", spring[7]), (springJson.GetProperty("salesWithout").GetString(), springJson.GetProperty("sales").GetString(), springJson.GetProperty("breakEvenSales").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"/v1/programs/{program}/reports/promotion-cost?from={From}&to={To}&markup_bps=-1")).StatusCode);

        using var activity = await http.GetAsync($"/v1/programs/{program}/reports/member-activity.csv?from={From}&to={To}&store_id=north");
        var activityLines = (await activity.Content.ReadAsStringAsync()).Split("\r\n");
        Assert.Equal("measure,tier,value", activityLines[0]);
        Assert.Contains("repeat_purchase_percent,,33.33", activityLines);

        // The same export over gRPC.
        var body = await Engine.Admin.ExportReportAsync(new ExportReportRequest { ProgramId = program, Report = "liability", From = From, To = To });
        Assert.Equal("text/csv; charset=utf-8", body.ContentType);
        var liabilityLines = body.Data.ToStringUtf8().Split("\r\n");
        Assert.Equal("section,month,expires_at,points,value,credit,issued,burned,expired,expired_unrecorded,adjusted,voided,refunded", liabilityLines[0]);
        Assert.Equal("outstanding,2026-05,2026-06-01,690,3450,,,,,,,,", liabilityLines[1]);
        Assert.Equal("month,2026-03,,,,,140,50,230,80,0,-120,0", liabilityLines[2]);
        Assert.Equal("total,,,690,3450,700,940,150,250,100,40,-120,-50", liabilityLines[4]);

        // Refusals keep their status as JSON.
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"/v1/programs/{program}/reports/bogus.csv?from={From}&to={To}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"/v1/programs/{program}/reports/liability?from={To}&to={From}")).StatusCode);
    }

    [Fact]
    public async Task Bad_periods_unknown_programs_and_a_store_on_the_liability_report_are_refused_by_name()
    {
        var (program, _) = await SeedAsync();
        await Invalid("to", () => Engine.Admin.GetMemberActivityReportAsync(new ReportRequest { ProgramId = program, From = To, To = From }).ResponseAsync);
        await Invalid("to", () => Engine.Admin.GetMemberActivityReportAsync(new ReportRequest { ProgramId = program, From = From, To = From }).ResponseAsync);
        await Invalid("to", () => Engine.Admin.GetMembersVsGuestsReportAsync(new ReportRequest { ProgramId = program, From = "2025-01-01", To = "2026-01-03" }).ResponseAsync);
        Assert.NotNull(await Engine.Admin.GetMembersVsGuestsReportAsync(new ReportRequest { ProgramId = program, From = "2025-01-01", To = "2026-01-02" })); // 366 days
        await Invalid("from", () => Engine.Admin.GetPromotionCostReportAsync(new ReportRequest { ProgramId = program, From = "2026-3-1", To = To }).ResponseAsync);
        await Invalid("from", () => Engine.Admin.GetPromotionCostReportAsync(new ReportRequest { ProgramId = program, To = To }).ResponseAsync);
        await Invalid("to", () => Engine.Admin.GetLiabilityReportAsync(new ReportRequest { ProgramId = program, From = From, To = "2026-02-30" }).ResponseAsync);
        await Invalid("store_id", () => Engine.Admin.GetLiabilityReportAsync(new ReportRequest { ProgramId = program, From = From, To = To, StoreId = "north" }).ResponseAsync);
        await Invalid("store_id", () => Engine.Admin.GetMembersVsGuestsReportAsync(new ReportRequest { ProgramId = program, From = From, To = To, StoreId = "no such store!" }).ResponseAsync);
        await Invalid("report", () => Engine.Admin.ExportReportAsync(new ExportReportRequest { ProgramId = program, Report = "everything", From = From, To = To }).ResponseAsync);
        await Invalid("program_id", () => Engine.Admin.GetLiabilityReportAsync(new ReportRequest { From = From, To = To }).ResponseAsync);

        var unknown = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.GetLiabilityReportAsync(Period("no-such-program-" + Guid.NewGuid().ToString("N")[..6])).ResponseAsync);
        Assert.Equal((StatusCode.NotFound, "PROGRAM_NOT_FOUND"), (unknown.StatusCode, unknown.Reason()));
    }

    [Fact]
    public async Task Without_a_database_a_report_is_a_failed_precondition()
    {
        await using var engine = await TestEngine.StartAsync(null, "memory-" + Guid.NewGuid().ToString("N")[..8]);
        await engine.Admin.UpsertProgramAsync(new LoyaltyProgram { ProgramId = "mem", Name = "In memory", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1 });
        var refused = await Assert.ThrowsAsync<RpcException>(() => engine.Admin.GetMembersVsGuestsReportAsync(Period("mem")).ResponseAsync);
        Assert.Equal((StatusCode.FailedPrecondition, "DATABASE_REQUIRED"), (refused.StatusCode, refused.Reason()));
        Assert.Contains("database", refused.Status.Detail, StringComparison.Ordinal);
    }

    private static ReportRequest Period(string program) => new() { ProgramId = program, From = From, To = To };

    private static Google.Protobuf.WellKnownTypes.Timestamp Timestamp(int year, int month, int day) =>
        Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc));

    private static async Task Invalid(string field, Func<Task> call)
    {
        var failure = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_ARGUMENT", field), (failure.StatusCode, failure.Reason(), failure.Field()));
    }

    /// <summary>
    /// A program (1 point per 100, points expire at the end of the month after, a point pays 5) and its data set,
    /// plus the same kind of rows in another program that no report of the first may count. Returns both ids.
    /// </summary>
    private async Task<(string Program, string Other)> SeedAsync()
    {
        var program = "rep-" + Guid.NewGuid().ToString("N")[..10];
        var other = "rep-other-" + Guid.NewGuid().ToString("N")[..10];
        foreach (var id in new[] { program, other })
        {
            await Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
            {
                ProgramId = id, Name = "Report club", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1, PointValue = 5,
            });
        }

        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        foreach (var sql in new[] { LedgerSql, SalesSql, CodesSql })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("program", program);
            command.Parameters.AddWithValue("other", other);
            command.Parameters.AddWithValue("service", Engine.Services.ServiceId());
            await command.ExecuteNonQueryAsync();
        }

        return (program, other);
    }

    // member, seq, type, points, bucket, occurred at (UTC), asset
    private const string LedgerSql = """
        INSERT INTO ledger_entries (program_id, member_id, seq, entry_type, points, bucket_month, transaction_id, occurred_at, asset)
        SELECT @program, m, seq, t, p, b, 'tx', at::timestamptz, a FROM (VALUES
            ('A', 1, 'earn',    100, 202601, '2026-01-10 10:00Z', 'points'),
            ('A', 2, 'expire', -100, 202601, '2026-03-01 00:00Z', 'points'),
            ('A', 3, 'earn',    200, 202602, '2026-02-15 10:00Z', 'points'),
            ('A', 4, 'burn',    -50, 202602, '2026-03-05 10:00Z', 'points'),
            ('A', 5, 'expire', -150, 202602, '2026-04-01 00:00Z', 'points'),
            ('A', 6, 'earn',    300, 202604, '2026-04-10 10:00Z', 'points'),
            ('A', 7, 'adjust',   40, 202604, '2026-04-12 10:00Z', 'points'),
            ('B', 1, 'earn',     80, 202602, '2026-02-20 10:00Z', 'points'),
            ('B', 2, 'bonus',    20, 202603, '2026-03-02 10:00Z', 'points'),
            ('B', 3, 'earn',    120, 202603, '2026-03-20 10:00Z', 'points'),
            ('B', 4, 'void',   -120, 202603, '2026-03-25 10:00Z', 'points'),
            ('B', 5, 'earn',     60, 202605, '2026-05-10 10:00Z', 'points'),
            ('C', 1, 'earn',    500, 202604, '2026-04-20 10:00Z', 'points'),
            ('C', 2, 'refund',  -50, 202604, '2026-04-25 10:00Z', 'points'),
            ('C', 3, 'burn',   -100, 202604, '2026-04-28 10:00Z', 'points'),
            ('C', 4, 'earn',   1000, 202604, '2026-04-20 10:00Z', 'credit'),
            ('C', 5, 'burn',   -300, 202604, '2026-04-28 10:00Z', 'credit'),
            ('C', 6, 'earn',     77, 202605, '2026-05-03 10:00Z', 'credit')
        ) AS v(m, seq, t, p, b, at, a)
        UNION ALL
        SELECT @other, 'A', 1, 'earn', 999, 202604, 'tx', '2026-04-01 10:00Z', 'points'
        """;

    // member ('' = guest), transaction, occurred at, store, subtotal, discount, total, items, tier, status, refunded, discounts
    private const string SalesSql = """
        INSERT INTO member_sales (service_id, program_id, member_id, transaction_id, occurred_at, record,
                                  guest, store_id, subtotal, discount, total, items, tier, status, refunded, discounts)
        SELECT @service, @program, m, tx, at::timestamptz, '\x00'::bytea, m = '', st, sub, dis, tot, it, ti, stat, ref, d::jsonb FROM (VALUES
            ('A', 'A0', '2026-02-10 10:00Z', 'north',  1000,    0,  1000,  1, 'silver', 0,    0, '[]'),
            ('A', 'A1', '2026-03-03 10:00Z', 'north', 10000, 1500,  8500,  3, 'silver', 0,    0,
                '[{"source":"campaign","id":"spring","amount":1000},{"source":"tier","id":"silver","amount":500}]'),
            ('A', 'A2', '2026-03-13 10:00Z', 'south',  4000,    0,  4000,  1, 'gold',   1, 1000, '[]'),
            ('A', 'A3', '2026-04-02 10:00Z', 'north',  6000,  600,  5400,  2, 'gold',   0,    0,
                '[{"source":"coupon","id":"SERIESCODE1","amount":600}]'),
            ('B', 'B0', '2026-02-01 10:00Z', 'north',  7000,    0,  7000,  1, 'silver', 3,    0, '[]'),
            ('B', 'B1', '2026-03-20 12:00Z', 'north',  5000,  500,  4500,  4, 'silver', 0,    0,
                '[{"source":"coupon","id":"SHARED10","amount":500}]'),
            ('B', 'B2', '2026-03-25 12:00Z', 'north',  9000,  900,  8100,  5, 'silver', 3,    0,
                '[{"source":"campaign","id":"spring","amount":900}]'),
            ('B', 'B3', '2026-04-30 18:00Z', 'south',  3000,  300,  2700,  1, 'silver', 0,    0,
                '[{"source":"campaign","id":"spring","amount":200},{"source":"campaign","id":"spring","amount":100}]'),
            ('C', 'C1', '2026-04-20 09:00Z', 'north', 20000, 2000, 18000, 10, NULL,     0,    0,
                '[{"source":"reward","id":"free-coffee","amount":300},{"source":"coupon","id":"SERIESCODE2","amount":1700}]'),
            ('D', 'D1', '2026-04-25 09:00Z', 'south',  1004,    0,  1004,  1, 'bronze', 2, 1004, '[]'),
            ('H', 'H1', '2026-02-15 09:00Z', 'north',  2500,    0,  2500,  1, 'silver', 0,    0, '[]'),
            ('F', 'F1', '2026-05-02 09:00Z', 'north',  2500,    0,  2500,  1, 'silver', 0,    0, '[]'),
            ('',  'G1', '2026-03-10 09:00Z', 'north',  2000,  200,  1800,  2, NULL,     0,    0,
                '[{"source":"campaign","id":"spring","amount":200}]'),
            ('',  'G2', '2026-04-11 09:00Z', 'south',  3001,    0,  3001,  3, NULL,     0,    0, '[]'),
            ('',  'G3', '2026-04-12 09:00Z', 'north',  5000,    0,  5000,  1, NULL,     3,    0, '[]')
        ) AS v(m, tx, at, st, sub, dis, tot, it, ti, stat, ref, d);

        -- Written before the reports existed: no facts (C0 still makes C a returning member; E1 is not counted at all).
        INSERT INTO member_sales (service_id, program_id, member_id, transaction_id, occurred_at, record) VALUES
            (@service, @program, 'C', 'C0', '2026-01-05 09:00Z', '\x00'),
            (@service, @program, 'E', 'E1', '2026-03-15 09:00Z', '\x00');

        -- Another program's sale in the period.
        INSERT INTO member_sales (service_id, program_id, member_id, transaction_id, occurred_at, record,
                                  guest, store_id, subtotal, discount, total, items, tier, status, refunded, discounts)
        VALUES (@service, @other, 'A', 'X1', '2026-03-10 09:00Z', '\x00', false, 'north', 50000, 5000, 45000, 9, 'gold', 0, 0,
                '[{"source":"campaign","id":"spring","amount":5000}]')
        """;

    private const string CodesSql = """
        INSERT INTO coupon_codes (program_id, code, series_id) VALUES
            (@program, 'SERIESCODE1', 'spring-series'),
            (@program, 'SERIESCODE2', 'spring-series'),
            (@other, 'SHARED10', 'other-series')
        """;
}
