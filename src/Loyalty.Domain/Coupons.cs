using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>Coupon rules: definition checks, applicability and the discount a coupon gives.</summary>
public static class Coupons
{
    public static void ValidateDefinition(CouponDefinition definition)
    {
        switch (definition.Kind)
        {
            case CouponKind.AmountOff when definition.Value is <= 0 or > Pricing.MaxUnitPrice:
                throw LoyaltyException.Invalid("amount_off", "amount off must be positive");
            case CouponKind.PercentOff when definition.Value is <= 0 or > 100:
                throw LoyaltyException.Invalid("percent_off", "percent off must be between 1 and 100");
            case CouponKind.AmountOff or CouponKind.PercentOff:
                break;
            default:
                throw LoyaltyException.Invalid("kind", "a coupon needs amount_off or percent_off");
        }

        if (definition.MinBasket < 0)
        {
            throw LoyaltyException.Invalid("min_basket", "minimum basket must not be negative");
        }

        if (definition.MaxDiscount < 0)
        {
            throw LoyaltyException.Invalid("max_discount", "maximum discount must not be negative");
        }

        if (definition.ValidFrom is { } from && definition.ValidUntil is { } until && until <= from)
        {
            throw LoyaltyException.Invalid("valid_until", "valid_until must be after valid_from");
        }
    }

    /// <summary>Throws the precise reason this coupon cannot be used on this basket now.</summary>
    public static void EnsureApplicable(CouponDefinition definition, long subtotal, DateTimeOffset now)
    {
        if (definition.ValidFrom is { } from && now < from)
        {
            throw new LoyaltyException(ErrorReason.CouponNotYetValid, $"the coupon is valid from {from:u}");
        }

        if (definition.ValidUntil is { } until && now >= until)
        {
            throw new LoyaltyException(ErrorReason.CouponExpired, $"the coupon expired at {until:u}");
        }

        if (subtotal < definition.MinBasket)
        {
            throw new LoyaltyException(
                ErrorReason.CouponNotApplicable,
                $"the coupon needs a basket of at least {definition.MinBasket}; spend {definition.MinBasket - subtotal} more");
        }
    }

    public static long Discount(CouponDefinition definition, long subtotal)
    {
        var discount = definition.Kind switch
        {
            CouponKind.AmountOff => definition.Value,
            CouponKind.PercentOff => (long)((Int128)subtotal * definition.Value / 100),
            _ => 0,
        };

        if (definition.MaxDiscount > 0)
        {
            discount = Math.Min(discount, definition.MaxDiscount);
        }

        return Math.Clamp(discount, 0, subtotal);
    }
}
