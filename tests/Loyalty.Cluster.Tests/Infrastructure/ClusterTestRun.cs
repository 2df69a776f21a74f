namespace Loyalty.Cluster.Tests.Infrastructure;

/// <summary>
/// Spans the whole run of this project's tests (one collection, run one test at a time): at the
/// end it stops the private PostgreSQL server if this run started it.
/// </summary>
public sealed class ClusterTestRun : IAsyncLifetime
{
    public const string Collection = "cluster processes";

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Postgres.Private.StopIfStartedHereAsync();
}

[CollectionDefinition(ClusterTestRun.Collection)]
public sealed class ClusterTestCollection : ICollectionFixture<ClusterTestRun>;
