using System.Reflection;
using Loyalty.Domain;
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

    private static MemberState Enrolled(int i, DateTimeOffset now)
    {
        var state = new MemberState();
        state.Enroll(Program, "Member " + i, null, null, null, now);
        return state;
    }

    private static readonly ProgramSettings Program = new("p", "Club", "EUR", 1, 100, 12);

    /// <summary>
    /// The 13 collections a member state has (sales are rows now), each created empty, as every state held them
    /// before collections were created on first write. Set through reflection: the aggregate only creates a
    /// collection when an intent method writes to it.
    /// </summary>
    private static MemberState Eager(MemberState s)
    {
        foreach (var owner in new object[] { s, s.Account, s.Spend })
        {
            foreach (var field in owner.GetType().GetFields(BindingFlags.Instance | BindingFlags.NonPublic))
            {
                if (field.FieldType.IsGenericType && field.GetValue(owner) is null && field.Name is not ("_sales" or "_categoryLastMonth")
                    && field.FieldType.GetGenericTypeDefinition() is var open
                    && (open == typeof(List<>) || open == typeof(Dictionary<,>) || open == typeof(HashSet<>)))
                {
                    field.SetValue(owner, Activator.CreateInstance(field.FieldType));
                }
            }
        }

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
