using System.Collections.Immutable;

namespace Loyalty.Contracts;

/// <summary>
/// A named group of members, defined by rules over what the member did and is. Every rule set must
/// hold (an unset rule always holds). Manual tags ("the owner's taste") are member attributes.
/// Campaign conditions name segments; a member in any of them qualifies.
/// </summary>
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
    [property: Id(8)] ImmutableArray<string> Attributes = default);
