using System.Collections.Immutable;

namespace Loyalty.Contracts;

[GenerateSerializer, Immutable, Alias("loyalty.ProgramSettings")]
public sealed record ProgramSettings(
    [property: Id(0)] string ProgramId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Currency,
    [property: Id(3)] long EarnPoints,
    [property: Id(4)] long EarnPerAmount,
    [property: Id(5)] int ExpiryMonths);

[GenerateSerializer, Immutable, Alias("loyalty.BasketLine")]
public sealed record BasketLine(
    [property: Id(0)] string Sku,
    [property: Id(1)] string Category,
    [property: Id(2)] int Quantity,
    [property: Id(3)] long UnitPrice,
    [property: Id(4)] bool OnSale);

public enum CouponKind
{
    AmountOff = 1,
    PercentOff = 2,
}

[GenerateSerializer, Immutable, Alias("loyalty.CouponDefinition")]
public sealed record CouponDefinition(
    [property: Id(0)] CouponKind Kind,
    [property: Id(1)] long Value,
    [property: Id(2)] long MinBasket,
    [property: Id(3)] long MaxDiscount,
    [property: Id(4)] DateTimeOffset? ValidFrom,
    [property: Id(5)] DateTimeOffset? ValidUntil);

[GenerateSerializer, Immutable, Alias("loyalty.CouponStatus")]
public sealed record CouponStatus(
    [property: Id(0)] string Code,
    [property: Id(1)] CouponDefinition Definition,
    [property: Id(2)] string? RedeemedByTransaction,
    [property: Id(3)] string? RedeemedByMember,
    [property: Id(4)] DateTimeOffset? RedeemedAt);

[GenerateSerializer, Immutable, Alias("loyalty.EnrollCommand")]
public sealed record EnrollCommand(
    [property: Id(0)] string? Name,
    [property: Id(1)] string? CardNumber);

[GenerateSerializer, Immutable, Alias("loyalty.CommitCommand")]
public sealed record CommitCommand(
    [property: Id(0)] string TransactionId,
    [property: Id(1)] string StoreId,
    [property: Id(2)] string TerminalId,
    [property: Id(3)] ImmutableArray<BasketLine> Lines,
    [property: Id(4)] string? CouponCode);

[GenerateSerializer, Immutable, Alias("loyalty.CommitResult")]
public sealed record CommitResult(
    [property: Id(0)] string TransactionId,
    [property: Id(1)] long Subtotal,
    [property: Id(2)] long Discount,
    [property: Id(3)] long Total,
    [property: Id(4)] long PointsEarned,
    [property: Id(5)] int EarnMonth,
    [property: Id(6)] string? CouponCode,
    [property: Id(7)] long AvailableAfter,
    [property: Id(8)] DateTimeOffset CommittedAt);

[GenerateSerializer, Immutable, Alias("loyalty.VoidResult")]
public sealed record VoidResult(
    [property: Id(0)] string TransactionId,
    [property: Id(1)] long PointsRemoved,
    [property: Id(2)] bool CouponRestored,
    [property: Id(3)] bool AlreadyVoided,
    [property: Id(4)] long AvailableAfter,
    [property: Id(5)] DateTimeOffset VoidedAt);

[GenerateSerializer, Immutable, Alias("loyalty.BucketView")]
public sealed record BucketView(
    [property: Id(0)] int Month,
    [property: Id(1)] long Points,
    [property: Id(2)] DateTimeOffset? ExpiresAt);

[GenerateSerializer, Immutable, Alias("loyalty.BalanceView")]
public sealed record BalanceView(
    [property: Id(0)] long Available,
    [property: Id(1)] long ExpiringThisMonth,
    [property: Id(2)] ImmutableArray<BucketView> Buckets);

[GenerateSerializer, Immutable, Alias("loyalty.MemberView")]
public sealed record MemberView(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string? Name,
    [property: Id(2)] ImmutableArray<string> Cards,
    [property: Id(3)] BalanceView Balance,
    [property: Id(4)] DateTimeOffset EnrolledAt);
