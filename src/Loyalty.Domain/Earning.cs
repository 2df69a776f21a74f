using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// Base earning: <c>EarnPoints</c> points for every <c>EarnPerAmount</c> minor units paid.
/// Rounding: computed once on the whole paid amount of the receipt (not per line) and rounded
/// down, so a receipt never earns a fraction of a point and splitting lines never adds points.
/// </summary>
public static class Earning
{
    public static long PointsFor(long paidAmount, ProgramSettings program)
    {
        if (paidAmount <= 0 || program.EarnPoints <= 0)
        {
            return 0;
        }

        var points = (Int128)paidAmount * program.EarnPoints / program.EarnPerAmount;
        return points > long.MaxValue ? long.MaxValue : (long)points;
    }
}
