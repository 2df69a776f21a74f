using Loyalty.LoadTests;

try
{
    return args.FirstOrDefault() switch
    {
        "tour" => await Tour.RunAsync(args.Skip(1).ToArray()),
        "promo-tour" => await PromoTour.RunAsync(args.Skip(1).ToArray()),
        "week" => await WeekOfSales.RunAsync(args.Skip(1).ToArray()),
        "run" when args.Length > 1 => await Commands.RunAsync(args[1], args.Skip(2).ToList()),
        "compare" when args.Length > 1 => await Commands.CompareAsync(args[1], args.Skip(2).ToList()),
        "bench" => await Commands.BenchAsync(args.Skip(1).ToList()),
        { } scenario when Runner.ScenarioNames.Contains(scenario) => await Commands.RunAsync(scenario, args.Skip(1).ToList()),
        _ => Usage(),
    };
}
catch (UsageException bad)
{
    Console.Error.WriteLine($"error: {bad.Message}");
    return 2;
}
catch (Exception unexpected)
{
    // A bug or an unforeseen failure: the whole exception, stack trace included, never just its message.
    Console.Error.WriteLine($"error: the load generator failed: {unexpected}");
    return 5;
}

static int Usage()
{
    Console.Error.WriteLine("""
        Loyalty.LoadTests — the load generator and client for the Loyalty.Orleans engine (POS SDK over real gRPC).

          tour [--address http://127.0.0.1:5080] [--program demo]
              Defines a demo program, enrolls a member with a card, commits a sale with a
              single-use coupon, retries it, reads the balance, voids it, sells to a guest: the 60-second tour.

          promo-tour [--address http://127.0.0.1:5080] [--program promo-demo]
              Defines campaigns (3 for 2, 10.00 off from 60.00, an exclusive flash), quotes a basket
              with its discount lines and hints, commits it: the marketing walkthrough.

          week [--address http://127.0.0.1:5080] [--program week-demo] [--receipts-per-day 200]
              A week of a small chain's sales (six past days as offline replays, today live with a campaign
              for everyone, a members-only club price, printed coupons, voids, a refund and goodwill
              adjustments; 40% walk-ins): the head-of-loyalty walkthrough, read back with the reports.

          Credentials (docs/security.md): the admin API is on the admin gRPC port (terminal port + 2 unless
          --admin-address URL) with an operator token: --operator-token T, else env LOYALTY_OPERATOR_TOKEN,
          else .data/operator-token (written by deploy/run.sh) in this directory or a parent. Every simulated
          terminal is registered with it on first use and calls with its own terminal credential.

          <scenario> [options]            run one scenario against one target (same as: run <scenario>)
          compare <scenario> [options]    the same scenario against the engine, then the baseline; prints the ratio
          bench [options]                 the standard suite against both (deploy/bench.sh starts everything first);
                                          --seconds S measured per run (15), --warmup S unmeasured checkout
                                          (S) and accrual (S/3) per target first (30; 0 = start cold);
                                          first of all a cold run per target: checkout, open model at
                                          --cold-rate N (800; 0 = none) for --cold-seconds S (60) from the
                                          first second the fresh target is ready ("checkout, cold")

        scenarios
          checkout     identify → quote → commit; Zipf members, coupons, voids, retried timeouts; a share of
                       guest baskets (no member: quote → commit)
          accrual      commit-only earning
          reads        identify or quote, nothing written
          flash-sale   terminals racing for a campaign budget of B redemptions at the same instant
                       (--flash-mode coupons: a pool of B single-use coupons instead)
          soak         the checkout mix at a steady rate for a long time (default 200/s, 10 min), memory tracked

        options
          --target engine|baseline   --address URL (default engine http://127.0.0.1:5080, baseline :6090)
              or a cluster's comma-separated list (deploy/cluster.sh addresses): calls fail over between them
          --rate N (open model: N arrivals/s)  or  --terminals N (closed model, default 32)   --model open|closed
          --duration 30s   --ramp-up 5s (open: ramp; closed: warm-up left out)   --seed 42   --program ID
          --members 10000  --zipf 0.7   --stores 50  --terminals-per-store 8
          --coupon-share 0.1  --guest-share 0.4 (walk-in baskets: no member, no identify; 0 = members only)
          --void-share 0.02  --retry-share 0.05  --reuse-share 0.01
          --budget 2000  --contention 3 (flash sale demand = budget × contention)  --flash-mode campaign|coupons
          --max-p99-ms X  --min-rps Y   thresholds on the headline operation: exit code 3 when missed
          --watch name=PID[+]  track RSS/CPU of a process (+ = with its children, e.g. postgres)
          --out reports   --no-live   --no-verify   --max-in-flight 20000
          --admin-address URL  --operator-token T   (see Credentials above)
          --run-id ID  --shard K   (see Run ids below)
          compare/bench: --engine-address URL  --baseline-address URL

        run ids
          Every transaction id is {store}-{terminal}-{run id}-{arrival} (e.g. s003-t05-1x9k2qa7b3mzp4-1234), and a flash
          sale's campaign is flash-{run id}. The run id is drawn when the run starts: 6 base-36 digits of the time and
          8 random ones from the OS (never from --seed), so no two runs share an id: not one after another against the
          same --program, not several generators at once. --seed still gives the same members, baskets and decisions.
          The checks judge this run only: each member's balance is read at the start of the run, and must end as that
          plus this run's acknowledged sales and voids.
          --run-id ID (1-24 letters and digits) replays a run on purpose, for idempotency testing: with the same
              --program, --seed and --shard it sends the same ids again. Sales the target already has must be
              answered as they were and move no balance (the target's clock at the start tells them apart);
              TRANSACTION_ID_REUSED is expected where the request differs (a coupon is minted anew each run).
              The run id and the replay command are printed at the start and in report.md.
          --shard K (default 0) gives this generator its own members (m{K}.0000000...), stores (s{K}.000...) and
              desk (store-1/pos-1.K, for calls that name no till): generators at once against one program take one
              shard each, or they share members (each one's balance check counts the other's sales) and terminals
              (registering one again revokes the other's credential).

        exit codes: 0 passed, 1 correctness check failed, 2 usage, 3 threshold missed, 4 target unreachable,
          5 the run failed or was interrupted midway (the error with its stack trace is printed, the
            partial report is written)
        """);
    return 2;
}
