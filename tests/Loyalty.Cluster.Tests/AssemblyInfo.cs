// The tests start real silo processes and load them: one test at a time, on a 2-core machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
