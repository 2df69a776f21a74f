namespace Loyalty.MemoryBench;

/// <summary>The control: a grain with no state and no dependencies, so its cost is Orleans' own per activation.</summary>
[Alias("loyalty.bench.IControlGrain")]
public interface IControlGrain : IGrainWithStringKey
{
    [Alias("Touch")]
    Task TouchAsync();
}

public sealed class ControlGrain : Grain, IControlGrain
{
    public Task TouchAsync() => Task.CompletedTask;
}

/// <summary>
/// The second control: a grain with one persistent state (an empty class) on the same storage, so the
/// cost of Orleans' persistent-state wrapper is told apart from the member's own state and fields.
/// </summary>
[Alias("loyalty.bench.IControlStateGrain")]
public interface IControlStateGrain : IGrainWithStringKey
{
    [Alias("Touch")]
    Task TouchAsync();
}

[GenerateSerializer, Alias("loyalty.bench.ControlState")]
public sealed class ControlState;

public sealed class ControlStateGrain(
    [PersistentState("control", Loyalty.Contracts.ProviderNames.GrainStorage)] IPersistentState<ControlState> state)
    : Grain, IControlStateGrain
{
    public Task TouchAsync() => state.WriteStateAsync();
}
