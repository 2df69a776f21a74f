using Loyalty.Contracts;
using Loyalty.Grains;

namespace Loyalty.MemoryBench;

/// <summary>
/// Managed bytes of one member's state object graph, measured outside Orleans by allocating many
/// copies and dividing the heap growth: as <see cref="MemberState"/> is built today (every collection
/// allocated up front, empty), and with the collections left null until first used (simulated here by
/// setting them to null; the engine's state is not changed by the bench).
/// </summary>
public static class StateFootprint
{
    public sealed record Result(
        double EnrolledStateBytes,
        double LazyCollectionsStateBytes,
        double NameStringBytes,
        double EmptyListBytes,
        double EmptyDictionaryBytes,
        double EmptyHashSetBytes,
        int EmptyCollectionsPerState);

    public static Result Measure(int copies = 100_000)
    {
        var now = DateTimeOffset.UtcNow;
        return new Result(
            PerCopy(copies, i => Enrolled(i, now)),
            PerCopy(copies, i => Lazy(Enrolled(i, now))),
            PerCopy(copies, i => "Member " + i),
            PerCopy(copies, _ => new List<string>()),
            PerCopy(copies, _ => new Dictionary<string, int>()),
            PerCopy(copies, _ => new HashSet<string>()),
            EmptyCollectionsPerState: 11);
    }

    private static MemberState Enrolled(int i, DateTimeOffset now) => new() { Enrolled = true, Name = "Member " + i, EnrolledAt = now };

    /// <summary>The 11 collections of an enrolled member that stay empty until a sale, a card, a referral or an automation.</summary>
    private static MemberState Lazy(MemberState s)
    {
        s.Cards = null!;
        s.Sales = null!;
        s.Attributes = null!;
        s.Automations = null!;
        s.ReferralsRewarded = null!;
        s.CouponUses = null!;
        s.Account.Lots = null!;
        s.Account.Outbox = null!;
        s.Account.Credit = null!;
        s.Spend.ByMonth = null!;
        s.Spend.BirthdayBonusYears = null!;
        return s;
    }

    private static double PerCopy<T>(int copies, Func<int, T> create)
    {
        var keep = new T[copies];
        var before = MemoryBench.Settle().ManagedHeap;
        for (var i = 0; i < copies; i++)
        {
            keep[i] = create(i);
        }

        var after = MemoryBench.Settle().ManagedHeap;
        GC.KeepAlive(keep);
        return (after - before) / (double)copies;
    }
}
