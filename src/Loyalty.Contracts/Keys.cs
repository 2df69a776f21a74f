namespace Loyalty.Contracts;

/// <summary>
/// Grain keys: every key is scoped by program id ("program/member", "program/CODE").
/// Ids are validated at the edge so a '/' can never smuggle one program's key into another.
/// </summary>
public static class Keys
{
    public const int MaxIdLength = 64;

    public static string Scoped(string programId, string id) => $"{programId}/{id}";

    public static (string ProgramId, string Id) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (key, string.Empty) : (key[..slash], key[(slash + 1)..]);
    }

    /// <summary>Ids are 1..64 chars of [A-Za-z0-9._:-]; returns null when valid, else why not.</summary>
    public static string? Problem(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return "must not be empty";
        }

        if (id.Length > MaxIdLength)
        {
            return $"must be at most {MaxIdLength} characters";
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-'))
            {
                return "may contain only letters, digits and . _ : -";
            }
        }

        return null;
    }
}

/// <summary>Storage provider and other names, in one place.</summary>
public static class ProviderNames
{
    public const string GrainStorage = "loyalty";
    public const string PostgresInvariant = "Npgsql";
}
