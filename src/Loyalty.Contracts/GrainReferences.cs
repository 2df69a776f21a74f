namespace Loyalty.Contracts;

/// <summary>
/// Grain references by string key without Orleans' per-call type lookup. <c>IGrainFactory.GetGrain&lt;T&gt;(string)</c>
/// resolves the interface's grain type on every call (reading its attributes and formatting its name: ~4% of the
/// engine's CPU under checkout load, docs/performance.md); the interface and grain types of <typeparamref name="T"/>
/// never change, so they are resolved once and the reference is built from the grain id.
/// </summary>
public static class GrainReferences
{
    /// <summary>The reference <c>GetGrain&lt;T&gt;(key)</c> would return.</summary>
    public static T Grain<T>(this IGrainFactory grains, string key)
        where T : IGrainWithStringKey
    {
        var types = TypesOf<T>.Resolved ??= Resolve<T>(grains);
        return (T)grains.GetGrain(GrainId.Create(types.Grain, key), types.Interface);
    }

    private static (GrainType Grain, GrainInterfaceType Interface) Resolve<T>(IGrainFactory grains)
        where T : IGrainWithStringKey
    {
        var probe = grains.GetGrain<T>("-");
        return (probe.GetGrainId().Type, ((GrainReference)(object)probe).InterfaceType);
    }

    private static class TypesOf<T>
    {
        public static (GrainType Grain, GrainInterfaceType Interface)? Resolved;
    }
}
