using Loyalty.Contracts;
using Loyalty.Grains;

namespace Loyalty.MemoryBench;

/// <summary>
/// Managed bytes of one member's state object graph, measured outside Orleans by allocating many
/// copies and dividing the heap growth: as <see cref="MemberState"/> is left by enrollment (its
/// collections are created on the first write, so none exist yet), and with every collection
/// created empty, as states held them before they were created on demand (and as states written
/// then still load).
/// </summary>
public static class StateFootprint
{
    public sealed record Result(
        double EnrolledStateBytes,
        double EagerCollectionsStateBytes,
        double NameStringBytes,
        double EmptyListBytes,
        double EmptyDictionaryBytes,
        double EmptyHashSetBytes,
        int CollectionsPerState);

    public static Result Measure(int copies = 100_000)
    {
        var now = DateTimeOffset.UtcNow;
        return new Result(
            PerCopy(copies, i => Enrolled(i, now)),
            PerCopy(copies, i => Eager(Enrolled(i, now))),
            PerCopy(copies, i => "Member " + i),
            PerCopy(copies, _ => new List<string>()),
            PerCopy(copies, _ => new Dictionary<string, int>()),
            PerCopy(copies, _ => new HashSet<string>()),
            CollectionsPerState: 13);
    }

    private static MemberState Enrolled(int i, DateTimeOffset now) => new() { Enrolled = true, Name = "Member " + i, EnrolledAt = now };

    /// <summary>The 13 collections a member state has (sales are rows now), each created (empty) by its first-write accessor.</summary>
    private static MemberState Eager(MemberState s)
    {
        s.CardsForWrite();
        s.BlockedCardsForWrite();
        s.AttributesForWrite();
        s.AutomationsForWrite();
        s.ReferralsRewardedForWrite();
        s.StampsForWrite();
        s.CampaignUsesForWrite();
        s.CouponUsesForWrite();
        s.Account.LotsForWrite();
        s.Account.OutboxForWrite();
        s.Account.CreditForWrite();
        s.Spend.ByMonthForWrite();
        s.Spend.BirthdayBonusYearsForWrite();
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
