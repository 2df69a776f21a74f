using System.Collections.Immutable;

namespace Loyalty.Contracts;

/// <summary>
/// A named group of members, defined by rules over what the member did and is. Every rule set must
/// hold (an unset rule always holds). Manual tags ("the owner's taste") are member attributes.
/// Campaign conditions name segments; a member in any of them qualifies.
/// </summary>
/// <param name="CategoriesBought">The member bought from every one of these categories (ordinal ids, as on basket lines)…</param>
/// <param name="CategoryMonths">…within the last N calendar months, this month included; 0 = ever.</param>
[GenerateSerializer, Immutable, Alias("loyalty.SegmentDefinition")]
public sealed record SegmentDefinition(
    [property: Id(0)] string SegmentId,
    [property: Id(1)] int MinPurchases = 0,
    [property: Id(2)] long MinLifetimeSpend = 0,
    [property: Id(3)] long MinSpendInMonths = 0,
    [property: Id(4)] int SpendMonths = 0,
    [property: Id(5)] int? MaxDaysSinceLastPurchase = null,
    [property: Id(6)] int? MinDaysSinceLastPurchase = null,
    [property: Id(7)] ImmutableArray<string> Tiers = default,
    [property: Id(8)] ImmutableArray<string> Attributes = default,
    [property: Id(9)] ImmutableArray<string> CategoriesBought = default,
    [property: Id(10)] int CategoryMonths = 0);
