using System.Runtime.Versioning;
using Loyalty.Cluster.Tests.Infrastructure;

namespace Loyalty.Cluster.Tests;

/// <summary>
/// Issue 11: the README's commands, run as root from a checkout inside a private directory (root's
/// home is mode 700, and so is <c>mktemp -d</c>). PostgreSQL refuses root, so deploy/pg.sh runs it as
/// 'postgres', a user that cannot enter the checkout: the data has to live where that user can, and
/// every subcommand has to find it again.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class PgScriptTests(ITestOutputHelper output)
{
    /// <summary>A port of its own: the other test servers use 54339, 54349, 54369.</summary>
    private const int Port = 54391;

    [RootFact("as any other user the server runs as that user, who can enter their own checkout")]
    public async Task Pg_sh_serves_a_checkout_inside_a_directory_the_server_user_cannot_enter()
    {
        var home = Directory.CreateTempSubdirectory("loyalty-private-");
        File.SetUnixFileMode(home.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var script = Path.Combine(home.FullName, "checkout", "deploy", "pg.sh");
        Directory.CreateDirectory(Path.GetDirectoryName(script)!);
        File.Copy(Path.Combine(Paths.RepoRoot, "deploy", "pg.sh"), script);
        var server = new PgServer(directory: null, Port, script);
        try
        {
            var connectionString = await server.StartAsync();
            output.WriteLine($"start: {connectionString}; data in {await server.DataDirectoryAsync()}");

            Assert.Equal([1], await TestPostgres.QueryAsync(connectionString, "SELECT 1", r => r.GetInt32(0)));
            Assert.True(await server.IsRunningAsync(), "status after start");
            Assert.Equal("1", (await server.PsqlAsync("-tAc", "SELECT 1")).Trim());

            await server.StopAsync();
            Assert.False(await server.IsRunningAsync(), "status after stop");
        }
        finally
        {
            await CleanUpAsync(server, home);
        }
    }

    /// <summary>Stops the server if it still runs, then deletes the private directory and the data kept outside it.</summary>
    private async Task CleanUpAsync(PgServer server, DirectoryInfo home)
    {
        try
        {
            await server.StopAsync();
            var serverHome = Path.GetDirectoryName(await server.DataDirectoryAsync())!;
            if (!serverHome.StartsWith(home.FullName + "/", StringComparison.Ordinal) && Directory.Exists(serverHome))
            {
                Directory.Delete(serverHome, recursive: true);
            }
        }
        catch (InvalidOperationException e)
        {
            output.WriteLine($"clean-up: {e.Message}");
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }
}
