using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Loyalty.Host.Tests.Infrastructure;

/// <summary>A chain's CA made at test time, the certificates it issues, and files of them in a temporary directory.</summary>
public sealed class TestCertificates : IDisposable
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    public TestCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Loyalty test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        CaPath = Path.Combine(Directory, "ca.pem");
        File.WriteAllText(CaPath, Ca.ExportCertificatePem());
    }

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("loyalty-tls-").FullName;

    public X509Certificate2 Ca { get; }

    /// <summary>The CA's certificate as a PEM file.</summary>
    public string CaPath { get; }

    /// <summary>A server certificate for 127.0.0.1 and localhost.</summary>
    public X509Certificate2 Server(string subject = "CN=127.0.0.1") => Issue(subject, [ServerAuth], serverNames: true);

    /// <summary>A client certificate (a terminal's).</summary>
    public X509Certificate2 Client(string subject) => Issue(subject, [ClientAuth], serverNames: false);

    /// <summary>A silo's certificate: it serves its ports and dials the other silos with it (mutual TLS).</summary>
    public X509Certificate2 Silo(string subject) => Issue(subject, [ServerAuth, ClientAuth], serverNames: true);

    /// <summary><paramref name="certificate"/> and its key as a PKCS#12 file with password "pw"; answers its path.</summary>
    public string Save(X509Certificate2 certificate, string name)
    {
        var path = Path.Combine(Directory, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, "pw"));
        return path;
    }

    /// <summary>A self-signed client certificate no CA of the chain issued.</summary>
    public static X509Certificate2 Stranger()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=stranger", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuth), new Oid(ServerAuth)], false));
        using var self = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(self.Export(X509ContentType.Pkcs12, "pw"), "pw");
    }

    public void Dispose()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        Ca.Dispose();
    }

    private X509Certificate2 Issue(string subject, string[] usages, bool serverNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        var oids = new OidCollection();
        foreach (var usage in usages)
        {
            oids.Add(new Oid(usage));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        if (serverNames)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }

        // Within the CA's validity (a later "now + 1 day" can pass the CA's own end by a second and be refused).
        using var issued = request.Create(Ca, Ca.NotBefore, Ca.NotAfter, RandomNumberGenerator.GetBytes(12));
        using var withKey = issued.CopyWithPrivateKey(key);

        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12, "pw"), "pw");
    }
}
