using Loyalty.MemoryBench;

var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

// Exit without a graceful silo shutdown (see MemoryBench.RunAsync): the storage holds nothing to flush.
Environment.Exit(await MemoryBench.RunAsync(options));
return 0;
