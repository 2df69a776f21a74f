using System.Buffers.Text;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// Bearer tokens: <c>pos_&lt;id&gt;_&lt;secret&gt;_&lt;tag&gt;</c> for terminals, <c>op_&lt;id&gt;_&lt;secret&gt;_&lt;tag&gt;</c> for operators
/// and marketers. The id (16 hex characters) finds the stored credential; the secret (256 random bits, base64url) is
/// checked against the whole token's SHA-256 in constant time. A fast hash is right here: the secret is random, not
/// a password, so there is nothing to brute-force from the hash. The tag (128 bits, base64url) is an HMAC-SHA256 of
/// the rest under a server key (<see cref="MacKey"/>): a token nobody issued is refused without any lookup.
/// Tokens issued before the tag existed (<see cref="TokenForm.Legacy"/>) have no tag; they still name a credential.
/// </summary>
public static class AccessTokens
{
    public const string TerminalPrefix = "pos";
    public const string OperatorPrefix = "op";

    /// <summary>Shortest token accepted from configuration (the bootstrap operator token).</summary>
    public const int MinConfiguredTokenLength = 32;

    private const int IdLength = 16;
    private const int SecretLength = 43; // 32 bytes, base64url without padding
    private const int TagBytes = 16;
    private const int TagLength = 22; // TagBytes, base64url without padding

    /// <summary>The label that sets the token key apart from every other use of the server secret.</summary>
    private static readonly byte[] MacKeyLabel = "loyalty.access-token-mac.v1"u8.ToArray();

    /// <summary>
    /// The key of token tags, derived from the server secret (the personal-data pepper) with a label of its own:
    /// every silo configured with the same pepper agrees, and nothing new is configured. An empty pepper
    /// (development) gives a key anyone can compute: tags then prove nothing, the failure limit still holds.
    /// </summary>
    public static byte[] MacKey(string serverSecret) => HMACSHA256.HashData(Encoding.UTF8.GetBytes(serverSecret), MacKeyLabel);

    /// <summary>A new credential id and its tagged token (shown once, then only its hash is kept).</summary>
    public static IssuedCredential New(AccessRole role, ReadOnlySpan<byte> macKey)
    {
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(IdLength / 2)).ToLowerInvariant();
        var body = $"{(role == AccessRole.Terminal ? TerminalPrefix : OperatorPrefix)}_{id}_{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))}";
        return new IssuedCredential(id, $"{body}_{Base64Url.EncodeToString(Tag(body, macKey))}");
    }

    /// <summary>
    /// What a token is, from its text and the key alone (no lookup): its form and, unless malformed, the credential
    /// id it names. Tags are compared in constant time.
    /// </summary>
    public static ParsedToken Parse(string token, ReadOnlySpan<byte> macKey)
    {
        var prefix = token.StartsWith(TerminalPrefix + "_", StringComparison.Ordinal) ? TerminalPrefix.Length + 1
            : token.StartsWith(OperatorPrefix + "_", StringComparison.Ordinal) ? OperatorPrefix.Length + 1
            : -1;
        var bodyLength = prefix + IdLength + 1 + SecretLength;
        var tagged = token.Length == bodyLength + 1 + TagLength && token[bodyLength] == '_';
        if (prefix < 0 || !(tagged || token.Length == bodyLength) || token[prefix + IdLength] != '_')
        {
            return ParsedToken.Malformed;
        }

        var id = token.AsSpan(prefix, IdLength);
        foreach (var c in id)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return ParsedToken.Malformed;
            }
        }

        foreach (var c in token.AsSpan(prefix + IdLength + 1))
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return ParsedToken.Malformed;
            }
        }

        if (!tagged)
        {
            return new ParsedToken(TokenForm.Legacy, id.ToString());
        }

        // Compared as text, so only the one canonical spelling of a tag passes.
        var expected = Base64Url.EncodeToString(Tag(token.AsSpan(0, bodyLength), macKey));
        return CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(token.AsSpan(bodyLength + 1)), MemoryMarshal.AsBytes(expected.AsSpan()))
            ? new ParsedToken(TokenForm.Signed, id.ToString())
            : new ParsedToken(TokenForm.Forged, id.ToString());
    }

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>Whether the token is this credential's and the credential is not revoked (constant-time on the hash).</summary>
    public static bool Verifies(Credential credential, string token) =>
        credential.RevokedAt is null && CryptographicOperations.FixedTimeEquals(credential.SecretHash, Hash(token));

    private static byte[] Tag(ReadOnlySpan<char> body, ReadOnlySpan<byte> macKey)
    {
        Span<byte> utf8 = stackalloc byte[body.Length]; // the body is ASCII
        var length = Encoding.ASCII.GetBytes(body, utf8);
        return HMACSHA256.HashData(macKey, utf8[..length])[..TagBytes];
    }
}

/// <summary>What a bearer token's text says before any lookup (<see cref="AccessTokens.Parse"/>).</summary>
public enum TokenForm
{
    /// <summary>Not a token the engine issues: refused without a lookup.</summary>
    Malformed,

    /// <summary>Shaped like a tagged token, but the tag is not the server's: refused without a lookup.</summary>
    Forged,

    /// <summary>A token from before tags (no tag): it can only be told from a made-up one by a lookup.</summary>
    Legacy,

    /// <summary>A tag made with the server key: issued by this engine (its credential may still be revoked).</summary>
    Signed,
}

/// <summary>A token's form and the credential id it names (null when malformed).</summary>
public readonly record struct ParsedToken(TokenForm Form, string? CredentialId)
{
    public static readonly ParsedToken Malformed = new(TokenForm.Malformed, null);

    /// <summary>Whether the credential it names is worth a lookup: a signed token, or a legacy one.</summary>
    public bool MayLookUp => Form is TokenForm.Signed or TokenForm.Legacy;
}

/// <summary>
/// Who may make which call (docs/security.md, "Roles"). Program, store and terminal come from the
/// credential: a request that names others is refused, not re-scoped.
/// </summary>
public static class AccessRules
{
    /// <summary>
    /// A terminal call: a terminal credential of this program (and of the request's store and terminal, when the
    /// request names them), or an operator. Marketers do not serve tills.
    /// </summary>
    public static void EnsureTerminalCall(Credential caller, string programId, string? storeId, string? terminalId)
    {
        switch (caller.Role)
        {
            case AccessRole.Operator:
                return;
            case AccessRole.Terminal:
                if (caller.ProgramId != programId)
                {
                    throw new LoyaltyException(ErrorReason.OutOfScope, "this terminal's credential is for another program", "program_id");
                }

                if (!string.IsNullOrEmpty(storeId) && caller.StoreId != storeId)
                {
                    throw new LoyaltyException(ErrorReason.OutOfScope, "this terminal's credential is for another store", "store_id");
                }

                if (!string.IsNullOrEmpty(terminalId) && caller.TerminalId != terminalId)
                {
                    throw new LoyaltyException(ErrorReason.OutOfScope, "this credential is another terminal's", "terminal_id");
                }

                return;
            default:
                throw new LoyaltyException(ErrorReason.RoleNotAllowed, "the terminal API needs a terminal credential or an operator token");
        }
    }

    /// <summary>Whether the caller may administer the program: an operator any, a marketer those in its token.</summary>
    public static bool MayAdminister(Credential caller, string programId) => caller.Role switch
    {
        AccessRole.Operator => true,
        AccessRole.Marketer => !caller.Programs.IsDefault && caller.Programs.Contains(programId, StringComparer.Ordinal),
        _ => false,
    };

    /// <summary>An admin call about one program: an operator, or a marketer holding that program.</summary>
    public static void EnsureAdmin(Credential caller, string programId)
    {
        EnsureAdminCredential(caller);
        if (!MayAdminister(caller, programId))
        {
            throw new LoyaltyException(ErrorReason.OutOfScope, "this marketer token is not for this program", "program_id");
        }
    }

    /// <summary>
    /// An admin call about no one program that answers each caller within its own scope (who am I, the programs
    /// I may see): an operator or a marketer; never a terminal.
    /// </summary>
    public static void EnsureAdminCredential(Credential caller)
    {
        if (caller.Role is not (AccessRole.Operator or AccessRole.Marketer))
        {
            throw new LoyaltyException(ErrorReason.RoleNotAllowed, "the admin API needs an operator or marketer token; terminal credentials are for the terminal API");
        }
    }

    /// <summary>Stores, terminals, tokens, the dashboard: operators only.</summary>
    public static void EnsureOperator(Credential caller)
    {
        if (caller.Role != AccessRole.Operator)
        {
            throw new LoyaltyException(ErrorReason.RoleNotAllowed, "only an operator token may do this");
        }
    }

    /// <summary>The programs a marketer token may be issued for: 1..100 valid program ids, none for an operator.</summary>
    public static ImmutableArray<string> ValidPrograms(AccessRole role, IEnumerable<string> programs)
    {
        var list = programs.Distinct(StringComparer.Ordinal).ToImmutableArray();
        switch (role)
        {
            case AccessRole.Operator when list.Length > 0:
                throw LoyaltyException.Invalid("program_ids", "an operator token covers every program; give no program_ids");
            case AccessRole.Operator:
                return [];
            case AccessRole.Marketer when list.Length is 0 or > 100:
                throw LoyaltyException.Invalid("program_ids", "a marketer token names 1..100 programs");
            case AccessRole.Marketer:
                foreach (var program in list)
                {
                    if (Keys.Problem(program) is { } problem)
                    {
                        throw LoyaltyException.Invalid("program_ids", $"program id {problem}");
                    }
                }

                return list;
            default:
                throw LoyaltyException.Invalid("role", "issue terminal credentials through RegisterTerminal");
        }
    }
}
