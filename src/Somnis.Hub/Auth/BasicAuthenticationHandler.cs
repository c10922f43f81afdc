using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Somnis.Hub.Auth;

/// <summary>HTTP Basic authentication for API clients (scripts, tests, other systems).</summary>
internal sealed class BasicAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    SignInGuard guard) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Basic";

    /// <summary>Set on a request whose credentials were refused unchecked (locked-out name, address that failed too often):
    /// its challenge is 429 with Retry-After instead of 401.</summary>
    private const string RetryAfterItem = "somnis.basic.retry-after";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, SchemeName, StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return Task.FromResult(AuthenticateResult.Fail("malformed Basic credentials"));
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return Task.FromResult(AuthenticateResult.Fail("malformed Basic credentials"));
        }

        var name = decoded[..colon];
        var attempt = guard.Attempt(name, decoded[(colon + 1)..], Context.Connection.RemoteIpAddress, "basic");
        if (attempt.RetryAfter is { } wait)
        {
            Context.Items[RetryAfterItem] = wait;
            return Task.FromResult(AuthenticateResult.Fail("too many failed sign-ins"));
        }

        if (attempt.Role is not { } role)
        {
            return Task.FromResult(AuthenticateResult.Fail("wrong user name or password"));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role), new Claim(UserSessions.StampClaim, attempt.Stamp!)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[RetryAfterItem] is TimeSpan wait)
        {
            return AuthExtensions.TooMany(Context, wait, "Too many failed sign-ins.").ExecuteAsync(Context);
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Basic realm=\"Somnis\", charset=\"UTF-8\"";
        return Task.CompletedTask;
    }
}
