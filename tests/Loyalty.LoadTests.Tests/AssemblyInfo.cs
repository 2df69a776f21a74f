// The driver tests measure time; the smoke tests start servers. Run them one at a time so neither skews the other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
