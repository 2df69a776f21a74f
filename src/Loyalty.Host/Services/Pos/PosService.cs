using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Grains;

namespace Loyalty.Host.Services.Pos;

/// <summary>The terminal front door: validates and maps at the edge, the grains do the work.</summary>
internal sealed partial class PosService(
    IGrainFactory grains, LoyaltyClock clock, ProgramCache programs, Security.LookupThrottle lookups, MemberKeyLookup memberKeys, QuotePricing pricing,
    Security.IAuditTrail audit, ILogger<PosService> logger)
    : Api.V1.PosService.PosServiceBase
{
    public const int MaxNameLength = 200;

    public override async Task<MemberResponse> Enroll(EnrollRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var memberId = Requests.OptionalId(request.MemberId, "member_id");
        var card = Requests.OptionalId(request.CardNumber, "card_number");
        if (request.Name.Length > MaxNameLength)
        {
            throw LoyaltyException.Invalid("name", $"name must be at most {MaxNameLength} characters");
        }

        EnsurePrintableName(request.Name);

        if (memberId is null && card is null)
        {
            throw LoyaltyException.Invalid("member_id", "give a member_id, a card_number, or both");
        }

        // A card-owner lookup: refused while the till is throttled, as Identify is (issue #27).
        AllowedTill(context);
        if (memberId is null)
        {
            // A retried enrollment with a new card finds the member the first attempt created.
            var existing = await memberKeys.OwnerAsync(programId, MemberKeys.Card, card!);
            memberId = existing ?? "m" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        }

        var name = request.Name.Length == 0 ? null : request.Name;
        // Unset in proto3 reads as empty/false: at enrollment, "no attributes" and "no consent" mean "not given".
        var profile = Requests.Profile(
            request.Phone, request.Email, request.Attributes.Count == 0 ? null : request.Attributes, request.MarketingConsent ? true : null, request.Anniversary);
        var referrer = Requests.OptionalId(request.ReferrerMemberId, "referrer_member_id");
        var view = await Member(programId, memberId).EnrollAsync(new EnrollCommand(name, card, Requests.BirthDate(request.BirthDate), profile, referrer));
        return ForCaller(context, programId, view);
    }

    public override async Task<MemberResponse> ReplaceCard(ReplaceCardRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var memberId = Requests.Id(request.MemberId, "member_id");
        var lost = Requests.OptionalId(request.LostCardNumber, "lost_card_number");
        var card = Requests.Id(request.NewCardNumber, "new_card_number");
        if (card == lost)
        {
            throw LoyaltyException.Invalid("new_card_number", "the new card must differ from the lost one");
        }

        var proof = Proof(context, request.PresentedCardNumber, request.VerificationCode);
        return ForCaller(context, programId, await CountingMisses(AllowedTill(context), programId, Member(programId, memberId).ReplaceCardAsync(lost, card, proof)));
    }

    public override async Task<VerificationCodeResponse> RequestVerificationCode(VerificationCodeRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var memberId = Requests.Id(request.MemberId, "member_id");
        var sent = await CountingMisses(AllowedTill(context), programId, Member(programId, memberId).SendVerificationCodeAsync(Terminal(context), request.Channel));
        return new VerificationCodeResponse { Channel = sent.Channel, SentTo = sent.SentTo, ExpiresAt = SharedMapping.Time(sent.ExpiresAt) };
    }

    public override async Task<MemberResponse> UpdateProfile(UpdateProfileRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var memberId = Requests.Id(request.MemberId, "member_id");
        if (request.HasName && request.Name.Length is 0 or > MaxNameLength)
        {
            throw LoyaltyException.Invalid("name", $"name must be 1..{MaxNameLength} characters");
        }

        EnsurePrintableName(request.Name);

        var profile = Requests.Profile(
            request.HasPhone ? request.Phone : null,
            request.HasEmail ? request.Email : null,
            request.Attributes?.Values,
            request.HasMarketingConsent ? request.MarketingConsent : null,
            request.HasAnniversary ? request.Anniversary : null);
        var update = new ProfileUpdate(request.HasName ? request.Name : null, request.HasBirthDate ? Requests.BirthDate(request.BirthDate) : null, profile);
        var proof = Proof(context, request.PresentedCardNumber, request.VerificationCode);
        return ForCaller(context, programId, await CountingMisses(AllowedTill(context), programId, Member(programId, memberId).UpdateProfileAsync(update, proof)));
    }

    public override async Task<MemberResponse> Identify(IdentifyRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var storeId = Requests.OptionalId(request.StoreId, "store_id");
        var channel = Requests.OptionalId(request.Channel, "channel");
        var till = AllowedTill(context);
        // By card or phone at a till, the member counts as present at this terminal for a few minutes (MemberPresence).
        var view = await CountingMisses(till, programId, request.KeyCase switch
        {
            IdentifyRequest.KeyOneofCase.MemberId => Member(programId, Requests.Id(request.MemberId, "member_id")).IdentifyAtAsync(storeId, channel),
            IdentifyRequest.KeyOneofCase.CardNumber => memberKeys.IdentifyAsync(
                programId, MemberKeys.Card, Requests.Id(request.CardNumber, "card_number"), storeId, channel, till?.CredentialId),
            IdentifyRequest.KeyOneofCase.Phone => memberKeys.IdentifyByPhoneAsync(programId, request.Phone, storeId, channel, terminal: till?.CredentialId),
            _ => throw LoyaltyException.Invalid("key", "give a member_id, a card_number or a phone"),
        });
        return PosMapping.ToIdentifyProto(programId, view);
    }

    public override async Task<BalanceResponse> GetBalance(GetBalanceRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var memberId = Requests.Id(request.MemberId, "member_id");
        var view = await CountingMisses(AllowedTill(context), programId, Member(programId, memberId).GetAsync());
        return new BalanceResponse { ProgramId = programId, MemberId = memberId, Balance = SharedMapping.ToProto(view.Balance) };
    }

    public override async Task<QuoteResponse> Quote(QuoteRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var memberId = Requests.OptionalId(request.MemberId, "member_id");
        var storeId = Requests.OptionalId(request.StoreId, "store_id");
        Requests.OptionalId(request.TerminalId, "terminal_id");
        var lines = Requests.Lines(request.Lines);
        var code = await GuardedCouponCodeAsync(programId, request.StoreId, request.TerminalId, request.CouponCode);
        var channel = Requests.OptionalId(request.Channel, "channel");
        var paymentMethod = Requests.OptionalId(request.PaymentMethod, "payment_method");
        var till = memberId is null ? null : AllowedTill(context);
        var quote = pricing.QuoteAsync(
            new QuoteInput(programId, memberId, storeId, lines, code, Requests.RewardIds(request.RewardIds), channel, paymentMethod, request.Currency),
            () => Guard(programId, request.StoreId, request.TerminalId).RecordFailureAsync());
        return await CountingMisses(till, programId, quote);
    }

    public override async Task<CommitResponse> Commit(CommitRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var transactionId = Requests.Id(request.TransactionId, "transaction_id");
        // Without a member: a walk-in customer's sale (docs/guest-checkout.md).
        var memberId = Requests.OptionalId(request.MemberId, "member_id");
        var till = memberId is null ? Till(context) : AllowedTill(context);
        var command = new CommitCommand(
            transactionId,
            Requests.OptionalId(request.StoreId, "store_id") ?? string.Empty,
            Requests.OptionalId(request.TerminalId, "terminal_id") ?? string.Empty,
            Requests.Lines(request.Lines),
            await GuardedCouponCodeAsync(programId, request.StoreId, request.TerminalId, request.CouponCode),
            request.PointsToSpend >= 0 ? request.PointsToSpend : throw LoyaltyException.Invalid("points_to_spend", "points to spend must not be negative"),
            Requests.Time(request.OccurredAt, "occurred_at"),
            request.CreditToSpend >= 0 ? request.CreditToSpend : throw LoyaltyException.Invalid("credit_to_spend", "credit to spend must not be negative"),
            Requests.RewardIds(request.RewardIds),
            Requests.OptionalId(request.Channel, "channel"),
            Requests.OptionalId(request.PaymentMethod, "payment_method"),
            request.HasExpectedTotal ? request.ExpectedTotal : null,
            till is null ? null : new TillPresence(
                till.CredentialId,
                Requests.OptionalId(request.PresentedCardNumber, "presented_card_number"),
                request.PresentedPhone.Length == 0 ? null : memberKeys.PhoneKey(programId, request.PresentedPhone, "presented_phone")));
        if (request.Currency.Length != 0)
        {
            Requests.EnsureCurrency(request.Currency, await programs.GetAsync(programId));
        }

        try
        {
            return PosMapping.ToProto(memberId is null
                ? await GuestTills.For(grains, programId, transactionId).CommitAsync(command)
                : await CountingMisses(till, programId, Member(programId, memberId).CommitAsync(command)));
        }
        catch (LoyaltyException refusal) when (refusal.Reason == ErrorReason.CouponNotFound)
        {
            await Guard(programId, request.StoreId, request.TerminalId).RecordFailureAsync();
            throw;
        }
    }

    public override async Task<VoidSaleResponse> Void(VoidSaleRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var transactionId = Requests.Id(request.TransactionId, "transaction_id");
        var memberId = Requests.OptionalId(request.MemberId, "member_id");
        var till = memberId is null ? Till(context) : AllowedTill(context);
        var tillStore = TillStore(till);
        var result = memberId is null
            ? await GuestTills.For(grains, programId, transactionId).VoidAsync(transactionId, tillStore)
            : await CountingMisses(till, programId, Member(programId, memberId).VoidAsync(transactionId, tillStore));
        await AuditCrossStoreAsync(till, "Void", programId, transactionId, result.SaleStoreId, context.CancellationToken);
        return PosMapping.ToProto(result.Result);
    }

    public override async Task<RefundResponse> Refund(RefundRequest request, ServerCallContext context)
    {
        var programId = Requests.Id(request.ProgramId, "program_id");
        var memberId = Requests.OptionalId(request.MemberId, "member_id");
        var command = new RefundCommand(
            Requests.Id(request.RefundId, "refund_id"),
            Requests.Id(request.TransactionId, "transaction_id"),
            [.. request.Lines.Select(l => new RefundLine(l.LineIndex, l.Quantity))]);
        var till = memberId is null ? Till(context) : AllowedTill(context);
        var tillStore = TillStore(till);
        var result = memberId is null
            ? await GuestTills.For(grains, programId, command.TransactionId).RefundAsync(command, tillStore)
            : await CountingMisses(till, programId, Member(programId, memberId).RefundAsync(command, tillStore));
        await AuditCrossStoreAsync(till, "Refund", programId, command.TransactionId, result.SaleStoreId, context.CancellationToken);
        return PosMapping.ToProto(result.Result);
    }

    /// <summary>The terminal making the call; null for an operator (customer service), whose calls are neither throttled nor bound to a store.</summary>
    private static Credential? Till(ServerCallContext context) =>
        Security.AuthInterceptor.Caller(context) is { Role: AccessRole.Terminal } terminal ? terminal : null;

    /// <summary>The store a till's void or refund may reach (<see cref="Sales.EnsureWithinReach"/>); null for an operator.</summary>
    private static string? TillStore(Credential? till) => till is null ? null : till.StoreId ?? string.Empty;

    /// <summary>
    /// <see cref="Till"/> for a call that names a member or card: refused at once (TOO_MANY_LOOKUPS) while the terminal is
    /// throttled, a local check (issue #27: one throttle for every such call, so a till cannot walk member ids).
    /// </summary>
    private Credential? AllowedTill(ServerCallContext context)
    {
        var till = Till(context);
        if (till is not null)
        {
            lookups.EnsureAllowed(till.CredentialId, clock.UtcNow);
        }

        return till;
    }

    /// <summary>
    /// A call naming a member or card from <paramref name="till"/>: a miss (MEMBER_NOT_FOUND, CARD_NOT_FOUND,
    /// PHONE_NOT_FOUND) counts per program, store and terminal (its guard grain), and is TOO_MANY_LOOKUPS when it was
    /// one too many. A hit costs nothing more; an operator's misses are not counted.
    /// </summary>
    private async Task<T> CountingMisses<T>(Credential? till, string programId, Task<T> call)
    {
        try
        {
            return await call;
        }
        catch (LoyaltyException miss) when (till is not null
            && miss.Reason is ErrorReason.CardNotFound or ErrorReason.PhoneNotFound or ErrorReason.MemberNotFound)
        {
            await lookups.RecordMissAsync(till.CredentialId, GuardKey(programId, till.StoreId ?? string.Empty, till.TerminalId ?? string.Empty));
            throw;
        }
    }

    /// <summary>
    /// A till's void or refund of another store's sale (the program allows cross-store returns) is recorded in the audit
    /// trail with both stores. A failure to record is logged, not answered: the return has happened.
    /// </summary>
    private async Task AuditCrossStoreAsync(Credential? till, string method, string programId, string transactionId, string? saleStoreId, CancellationToken cancellationToken)
    {
        if (till is null || saleStoreId is null || saleStoreId == till.StoreId)
        {
            return;
        }

        var detail = $"{{\"transactionId\":\"{transactionId}\",\"saleStoreId\":\"{saleStoreId}\",\"tillStoreId\":\"{till.StoreId}\",\"terminalId\":\"{till.TerminalId}\"}}";
        try
        {
            await audit.AppendAsync(new Security.AuditRecord(0, clock.UtcNow, till.CredentialId, till.Role, "CrossStore" + method, programId, detail), cancellationToken);
        }
        catch (Exception failure) when (failure is System.Data.Common.DbException or TimeoutException or OperationCanceledException)
        {
            LogAuditFailed(logger, method, till.CredentialId, failure);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A cross-store {Method} by {CredentialId} succeeded but could not be recorded in the audit trail")]
    private static partial void LogAuditFailed(ILogger logger, string method, string credentialId, Exception exception);

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
            return Requests.CouponCode(text);
        }
        catch (LoyaltyException)
        {
            await guard.RecordFailureAsync();
            throw;
        }
    }

    private ITerminalGuardGrain Guard(string programId, string storeId, string terminalId) =>
        grains.Grain<ITerminalGuardGrain>(GuardKey(programId, storeId, terminalId));

    /// <summary>A member as the caller may see it (<see cref="PosMapping.ForCaller"/>).</summary>
    private static MemberResponse ForCaller(ServerCallContext context, string programId, MemberView view) =>
        PosMapping.ForCaller(Security.AuthInterceptor.ByOperator(context), programId, view);

    /// <summary>What vouches for the member: the operator making the call, else the code (for this terminal) or the card given at the till.</summary>
    private static MemberProof Proof(ServerCallContext context, string presentedCard, string code) =>
        Security.AuthInterceptor.ByOperator(context)
            ? MemberProof.Operator
            : new MemberProof(
                Requests.OptionalId(presentedCard, "presented_card_number"),
                false,
                code.Length == 0 ? null : code.Length <= 16 ? code : throw LoyaltyException.Invalid("verification_code", "verification_code is the 6-digit code sent to the member"),
                Terminal(context));

    /// <summary>The calling credential: the terminal a verification code is sent for and valid at.</summary>
    private static string Terminal(ServerCallContext context) => Security.AuthInterceptor.Caller(context)?.CredentialId ?? string.Empty;

    private static string GuardKey(string programId, string storeId, string terminalId) =>
        $"{programId}/{(storeId.Length == 0 ? "-" : storeId)}/{(terminalId.Length == 0 ? "-" : terminalId)}";

    /// <summary>
    /// A name is rendered into messages and screens: control characters (Cc), line and paragraph separators (Zl, Zp:
    /// U+2028, U+2029) and invisible format characters (Cf: U+202E right-to-left override, zero-width spaces) are
    /// refused (issue #27, finding 11), so a name cannot break a message's lines or show other text than it holds.
    /// </summary>
    private static void EnsurePrintableName(string name)
    {
        foreach (var rune in name.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Format)
            {
                throw LoyaltyException.Invalid("name", "name must not contain line breaks, control or invisible format characters");
            }
        }
    }

    private IMemberGrain Member(string programId, string memberId) => grains.Grain<IMemberGrain>(Keys.Scoped(programId, memberId));
}
