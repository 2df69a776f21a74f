using System.Globalization;
using System.Security.Cryptography;

namespace Loyalty.LoadTests.Scenarios;

/// <summary>
/// Run ids (issue #33). Every transaction id a run sends is <c>{store}-{terminal}-{run id}-{arrival}</c>, and the
/// flash sale's campaign is <c>flash-{run id}</c>, so two runs never send the same id: not one process after another
/// against the same program, and not several processes or machines at once. A run id is drawn when the run starts:
/// six base-36 digits of the seconds since 2020 (fixed width, so run ids sort by start time; enough until 2089) and
/// eight random base-36 digits from the operating system's generator (2.8 × 10¹² values, never derived from <c>--seed</c>:
/// the seed shapes the workload, not its ids), so even runs started in the same second by different processes or
/// machines part (a thousand at once collide with a chance of 2 in 10 million). Fourteen characters:
/// <c>s003-t05-1a2b3c4d5e6f7g-123456</c> is 29 of the 64 an id may have.
/// <para>
/// A run id given with <c>--run-id</c> replays that run on purpose (idempotency testing): the same seed, program and
/// shard send the same ids again, and the target must answer each one it has with the sale it acknowledged then.
/// </para>
/// </summary>
internal static class RunIds
{
    /// <summary>The longest run id <c>--run-id</c> takes: with a store, a terminal and an arrival it stays under the engine's 64 characters.</summary>
    public const int MaxLength = 24;

    /// <summary>The target's limit on a transaction or campaign id (the engine's <c>Keys.MaxIdLength</c>).</summary>
    public const int MaxIdLength = 64;

    private const string Digits = "0123456789abcdefghijklmnopqrstuvwxyz";
    private const int TimeDigits = 6;
    private const int RandomDigits = 8;
    private static readonly DateTimeOffset Epoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A fresh run id for a run starting now.</summary>
    public static string New() => New(DateTimeOffset.UtcNow);

    /// <summary>A fresh run id for a run starting at <paramref name="now"/>: its time, then randomness no other process shares.</summary>
    public static string New(DateTimeOffset now)
    {
        var seconds = (long)Math.Max(0, (now - Epoch).TotalSeconds);
        Span<char> id = stackalloc char[TimeDigits + RandomDigits];
        for (var i = TimeDigits - 1; i >= 0; i--)
        {
            id[i] = Digits[(int)(seconds % Digits.Length)];
            seconds /= Digits.Length;
        }

        RandomNumberGenerator.GetItems(Digits.AsSpan(), id[TimeDigits..]);
        return new string(id);
    }

    /// <summary>Null when <paramref name="runId"/> can be a run id (1–24 letters and digits: no '-', which separates the parts of an id), else why not.</summary>
    public static string? Problem(string runId)
    {
        if (runId.Length is 0 or > MaxLength)
        {
            return $"a run id is 1 to {MaxLength} characters";
        }

        return runId.All(char.IsAsciiLetterOrDigit) ? null : "a run id has only letters and digits";
    }

    /// <summary>
    /// The transaction id of one arrival. The run id is always the second part from the right (neither it nor the
    /// arrival has a '-'), so two different runs can never make the same id, whatever their stores and terminals.
    /// </summary>
    public static string TransactionId(string store, string terminal, string runId, long arrival) => $"{store}-{terminal}-{runId}-{arrival}";

    /// <summary>The run id inside a transaction id this generator made, or null.</summary>
    public static string? RunOf(string transactionId)
    {
        var parts = transactionId.Split('-');
        return parts.Length >= 4 && long.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out _) ? parts[^2] : null;
    }
}
