using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Somnis.Hub.Auth;
using Somnis.Hub.Security;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Security;

/// <summary>
/// The hub as deployed over HTTPS: the facility CA and the hub's certificate from the deploy scripts
/// (new-facility.sh --ca-only, as a site whose broker is not Mosquitto runs it; hub-certificate.sh), the settings they
/// write, and real TLS from a client that trusts only that CA and reaches the hub by the name in its certificate.
/// </summary>
[Collection("processes")]
public sealed class TransportSecurityTests(TransportSecurityTests.HttpsHub hub) : IClassFixture<TransportSecurityTests.HttpsHub>
{
    private const string HubName = "hub.nexus.test";

    [Fact]
    public async Task Every_answer_over_https_carries_hsts_and_the_security_headers()
    {
        using var client = hub.Client();
        foreach (var path in new[] { "/healthz", "/login", "/api/beds", "/app.css" })
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.Headers.TryGetValues("Strict-Transport-Security", out var hsts), $"{path}: no HSTS");
            Assert.Equal("max-age=31536000", Assert.Single(hsts));
            Assert.Equal(TransportSecurity.ContentSecurityPolicy, Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        }
    }

    [Fact]
    public async Task The_session_cookie_is_secure_under_https()
    {
        using var client = hub.Client();
        using var response = await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = "sam", ["password"] = HttpsHub.Password, ["returnUrl"] = "/",
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("somnis=", StringComparison.Ordinal));
        Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_facility_ca_is_refused()
    {
        using var client = hub.Client(trustFacilityCa: false);
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/healthz"));
        Assert.IsType<AuthenticationException>(e.InnerException);
    }

    [Fact]
    public async Task The_ca_only_setup_keeps_an_existing_ca_and_writes_nothing_for_mosquitto()
    {
        var dir = Directory.CreateTempSubdirectory("somnis-ca-only-").FullName;
        try
        {
            await DeployedBroker.RunScriptAsync("new-facility.sh", "--ca-only", "--dir", dir);
            var ca = File.ReadAllBytes(Path.Combine(dir, "certs", "ca.crt"));
            await DeployedBroker.RunScriptAsync("new-facility.sh", "--ca-only", "--dir", dir);
            Assert.Equal(ca, File.ReadAllBytes(Path.Combine(dir, "certs", "ca.crt")));
            Assert.Equal(["ca.crt", "ca.key"], Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "certs", "ca.key")));
            }

            // A facility's broker files need --facility; --ca-only with it is a mistake, refused before anything is written.
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => DeployedBroker.RunScriptAsync("new-facility.sh", "--ca-only", "--facility", "nexus", "--dir", dir));
            Assert.Contains("--ca-only makes the CA alone", e.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(dir, "mosquitto.conf")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Plain_http_beyond_loopback_or_https_without_a_certificate_stop_the_hub_with_exit_2()
    {
        var data = Directory.CreateTempSubdirectory("somnis-https-bad-").FullName;
        try
        {
            await using (var plain = DotnetProcess.Start(RepoPaths.HubDll, "serve", "--urls", "http://0.0.0.0:5080", "--data", data))
            {
                Assert.Equal(2, await plain.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                Assert.Contains("--urls (Urls): 'http://0.0.0.0:5080' would serve plain HTTP beyond this machine", plain.Output, StringComparison.Ordinal);
            }

            await using var noCertificate = DotnetProcess.Start(RepoPaths.HubDll, "serve", "--urls", "https://127.0.0.1:5443", "--data", data);
            Assert.Equal(2, await noCertificate.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("'https://127.0.0.1:5443' needs a certificate", noCertificate.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>One hub process serving HTTPS with the deploy scripts' certificate and settings, on a free port.</summary>
    public sealed class HttpsHub : IAsyncLifetime
    {
        public const string Password = "correct-horse";
        private readonly string _dir = Directory.CreateTempSubdirectory("somnis-https-").FullName;
        private DotnetProcess? _process;

        public int Port { get; } = Net.FreePort();

        private string CaFile => Path.Combine(_dir, "broker", "certs", "ca.crt");

        public async Task InitializeAsync()
        {
            var broker = Path.Combine(_dir, "broker");
            await DeployedBroker.RunScriptAsync("new-facility.sh", "--ca-only", "--dir", broker);
            await DeployedBroker.RunScriptAsync("hub-certificate.sh", "--dir", broker, "--host", HubName);
            // The settings as the script wrote them (as environment variables for systemd), given as --Key VALUE; the
            // port is the test's own.
            var settings = File.ReadAllLines(Path.Combine(broker, "hub", "https.env"))
                .Where(l => l.Length > 0 && !l.StartsWith('#'))
                .Select(l => l.Split('=', 2))
                .Where(kv => kv[0] != "Urls")
                .SelectMany(kv => new[] { "--" + kv[0].Replace("__", ":", StringComparison.Ordinal), kv[1] });
            var hash = Passwords.Hash(Password);
            _process = DotnetProcess.Start(RepoPaths.HubDll, [
                "serve", "--urls", $"https://127.0.0.1:{Port}", "--data", Path.Combine(_dir, "data"), .. settings,
                "--Broker:EmbeddedPort", Net.FreePort().ToString(CultureInfo.InvariantCulture),
                "--Auth:Users:0:Name", "sam", "--Auth:Users:0:Role", Roles.Supervisor, "--Auth:Users:0:PasswordHash", hash]);
            using var client = Client();
            await Eventually.UntilAsync(async () =>
            {
                Assert.False(_process.HasExited, _process.Output);
                using var r = await client.GetAsync("/healthz");
                return r.IsSuccessStatusCode ? "up" : null;
            }, TimeSpan.FromSeconds(90), "the hub serving HTTPS");
        }

        /// <summary>A client that reaches the hub as https://hub.nexus.test:PORT (connecting to loopback) and trusts only
        /// the facility CA (or nothing but the system store).</summary>
        public HttpClient Client(bool trustFacilityCa = true) => FacilityTls.Client(HubName, Port, trustFacilityCa ? CaFile : null);

        public async Task DisposeAsync()
        {
            if (_process is not null)
            {
                await _process.DisposeAsync();
            }

            Directory.Delete(_dir, recursive: true);
        }
    }
}
