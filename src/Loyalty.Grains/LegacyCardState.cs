namespace Loyalty.Grains;

/// <summary>
/// The state of a card grain of earlier versions (one grain per card and per phone, "card" rows of
/// grain_state). Cards and phones are rows of <c>member_keys</c> now; this type stays only so that
/// LegacyCardMigration can read those rows (same alias and ids as they were written with).
/// </summary>
[GenerateSerializer, Alias("loyalty.CardState")]
public sealed class LegacyCardState
{
    [Id(0)]
    public string? MemberId { get; set; }

    /// <summary>A lost card: it stays bound to its member (never reused) but identifies nobody.</summary>
    [Id(1)]
    public bool Blocked { get; set; }
}
