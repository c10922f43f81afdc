using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Somnis.Contracts.Mqtt;

namespace Somnis.Contracts.Tests.Mqtt;

public sealed class BrokerTlsTests
{
    private static readonly DateTimeOffset From = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static X509Certificate2 Ca(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(From, From.AddYears(50));
    }

    private static X509Certificate2 Server(X509Certificate2 ca)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=broker", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("broker");
        request.CertificateExtensions.Add(san.Build());
        return request.Create(ca, From, From.AddYears(40), [1, 2, 3, 4]);
    }

    [Fact]
    public void A_server_certificate_from_the_facility_ca_is_accepted_and_others_are_not()
    {
        using var ca = Ca("facility CA");
        using var other = Ca("someone else");
        using var server = Server(ca);
        using var forged = Server(other);

        Assert.True(BrokerTls.Validate(server, SslPolicyErrors.RemoteCertificateChainErrors, [ca]));
        Assert.False(BrokerTls.Validate(forged, SslPolicyErrors.RemoteCertificateChainErrors, [ca]));
        Assert.False(BrokerTls.Validate(server, SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors, [ca]));
        Assert.False(BrokerTls.Validate(null, SslPolicyErrors.RemoteCertificateNotAvailable, [ca]));
        // Several CAs in the file (during a CA rotation): either one is trusted.
        Assert.True(BrokerTls.Validate(forged, SslPolicyErrors.RemoteCertificateChainErrors, [ca, other]));
    }

    [Fact]
    public void A_ca_file_is_read_as_pem_and_a_bad_one_is_named()
    {
        using var ca = Ca("facility CA");
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, ca.ExportCertificatePem());
            Assert.Equal(ca.Thumbprint, Assert.Single(BrokerTls.LoadCa(path)!).Thumbprint);
            Assert.Null(BrokerTls.Problem(path));
            Assert.Null(BrokerTls.LoadCa(null));

            File.WriteAllText(path, "not a certificate");
            Assert.Contains(path, BrokerTls.Problem(path), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
