using System.Globalization;
using Loyalty.LoadTests.Metrics;

namespace Loyalty.LoadTests;

internal enum LoadModel
{
    /// <summary>Fixed arrival rate (with ramp-up); latency from the intended start.</summary>
    Open,

    /// <summary>N virtual terminals, each starting its next sale when the last one finished.</summary>
    Closed,
}

/// <summary>Everything a run is told on the command line. Defaults are sized for a 2-core machine.</summary>
internal sealed class RunOptions
{
    public const string EngineAddress = "http://127.0.0.1:5080";
    public const string BaselineAddress = "http://127.0.0.1:6090";

    public string Scenario { get; set; } = "checkout";

    public string Target { get; set; } = "engine";

    public string? Address { get; set; }

    public string ResolvedAddress => Address ?? (Target == "baseline" ? BaselineAddress : EngineAddress);

    /// <summary>The engine's admin gRPC address; by default the first terminal address's port + 2 (the baseline serves both on one).</summary>
    public string? AdminAddress { get; set; }

    public string ResolvedAdminAddress => Target == "baseline"
        ? Loyalty.Client.PosClient.ParseAddresses(ResolvedAddress)[0]
        : AdminAddress ?? EngineAccess.AdminAddressFor(Loyalty.Client.PosClient.ParseAddresses(ResolvedAddress)[0]);

    /// <summary>The engine's operator token (else env LOYALTY_OPERATOR_TOKEN or .data/operator-token: <see cref="EngineAccess"/>).</summary>
    public string? OperatorToken { get; set; }

    public LoadModel Model { get; set; } = LoadModel.Closed;

    /// <summary>Arrivals per second (open model).</summary>
    public double Rate { get; set; } = 500;

    /// <summary>Virtual terminals (closed model, and the flash sale's racing terminals).</summary>
    public int Terminals { get; set; } = 32;

    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Open: linear ramp from 0 to the rate. Closed: warm-up left out of the summary.</summary>
    public TimeSpan RampUp { get; set; } = TimeSpan.FromSeconds(5);

    public int Stores { get; set; } = 50;

    public int TerminalsPerStore { get; set; } = 8;

    public int Members { get; set; } = 10_000;

    /// <summary>Zipf exponent of member popularity (0 = uniform).</summary>
    public double Zipf { get; set; } = 0.7;

    public long Seed { get; set; } = 42;

    /// <summary>Program id; by default a fresh one per run ("lt" + seed + its time and a random tag), so runs never share keys.</summary>
    public string? Program { get; set; }

    /// <summary>
    /// The run id in every transaction id (<see cref="Scenarios.RunIds"/>); by default a fresh one per run. Given, the run
    /// replays the run of that id on purpose: its ids again, and sales the target already has are judged as earlier ones.
    /// </summary>
    public string? RunId { get; set; }

    /// <summary>
    /// Which members, stores and desk this generator uses: shard 0 (the default) m0000000…, s000… and store-1/pos-1, shard k
    /// m{k}.0000000…, s{k}.000… and store-1/pos-1.k. Generators at once against one program each take their own shard, or they
    /// share members (each one's balance check then counts the other's sales) and terminals (registering one revokes the other's).
    /// </summary>
    public int Shard { get; set; }

    public double CouponShare { get; set; } = 0.10;

    /// <summary>
    /// Checkout: share of baskets from walk-in customers (no member: quote and commit with an empty member id, no
    /// identify). 0 gives the member-only mix of the runs before issue #15.
    /// </summary>
    public double GuestShare { get; set; } = 0.40;

    public double VoidShare { get; set; } = 0.02;

    /// <summary>Share of commits first sent with a tiny deadline (a simulated timeout), then retried with the same transaction id.</summary>
    public double RetryShare { get; set; } = 0.05;

    /// <summary>Share of checkouts that try a coupon already redeemed by an earlier sale (must be refused).</summary>
    public double ReuseShare { get; set; } = 0.01;

    /// <summary>Flash sale: single-use coupons standing in for the campaign's budget.</summary>
    public int Budget { get; set; } = 2_000;

    /// <summary>Flash sale: demand (attempts) as a multiple of the budget; attempts for one code are sent together.</summary>
    public double Contention { get; set; } = 3;

    /// <summary>Flash sale: "campaign" (one campaign with a budget of B redemptions) or "coupons" (B single-use coupons).</summary>
    public string FlashMode { get; set; } = "campaign";

    public double? MaxP99Ms { get; set; }

    public double? MinRps { get; set; }

    public string Out { get; set; } = "reports";

    public List<WatchedProcess> Watch { get; } = [];

    /// <summary>Live progress in the terminal (Spectre.Console) when it is interactive.</summary>
    public bool Live { get; set; } = true;

    public int MaxInFlight { get; set; } = 20_000;

    public bool Verify { get; set; } = true;

    public RunOptions Clone(Action<RunOptions>? change = null)
    {
        var copy = (RunOptions)MemberwiseClone(); // shares the watch list, which is what a series of runs wants
        change?.Invoke(copy);
        return copy;
    }

    public string Describe() => Model == LoadModel.Open
        ? $"open model, {Rate:0.#}/s after a {RampUp.TotalSeconds:0.#} s ramp, {Duration.TotalSeconds:0.#} s"
        : $"closed model, {Terminals} terminals, {Duration.TotalSeconds:0.#} s ({RampUp.TotalSeconds:0.#} s warm-up)";

    /// <summary>Parses <c>--name value</c> pairs; unknown options are an error (exit code 2).</summary>
    public static RunOptions Parse(IReadOnlyList<string> args, RunOptions? defaults = null)
    {
        var o = defaults ?? new RunOptions();
        var modelGiven = false;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new UsageException($"{name} needs a value");
            switch (name)
            {
                case "--target": o.Target = Value() is "engine" or "baseline" ? args[i] : throw new UsageException("--target is engine or baseline"); break;
                case "--address": o.Address = Addresses(Value()); break;
                case "--admin-address": o.AdminAddress = Addresses(Value()); break;
                case "--operator-token": o.OperatorToken = Value(); break;
                case "--model":
                    o.Model = Value() switch
                    {
                        "open" => LoadModel.Open,
                        "closed" => LoadModel.Closed,
                        _ => throw new UsageException("--model is open or closed"),
                    };
                    modelGiven = true;
                    break;
                case "--rate":
                    o.Rate = Double(Value());
                    if (!modelGiven)
                    {
                        o.Model = LoadModel.Open;
                    }

                    break;
                case "--terminals": o.Terminals = Int(Value()); break;
                case "--duration": o.Duration = Seconds(Value()); break;
                case "--ramp-up" or "--warm-up": o.RampUp = Seconds(Value()); break;
                case "--stores": o.Stores = Int(Value()); break;
                case "--terminals-per-store": o.TerminalsPerStore = Int(Value()); break;
                case "--members": o.Members = Int(Value()); break;
                case "--zipf": o.Zipf = Double(Value()); break;
                case "--seed": o.Seed = long.TryParse(Value(), CultureInfo.InvariantCulture, out var seed) ? seed : throw new UsageException("--seed is a whole number"); break;
                case "--program": o.Program = Value(); break;
                case "--run-id": o.RunId = Scenarios.RunIds.Problem(Value()) is { } problem ? throw new UsageException($"--run-id: {problem}") : args[i]; break;
                case "--shard": o.Shard = Int(Value()) is >= 0 and <= 999 and var shard ? shard : throw new UsageException("--shard is a whole number from 0 to 999"); break;
                case "--coupon-share": o.CouponShare = Double(Value()); break;
                case "--guest-share": o.GuestShare = Double(Value()); break;
                case "--void-share": o.VoidShare = Double(Value()); break;
                case "--retry-share": o.RetryShare = Double(Value()); break;
                case "--reuse-share": o.ReuseShare = Double(Value()); break;
                case "--budget": o.Budget = Int(Value()); break;
                case "--contention": o.Contention = Double(Value()); break;
                case "--flash-mode": o.FlashMode = Value() is "campaign" or "coupons" ? args[i] : throw new UsageException("--flash-mode is campaign or coupons"); break;
                case "--max-p99-ms": o.MaxP99Ms = Double(Value()); break;
                case "--min-rps": o.MinRps = Double(Value()); break;
                case "--out": o.Out = Value(); break;
                case "--watch": o.Watch.Add(WatchedProcess.Parse(Value())); break;
                case "--max-in-flight": o.MaxInFlight = Int(Value()); break;
                case "--no-live": o.Live = false; break;
                case "--no-verify": o.Verify = false; break;
                default: throw new UsageException($"unknown option {name}");
            }
        }

        if (o.Members < 1 || o.Terminals < 1 || o.Stores < 1 || o.TerminalsPerStore < 1 || o.Budget < 1 || o.Contention <= 0 || o.Rate <= 0)
        {
            throw new UsageException("members, terminals, stores, budget, contention and rate must be positive");
        }

        if (o.GuestShare is not (>= 0 and <= 1))
        {
            throw new UsageException("--guest-share is a share between 0 and 1");
        }

        return o;
    }

    /// <summary>One engine address, or several comma-separated (the silos of a cluster, as <c>deploy/cluster.sh addresses</c> prints them).</summary>
    private static string Addresses(string text)
    {
        var addresses = Loyalty.Client.PosClient.ParseAddresses(text);
        if (addresses.Count == 0)
        {
            throw new UsageException("--address needs at least one address");
        }

        foreach (var address in addresses)
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new UsageException($"--address: '{address}' is not an http:// or https:// address");
            }
        }

        return text;
    }

    private static int Int(string text) => int.TryParse(text.Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture, out var value)
        ? value
        : throw new UsageException($"'{text}' is not a whole number");

    private static double Double(string text) => double.TryParse(text.Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture, out var value)
        ? value
        : throw new UsageException($"'{text}' is not a number");

    /// <summary>"30", "30s", "2m", "500ms".</summary>
    public static TimeSpan Seconds(string text) => text switch
    {
        _ when text.EndsWith("ms", StringComparison.Ordinal) => TimeSpan.FromMilliseconds(Double(text[..^2])),
        _ when text.EndsWith('s') => TimeSpan.FromSeconds(Double(text[..^1])),
        _ when text.EndsWith('m') => TimeSpan.FromMinutes(Double(text[..^1])),
        _ => TimeSpan.FromSeconds(Double(text)),
    };
}

/// <summary>A command line the generator cannot act on: reported in one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
