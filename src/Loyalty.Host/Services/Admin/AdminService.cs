using System.Collections.Concurrent;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Grains;
using Loyalty.Host.Services.Pos;

namespace Loyalty.Host.Services.Admin;

/// <summary>Marketing's admin API: programs, coupons (single codes and bulk series), campaigns, automations and their messages, ledgers, reports.</summary>
internal sealed partial class AdminService(
    IGrainFactory grains, ICouponSeriesStore series, CouponSeriesJobs jobs, LoyaltyClock clock, IAutomationStore automationStore, Security.IAuditTrail audit,
    PersonalData personalData, IProgramDirectory programs, MemberKeyLookup memberKeys, QuotePricing pricing, Storage.IReportStore reports)
    : Api.V1.AdminService.AdminServiceBase
{
    public const int MaxCouponsPerCall = 10_000;
    public const int MaxSeriesCount = 10_000_000;
    public const int ExportPageSize = 1_000;

    /// <summary>What CampaignStatus answers for "no limit" in its remaining fields (0 is "nothing left").</summary>
    public const long NoLimit = -1;

    public override async Task<LoyaltyProgram> UpsertProgram(LoyaltyProgram request, ServerCallContext context)
    {
        var settings = AdminMapping.ToContract(request) with
        {
            Automations = AutomationMapping.ToContract(request.Automations),
            Segments = [.. request.Segments.Select(s => new SegmentDefinition(
                s.SegmentId, s.MinPurchases, s.MinLifetimeSpend, s.MinSpendInMonths, s.SpendMonths,
                s.HasMaxDaysSinceLastPurchase ? s.MaxDaysSinceLastPurchase : null,
                s.HasMinDaysSinceLastPurchase ? s.MinDaysSinceLastPurchase : null,
                [.. s.Tiers],
                [.. s.Attributes],
                [.. s.CategoriesBought],
                s.CategoryMonths))],
        };
        Programs.Validate(settings);
        return ToProto(await grains.Grain<IProgramGrain>(settings.ProgramId).DefineAsync(settings));
    }

    public override async Task<LoyaltyProgram> GetProgram(GetProgramRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        return ToProto(await grains.Grain<IProgramGrain>(programId).GetAsync());
    }

    public override async Task<ListProgramsResponse> ListPrograms(ListProgramsRequest request, ServerCallContext context)
    {
        var caller = Caller(context);
        var visible = (await programs.ListAsync(context.CancellationToken)).Where(p => AccessRules.MayAdminister(caller, p));
        var settings = await Task.WhenAll(visible.Select(p => grains.Grain<IProgramGrain>(p).GetAsync()));
        return new ListProgramsResponse { Programs = { settings.Select(ToProto) } };
    }

    public override async Task<Api.V1.AutomationReport> RunAutomations(RunAutomationsRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        return AutomationMapping.ToProto(await grains.Grain<IAutomationGrain>(programId).RunAsync()); // PROGRAM_NOT_FOUND from the pass itself
    }

    public override async Task<ListMessagesResponse> ListMessages(ListMessagesRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var memberId = Requests.OptionalId(request.MemberId, "member_id");
        if (request.Limit is < 0 or > 1_000)
        {
            throw LoyaltyException.Invalid("limit", "limit must be between 1 and 1000 (0 = 100)");
        }

        var messages = await automationStore.ListMessagesAsync(programId, memberId, request.Limit == 0 ? 100 : request.Limit, context.CancellationToken);
        // Recipients are sealed at rest; the sender reading the outbox through this call gets them in plain text. A
        // verification code is a key to the member's account: only an operator (the sender's credential) reads it.
        var byOperator = Security.AuthInterceptor.ByOperator(context);
        return new ListMessagesResponse
        {
            Messages =
            {
                messages.Select(m => AutomationMapping.ToProto(m with
                {
                    Recipient = personalData.OpenRecipient(m.Recipient, m.ProgramId, m.MemberId)!,
                    Body = m.Kind == Contracts.AutomationKind.VerificationCode && !byOperator ? VerificationCodes.HiddenBody : m.Body,
                })),
            },
        };
    }

    private static LoyaltyProgram ToProto(ProgramSettings settings)
    {
        var proto = AdminMapping.ToProto(settings);
        proto.Automations.AddRange(AutomationMapping.ToProto(settings.Automations));
        proto.Segments.AddRange(settings.Segments.IsDefault ? [] : settings.Segments.Select(s =>
        {
            var segment = new Segment
            {
                SegmentId = s.SegmentId, MinPurchases = s.MinPurchases, MinLifetimeSpend = s.MinLifetimeSpend, MinSpendInMonths = s.MinSpendInMonths, SpendMonths = s.SpendMonths,
                CategoryMonths = s.CategoryMonths,
            };
            if (s.MaxDaysSinceLastPurchase is { } max)
            {
                segment.MaxDaysSinceLastPurchase = max;
            }

            if (s.MinDaysSinceLastPurchase is { } min)
            {
                segment.MinDaysSinceLastPurchase = min;
            }

            segment.Tiers.AddRange(s.Tiers.IsDefault ? [] : s.Tiers);
            segment.Attributes.AddRange(s.Attributes.IsDefault ? [] : s.Attributes);
            segment.CategoriesBought.AddRange(s.CategoriesBought.IsDefault ? [] : s.CategoriesBought);
            return segment;
        }));
        return proto;
    }

    public override async Task<CreateCouponsResponse> CreateCoupons(CreateCouponsRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var definition = AdminMapping.ToContract(request.Terms);
        List<string> codes;
        if (request.Codes.Count > 0)
        {
            if (request.Count != 0)
            {
                throw LoyaltyException.Invalid("count", "give either codes or count, not both");
            }

            if (request.Codes.Count > MaxCouponsPerCall)
            {
                throw LoyaltyException.Invalid("codes", $"at most {MaxCouponsPerCall} codes per call");
            }

            codes = request.Codes.Select((c, i) => Requests.CouponCode(c, $"codes[{i}]")!).Distinct().ToList();
        }
        else
        {
            if (request.Count is <= 0 or > MaxCouponsPerCall)
            {
                throw LoyaltyException.Invalid("count", $"count must be between 1 and {MaxCouponsPerCall}");
            }

            codes = Enumerable.Range(0, request.Count).Select(_ => CouponCodes.Next()).ToList();
        }

        await grains.Grain<IProgramGrain>(programId).GetAsync();
        var failures = new ConcurrentBag<LoyaltyException>();
        await Parallel.ForEachAsync(
            codes,
            new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = context.CancellationToken },
            async (code, _) =>
            {
                try
                {
                    await grains.Grain<ICouponGrain>(Keys.Scoped(programId, code)).CreateAsync(definition);
                }
                catch (LoyaltyException refusal)
                {
                    failures.Add(refusal);
                }
            });
        if (!failures.IsEmpty)
        {
            throw failures.First();
        }

        var response = new CreateCouponsResponse();
        response.Codes.AddRange(codes);
        return response;
    }

    public override async Task<MemberResponse> FindMember(FindMemberRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        if (request.Card.Length > 0 && request.Phone.Length > 0)
        {
            throw LoyaltyException.Invalid("phone", "give a card or a phone, not both");
        }

        if (request.Phone.Length > 0 && context.GetHttpContext().Request.Query.ContainsKey("phone"))
        {
            // A URL is what proxies and request logs record: a phone number travels in a body only (docs/security.md).
            throw LoyaltyException.Invalid("phone", "send a phone in the JSON body of a POST to /v1/programs/{program_id}/members:find, never in the URL");
        }

        // The silo's key lookup, as Identify at a till uses it (a miss activates no grain); not throttled: staff, not a till.
        var view = request.Card.Length > 0 ? await memberKeys.IdentifyAsync(programId, MemberKeys.Card, Requests.Id(request.Card, "card"), null, null)
            : request.Phone.Length > 0 ? await memberKeys.IdentifyByPhoneAsync(programId, request.Phone, null, null)
            : throw LoyaltyException.Invalid("card", "give a card or a phone");
        return MemberFor(context, programId, view);
    }

    public override async Task<MemberResponse> GetMember(GetMemberRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var memberId = Requests.Id(request.MemberId, "member_id");
        return MemberFor(context, programId, await grains.Grain<IMemberGrain>(Keys.Scoped(programId, memberId)).IdentifyAtAsync(null, null));
    }

    /// <summary>
    /// A member as the caller may see it: an operator (customer service) whole; a marketer as a till does, cards masked
    /// and no birth year (issue #27, finding 13): a marketing login is no way to learn what proves a member's identity.
    /// </summary>
    private static MemberResponse MemberFor(ServerCallContext context, string programId, MemberView view) =>
        Pos.PosMapping.ForCaller(Caller(context).Role == AccessRole.Operator, programId, view);

    public override async Task<ListLedgerResponse> ListLedger(ListLedgerRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var memberId = Requests.Id(request.MemberId, "member_id");
        if (request.PageSize is < 0 or > 1000)
        {
            throw LoyaltyException.Invalid("page_size", "page size must be between 1 and 1000");
        }

        if (request.AfterSeq < 0)
        {
            throw LoyaltyException.Invalid("after_seq", "after_seq must not be negative");
        }

        var page = await grains.Grain<IMemberGrain>(Keys.Scoped(programId, memberId))
            .GetLedgerAsync(request.AfterSeq, request.PageSize == 0 ? 100 : request.PageSize);
        var response = new ListLedgerResponse { NextAfterSeq = page.NextAfterSeq, Balance = page.Balance, Credit = page.Credit };
        response.Entries.AddRange(page.Entries.Select(AdminMapping.ToProto));
        return response;
    }

    public override async Task<Campaign> DefineCampaign(Campaign request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var stored = await grains.Grain<IProgramGrain>(programId).DefineCampaignAsync(AdminMapping.ToContract(request));
        return await CampaignViewAsync(programId, stored);
    }

    public override async Task<ListCampaignsResponse> ListCampaigns(ListCampaignsRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var program = await grains.Grain<IProgramGrain>(programId).GetAsync();
        var campaigns = program.Campaigns.IsDefault ? [] : program.Campaigns;
        var views = await Task.WhenAll(campaigns.OrderBy(c => c.CampaignId, StringComparer.Ordinal).Select(c => CampaignViewAsync(programId, c)));
        return new ListCampaignsResponse { Campaigns = { views } };
    }

    public override async Task<Campaign> GetCampaign(GetCampaignRequest request, ServerCallContext context)
    {
        var (programId, campaign) = await CampaignAsync(request.ProgramId, request.CampaignId);
        return await CampaignViewAsync(programId, campaign);
    }

    public override async Task<Campaign> EndCampaign(EndCampaignRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var campaignId = Requests.Id(request.CampaignId, "campaign_id");
        var ended = await grains.Grain<IProgramGrain>(programId).EndCampaignAsync(campaignId);
        return await CampaignViewAsync(programId, ended);
    }

    public override Task<QuoteResponse> PreviewQuote(PreviewQuoteRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var input = new QuoteInput(
            programId,
            Requests.OptionalId(request.MemberId, "member_id"),
            Requests.OptionalId(request.StoreId, "store_id"),
            Requests.Lines(request.Lines),
            null,
            Requests.RewardIds(request.RewardIds),
            Requests.OptionalId(request.Channel, "channel"),
            Requests.OptionalId(request.PaymentMethod, "payment_method"),
            string.Empty);
        return pricing.QuoteAsync(input, () => Task.CompletedTask);
    }

    public override async Task<CampaignStatus> GetCampaignStatus(GetCampaignStatusRequest request, ServerCallContext context)
    {
        var (programId, campaign) = await CampaignAsync(request.ProgramId, request.CampaignId);
        return ToProto(campaign, await BudgetStatusAsync(programId, campaign.CampaignId));
    }

    private async Task<(string ProgramId, CampaignDefinition Campaign)> CampaignAsync(string program, string campaign)
    {
        var programId = Requests.Id(program, "program_id");
        var campaignId = Requests.Id(campaign, "campaign_id");
        var settings = await grains.Grain<IProgramGrain>(programId).GetAsync();
        var found = settings.Campaigns.IsDefault ? null : settings.Campaigns.FirstOrDefault(c => c.CampaignId == campaignId);
        return (programId, found ?? throw new LoyaltyException(ErrorReason.CampaignNotFound, "no such campaign"));
    }

    private Task<CampaignBudgetStatus> BudgetStatusAsync(string programId, string campaignId) =>
        grains.Grain<ICampaignBudgetGrain>(Keys.Scoped(programId, campaignId)).GetStatusAsync();

    /// <summary>The stored definition with its state (the Domain's rule, from the window, the end and the budget) and statistics.</summary>
    private async Task<Campaign> CampaignViewAsync(string programId, CampaignDefinition definition)
    {
        var status = await BudgetStatusAsync(programId, definition.CampaignId);
        var now = clock.UtcNow;
        var view = AdminMapping.ToProto(definition, programId);
        view.State = AdminMapping.ToProto(Campaigns.StateAt(definition, now, status.Exhausted));
        view.EndedAt = SharedMapping.Time(Campaigns.StoppedAt(definition, now));
        view.Statistics = ToProto(definition, status);
        return view;
    }

    private static CampaignStatus ToProto(CampaignDefinition campaign, CampaignBudgetStatus status)
    {
        var (redemptionsLeft, discountLeft) = Campaigns.Remaining(campaign, status.Redemptions, status.DiscountGiven);
        return new CampaignStatus
        {
            CampaignId = campaign.CampaignId,
            Redemptions = status.Redemptions,
            DiscountGiven = status.DiscountGiven,
            PendingHolds = status.PendingHolds,
            Exhausted = status.Exhausted,
            MaxRedemptions = campaign.MaxRedemptions,
            MaxDiscountMoney = campaign.MaxDiscountMoney,
            MaxPerStore = campaign.MaxPerStore,
            RedemptionsRemaining = redemptionsLeft ?? NoLimit,
            DiscountRemaining = discountLeft ?? NoLimit,
            Refusals = status.Refusals,
            RefusalsSince = SharedMapping.Time(status.RefusalsSince),
        };
    }

    public override async Task<Coupon> GetCoupon(GetCouponRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var code = Requests.CouponCode(request.Code, "code") ?? throw LoyaltyException.Invalid("code", "code is required");
        var status = await grains.Grain<ICouponGrain>(Keys.Scoped(programId, code)).GetAsync();
        return new Coupon
        {
            Code = status.Code,
            Terms = AdminMapping.ToProto(status.Definition),
            Redeemed = status.RedeemedByTransaction is not null,
            RedeemedByTransaction = status.RedeemedByTransaction ?? string.Empty,
            RedeemedAt = SharedMapping.Time(status.RedeemedAt),
            Redemptions = status.Redemptions,
            PendingHolds = status.PendingHolds,
            SeriesId = status.SeriesId ?? string.Empty,
            WithdrawnAt = SharedMapping.Time(status.WithdrawnAt),
        };
    }

    public override async Task<CouponSeries> CreateCouponSeries(CreateCouponSeriesRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var seriesId = Requests.Id(request.SeriesId, "series_id");
        if (request.Count is <= 0 or > MaxSeriesCount)
        {
            throw LoyaltyException.Invalid("count", $"count must be between 1 and {MaxSeriesCount}");
        }

        var definition = AdminMapping.ToContract(request.Terms);
        if (definition.Use != Contracts.CouponUse.SingleUse)
        {
            throw LoyaltyException.Invalid("terms.use", "a series holds single-use codes; create shared or personal codes with CreateCoupons");
        }

        Coupons.ValidateSeriesDefinition(definition);
        await grains.Grain<IProgramGrain>(programId).GetAsync();
        var info = await series.RegisterAsync(programId, seriesId, request.Count, definition, clock.UtcNow, context.CancellationToken);
        if (!info.Complete)
        {
            jobs.Start(programId, seriesId);
        }

        return AdminMapping.ToProto(info);
    }

    public override async Task<CouponSeries> GetCouponSeries(GetCouponSeriesRequest request, ServerCallContext context)
    {
        var info = await SeriesAsync(request.ProgramId, request.SeriesId, context.CancellationToken);
        if (!info.Complete)
        {
            // Resumes a generation cut short (crash, outage); a no-op while it runs here.
            jobs.Start(info.ProgramId, info.SeriesId);
        }

        return AdminMapping.ToProto(info);
    }

    public override async Task ExportCouponSeries(ExportCouponSeriesRequest request, IServerStreamWriter<CouponSeriesPage> responseStream, ServerCallContext context)
    {
        var info = await SeriesAsync(request.ProgramId, request.SeriesId, context.CancellationToken);
        var page = new CouponSeriesPage();
        await foreach (var code in series.ExportAsync(info.ProgramId, info.SeriesId, context.CancellationToken))
        {
            page.Codes.Add(AdminMapping.ToProto(code));
            if (page.Codes.Count == ExportPageSize)
            {
                await responseStream.WriteAsync(page, context.CancellationToken);
                page = new CouponSeriesPage();
            }
        }

        if (page.Codes.Count > 0)
        {
            await responseStream.WriteAsync(page, context.CancellationToken);
        }
    }

    private async Task<CouponSeriesInfo> SeriesAsync(string program, string seriesId, CancellationToken cancellationToken)
    {
        var programId = Requests.Id(program, "program_id");
        var id = Requests.Id(seriesId, "series_id");
        return await series.GetAsync(programId, id, cancellationToken)
            ?? throw new LoyaltyException(ErrorReason.CouponSeriesNotFound, "no such coupon series");
    }
}
