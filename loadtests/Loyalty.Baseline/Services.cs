using System.Collections.Immutable;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Contracts;
using Loyalty.Domain;
using Campaign = Loyalty.Contracts.CampaignDefinition;

namespace Loyalty.Baseline;

/// <summary>PosService on plain SQL: the same contract as the engine's, call for call.</summary>
internal sealed class BaselinePosService(Store store) : PosService.PosServiceBase
{
    public override async Task<MemberResponse> Enroll(EnrollRequest request, ServerCallContext context)
    {
        var programId = Edge.Id(request.ProgramId, "program_id");
        var memberId = Edge.OptionalId(request.MemberId, "member_id");
        var card = Edge.OptionalId(request.CardNumber, "card_number");
        if (request.Name.Length > Edge.MaxNameLength)
        {
            throw LoyaltyException.Invalid("name", $"name must be at most {Edge.MaxNameLength} characters");
        }

        if (memberId is null && card is null)
        {
            throw LoyaltyException.Invalid("member_id", "give a member_id, a card_number, or both");
        }

        var row = await store.EnrollAsync(programId, memberId, card, request.Name.Length == 0 ? null : request.Name, context.CancellationToken);
        return await ViewAsync(programId, row, context.CancellationToken);
    }

    public override async Task<MemberResponse> Identify(IdentifyRequest request, ServerCallContext context)
    {
        var programId = Edge.Id(request.ProgramId, "program_id");
        var ct = context.CancellationToken;
        var memberId = request.KeyCase switch
        {
            IdentifyRequest.KeyOneofCase.MemberId => Edge.Id(request.MemberId, "member_id"),
            IdentifyRequest.KeyOneofCase.CardNumber => await store.CardOwnerAsync(programId, Edge.Id(request.CardNumber, "card_number"), ct)
                ?? throw new LoyaltyException(ErrorReason.CardNotFound, "no member holds this card"),
            _ => throw LoyaltyException.Invalid("key", "give a member_id or a card_number"),
        };
        var row = await store.MemberAsync(programId, memberId, ct) ?? throw new LoyaltyException(ErrorReason.MemberNotFound, "no such member");
        return await ViewAsync(programId, row, ct);
    }

    public override async Task<BalanceResponse> GetBalance(GetBalanceRequest request, ServerCallContext context)
    {
        var programId = Edge.Id(request.ProgramId, "program_id");
        var memberId = Edge.Id(request.MemberId, "member_id");
        var buckets = await store.BucketsAsync(programId, memberId, context.CancellationToken)
            ?? throw new LoyaltyException(ErrorReason.MemberNotFound, "no such member");
        var program = await store.ProgramAsync(programId, context.CancellationToken);
        return new BalanceResponse { ProgramId = programId, MemberId = memberId, Balance = Edge.Balance(buckets, program, store.Now) };
    }

    public override async Task<QuoteResponse> Quote(QuoteRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var programId = Edge.Id(request.ProgramId, "program_id");
        var memberId = Edge.OptionalId(request.MemberId, "member_id");
        Edge.OptionalId(request.StoreId, "store_id");
        Edge.OptionalId(request.TerminalId, "terminal_id");
        var lines = Edge.Lines(request.Lines);
        var code = Edge.CouponCode(request.CouponCode);
        var program = await store.ProgramAsync(programId, ct);
        Edge.EnsureCurrency(request.Currency, program);
        if (memberId is not null && !await store.MemberExistsAsync(programId, memberId, ct))
        {
            throw new LoyaltyException(ErrorReason.MemberNotFound, "no such member");
        }

        var subtotal = Pricing.Validate(lines);
        CouponCheck? check = null;
        CouponDefinition? usable = null;
        if (code is not null)
        {
            check = new CouponCheck { Code = code };
            try
            {
                var coupon = await store.CouponAsync(programId, code, ct) ?? throw new LoyaltyException(ErrorReason.CouponNotFound, "no such coupon");
                if (coupon.RedeemedByTransaction is not null)
                {
                    throw new LoyaltyException(ErrorReason.CouponAlreadyRedeemed, "the coupon has already been redeemed");
                }

                Coupons.EnsureApplicable(coupon.Definition, subtotal, store.Now);
                usable = coupon.Definition;
                check.Valid = true;
            }
            catch (LoyaltyException refusal)
            {
                check.Reason = ErrorReasons.Code(refusal.Reason);
                check.Message = refusal.Message;
            }
        }

        // The campaigns this basket would get, passing over campaigns whose budget is used up (no side effect).
        var unavailable = ImmutableHashSet<string>.Empty;
        if (!program.Campaigns.IsDefaultOrEmpty)
        {
            var counters = await store.CampaignCountersAsync(programId, ct);
            var promotions = new PromotionContext(store.Now);
            unavailable = [.. Pricing.Price(lines, program, null, null, default, promotions).Campaigns
                .Where(a => counters.TryGetValue(a.CampaignId, out var used) && program.Campaigns.First(c => c.CampaignId == a.CampaignId) is var c
                    && !Campaigns.CanGrant(c, used.Redemptions, used.DiscountGiven, a.Discount))
                .Select(a => a.CampaignId)];
        }

        var priced = Pricing.Price(lines, program, usable, null, default, new PromotionContext(store.Now, Unavailable: unavailable));
        var campaign = priced.Campaigns.FirstOrDefault();
        if (check is not null)
        {
            check.Discount = priced.Discount;
        }

        return new QuoteResponse
        {
            Currency = program.Currency,
            Subtotal = priced.Subtotal,
            Discount = priced.Discount,
            Total = priced.Total,
            PointsToEarn = memberId is null ? 0 : priced.PointsToEarn, // a guest earns nothing (the baseline's campaigns never need a member)
            Coupon = check,
            CampaignId = campaign?.CampaignId ?? string.Empty,
            CampaignDiscount = priced.CampaignDiscount,
        };
    }

    public override async Task<CommitResponse> Commit(CommitRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var programId = Edge.Id(request.ProgramId, "program_id");
        var transactionId = Edge.Id(request.TransactionId, "transaction_id");
        // Without a member: a walk-in customer's sale, as on the engine (docs/guest-checkout.md).
        var memberId = Edge.OptionalId(request.MemberId, "member_id");
        var command = new CommitCommand(
            transactionId,
            Edge.OptionalId(request.StoreId, "store_id") ?? string.Empty,
            Edge.OptionalId(request.TerminalId, "terminal_id") ?? string.Empty,
            Edge.Lines(request.Lines),
            Edge.CouponCode(request.CouponCode),
            ExpectedTotal: request.HasExpectedTotal ? request.ExpectedTotal : null);
        if (request.Currency.Length != 0)
        {
            Edge.EnsureCurrency(request.Currency, await store.ProgramAsync(programId, ct));
        }

        if (memberId is null)
        {
            // Points, store credit and rewards need a member: refused by name, as the engine does.
            GuestSales.EnsureGuestCanPay(command with
            {
                PointsToSpend = request.PointsToSpend, CreditToSpend = request.CreditToSpend, RewardIds = [.. request.RewardIds],
            });
        }

        if (request.PointsToSpend != 0 || request.CreditToSpend != 0 || request.OccurredAt is not null)
        {
            throw Unimplemented.Feature("points or credit as payment and offline replay");
        }

        var (result, _) = await store.CommitAsync(programId, memberId, command, ct);
        return new CommitResponse
        {
            TransactionId = result.TransactionId,
            Subtotal = result.Subtotal,
            Discount = result.Discount,
            Total = result.Total,
            PointsEarned = result.PointsEarned,
            CouponCode = result.CouponCode ?? string.Empty,
            AvailableAfter = result.AvailableAfter,
            CommittedAt = Edge.Time(result.CommittedAt),
            AmountDue = result.Total,
            CampaignId = result.CampaignId ?? string.Empty,
            CampaignDiscount = result.CampaignDiscount,
        };
    }

    public override async Task<VoidSaleResponse> Void(VoidSaleRequest request, ServerCallContext context)
    {
        var programId = Edge.Id(request.ProgramId, "program_id");
        var transactionId = Edge.Id(request.TransactionId, "transaction_id");
        var memberId = Edge.OptionalId(request.MemberId, "member_id"); // none: a guest's sale
        var result = await store.VoidAsync(programId, memberId, transactionId, context.CancellationToken);
        return new VoidSaleResponse
        {
            TransactionId = result.TransactionId,
            PointsRemoved = result.PointsRemoved,
            CouponRestored = result.CouponRestored,
            AlreadyVoided = result.AlreadyVoided,
            AvailableAfter = result.AvailableAfter,
            VoidedAt = Edge.Time(result.VoidedAt),
        };
    }

    private async Task<MemberResponse> ViewAsync(string programId, MemberRow row, CancellationToken ct)
    {
        var program = await store.ProgramAsync(programId, ct);
        var response = new MemberResponse
        {
            ProgramId = programId,
            MemberId = row.MemberId,
            Name = row.Name ?? string.Empty,
            Balance = Edge.Balance(row.Buckets, program, store.Now),
            EnrolledAt = Edge.Time(row.EnrolledAt),
        };
        response.CardNumbers.AddRange(row.Cards);
        return response;
    }
}

/// <summary>AdminService on plain SQL: programs and single-use coupons.</summary>
internal sealed class BaselineAdminService(Store store) : AdminService.AdminServiceBase
{
    public override async Task<LoyaltyProgram> UpsertProgram(LoyaltyProgram request, ServerCallContext context)
    {
        if (request.EarnRules is not null || request.Tiers is not null || request.PendingDays != 0 || request.CashbackPercent != 0)
        {
            throw Unimplemented.Feature("earn rules, tiers, pending points and cashback");
        }

        var settings = Edge.ToSettings(request);
        Programs.Validate(settings);
        return Edge.ToProto(await store.UpsertProgramAsync(settings, context.CancellationToken));
    }

    public override async Task<LoyaltyProgram> GetProgram(GetProgramRequest request, ServerCallContext context) =>
        Edge.ToProto(await store.ProgramAsync(Edge.Id(request.ProgramId, "program_id"), context.CancellationToken));

    public override async Task<CreateCouponsResponse> CreateCoupons(CreateCouponsRequest request, ServerCallContext context)
    {
        var programId = Edge.Id(request.ProgramId, "program_id");
        var definition = Edge.ToDefinition(request.Terms);
        List<string> codes;
        if (request.Codes.Count > 0)
        {
            if (request.Count != 0)
            {
                throw LoyaltyException.Invalid("count", "give either codes or count, not both");
            }

            if (request.Codes.Count > Edge.MaxCouponsPerCall)
            {
                throw LoyaltyException.Invalid("codes", $"at most {Edge.MaxCouponsPerCall} codes per call");
            }

            codes = request.Codes.Select((c, i) => Edge.CouponCode(c, $"codes[{i}]")!).Distinct().ToList();
        }
        else
        {
            if (request.Count is <= 0 or > Edge.MaxCouponsPerCall)
            {
                throw LoyaltyException.Invalid("count", $"count must be between 1 and {Edge.MaxCouponsPerCall}");
            }

            codes = Enumerable.Range(0, request.Count).Select(_ => CouponCodes.Next()).ToList();
        }

        await store.ProgramAsync(programId, context.CancellationToken);
        await store.CreateCouponsAsync(programId, codes, definition, context.CancellationToken);
        var response = new CreateCouponsResponse();
        response.Codes.AddRange(codes);
        return response;
    }

    public override async Task<Api.V1.Campaign> DefineCampaign(Api.V1.Campaign request, ServerCallContext context)
    {
        var programId = Edge.Id(request.ProgramId, "program_id");
        await store.DefineCampaignAsync(programId, Edge.ToDefinition(request), context.CancellationToken);
        return request;
    }

    public override async Task<CampaignStatus> GetCampaignStatus(GetCampaignStatusRequest request, ServerCallContext context)
    {
        var programId = Edge.Id(request.ProgramId, "program_id");
        var campaignId = Edge.Id(request.CampaignId, "campaign_id");
        var program = await store.ProgramAsync(programId, context.CancellationToken);
        var campaign = program.Campaigns.IsDefault ? null : program.Campaigns.FirstOrDefault(c => c.CampaignId == campaignId);
        var counters = await store.CampaignCountersAsync(programId, context.CancellationToken);
        if (campaign is null || !counters.TryGetValue(campaignId, out var used))
        {
            throw new LoyaltyException(ErrorReason.CampaignNotFound, "no such campaign");
        }

        return new CampaignStatus
        {
            CampaignId = campaignId,
            Redemptions = used.Redemptions,
            DiscountGiven = used.DiscountGiven,
            PendingHolds = 0, // a grant and its sale commit in one transaction: nothing is ever on hold
            Exhausted = campaign.MaxRedemptions > 0 && used.Redemptions >= campaign.MaxRedemptions,
        };
    }

    public override async Task<Coupon> GetCoupon(GetCouponRequest request, ServerCallContext context)
    {
        var programId = Edge.Id(request.ProgramId, "program_id");
        var code = Edge.CouponCode(request.Code, "code") ?? throw LoyaltyException.Invalid("code", "code is required");
        var coupon = await store.CouponAsync(programId, code, context.CancellationToken)
            ?? throw new LoyaltyException(ErrorReason.CouponNotFound, "no such coupon");
        return new Coupon
        {
            Code = code,
            Terms = Edge.ToTerms(coupon.Definition),
            Redeemed = coupon.RedeemedByTransaction is not null,
            RedeemedByTransaction = coupon.RedeemedByTransaction ?? string.Empty,
            RedeemedAt = Edge.Time(coupon.RedeemedAt),
        };
    }
}

/// <summary>
/// The baseline implements what the benchmark sends: enrollment, identify, balance, quote, commit
/// with earn, a single-use coupon and a campaign with a budget, void, a guest's commit and void
/// (no member: no points), and the admin calls for
/// programs, coupons and campaigns. Anything
/// else is refused as UNIMPLEMENTED, never silently priced differently from the engine (Refund is
/// UNIMPLEMENTED by the generated base class).
/// </summary>
internal static class Unimplemented
{
    public static Grpc.Core.RpcException Feature(string what) =>
        new(new Grpc.Core.Status(Grpc.Core.StatusCode.Unimplemented, $"the plain-SQL baseline does not implement {what}"));
}
