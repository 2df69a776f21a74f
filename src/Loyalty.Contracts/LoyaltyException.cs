namespace Loyalty.Contracts;

/// <summary>
/// A refusal by the rules: the request was understood and nothing was changed.
/// Serializable so it crosses grain calls intact; mapped to a gRPC status at the edge.
/// </summary>
[GenerateSerializer, Alias("loyalty.LoyaltyException")]
public sealed class LoyaltyException : Exception
{
    public LoyaltyException(ErrorReason reason, string message, string? field = null)
        : base(message)
    {
        Reason = reason;
        Field = field;
    }

    [Id(0)]
    public ErrorReason Reason { get; }

    /// <summary>The request field at fault, for INVALID_ARGUMENT (e.g. <c>lines[2].quantity</c>).</summary>
    [Id(1)]
    public string? Field { get; }

    public static LoyaltyException Invalid(string field, string message) => new(ErrorReason.InvalidArgument, message, field);
}
