using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.HttpsPolicy;
using Microsoft.Extensions.Options;
using Somnis.Contracts.Settings;

namespace Somnis.Hub.Security;

/// <summary>Transport and browser security (section <c>Transport</c>, docs/operations.md "HTTPS").</summary>
public sealed class TransportOptions : ISettingsSection, IValidatableObject
{
    public const string Section = "Transport";

    /// <summary>Serve plain <c>http://</c> on an address other than loopback. Off by default: passwords (the sign-in form,
    /// HTTP Basic) and session cookies would cross the network in clear text. Only for a TLS-terminating proxy on a trusted
    /// link (with <see cref="TrustedProxies"/>); <c>demo</c> turns it on.</summary>
    public bool AllowPlainHttp { get; set; }

    /// <summary>How long a browser keeps to HTTPS after an HTTPS answer (Strict-Transport-Security max-age).</summary>
    /// <value>Default 365 days.</value>
    [Bounds(typeof(TimeSpan), "00:00:00", "730.00:00:00")]
    public TimeSpan HstsMaxAge { get; set; } = TimeSpan.FromDays(365);

    /// <summary>IP addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (client address
    /// for sign-in throttling, HTTPS for cookies and HSTS). Default none: the headers are ignored.</summary>
    public List<string> TrustedProxies { get; set; } = [];

    string ISettingsSection.SectionPath => Section;

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext) =>
        TrustedProxies.Where(p => !IPAddress.TryParse(p, out _)).Select(p => new ValidationResult($"Transport:TrustedProxies: '{p}' is not an IP address"));
}

/// <summary>
/// HTTPS in deployment (Kestrel with the certificate deploy/hub-certificate.sh issues from the facility CA), plain HTTP
/// only on loopback unless <see cref="TransportOptions.AllowPlainHttp"/>; HSTS on HTTPS answers; and on every answer a
/// Content-Security-Policy without inline script or style, frame-ancestors 'none', nosniff and no referrer.
/// </summary>
internal static class TransportSecurity
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; " +
        "base-uri 'self'; form-action 'self'";

    public static IHostApplicationBuilder AddTransportSecurity(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptionsWithValidateOnStart<TransportOptions, TransportOptionsValidator>().Bind(builder.Configuration.GetSection(TransportOptions.Section));
        services.AddSingleton<IValidateOptions<TransportOptions>, TransportEndpointsValidator>();
        services.AddOptions<HstsOptions>().Configure<IOptions<TransportOptions>>((hsts, transport) => hsts.MaxAge = transport.Value.HstsMaxAge);
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<TransportOptions>>((forwarded, transport) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in transport.Value.TrustedProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        });
        return builder;
    }

    /// <summary>First in the pipeline, so every answer (static files, sign-in, 401s, health, metrics) carries the headers.</summary>
    public static void UseTransportSecurity(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<TransportOptions>>().Value.TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            return next(context);
        });

        // Only on HTTPS answers (a browser ignores it over HTTP).
        app.UseHsts();
    }
}

/// <summary>Generated from <see cref="TransportOptions"/>' attributes (and its proxy list check).</summary>
[OptionsValidator]
internal sealed partial class TransportOptionsValidator : IValidateOptions<TransportOptions>;

/// <summary>Checks where the hub serves (<c>Urls</c>, <c>Kestrel:Endpoints</c>, outside the <c>Transport</c> section) before
/// anything starts. It loads the configured certificates to see that they load; it writes nothing.</summary>
internal sealed class TransportEndpointsValidator(IConfiguration configuration) : IValidateOptions<TransportOptions>
{
    public ValidateOptionsResult Validate(string? name, TransportOptions options)
    {
        var errors = new List<string>();
        var endpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren()
            .Select(e => (Setting: $"Kestrel:Endpoints:{e.Key}:Url", Url: e["Url"] ?? "", Certificate: e.GetSection("Certificate")));
        var urls = (configuration["urls"] ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(u => (Setting: "--urls (Urls)", Url: u, Certificate: configuration.GetSection("Kestrel:Certificates:Default")));
        foreach (var (setting, url, certificate) in urls.Concat(endpoints))
        {
            if (Problem(url, certificate, options.AllowPlainHttp) is { } problem)
            {
                errors.Add($"{setting}: {problem}");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static string? Problem(string url, IConfigurationSection certificate, bool allowPlainHttp)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException e)
        {
            return $"'{url}' is not a URL ({e.Message})";
        }

        if (address.Scheme == "http")
        {
            return allowPlainHttp || address.IsUnixPipe || IsLoopback(address.Host)
                ? null
                : $"'{url}' would serve plain HTTP beyond this machine: passwords and session cookies would cross the network in " +
                  "clear text. Serve https:// with the hub's certificate (deploy/hub-certificate.sh; docs/operations.md, \"HTTPS\"), " +
                  "or set Transport:AllowPlainHttp=true only behind a TLS-terminating proxy";
        }

        if (address.Scheme != "https")
        {
            return $"'{url}' must be http:// or https://";
        }

        var path = certificate["Path"];
        if (string.IsNullOrWhiteSpace(path))
        {
            return $"'{url}' needs a certificate: set Kestrel:Certificates:Default:Path and :KeyPath (deploy/hub-certificate.sh writes them)";
        }

        try
        {
            var keyPath = certificate["KeyPath"];
            using var loaded = keyPath is null
                ? X509CertificateLoader.LoadPkcs12FromFile(path, certificate["Password"])
                : X509Certificate2.CreateFromPemFile(path, keyPath);
            return loaded.HasPrivateKey ? null : $"certificate '{path}' has no private key";
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            return $"certificate '{path}' cannot be loaded: {e.Message}";
        }
    }

    private static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
