using System.Net;
using System.Text;

namespace Loyalty.Host.Hosting;

/// <summary>
/// Settings the engine refuses to start with (docs/security.md, "Production refusals"). Each refusal is an
/// exception whose message names the setting and says what to do; most apply in Production only, so a developer's
/// machine may run unkeyed and in cleartext.
/// </summary>
public static class StartupChecks
{
    /// <summary>The lookup pepper's least length in UTF-8 bytes: an HMAC key weaker than that is guessable.</summary>
    public const int MinPepperBytes = 32;

    /// <summary>Words that mark a value someone was meant to replace, compared without case, spaces, dashes or underscores.</summary>
    private static readonly string[] Placeholders = ["changeme", "replaceme", "example", "placeholder"];

    /// <summary>Values published in this repository's examples that carry no placeholder word (deploy/compose.yaml's key until 2026-12).</summary>
    private static readonly string[] PublishedValues = ["Q0hBTkdFLU1FLWNvbXBvc2UtZXhhbXBsZS1rZXktMzI="];

    public static void Refuse(LoyaltyOptions options, IHostEnvironment environment, bool durable)
    {
        if (options.Security.OperatorToken is { Length: > 0 and < Domain.AccessTokens.MinConfiguredTokenLength })
        {
            throw new InvalidOperationException($"Loyalty:Security:OperatorToken must be at least {Domain.AccessTokens.MinConfiguredTokenLength} characters");
        }

        if (!environment.IsProduction())
        {
            return;
        }

        RefuseWeakSecrets(options);
        RefusePlaintext(options, durable);
    }

    private static void RefuseWeakSecrets(LoyaltyOptions options)
    {
        if (IsExample(options.Security.OperatorToken))
        {
            throw new InvalidOperationException(
                "Loyalty:Security:OperatorToken is an example value or a placeholder (CHANGE-ME): whoever read the example knows it. Set a random token of 32 characters or more from a secret store, or leave it empty for a first operator token (docs/security.md)");
        }

        if (string.IsNullOrEmpty(options.PersonalDataPepper))
        {
            throw new InvalidOperationException(
                "Loyalty:PersonalDataPepper is empty: in Production the phone index must be keyed (set Loyalty__PersonalDataPepper from a secret store; docs/security.md)");
        }

        if (string.IsNullOrWhiteSpace(options.PersonalDataPepper) || Encoding.UTF8.GetByteCount(options.PersonalDataPepper) < MinPepperBytes || IsExample(options.PersonalDataPepper))
        {
            throw new InvalidOperationException(
                $"Loyalty:PersonalDataPepper is blank, shorter than {MinPepperBytes} bytes or an example value: a phone index keyed with it can be reversed by guessing the key (head -c 48 /dev/urandom | base64; docs/security.md)");
        }

        if (string.IsNullOrEmpty(options.PersonalDataKeys))
        {
            throw new InvalidOperationException(
                "Loyalty:PersonalDataKeys is empty: in Production phone numbers and e-mail addresses are encrypted at rest (set Loyalty__PersonalDataKeys from a secret store; docs/security.md)");
        }

        if (IsExample(options.PersonalDataKeys))
        {
            throw new InvalidOperationException(
                "Loyalty:PersonalDataKeys holds an example key or a placeholder: whoever read the example can open what it seals (\"id:\" + head -c 32 /dev/urandom | base64; docs/security.md)");
        }
    }

    private static void RefusePlaintext(LoyaltyOptions options, bool durable)
    {
        var listen = OrleansSetup.ListenIp(options);
        if (!options.Tls.Enabled && !IPAddress.IsLoopback(listen) && !options.AllowPlaintextHttp)
        {
            throw new InvalidOperationException(
                $"The terminal and admin ports would serve cleartext on {listen} (Loyalty:ListenAddress) in Production: set Loyalty:Tls:CertificatePath, bind Loyalty:ListenAddress to 127.0.0.1, or set Loyalty:AllowPlaintextHttp=true when TLS ends before the engine on a private network (docs/security.md)");
        }

        if (!options.SiloTls.Enabled && OrleansSetup.SiloListensBeyondLoopback(options, durable) && !options.AllowPlaintextSiloPort)
        {
            throw new InvalidOperationException(
                $"The silo port {options.SiloPort}{(options.GatewayPort > 0 ? $" and the gateway port {options.GatewayPort}" : string.Empty)} would listen beyond loopback without TLS in Production: set Loyalty:SiloTls:CertificatePath and Loyalty:SiloTls:CaPath (mutual TLS), bind Loyalty:ListenAddress to 127.0.0.1, or set Loyalty:AllowPlaintextSiloPort=true on a network nobody else reaches (docs/security.md)");
        }
    }

    /// <summary>Whether a secret is one published in an example, or holds a word that says it was meant to be replaced.</summary>
    internal static bool IsExample(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return false;
        }

        var folded = new string(secret.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
        return Placeholders.Any(p => folded.Contains(p, StringComparison.Ordinal))
            || PublishedValues.Any(v => secret.Contains(v, StringComparison.Ordinal));
    }
}
