using System.Collections.Immutable;

namespace Loyalty.Contracts;

/// <summary>A reward from the catalog: one unit of <see cref="Sku"/> free, for <see cref="Points"/> points.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.Reward")]
public sealed record Reward(
    [property: Id(0)] string RewardId,
    [property: Id(1)] string Sku,
    [property: Id(2)] long Points);

/// <summary>An earn multiplier for a category or a product, in percent (150 = ×1.5).</summary>
[GenerateSerializer, Immutable, Alias("loyalty.Multiplier")]
public sealed record Multiplier(
    [property: Id(0)] string Key,
    [property: Id(1)] int Percent);

/// <summary>Fixed points for every unit of a product bought (1,000 points for a laptop).</summary>
[GenerateSerializer, Immutable, Alias("loyalty.ProductBonus")]
public sealed record ProductBonus(
    [property: Id(0)] string Sku,
    [property: Id(1)] long Points);

[GenerateSerializer, Immutable, Alias("loyalty.EarnRules")]
public sealed record EarnRules(
    [property: Id(0)] ImmutableArray<Multiplier> CategoryMultipliers,
    [property: Id(1)] ImmutableArray<Multiplier> ProductMultipliers,
    [property: Id(2)] ImmutableArray<ProductBonus> ProductBonuses,
    [property: Id(3)] long EnrollmentBonus,
    [property: Id(4)] long FirstPurchaseBonus,
    [property: Id(5)] long BirthdayMonthBonus,
    [property: Id(6)] long ProfileCompletedBonus = 0)
{
    public static EarnRules None { get; } = new([], [], [], 0, 0, 0);
}

public enum TierModel
{
    /// <summary>The previous calendar month's spend decides this month's tier (re-evaluated monthly, falls back to the floor).</summary>
    PreviousMonth = 1,

    /// <summary>Spend over the last 12 calendar months, this month included.</summary>
    Rolling12Months = 2,

    /// <summary>Cumulative spend since enrollment.</summary>
    Lifetime = 3,
}

[GenerateSerializer, Immutable, Alias("loyalty.TierLevel")]
public sealed record TierLevel(
    [property: Id(0)] string Name,
    [property: Id(1)] long MinSpend,
    [property: Id(2)] int DiscountPercent,
    [property: Id(3)] int EarnMultiplierPercent,
    [property: Id(4)] ImmutableArray<string> Perks);

[GenerateSerializer, Immutable, Alias("loyalty.TierRules")]
public sealed record TierRules(
    [property: Id(0)] TierModel Model,
    [property: Id(1)] ImmutableArray<TierLevel> Levels,
    [property: Id(2)] bool DiscountExcludesSaleItems);

/// <summary>Where a member stands: the tier in force, the spend that counts toward the next evaluation, and what unlocks the next level.</summary>
[GenerateSerializer, Immutable, Alias("loyalty.TierStatus")]
public sealed record TierStatus(
    [property: Id(0)] TierLevel Level,
    [property: Id(1)] long SpendInWindow,
    [property: Id(2)] TierLevel? Next,
    [property: Id(3)] long AmountToNext);

