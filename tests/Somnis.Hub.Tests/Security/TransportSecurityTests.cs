using Microsoft.Extensions.Configuration;
using Somnis.Hub.Security;

namespace Somnis.Hub.Tests.Security;

/// <summary>Security headers on every answer over plain HTTP on loopback (HTTPS is tested with the deploy certificate in
/// the integration tests), and the start-up checks of where the hub serves.</summary>
public sealed class TransportSecurityTests
{
    [Fact]
    public async Task Every_answer_carries_the_security_headers_and_no_hsts_over_http()
    {
        using var factory = new HubFactory();
        using var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        foreach (var path in new[] { "/healthz", "/readyz", "/login", "/api/beds", "/metrics", "/", "/app.js", "/no-such-page" })
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(TransportSecurity.ContentSecurityPolicy, Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
            Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
            Assert.False(response.Headers.Contains("Strict-Transport-Security"), path);
        }
    }

    [Fact]
    public void The_policy_allows_no_inline_script_or_style_and_no_framing()
    {
        var directives = TransportSecurity.ContentSecurityPolicy.Split(';', StringSplitOptions.TrimEntries).ToDictionary(d => d.Split(' ')[0], d => d);
        Assert.Equal("script-src 'self'", directives["script-src"]);
        Assert.Equal("style-src 'self'", directives["style-src"]);
        Assert.Equal("frame-ancestors 'none'", directives["frame-ancestors"]);
        Assert.Equal("default-src 'self'", directives["default-src"]);
        Assert.DoesNotContain("unsafe", TransportSecurity.ContentSecurityPolicy, StringComparison.Ordinal);
    }

    private static IReadOnlyList<string> Failures(TransportOptions options, params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
        // Both validators of TransportOptions: the generated one (its attributes) and the endpoints' (Urls, Kestrel).
        var results = new[] { new TransportOptionsValidator().Validate(null, options), new TransportEndpointsValidator(configuration).Validate(null, options) };
        return [.. results.Where(r => r.Failed).SelectMany(r => r.Failures!)];
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080")]
    [InlineData("http://localhost:5080")]
    [InlineData("http://[::1]:5080")]
    [InlineData("http://127.0.0.2:5080")]
    [InlineData("http://unix:/run/somnis/hub.sock")]
    public void Plain_http_on_loopback_is_allowed(string url) => Assert.Empty(Failures(new(), ("urls", url)));

    [Theory]
    [InlineData("http://0.0.0.0:5080")]
    [InlineData("http://*:5080")]
    [InlineData("http://+:5080")]
    [InlineData("http://192.0.2.10:5080")]
    [InlineData("http://hub.nexus.example:5080")]
    [InlineData("http://127.0.0.1:5080;http://[::]:5080")]
    public void Plain_http_beyond_loopback_is_refused_unless_allowed(string url)
    {
        var failure = Assert.Single(Failures(new(), ("urls", url)));
        Assert.StartsWith("--urls (Urls): '", failure, StringComparison.Ordinal);
        Assert.Contains("would serve plain HTTP beyond this machine", failure, StringComparison.Ordinal);
        Assert.Contains("Transport:AllowPlainHttp", failure, StringComparison.Ordinal);
        Assert.Empty(Failures(new() { AllowPlainHttp = true }, ("urls", url)));
    }

    [Fact]
    public void A_kestrel_endpoint_is_checked_like_urls()
    {
        var failure = Assert.Single(Failures(new(), ("Kestrel:Endpoints:Web:Url", "http://0.0.0.0:80")));
        Assert.StartsWith("Kestrel:Endpoints:Web:Url: ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Https_needs_a_certificate_that_loads()
    {
        Assert.Contains("needs a certificate", Assert.Single(Failures(new(), ("urls", "https://0.0.0.0:5443"))), StringComparison.Ordinal);
        var missing = Assert.Single(Failures(new(), ("urls", "https://0.0.0.0:5443"),
            ("Kestrel:Certificates:Default:Path", "/nonexistent/hub.crt"), ("Kestrel:Certificates:Default:KeyPath", "/nonexistent/hub.key")));
        Assert.Contains("certificate '/nonexistent/hub.crt' cannot be loaded", missing, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_settings_are_checked()
    {
        var failures = Failures(new() { TrustedProxies = ["10.0.0.1", "proxy.local"], HstsMaxAge = TimeSpan.FromDays(-1) }, ("urls", "ftp://x"));
        Assert.Contains("Transport:TrustedProxies: 'proxy.local' is not an IP address", failures);
        Assert.Contains(failures, f => f.StartsWith("Transport:HstsMaxAge must be between", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("must be http:// or https://", StringComparison.Ordinal));
    }
}
