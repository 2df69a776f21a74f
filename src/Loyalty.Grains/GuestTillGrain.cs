using System.Globalization;
using Orleans.Serialization;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains;

/// <summary>Where a program's guest sales live: <see cref="Count"/> tills, a transaction id always in the same one.</summary>
public static class GuestTills
{
    /// <summary>Tills per program: enough that one busy store's walk-ins spread over both cores and many batches.</summary>
    public const int Count = 64;

    /// <summary>The till of a transaction: a stable hash of its id (FNV-1a: the same on every silo and after every restart).</summary>
    public static string KeyFor(string programId, string transactionId)
    {
        var hash = 2_166_136_261u;
        foreach (var c in transactionId)
        {
            hash = unchecked((hash ^ c) * 16_777_619u);
        }

        return Keys.Scoped(programId, "till-" + (hash % Count).ToString(CultureInfo.InvariantCulture));
    }

    public static IGuestTillGrain For(IGrainFactory grains, string programId, string transactionId) =>
        grains.GetGrain<IGuestTillGrain>(KeyFor(programId, transactionId));

    /// <summary>The member id a guest sale is recorded under (its row in member_sales, its holds at coupons and budgets).</summary>
    public const string MemberId = "";
}

/// <summary>What a till stores besides its sales' rows: how many it recorded (each write changes the row it travels with).</summary>
[GenerateSerializer, Alias("loyalty.GuestTillState")]
public sealed class GuestTillState
{
    [Id(0)]
    public long Sales { get; set; }
}

/// <summary>
/// A till of walk-in customers' sales (<see cref="IGuestTillGrain"/>): the member grain's checkout without a member.
/// The sale is priced by the one pricing step (<see cref="CheckoutStep"/>), the coupon and the budgets are held
/// before the write, the sale's row travels with the till's state write in the silo's group commit (docs/write-path.md),
/// and the holds are confirmed after it. A transaction id counts once by the row's primary key: a retry that is not
/// the call in flight is refused by the write and answered from the row. Not reentrant: one sale at a time per till.
/// </summary>
public sealed class GuestTillGrain(
    [PersistentState("guest-till", ProviderNames.GrainStorage)] IPersistentState<GuestTillState> state,
    LoyaltyClock clock,
    IMemberRowStore rows,
    ProgramCache programs,
    Serializer<SaleRecord> saleSerializer)
    : Grain, IGuestTillGrain
{
    /// <summary>
    /// Sales a till keeps in memory (serialized): a terminal's retry after a timeout, and a void or refund moments after
    /// the sale, are answered without reading the row. A till sees about 1/64 of a program's walk-ins.
    /// </summary>
    public const int RecentCapacity = 64;

    private readonly RecentSales _recent = new(saleSerializer, RecentCapacity);

    // The program, split from the key once per activation (as the member grain does).
    private string? _programId;

    private string ProgramId => _programId ??= Keys.Split(this.GetPrimaryKeyString()).ProgramId;

    public async Task<CommitResult> CommitAsync(CommitCommand command)
    {
        var fingerprint = Fingerprints.Of(command);
        if (_recent.Find(command.TransactionId) is { } known)
        {
            return Checkout.Answer(known, fingerprint);
        }

        var program = await programs.GetAsync(ProgramId);
        var now = clock.UtcNow;
        long subtotal;
        DateTimeOffset occurredAt;
        try
        {
            GuestSales.EnsureGuestCanPay(command);
            subtotal = Pricing.Validate(command.Lines);
            occurredAt = Domain.Sales.CheckTiming(program, command, now);
        }
        catch (LoyaltyException)
        {
            // A retry of a sale committed before is answered with what was committed then, even if the rules refuse it today.
            if (await FindSaleAsync(command.TransactionId) is { } stored)
            {
                return Checkout.Answer(stored, fingerprint);
            }

            throw;
        }

        var live = Domain.Sales.IsLive(occurredAt, now);
        var context = live ? new PromotionContext(now, command.StoreId, command.Channel, command.PaymentMethod) : null;
        var basket = new CheckoutBasket(program, command.Lines, command.RewardIds, null, context);
        var coupons = command.CouponCode is { } code ? GrainFactory.Grain<ICouponGrain>(Keys.Scoped(ProgramId, code)) : null;
        var holds = new BudgetHolds(GrainFactory, ProgramId, command.TransactionId, GuestTills.MemberId, command.StoreId);
        CouponDefinition? coupon = null;
        SaleRecord sale;
        try
        {
            if (coupons is not null)
            {
                coupon = await coupons.RedeemAsync(new CouponRedemption(command.TransactionId, GuestTills.MemberId, subtotal, Checkout.GuestCouponFacts(command.StoreId)));
                Checkout.EnsureCouponAllowed(coupon, program, null, null, now);
            }

            var plan = await CheckoutStep.PriceAsync(basket, coupon, holds);
            if (plan.CouponCappedAway)
            {
                await coupons!.RestoreAsync(command.TransactionId);
                holds.Dropped.Add(new DroppedPromotion(DiscountSource.Coupon, command.CouponCode!, ErrorReason.CouponNoDiscount, Coupons.CappedAwayMessage(program)));
                coupon = null;
            }

            sale = GuestSales.Record(program, command, coupon, fingerprint, now, plan, holds.Dropped.ToImmutable());
        }
        catch (Exception failure)
        {
            if (failure is LoyaltyException or OverflowException && await FindSaleAsync(command.TransactionId) is { } stored)
            {
                return await AnswerCommittedBeforeAsync(stored, command.CouponCode, fingerprint, holds);
            }

            if (coupon is not null)
            {
                await coupons!.RestoreAsync(command.TransactionId);
            }

            await holds.ReleaseAllAsync();
            throw failure is OverflowException ? LoyaltyException.Invalid("lines", "the amounts are out of range") : failure;
        }

        try
        {
            await PersistAsync(sale, isNew: true);
        }
        catch (Exception failure) when (failure.IsDuplicateTransaction())
        {
            var stored = await FindSaleAsync(command.TransactionId)
                ?? throw new InvalidOperationException("the sale row that refused the write is not readable");
            return await AnswerCommittedBeforeAsync(stored, command.CouponCode, fingerprint, holds);
        }

        CheckoutStep.Confirm(GrainFactory, ProgramId, sale.Result, holds, coupon is null ? null : coupons);

        return sale.Result;
    }

    public async Task<VoidResult> VoidAsync(string transactionId) => (await VoidAsync(transactionId, null)).Result;

    public async Task<TillReturn<VoidResult>> VoidAsync(string transactionId, string? tillStoreId)
    {
        var sale = await SaleAsync(transactionId);
        var program = await programs.GetAsync(ProgramId);
        Domain.Sales.EnsureWithinReach(program, sale, tillStoreId);
        if (sale.Void is { } done)
        {
            return new(done with { AlreadyVoided = true }, sale.Result.StoreId);
        }

        if (sale.Result.CouponCode is { } code)
        {
            // The coupon is usable again before the void is acknowledged (releasing only this transaction's hold).
            await GrainFactory.Grain<ICouponGrain>(Keys.Scoped(ProgramId, code)).RestoreAsync(transactionId);
        }

        var result = GuestSales.Void(program, sale, clock.UtcNow);
        await PersistAsync(sale, isNew: false);

        // Budgets get their grant back after the void is durable: at most once (never over-granted).
        await Task.WhenAll(MemberState.BudgetReturns(sale).Select(r => Budget(r.CampaignId).ReturnAsync(transactionId, r.Discount, sale.Result.StoreId ?? string.Empty)));
        return new(result, sale.Result.StoreId);
    }

    public async Task<RefundResult> RefundAsync(RefundCommand command) => (await RefundAsync(command, null)).Result;

    public async Task<TillReturn<RefundResult>> RefundAsync(RefundCommand command, string? tillStoreId)
    {
        var sale = await SaleAsync(command.TransactionId);
        var program = await programs.GetAsync(ProgramId);
        Domain.Sales.EnsureWithinReach(program, sale, tillStoreId);
        var fingerprint = Fingerprints.Of(command);
        if (Domain.Sales.KnownRefund(sale, command.RefundId, fingerprint) is { } known)
        {
            return new(known, sale.Result.StoreId);
        }

        var result = GuestSales.ReturnLines(program, sale, command, fingerprint, clock.UtcNow);
        await PersistAsync(sale, isNew: false);
        return new(result, sale.Result.StoreId);
    }

    public async Task<bool> HasSaleAsync(string transactionId) => await FindSaleAsync(transactionId) is { Void: null };

    /// <summary>The sale's row travels with the till's state write (one transaction); a new sale whose id has a row refuses the write.</summary>
    private async Task PersistAsync(SaleRecord sale, bool isNew)
    {
        var bytes = _recent.Remember(sale);
        var pending = PendingRows.Of(state.State);
        pending.Stage(ProgramId, GuestTills.MemberId).AddSale(sale, isNew, bytes);
        state.State.Sales++;
        try
        {
            if (rows.WritesWithState)
            {
                await state.WriteOrDeactivateAsync(this);
                if (pending.TakeDuplicate())
                {
                    throw new DuplicateTransactionException($"transaction {sale.Result.TransactionId} already has a sale row");
                }

                return;
            }

            // No database: the same rules by hand (a sale id that has a row refuses the write; rows after the state).
            var taken = pending.Take()!;
            if (isNew && await rows.FindSaleAsync(ProgramId, GuestTills.MemberId, sale.Result.TransactionId) is not null)
            {
                throw new DuplicateTransactionException($"transaction {sale.Result.TransactionId} already has a sale row");
            }

            await state.WriteOrDeactivateAsync(this);
            await rows.AppendAsync(taken);
        }
        catch (Exception)
        {
            // Memory goes back to what storage holds: the count, and no recent sale that may not be durable.
            state.State.Sales--;
            _recent.Forget();
            throw;
        }
    }

    private async Task<SaleRecord?> FindSaleAsync(string transactionId) =>
        _recent.Find(transactionId) ?? await rows.FindSaleAsync(ProgramId, GuestTills.MemberId, transactionId);

    private async Task<SaleRecord> SaleAsync(string transactionId) =>
        await FindSaleAsync(transactionId)
            ?? throw new LoyaltyException(ErrorReason.TransactionNotFound, "no committed guest sale with this transaction id");

    /// <summary>A retry of a sale committed before whose attempt took holds again: what the stored sale does not own goes back.</summary>
    private Task<CommitResult> AnswerCommittedBeforeAsync(SaleRecord stored, string? couponCode, string fingerprint, BudgetHolds holds) =>
        CheckoutStep.AnswerCommittedBeforeAsync(GrainFactory, ProgramId, stored, couponCode, fingerprint, holds);

    private ICampaignBudgetGrain Budget(string campaignId) => GrainFactory.Grain<ICampaignBudgetGrain>(Keys.Scoped(ProgramId, campaignId));
}
