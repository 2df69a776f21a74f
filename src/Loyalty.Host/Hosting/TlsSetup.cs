using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Loyalty.Host.Hosting;

/// <summary>TLS on the engine's ports when <see cref="TlsOptions.CertificatePath"/> is set (docs/security.md, "TLS").</summary>
public static class TlsSetup
{
    /// <summary>The server certificate and the client CA, loaded once at startup (a bad file stops the engine with the reason).</summary>
    public sealed record Loaded(X509Certificate2 Certificate, X509Certificate2? ClientCa);

    public static Loaded? Load(TlsOptions options)
    {
        if (!options.Enabled)
        {
            return null;
        }

        var path = options.CertificatePath!;
        var certificate = path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase)
            ? X509CertificateLoader.LoadPkcs12FromFile(path, options.Password)
            : X509Certificate2.CreateFromPemFile(path, string.IsNullOrWhiteSpace(options.KeyPath) ? null : options.KeyPath);
        X509Certificate2? clientCa = null;
        if (options.ClientCertificates == ClientCertificates.Require)
        {
            clientCa = string.IsNullOrWhiteSpace(options.ClientCaPath)
                ? throw new InvalidOperationException("Loyalty:Tls:ClientCertificates=Require needs Loyalty:Tls:ClientCaPath (the CA of the client certificates)")
                : X509CertificateLoader.LoadCertificateFromFile(options.ClientCaPath);
        }

        return new Loaded(certificate, clientCa);
    }

    /// <summary>The port's protocols, over TLS when a certificate is configured.</summary>
    public static void Use(ListenOptions listen, HttpProtocols protocols, Loaded? tls)
    {
        listen.Protocols = protocols;
        if (tls is null)
        {
            return;
        }

        listen.UseHttps(https =>
        {
            https.ServerCertificate = tls.Certificate;
            if (tls.ClientCa is { } ca)
            {
                https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                https.ClientCertificateValidation = (certificate, _, _) => IssuedBy(certificate, ca);
            }
        });
    }

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="ca"/> alone (the system's roots are not trusted for clients).</summary>
    public static bool IssuedBy(X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
