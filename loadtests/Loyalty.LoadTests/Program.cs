using Loyalty.LoadTests;

return args.FirstOrDefault() switch
{
    "tour" => await Tour.RunAsync(args.Skip(1).ToArray()),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        Loyalty.LoadTests — a command-line client for the Loyalty.Orleans engine (POS SDK over real gRPC).

          tour [--address http://127.0.0.1:5080] [--program demo]
              Defines a demo program, enrolls a member with a card, commits a sale with a
              single-use coupon, retries it, reads the balance, voids it: the 60-second tour.
        """);
    return 2;
}
