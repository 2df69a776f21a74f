using System.Reflection;

namespace Loyalty.Cluster.Tests.Infrastructure;

/// <summary>Where the checkout, the host binaries and the test logs are.</summary>
public static class Paths
{
    public static string RepoRoot => Repo.Root;

    /// <summary>The build configuration this test assembly was built in; the host was built in the same one.</summary>
    public static string Configuration { get; } = typeof(Paths).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "HostConfiguration")?.Value ?? "Debug";

    /// <summary>src/Loyalty.Host/bin/&lt;Configuration&gt;/net10.0/Loyalty.Host.dll, built by the project reference.</summary>
    public static string HostDll { get; } = Path.Combine(RepoRoot, "src", "Loyalty.Host", "bin", Configuration, "net10.0", "Loyalty.Host.dll");

    /// <summary>Silo logs of the last run, one folder per test class (.data is ignored by git).</summary>
    public static string LogRoot { get; } = Path.Combine(RepoRoot, ".data", "cluster-tests");
}
