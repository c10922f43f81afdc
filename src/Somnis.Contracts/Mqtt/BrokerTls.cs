using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;

namespace Somnis.Contracts.Mqtt;

/// <summary>
/// TLS to the broker for edge and hub. With a CA file (a facility's private CA, deploy/new-facility.sh) the broker's
/// certificate must chain to that CA and match the host name; without one the system's trusted roots apply.
/// </summary>
public static class BrokerTls
{
    /// <summary>Reads a PEM file of one or more CA certificates; null when <paramref name="path"/> is unset.</summary>
    public static X509Certificate2Collection? LoadCa(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        var ca = new X509Certificate2Collection();
        ca.ImportFromPemFile(path);
        return ca.Count > 0 ? ca : throw new CryptographicException($"{path} holds no PEM certificate");
    }

    /// <summary>Checks a CA setting: null when usable, else why not.</summary>
    public static string? Problem(string? path)
    {
        try
        {
            LoadCa(path);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            return $"cannot read a PEM CA certificate from '{path}': {ex.Message}";
        }
    }

    public static MqttClientTlsOptions Options(BrokerAddress broker, X509Certificate2Collection? ca)
    {
        var tls = new MqttClientTlsOptionsBuilder().UseTls().WithTargetHost(broker.Host);
        if (ca is not null)
        {
            tls = tls.WithCertificateValidationHandler(e => Validate(e.Certificate, e.SslPolicyErrors, ca));
        }

        return tls.Build();
    }

    /// <summary>The server certificate is valid for the host (no name mismatch) and chains to one of the CA certificates.</summary>
    public static bool Validate(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection ca)
    {
        // Chain errors are expected (the private CA is not a system root) and re-checked below; any other error is fatal.
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var server = certificate as X509Certificate2 is { } c2 ? X509CertificateLoader.LoadCertificate(c2.RawData) : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        // A private facility CA publishes no revocation lists; revocation is by replacing the server certificate.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(server);
    }
}
