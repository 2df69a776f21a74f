namespace Loyalty.Cluster.Tests.Infrastructure;

/// <summary>
/// The real PostgreSQL under the cluster tests. LOYALTY_TEST_PG (set by .ci/run) names a server to
/// create fresh databases on; without it, this project's own private server is started with
/// deploy/pg.sh (.data/pg-cluster-test on port 54369). The PostgreSQL-restart test always uses the
/// private server, because restarting a server that other test projects share would break them.
/// Dropping and querying: <see cref="TestPostgres"/>.
/// </summary>
public static class Postgres
{
    private static readonly TestDatabases Databases = new(new PgServer(Path.Combine(Repo.Root, ".data", "pg-cluster-test"), 54369), databasePrefix: "c_");

    public static PgServer Private => Databases.Private;

    /// <summary>A fresh, empty database on the shared server (LOYALTY_TEST_PG or the private one).</summary>
    public static Task<string> CreateDatabaseAsync() => Databases.CreateDatabaseAsync();

    public static Task<string> CreateDatabaseAsync(string server) => Databases.CreateDatabaseAsync(server);
}
