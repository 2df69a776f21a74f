namespace Loyalty.Cluster.Tests.Infrastructure;

/// <summary>
/// A fact about what only root can do or meet (e.g. deploy/pg.sh running PostgreSQL as another
/// user); reported as skipped, with <paramref name="reason"/>, when the tests run as anyone else.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute(string reason)
    {
        if (Environment.UserName != "root")
        {
            Skip = $"runs only as root ({Environment.UserName} here): {reason}";
        }
    }
}
