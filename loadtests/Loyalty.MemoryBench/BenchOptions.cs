using System.Globalization;

namespace Loyalty.MemoryBench;

public sealed record BenchOptions(int Members, int Concurrency, bool WithSale, bool Control, string? Out, bool ControlState = false)
{
    public const string Usage = """
        Loyalty.MemoryBench: what a resident member grain costs (issue 6 target: <= 2 KB per member).

          --members N       members (or control grains) to activate; default 1000000
          --with-sale       then one commit per member (one-line basket): a sale record, idempotency, outbox entry
          --control         activate N instances of a trivial stateless grain instead (Orleans' own cost)
          --control-state   activate N grains with one empty persistent state (Orleans' own cost + its state wrapper)
          --concurrency C   calls in flight; default 512
          --out FILE        also write the figures as JSON
        """;

    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions(1_000_000, 512, false, false, null);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--members" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0:
                    options = options with { Members = n };
                    i++;
                    break;
                case "--concurrency" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c > 0:
                    options = options with { Concurrency = c };
                    i++;
                    break;
                case "--out" when i + 1 < args.Length:
                    options = options with { Out = args[++i] };
                    break;
                case "--with-sale":
                    options = options with { WithSale = true };
                    break;
                case "--control":
                    options = options with { Control = true };
                    break;
                case "--control-state":
                    options = options with { Control = true, ControlState = true };
                    break;
                default:
                    return null;
            }
        }

        return options.WithSale && options.Control ? null : options;
    }
}
