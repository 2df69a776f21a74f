using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Loyalty.Host.Hosting;

/// <summary>TLS on the engine's ports when <see cref="TlsOptions.CertificatePath"/> is set (docs/security.md, "TLS").</summary>
public static class TlsSetup
{
    /// <summary>The server certificate and the client CA, loaded once at startup (a bad file stops the engine with the reason).</summary>
    public sealed record Loaded(X509Certificate2 Certificate, X509Certificate2? ClientCa);

    /// <summary>A silo's certificate and the CA that issues every silo's.</summary>
    public sealed record SiloCertificates(X509Certificate2 Certificate, X509Certificate2 Ca);

    public static Loaded? Load(TlsOptions options)
    {
        if (!options.Enabled)
        {
            return null;
        }

        var certificate = LoadCertificate(options.CertificatePath!, options.KeyPath, options.Password);
        X509Certificate2? clientCa = null;
        if (options.ClientCertificates == ClientCertificates.Require)
        {
            clientCa = string.IsNullOrWhiteSpace(options.ClientCaPath)
                ? throw new InvalidOperationException("Loyalty:Tls:ClientCertificates=Require needs Loyalty:Tls:ClientCaPath (the CA of the client certificates)")
                : X509CertificateLoader.LoadCertificateFromFile(options.ClientCaPath);
        }

        return new Loaded(certificate, clientCa);
    }

    /// <summary>
    /// The silo's certificate and the CA of every silo's (Loyalty:SiloTls), loaded once at startup; null without a
    /// certificate. A certificate without its CA is refused: mutual TLS needs to know whom to trust.
    /// </summary>
    public static SiloCertificates? LoadSilo(SiloTlsOptions options)
    {
        if (!options.Enabled)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(options.CaPath))
        {
            throw new InvalidOperationException("Loyalty:SiloTls:CertificatePath needs Loyalty:SiloTls:CaPath (the CA that issues the silos' certificates)");
        }

        return new SiloCertificates(LoadCertificate(options.CertificatePath!, options.KeyPath, options.Password), X509CertificateLoader.LoadCertificateFromFile(options.CaPath));
    }

    /// <summary>
    /// Mutual TLS on Orleans connections (silo to silo, gateway, and an outside client's): each end presents its
    /// certificate and requires one issued by <paramref name="ca"/> from the other; a connection without one is closed
    /// in the handshake.
    /// </summary>
    public static void Mutual(Orleans.Connections.Security.TlsOptions tls, X509Certificate2 ca)
    {
        tls.RemoteCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.RequireCertificate;
        tls.ClientCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.RequireCertificate;
        tls.RemoteCertificateValidation = (certificate, _, _) => IssuedBy(certificate, ca);
    }

    /// <summary>A PEM file (with its key file, or the key in the same file) or PKCS#12 (.pfx/.p12).</summary>
    private static X509Certificate2 LoadCertificate(string path, string? keyPath, string? password) =>
        path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase)
            ? X509CertificateLoader.LoadPkcs12FromFile(path, password)
            : X509Certificate2.CreateFromPemFile(path, string.IsNullOrWhiteSpace(keyPath) ? null : keyPath);

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
