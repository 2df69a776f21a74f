using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>The kinds of lookup keys (the <c>kind</c> column of <c>member_keys</c>).</summary>
public static class MemberKeys
{
    public const string Card = "card";

    public const string Phone = "phone";
}

/// <summary>The refusals of a card or phone: claimed by another member, blocked, held by nobody.</summary>
public static class MemberKeyErrors
{
    public static LoyaltyException Blocked() =>
        new(ErrorReason.CardBlocked, "the card was reported lost and is blocked; use the member's new card");

    /// <summary>A write that claims a card or phone another member holds.</summary>
    public static LoyaltyException InUse(string kind) => kind == MemberKeys.Phone
        ? new LoyaltyException(ErrorReason.PhoneInUse, "the phone number belongs to another member")
        : new LoyaltyException(ErrorReason.CardInUse, "the card belongs to another member");

    public static LoyaltyException NotFound(string kind) => kind == MemberKeys.Phone
        ? new LoyaltyException(ErrorReason.PhoneNotFound, "no member has this phone number")
        : new LoyaltyException(ErrorReason.CardNotFound, "no member holds this card");
}
