namespace Loyalty.Grains;

/// <summary>
/// The business clock of the rules (earn month, expiry, coupon windows). Separate from the
/// runtime's TimeProvider so tests can move business time — across a month boundary, even
/// backwards — without moving Orleans' own timers.
/// </summary>
public sealed class LoyaltyClock(TimeProvider time)
{
    public DateTimeOffset UtcNow => time.GetUtcNow();
}
