using System.Security.Cryptography;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Grains;

namespace Loyalty.Host.Services.Pos;

/// <summary>The terminal front door: validates and maps at the edge, the grains do the work.</summary>
internal sealed class PosService(IGrainFactory grains, LoyaltyClock clock, ProgramCache programs, Security.LookupThrottle lookups, MemberKeyLookup memberKeys, QuotePricing pricing)
    : Api.V1.PosService.PosServiceBase
{
    public const int MaxNameLength = 200;

    public override async Task<MemberResponse> Enroll(EnrollRequest request, ServerCallContext context)
    {
        var programId = Mapping.Id(request.ProgramId, "program_id");
        var memberId = Mapping.OptionalId(request.MemberId, "member_id");
        var card = Mapping.OptionalId(request.CardNumber, "card_number");
        if (request.Name.Length > MaxNameLength)
        {
            throw LoyaltyException.Invalid("name", $"name must be at most {MaxNameLength} characters");
        }

        EnsurePrintableName(request.Name);

        if (memberId is null && card is null)
        {
            throw LoyaltyException.Invalid("member_id", "give a member_id, a card_number, or both");
        }

        if (memberId is null)
        {
            // A retried enrollment with a new card finds the member the first attempt created.
            var existing = await memberKeys.OwnerAsync(programId, MemberKeys.Card, card!);
            memberId = existing ?? "m" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        }

        var name = request.Name.Length == 0 ? null : request.Name;
        // Unset in proto3 reads as empty/false: at enrollment, "no attributes" and "no consent" mean "not given".
        var profile = Mapping.Profile(
            request.Phone, request.Email, request.Attributes.Count == 0 ? null : request.Attributes, request.MarketingConsent ? true : null, request.Anniversary);
        var referrer = Mapping.OptionalId(request.ReferrerMemberId, "referrer_member_id");
        var view = await Member(programId, memberId).EnrollAsync(new EnrollCommand(name, card, Mapping.BirthDate(request.BirthDate), profile, referrer));
        return Mapping.ToProto(programId, view);
    }

    public override async Task<MemberResponse> ReplaceCard(ReplaceCardRequest request, ServerCallContext context)
    {
        var programId = Mapping.Id(request.ProgramId, "program_id");
        var memberId = Mapping.Id(request.MemberId, "member_id");
        var lost = Mapping.OptionalId(request.LostCardNumber, "lost_card_number");
        var card = Mapping.Id(request.NewCardNumber, "new_card_number");
        if (card == lost)
        {
            throw LoyaltyException.Invalid("new_card_number", "the new card must differ from the lost one");
        }

        var proof = Proof(context, Mapping.OptionalId(request.PresentedCardNumber, "presented_card_number"));
        return Mapping.ToProto(programId, await Member(programId, memberId).ReplaceCardAsync(lost, card, proof));
    }

    public override async Task<MemberResponse> UpdateProfile(UpdateProfileRequest request, ServerCallContext context)
    {
        var programId = Mapping.Id(request.ProgramId, "program_id");
        var memberId = Mapping.Id(request.MemberId, "member_id");
        if (request.HasName && request.Name.Length is 0 or > MaxNameLength)
        {
            throw LoyaltyException.Invalid("name", $"name must be 1..{MaxNameLength} characters");
        }

        EnsurePrintableName(request.Name);

        var profile = Mapping.Profile(
            request.HasPhone ? request.Phone : null,
            request.HasEmail ? request.Email : null,
            request.Attributes?.Values,
            request.HasMarketingConsent ? request.MarketingConsent : null,
            request.HasAnniversary ? request.Anniversary : null);
        var update = new ProfileUpdate(request.HasName ? request.Name : null, request.HasBirthDate ? Mapping.BirthDate(request.BirthDate) : null, profile);
        var proof = Proof(context, Mapping.OptionalId(request.PresentedCardNumber, "presented_card_number"));
        return Mapping.ToProto(programId, await Member(programId, memberId).UpdateProfileAsync(update, proof));
    }

    public override async Task<MemberResponse> Identify(IdentifyRequest request, ServerCallContext context)
    {
        var programId = Mapping.Id(request.ProgramId, "program_id");
        var storeId = Mapping.OptionalId(request.StoreId, "store_id");
        var channel = Mapping.OptionalId(request.Channel, "channel");
        // Lookups from a till are throttled on misses (issue #13: enumeration); an operator's are not.
        var till = Security.AuthInterceptor.Caller(context) is { Role: AccessRole.Terminal } terminal ? terminal : null;
        if (till is not null)
        {
            lookups.EnsureAllowed(till.CredentialId, clock.UtcNow);
        }

        try
        {
            var view = request.KeyCase switch
            {
                IdentifyRequest.KeyOneofCase.MemberId => await Member(programId, Mapping.Id(request.MemberId, "member_id")).IdentifyAtAsync(storeId, channel),
                IdentifyRequest.KeyOneofCase.CardNumber => await memberKeys.IdentifyAsync(
                    programId, MemberKeys.Card, Mapping.Id(request.CardNumber, "card_number"), storeId, channel),
                IdentifyRequest.KeyOneofCase.Phone => await memberKeys.IdentifyByPhoneAsync(programId, request.Phone, storeId, channel),
                _ => throw LoyaltyException.Invalid("key", "give a member_id, a card_number or a phone"),
            };
            return Mapping.ToIdentifyProto(programId, view);
        }
        catch (LoyaltyException miss) when (till is not null
            && miss.Reason is ErrorReason.CardNotFound or ErrorReason.PhoneNotFound or ErrorReason.MemberNotFound)
        {
            // Counted per program, store and terminal (its guard grain); TOO_MANY_LOOKUPS when this miss was one too many.
            await lookups.RecordMissAsync(till.CredentialId, GuardKey(programId, till.StoreId ?? string.Empty, till.TerminalId ?? string.Empty));
            throw;
        }
    }

    public override async Task<BalanceResponse> GetBalance(GetBalanceRequest request, ServerCallContext context)
    {
        var programId = Mapping.Id(request.ProgramId, "program_id");
        var memberId = Mapping.Id(request.MemberId, "member_id");
        var view = await Member(programId, memberId).GetAsync();
        return new BalanceResponse { ProgramId = programId, MemberId = memberId, Balance = Mapping.ToProto(view.Balance) };
    }

    public override async Task<QuoteResponse> Quote(QuoteRequest request, ServerCallContext context)
    {
        var programId = Mapping.Id(request.ProgramId, "program_id");
        var memberId = Mapping.OptionalId(request.MemberId, "member_id");
        var storeId = Mapping.OptionalId(request.StoreId, "store_id");
        Mapping.OptionalId(request.TerminalId, "terminal_id");
        var lines = Mapping.Lines(request.Lines);
        var code = await GuardedCouponCodeAsync(programId, request.StoreId, request.TerminalId, request.CouponCode);
        var channel = Mapping.OptionalId(request.Channel, "channel");
        var paymentMethod = Mapping.OptionalId(request.PaymentMethod, "payment_method");
        return await pricing.QuoteAsync(
            new QuoteInput(programId, memberId, storeId, request.StoreId, lines, code, Mapping.RewardIds(request.RewardIds), channel, paymentMethod, request.Currency),
            () => Guard(programId, request.StoreId, request.TerminalId).RecordFailureAsync());
    }

    public override async Task<CommitResponse> Commit(CommitRequest request, ServerCallContext context)
    {
        var programId = Mapping.Id(request.ProgramId, "program_id");
        var transactionId = Mapping.Id(request.TransactionId, "transaction_id");
        var memberId = Mapping.Id(request.MemberId, "member_id");
        var command = new CommitCommand(
            transactionId,
            Mapping.OptionalId(request.StoreId, "store_id") ?? string.Empty,
            Mapping.OptionalId(request.TerminalId, "terminal_id") ?? string.Empty,
            Mapping.Lines(request.Lines),
            await GuardedCouponCodeAsync(programId, request.StoreId, request.TerminalId, request.CouponCode),
            request.PointsToSpend >= 0 ? request.PointsToSpend : throw LoyaltyException.Invalid("points_to_spend", "points to spend must not be negative"),
            Mapping.Time(request.OccurredAt, "occurred_at"),
            request.CreditToSpend >= 0 ? request.CreditToSpend : throw LoyaltyException.Invalid("credit_to_spend", "credit to spend must not be negative"),
            Mapping.RewardIds(request.RewardIds),
            Mapping.OptionalId(request.Channel, "channel"),
            Mapping.OptionalId(request.PaymentMethod, "payment_method"),
            request.HasExpectedTotal ? request.ExpectedTotal : null);
        if (request.Currency.Length != 0)
        {
            Mapping.EnsureCurrency(request.Currency, await programs.GetAsync(programId));
        }

        try
        {
            return Mapping.ToProto(await Member(programId, memberId).CommitAsync(command));
        }
        catch (LoyaltyException refusal) when (refusal.Reason == ErrorReason.CouponNotFound)
        {
            await Guard(programId, request.StoreId, request.TerminalId).RecordFailureAsync();
            throw;
        }
    }

    public override async Task<VoidSaleResponse> Void(VoidSaleRequest request, ServerCallContext context)
    {
        var programId = Mapping.Id(request.ProgramId, "program_id");
        var transactionId = Mapping.Id(request.TransactionId, "transaction_id");
        var memberId = Mapping.Id(request.MemberId, "member_id");
        return Mapping.ToProto(await Member(programId, memberId).VoidAsync(transactionId));
    }

    public override async Task<RefundResponse> Refund(RefundRequest request, ServerCallContext context)
    {
        var programId = Mapping.Id(request.ProgramId, "program_id");
        var memberId = Mapping.Id(request.MemberId, "member_id");
        var command = new RefundCommand(
            Mapping.Id(request.RefundId, "refund_id"),
            Mapping.Id(request.TransactionId, "transaction_id"),
            [.. request.Lines.Select(l => new RefundLine(l.LineIndex, l.Quantity))]);
        return Mapping.ToProto(await Member(programId, memberId).RefundAsync(command));
    }

    /// <summary>A coupon code from a terminal that is not throttled; a malformed code counts as a failed guess.</summary>
    private async Task<string?> GuardedCouponCodeAsync(string programId, string storeId, string terminalId, string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        var guard = Guard(programId, storeId, terminalId);
        await guard.EnsureAllowedAsync();
        try
        {
            return Mapping.CouponCode(text);
        }
        catch (LoyaltyException)
        {
            await guard.RecordFailureAsync();
            throw;
        }
    }

    private ITerminalGuardGrain Guard(string programId, string storeId, string terminalId) =>
        grains.Grain<ITerminalGuardGrain>(GuardKey(programId, storeId, terminalId));

    /// <summary>What vouches for the member: the operator making the call, else the card presented at the till.</summary>
    private static MemberProof Proof(ServerCallContext context, string? presentedCard) =>
        Security.AuthInterceptor.Caller(context) is { Role: AccessRole.Operator } ? MemberProof.Operator : new MemberProof(presentedCard, false);

    private static string GuardKey(string programId, string storeId, string terminalId) =>
        $"{programId}/{(storeId.Length == 0 ? "-" : storeId)}/{(terminalId.Length == 0 ? "-" : terminalId)}";

    /// <summary>A name is rendered into messages: line breaks and other control characters are refused.</summary>
    private static void EnsurePrintableName(string name)
    {
        if (name.Any(char.IsControl))
        {
            throw LoyaltyException.Invalid("name", "name must not contain line breaks or other control characters");
        }
    }

    private IMemberGrain Member(string programId, string memberId) => grains.Grain<IMemberGrain>(Keys.Scoped(programId, memberId));
}
