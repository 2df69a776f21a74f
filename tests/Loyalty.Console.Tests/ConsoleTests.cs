using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Console.Tests.Infrastructure;
using Loyalty.LoadTests;
using Loyalty.LoadTests.Scenarios;
using OpenQA.Selenium;

namespace Loyalty.Console.Tests;

/// <summary>
/// The console in a real headless Chromium against a real engine and PostgreSQL (issue #16): every check is made
/// twice, on the page and through the admin API, so a page that only looks right fails.
/// </summary>
public sealed class ConsoleTests(ConsoleSite site) : IClassFixture<ConsoleSite>
{
    [Fact]
    public async Task An_operator_signs_in_and_creates_a_program_and_a_campaign_through_the_forms()
    {
        var programId = "club-" + Guid.NewGuid().ToString("N")[..6];
        site.SignIn(ConsoleSite.OperatorToken);
        site.Type("programId", programId);
        site.Type("name", "Coffee club");
        site.Type("currency", "EUR");
        site.Type("earnPoints", "1");
        site.Type("earnPerAmount", "100");
        site.Type("expiryMonths", "12");
        site.Click("Create program");
        site.Until(d => d.FindElement(By.TagName("h1")).Text == $"Program {programId}");
        site.Screenshot("program");

        var program = await site.Admin.GetProgramAsync(new GetProgramRequest { ProgramId = programId });
        Assert.Equal("Coffee club", program.Name);
        Assert.Equal(12, program.ExpiryMonths);
        Assert.Equal(100, program.EarnPerAmount);

        // A refusal is explained where it belongs, and changes nothing.
        site.Open($"#/p/{programId}/campaigns");
        site.Type("campaignId", "coffee-10");
        site.Type("name", "10% on coffee");
        site.Select("__effect", "percentOff");
        site.Type("percentOff", "150");
        site.Type("maxRedemptions", "50");
        site.Click("Create campaign");
        var fieldError = site.Until(d => d.FindElements(By.CssSelector("[data-path='percentOff'] .error")).FirstOrDefault(e => e.Text.Length > 0));
        Assert.Contains("percent", fieldError.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Refused", site.Text(By.CssSelector(".alert")), StringComparison.Ordinal);
        Assert.Empty((await site.Admin.ListCampaignsAsync(new ListCampaignsRequest { ProgramId = programId })).Campaigns);

        site.Type("percentOff", "10");
        foreach (var day in site.Browser.FindElements(By.CssSelector("#f-conditions-daysOfWeek input[type='checkbox']")))
        {
            day.Click(); // every day of the week, ticked one by one
        }

        site.Click("Create campaign");
        site.Until(d => d.FindElement(By.TagName("h1")).Text == "Campaign coffee-10");
        site.Open($"#/p/{programId}/campaigns");
        var row = site.Wait(By.CssSelector("tr[data-campaign='coffee-10']"));
        Assert.Contains("live", row.Text, StringComparison.Ordinal);
        site.Screenshot("campaigns");

        var campaign = await site.Admin.GetCampaignAsync(new GetCampaignRequest { ProgramId = programId, CampaignId = "coffee-10" });
        Assert.Equal(10, campaign.PercentOff);
        Assert.Equal(50, campaign.MaxRedemptions);
        Assert.Equal("10% on coffee", campaign.Name);
        Assert.Equal(Enum.GetValues<Weekday>().Where(d => d != Weekday.Unspecified), campaign.Conditions.DaysOfWeek);

        // The preview prices a sample basket along the till's Quote path: the page shows what the API answers.
        site.Open($"#/p/{programId}/campaigns/coffee-10");
        site.Wait(By.Id("f-preview-memberId"));
        site.Click("Preview");
        var previewLine = site.Wait(By.CssSelector("#preview-lines tbody tr"));
        var expected = await site.Admin.PreviewQuoteAsync(new PreviewQuoteRequest
        {
            ProgramId = programId, Lines = { new BasketLine { Sku = "sample", Quantity = 1, UnitPrice = 10_000 } },
        });
        var line = Assert.Single(expected.Discounts);
        Assert.Equal(("coffee-10", 1_000L), (line.SourceId, line.Amount));
        Assert.Contains("coffee-10", previewLine.Text, StringComparison.Ordinal);
        Assert.Equal(expected.Total.ToString(System.Globalization.CultureInfo.InvariantCulture), site.Text(By.CssSelector("td[data-quote='Total']")));
        site.Screenshot("campaign-preview", site.Browser.FindElement(By.Id("preview-result")));
        Assert.Equal(CampaignState.Live, campaign.State); // in its window with budget left; the weekday is a condition of each sale
    }

    [Fact]
    public async Task The_live_board_follows_a_flash_sale_run_by_the_load_generator_down_to_zero()
    {
        const int Budget = 150;
        var options = new RunOptions
        {
            Scenario = "flash-sale",
            Target = "engine",
            Address = site.TerminalAddress,
            AdminAddress = site.AdminGrpcAddress,
            OperatorToken = ConsoleSite.OperatorToken,
            Model = LoadModel.Closed,
            Terminals = 16,
            Duration = TimeSpan.FromSeconds(60),
            RampUp = TimeSpan.FromSeconds(0.2),
            Members = 40,
            Budget = Budget,
            Contention = 4,
            Live = false,
            FlashMode = "campaign",
        };
        using var workload = await Workload.SeedAsync(options);
        var run = Runner.RunAsync(workload, options, "console", _ => { }, CancellationToken.None);

        // The scenario defines its campaign as it starts: open the board as soon as it exists.
        string? campaignId = null;
        for (var i = 0; i < 200 && campaignId is null; i++)
        {
            var campaigns = await site.Admin.ListCampaignsAsync(new ListCampaignsRequest { ProgramId = workload.ProgramId });
            campaignId = campaigns.Campaigns.FirstOrDefault()?.CampaignId;
            if (campaignId is null)
            {
                await Task.Delay(50);
            }
        }

        Assert.NotNull(campaignId);
        site.SignIn(ConsoleSite.OperatorToken);
        site.Open($"#/p/{workload.ProgramId}/campaigns/{campaignId}/board");
        site.Wait(By.Id("v-remaining"));
        var report = await run;
        Assert.All(report.Checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Detail}"));

        site.Until(d => d.FindElement(By.Id("v-remaining")).Text == "0" && d.FindElement(By.Id("v-pending")).Text == "0", 30);
        var status = await site.Admin.GetCampaignStatusAsync(new GetCampaignStatusRequest { ProgramId = workload.ProgramId, CampaignId = campaignId });
        Assert.Equal(Budget, status.Redemptions);
        Assert.True(status.Exhausted);
        Assert.Equal(status.Redemptions, long.Parse(site.Text(By.Id("v-granted")).Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("exhausted", site.Text(By.Id("v-state")));
        site.Until(d => d.FindElements(By.CssSelector("svg.chart polyline")).Count > 0); // drawn from the second reading on
        site.Screenshot("flash-board");
    }

    [Fact]
    public async Task A_coupon_series_created_in_the_console_shows_its_progress_and_downloads_as_csv()
    {
        var programId = await NewProgramAsync("series");
        site.SignIn(ConsoleSite.OperatorToken);
        site.Open($"#/p/{programId}/series");
        site.Type("seriesId", "xmas");
        site.Type("count", "120");
        site.Click("Create series");
        site.Until(d => d.FindElement(By.Id("series-progress")).Text.Contains("complete", StringComparison.Ordinal), 60);
        site.Screenshot("coupon-series");
        foreach (var old in Directory.GetFiles(site.Downloads))
        {
            File.Delete(old);
        }

        site.Click("Download CSV");
        var file = site.Until(_ => Directory.GetFiles(site.Downloads, "*.csv").FirstOrDefault(), 30);
        var lines = File.ReadAllLines(file);
        Assert.Equal("code,redeemed,redeemed_at,member_id,transaction_id", lines[0]);
        var downloaded = lines.Skip(1).Select(l => l.Split(',')[0]).ToHashSet(StringComparer.Ordinal);

        var exported = new HashSet<string>(StringComparer.Ordinal);
        using var stream = site.Admin.ExportCouponSeries(new ExportCouponSeriesRequest { ProgramId = programId, SeriesId = "xmas" });
        await foreach (var page in stream.ResponseStream.ReadAllAsync())
        {
            exported.UnionWith(page.Codes.Select(c => c.Code));
        }

        Assert.Equal(120, exported.Count);
        Assert.Equal(exported, downloaded);
    }

    [Fact]
    public async Task An_operator_registers_a_store_and_a_terminal_sees_its_secret_once_and_revokes_it()
    {
        var programId = await NewProgramAsync("stores");
        site.SignIn(ConsoleSite.OperatorToken);
        site.Open($"#/p/{programId}/stores");
        site.Type("storeId", "prague-1");
        site.Type("name", "Prague Old Town");
        site.Click("Register store");
        site.Until(d => d.FindElements(By.CssSelector("td")).Any(td => td.Text == "prague-1"));

        site.Select("terminal.storeId", "prague-1");
        site.Type("terminal.terminalId", "till-1");
        site.Click("Register terminal / issue a new secret");
        var secret = site.Text(By.Id("terminal-secret"));
        Assert.StartsWith("pos_", secret, StringComparison.Ordinal);
        site.Screenshot("stores-and-terminals");
        var terminals = await site.Admin.ListTerminalsAsync(new ListTerminalsRequest { ProgramId = programId });
        var terminal = Assert.Single(terminals.Terminals);
        Assert.Contains(terminal.CredentialId, secret, StringComparison.Ordinal);

        // Shown once: a fresh visit of the page does not show it again.
        site.Open($"#/p/{programId}/campaigns");
        site.Until(d => d.FindElement(By.TagName("h1")).Text == $"Campaigns of {programId}");
        site.Open($"#/p/{programId}/stores");
        site.Wait(By.CssSelector("tr[data-terminal='till-1']"));
        Assert.DoesNotContain(secret, site.Browser.PageSource, StringComparison.Ordinal);

        site.Until(d => d.FindElement(By.CssSelector("tr[data-terminal='till-1'] button"))).Click();
        site.Browser.SwitchTo().Alert().Accept();
        site.Until(d => d.FindElement(By.CssSelector("tr[data-terminal='till-1']")).Text.Contains("revoked", StringComparison.Ordinal));
        terminals = await site.Admin.ListTerminalsAsync(new ListTerminalsRequest { ProgramId = programId });
        Assert.NotNull(Assert.Single(terminals.Terminals).RevokedAt);
    }

    [Fact]
    public async Task A_marketer_sees_only_their_programs()
    {
        var theirs = await NewProgramAsync("mine");
        var other = await NewProgramAsync("other");
        var token = await site.Admin.IssueOperatorTokenAsync(new IssueOperatorTokenRequest
        {
            Role = OperatorRole.Marketer, Name = "Marketing Prague", ProgramIds = { theirs },
        });

        site.SignIn(token.Token);
        var table = site.Wait(By.CssSelector("main table"));
        Assert.Contains(theirs, table.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(other, site.Browser.FindElement(By.TagName("main")).Text, StringComparison.Ordinal);
        Assert.Contains("marketer", site.Text(By.Id("who")), StringComparison.Ordinal);
        site.Screenshot("programs-marketer");

        site.Open($"#/p/{theirs}/campaigns");
        site.Wait(By.CssSelector("h1"));
        Assert.Empty(site.Browser.FindElements(By.CssSelector("#nav a[href*='/stores']")));

        site.Open($"#/p/{other}/campaigns");
        var refusal = site.Wait(By.CssSelector(".alert"));
        Assert.DoesNotContain("Campaigns of", site.Browser.FindElement(By.TagName("h1")).Text, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(refusal.Text));
    }

    [Fact]
    public async Task Customer_service_finds_a_member_by_card_and_sees_the_balance_and_the_ledger()
    {
        var options = new RunOptions
        {
            Scenario = "accrual", Target = "engine", Address = site.TerminalAddress, AdminAddress = site.AdminGrpcAddress,
            OperatorToken = ConsoleSite.OperatorToken, Model = LoadModel.Closed, Terminals = 4, Duration = TimeSpan.FromSeconds(1),
            RampUp = TimeSpan.FromSeconds(0.1), Members = 3, Live = false, VoidShare = 0, RetryShare = 0,
        };
        using var workload = await Workload.SeedAsync(options);
        await Runner.RunAsync(workload, options, "console", _ => { }, CancellationToken.None);
        var ledger = await site.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = workload.ProgramId, MemberId = workload.Members[0], PageSize = 1000 });
        Assert.True(ledger.Balance > 0, "the member earned points");

        site.SignIn(ConsoleSite.OperatorToken);
        site.Open($"#/p/{workload.ProgramId}/members");
        site.Select("by", "card");
        site.Type("value", workload.Cards[0]);
        site.Click("Find");
        site.Until(d => d.FindElement(By.TagName("h1")).Text == $"Member {workload.Members[0]}");
        var member = await site.Admin.GetMemberAsync(new GetMemberRequest { ProgramId = workload.ProgramId, MemberId = workload.Members[0] });
        Assert.Equal(ledger.Balance, member.Balance.Available + member.Balance.Pending);
        Assert.Equal(member.Balance.Available.ToString(System.Globalization.CultureInfo.InvariantCulture), site.Text(By.CssSelector("td[data-fact='Points available']")));
        Assert.Contains(workload.Cards[0], site.Text(By.CssSelector("td[data-fact='Cards']")), StringComparison.Ordinal);
        var buckets = site.Browser.FindElements(By.XPath("//h2[.='Points by expiry']/following-sibling::table[1]/tbody/tr"));
        Assert.Equal(member.Balance.Buckets.Count, buckets.Count);
        var rows = site.Browser.FindElements(By.XPath("//h2[.='Ledger']/following-sibling::table[1]/tbody/tr"));
        Assert.Equal(Math.Min(100, ledger.Entries.Count), rows.Count);
        site.Screenshot("member");

        // An unknown card is said to be unknown.
        site.Type("value", "no-such-card");
        site.Click("Find");
        Assert.False(string.IsNullOrWhiteSpace(site.Text(By.CssSelector(".alert"))));
    }

    [Fact]
    public async Task The_reports_page_shows_what_the_reports_api_answers_downloads_csv_and_plans_a_discount()
    {
        var programId = await NewProgramAsync("reports");
        await site.Admin.DefineCampaignAsync(new Campaign { ProgramId = programId, CampaignId = "spring", Name = "10% off", PercentOff = 10 });
        var member = await NewMemberAsync(programId);
        await site.Pos.CommitAsync(Sales.Commit(programId, member, "member-1"));
        await site.Pos.CommitAsync(Sales.Commit(programId, member, "member-2"));
        for (var i = 0; i < 3; i++)
        {
            await site.Pos.CommitAsync(Sales.Commit(programId, string.Empty, $"walk-in-{i}")); // a guest: no member id
        }

        // The page's default period: the last 7 UTC days, to = tomorrow (exclusive).
        var tomorrow = DateTime.UtcNow.Date.AddDays(1);
        var period = new ReportRequest { ProgramId = programId, From = Day(tomorrow.AddDays(-7)), To = Day(tomorrow) };
        var expected = await site.Admin.GetMembersVsGuestsReportAsync(period);
        Assert.Equal((2L, 3L), (expected.Members.Receipts, expected.Guests.Receipts));

        site.SignIn(ConsoleSite.OperatorToken);
        site.Open($"#/p/{programId}/reports");
        Assert.Equal(Invariant(expected.Guests.Receipts), site.Text(By.CssSelector("td[data-mvg='guests-receipts']")));
        Assert.Equal(Invariant(expected.Members.Receipts), site.Text(By.CssSelector("td[data-mvg='members-receipts']")));
        Assert.Equal(Invariant(expected.Members.SalesTotal), site.Text(By.CssSelector("td[data-mvg='members-salesTotal']")));
        Assert.Equal(Invariant(expected.Guests.AverageCheck), site.Text(By.CssSelector("td[data-mvg='guests-averageCheck']")));

        // With a markup, each promotion says what its discount needed in sales.
        site.Type("report.markupBps", "25");
        site.Click("Show reports");
        site.Until(d => d.FindElements(By.CssSelector("#promotion-table th")).Any(th => th.Text == "Break-even sales"));
        var cost = await site.Admin.GetPromotionCostReportAsync(new ReportRequest { ProgramId = programId, From = period.From, To = period.To, MarkupBps = 2_500 });
        var spring = Assert.Single(cost.Promotions);
        Assert.Equal(5, spring.Redemptions);
        var row = site.Text(By.CssSelector("#promotion-table tr[data-row='campaign:spring']"));
        Assert.Contains(Invariant(spring.Discount), row, StringComparison.Ordinal);
        Assert.Contains(Invariant(spring.BreakEven.BreakEvenSales), row, StringComparison.Ordinal);
        site.Screenshot("reports");
        site.Screenshot("reports-sales", site.Browser.FindElement(By.Id("report-members-vs-guests")));

        foreach (var old in Directory.GetFiles(site.Downloads))
        {
            File.Delete(old);
        }

        site.Click("Download promotion-cost.csv");
        var file = site.Until(_ => Directory.GetFiles(site.Downloads, "*.csv").FirstOrDefault(), 30);
        Assert.Equal($"{programId}-promotion-cost-{period.From}-{period.To}.csv", Path.GetFileName(file));
        var lines = site.Until(_ => File.ReadAllLines(file) is { Length: >= 2 } read ? read : null);
        Assert.Equal("source,id,redemptions,discount,subtotal,total,discount_bps,break_even_sales,uplift_needed_bps", lines[0]);
        Assert.StartsWith($"campaign,spring,5,{Invariant(spring.Discount)},", lines[1], StringComparison.Ordinal);

        // The discount planner: 40,000 a month at 2% with a 25% markup; at 7%, and 1,000 more margin, it must sell 59,713.
        site.Type("plan.currentSales", "40000");
        site.Type("plan.currentDiscountBps", "2");
        site.Type("plan.markupBps", "25");
        site.Type("plan.discountBps", "7");
        site.Type("plan.marginIncrease", "1000");
        site.Type("plan.scaleDiscountsBps", "2, 3");
        site.Click("Plan");
        var required = site.Wait(By.CssSelector("td[data-plan='Required sales']"));
        var plan = await site.Admin.PlanDiscountAsync(new PlanDiscountRequest
        {
            CurrentSales = 40_000, CurrentDiscountBps = 200, MarkupBps = 2_500, DiscountBps = 700, MarginIncrease = 1_000, ScaleDiscountsBps = { 200, 300 },
        });
        Assert.Equal(59_713, plan.RequiredSales);
        Assert.Equal("59713", required.Text);
        Assert.Equal(Invariant(plan.CurrentMargin), site.Text(By.CssSelector("td[data-plan='Current margin']")));
        Assert.Equal(2, site.Browser.FindElements(By.CssSelector("#plan-scale tbody tr")).Count);
        site.Screenshot("discount-planner", site.Browser.FindElement(By.Id("plan-result")));
    }

    [Fact]
    public async Task Customer_service_adjusts_a_members_points_with_a_reason_and_sees_it_in_the_balance_and_the_ledger()
    {
        var programId = await NewProgramAsync("adjust");
        var memberId = await NewMemberAsync(programId);
        await site.Pos.CommitAsync(Sales.Commit(programId, memberId, "sale-1"));
        var before = await site.Admin.GetMemberAsync(new GetMemberRequest { ProgramId = programId, MemberId = memberId });

        site.SignIn(ConsoleSite.OperatorToken);
        site.Open($"#/p/{programId}/members/{memberId}");
        Assert.Equal(Invariant(before.Balance.Available), site.Text(By.CssSelector("td[data-fact='Points available']")));
        Assert.StartsWith("adj-", site.Wait(By.Id("f-adj-adjustmentId")).GetAttribute("value"), StringComparison.Ordinal);
        site.Select("adj.asset", "ADJUSTMENT_ASSET_POINTS");
        site.Type("adj.amount", "250");
        site.Type("adj.reason", "goodwill");
        site.Type("adj.note", "Parcel arrived late");
        site.Click("Adjust");
        site.Until(d => d.FindElements(By.CssSelector("td[data-ledger='reason']")).Any(td => td.Text == "goodwill"));

        var after = await site.Admin.GetMemberAsync(new GetMemberRequest { ProgramId = programId, MemberId = memberId });
        Assert.Equal(before.Balance.Available + 250, after.Balance.Available);
        Assert.Equal(Invariant(after.Balance.Available), site.Text(By.CssSelector("td[data-fact='Points available']")));
        var ledger = await site.Admin.ListLedgerAsync(new ListLedgerRequest { ProgramId = programId, MemberId = memberId, PageSize = 100 });
        var adjustment = Assert.Single(ledger.Entries, e => e.Type == "adjust");
        Assert.Equal((250L, "goodwill", "Parcel arrived late"), (adjustment.Points, adjustment.Reason, adjustment.Note));
        Assert.False(string.IsNullOrEmpty(adjustment.Actor));
        var ledgerRow = site.Browser.FindElements(By.CssSelector("#ledger tbody tr")).Single(tr => tr.Text.Contains("goodwill", StringComparison.Ordinal));
        Assert.Contains("Parcel arrived late", ledgerRow.Text, StringComparison.Ordinal);
        Assert.Contains(adjustment.Actor, ledgerRow.Text, StringComparison.Ordinal);
        site.Screenshot("member-adjustment", site.Browser.FindElement(By.Id("ledger")));

        // Taking more than the member has is refused with the API's reason, and changes nothing.
        site.Type("adj.amount", "-1000000");
        site.Click("Adjust");
        Assert.Contains("Refused", site.Text(By.CssSelector("form .alert")), StringComparison.Ordinal);
        var unchanged = await site.Admin.GetMemberAsync(new GetMemberRequest { ProgramId = programId, MemberId = memberId });
        Assert.Equal(after.Balance.Available, unchanged.Balance.Available);
    }

    private static string Day(DateTime day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task<string> NewMemberAsync(string programId)
    {
        var id = "mem-" + Guid.NewGuid().ToString("N")[..10];
        await site.Pos.EnrollAsync(new EnrollRequest { ProgramId = programId, MemberId = id, Name = "Jana Novakova" });
        return id;
    }

    private async Task<string> NewProgramAsync(string prefix)
    {
        var programId = $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";
        await site.Admin.UpsertProgramAsync(new LoyaltyProgram { ProgramId = programId, Name = $"{prefix} club", Currency = "EUR", EarnPoints = 1, EarnPerAmount = 100 });
        return programId;
    }
}
