using System.Collections.ObjectModel;

namespace Loyalty.Contracts;

/// <summary>
/// Read-only views of state collections that are created on their first write (null until then).
/// A collection never written reads as a shared empty instance that cannot be changed, so sharing
/// it between states is safe; writers go through the owner's <c>…ForWrite()</c> method instead.
/// </summary>
public static class ReadOnlyViews
{
    public static IReadOnlyList<T> Of<T>(List<T>? list) => list is null ? ReadOnlyCollection<T>.Empty : list;

    public static IReadOnlyDictionary<TKey, TValue> Of<TKey, TValue>(Dictionary<TKey, TValue>? dictionary)
        where TKey : notnull => dictionary is null ? ReadOnlyDictionary<TKey, TValue>.Empty : dictionary;

    public static IReadOnlySet<T> Of<T>(HashSet<T>? set) => set is null ? ReadOnlySet<T>.Empty : set;
}
