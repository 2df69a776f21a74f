using System.Collections.Frozen;
using System.Reflection;

namespace Loyalty.Host.Hosting;

/// <summary>
/// The marketing and customer-service console (docs/console.md): three static files served from the assembly on
/// the admin HTTP port only (never the terminal port). The page itself holds nothing secret; everything it shows
/// or changes goes through the admin JSON API with the operator token the user signs in with, under the same
/// authorization as any other caller.
/// </summary>
public static class ConsoleEndpoints
{
    public const string Path = "/console";

    // Scripts, styles and requests from this origin only; no inline script or style; never inside a frame.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data: blob:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, (byte[] Body, string ContentType)> Files = Load();

    public static void Map(WebApplication app)
    {
        // One route for "/console", "/console/" and "/console/<file>" (routing does not tell the first two apart):
        // the bare path is sent to the folder, so the page's relative URLs resolve under it.
        app.MapGet($"{Path}/{{file?}}", (string? file, HttpContext context) =>
        {
            if (string.IsNullOrEmpty(file) && !context.Request.Path.Value!.EndsWith('/'))
            {
                return Results.Redirect($"{Path}/");
            }

            if (!Files.TryGetValue(string.IsNullOrEmpty(file) ? "index.html" : file, out var found))
            {
                return Results.NotFound();
            }

            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-cache";
            return Results.Bytes(found.Body, found.ContentType);
        }).WithMetadata(AdminEndpoints.AdminPortOnly.Instance);
    }

    private static FrozenDictionary<string, (byte[], string)> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("console/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var file = name["console/".Length..];
            var type = System.IO.Path.GetExtension(file) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                _ => "application/octet-stream",
            };
            files[file] = (copy.ToArray(), type);
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
