namespace Loyalty.Grains;

internal static class DurableWrites
{
    /// <summary>
    /// Writes the state; if the write fails (database down, or a version conflict because another
    /// activation wrote first) the activation is dropped, so its in-memory state — which now holds
    /// a change that is not durable — is never served again. The next call reactivates from storage.
    /// A write refused because a sale it creates already has a row (<see cref="DuplicateTransactionException"/>)
    /// is the caller's to handle: it reloads.
    /// </summary>
    public static async Task WriteOrDeactivateAsync<T>(this IPersistentState<T> state, Grain grain)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception failure) when (!failure.IsDuplicateTransaction())
        {
            grain.DeactivateOnIdle();
            throw;
        }
    }
}
