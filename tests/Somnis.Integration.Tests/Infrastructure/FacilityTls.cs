using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>HTTPS clients for servers with certificates from the facility CA (deploy/new-facility.sh, hub-certificate.sh).</summary>
public static class FacilityTls
{
    /// <summary>A client that reaches https://<paramref name="host"/>:<paramref name="port"/> by connecting to loopback
    /// (so the name in the certificate is checked without any DNS) and trusts only the facility CA
    /// <paramref name="caFile"/> (or, with null, nothing but the system store). No redirects, no cookies.</summary>
    public static HttpClient Client(string host, int port, string? caFile, TimeSpan? timeout = null)
    {
        var policy = new X509ChainPolicy { RevocationMode = X509RevocationMode.NoCheck };
        if (caFile is not null)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificateFromFile(caFile));
        }

        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy },
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, port, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://{host}:{port}/"), Timeout = timeout ?? TimeSpan.FromSeconds(30) };
    }
}
