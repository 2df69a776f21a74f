namespace Loyalty.Testing;

/// <summary>The checkout the tests run from.</summary>
public static class Repo
{
    /// <summary>The folder holding Loyalty.Orleans.sln, found above the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Loyalty.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Loyalty.Orleans.sln not found above " + AppContext.BaseDirectory);
    }
}
