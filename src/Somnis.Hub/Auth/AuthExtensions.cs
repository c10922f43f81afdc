using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Somnis.Hub.Auth;

/// <summary>
/// Sign-in: a cookie for browsers (sign-in page at <c>/login</c>) and HTTP Basic for API clients, chosen per request.
/// Every endpoint requires a signed-in user with a role unless it says otherwise (only health and sign-in do).
/// </summary>
internal static class AuthExtensions
{
    public const string TechnicianPolicy = "technician";
    public const string SupervisorPolicy = "supervisor";
    private const string SelectorScheme = "somnis";
    internal const string SignInLimit = "sign-in";

    public static IHostApplicationBuilder AddSomnisAuth(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptionsWithValidateOnStart<AuthOptions, AuthOptionsValidator>().Bind(builder.Configuration.GetSection(AuthOptions.Section));
        services.AddOptionsWithValidateOnStart<SignInOptions, SignInOptionsValidator>().Bind(builder.Configuration.GetSection(SignInOptions.Section));
        services.AddSingleton<SignInGuard>();
        services.AddRateLimiter(o =>
        {
            // Every sign-in form post counts, per client address (docs/operations.md, "Sign-in protection").
            o.AddPolicy(SignInLimit, ctx =>
            {
                var options = ctx.RequestServices.GetRequiredService<IOptions<SignInOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new()
                {
                    PermitLimit = options.AttemptsPerAddress, Window = options.Window, QueueLimit = 0, AutoReplenishment = true,
                });
            });
            o.OnRejected = (ctx, ct) =>
            {
                ctx.HttpContext.RequestServices.GetRequiredService<SignInGuard>().CountRejected();
                var wait = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : TimeSpan.FromMinutes(1);
                return new ValueTask(TooMany(ctx.HttpContext, wait, "Too many sign-in attempts from this address.").ExecuteAsync(ctx.HttpContext));
            };
        });
        services.AddAuthentication(SelectorScheme)
            .AddPolicyScheme(SelectorScheme, "Cookie or Basic", o => o.ForwardDefaultSelector = ctx =>
                ctx.Request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)
                    ? BasicAuthenticationHandler.SchemeName
                    : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(BasicAuthenticationHandler.SchemeName, null)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, o =>
            {
                o.LoginPath = "/login";
                o.LogoutPath = "/logout";
                o.Cookie.Name = "somnis";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                // Secure under HTTPS (also behind a trusted proxy that says so, Transport:TrustedProxies); plain HTTP is
                // only allowed on loopback and in the demo.
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.SlidingExpiration = true;
                o.Events.OnRedirectToLogin = ctx => ApiAware(ctx, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = ctx => ApiAware(ctx, StatusCodes.Status403Forbidden);
                // A session ends when its user is removed or their role or password changes (docs/operations.md, "Users").
                o.Events.OnValidatePrincipal = UserSessions.ValidateCookieAsync;
            });
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>>((cookie, auth) => cookie.ExpireTimeSpan = auth.Value.SessionLifetime);

        var anyRole = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireRole(Roles.Technician, Roles.Supervisor).Build();
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(anyRole)
            .SetDefaultPolicy(anyRole)
            .AddPolicy(TechnicianPolicy, anyRole)
            .AddPolicy(SupervisorPolicy, p => p.RequireAuthenticatedUser().RequireRole(Roles.Supervisor));
        return builder;
    }

    /// <summary>API callers get a status code (with a Basic challenge) instead of a redirect to the sign-in page. A page of
    /// the dashboard asking (the browser says so: <c>Sec-Fetch-Site: same-origin</c>) gets no Basic challenge: its script
    /// goes to the sign-in page when its session has ended, where a challenge would make the browser ask for a password
    /// in a dialog of its own instead.</summary>
    private static Task ApiAware(RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        if (ctx.Request.Path.StartsWithSegments("/api") || ctx.Request.Path.StartsWithSegments("/metrics"))
        {
            ctx.Response.StatusCode = status;
            if (status == StatusCodes.Status401Unauthorized && ctx.Request.Headers["Sec-Fetch-Site"] != "same-origin")
            {
                ctx.Response.Headers.WWWAuthenticate = "Basic realm=\"Somnis\", charset=\"UTF-8\"";
            }

            return Task.CompletedTask;
        }

        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }

    public static void MapSignIn(this WebApplication app)
    {
        app.MapGet("/login", (HttpContext ctx) => Results.Content(LoginPage.Render(ctx.Request.Query["ReturnUrl"], error: null), "text/html; charset=utf-8"))
            .AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/login.css", () => Results.Text(LoginPage.Stylesheet, "text/css; charset=utf-8")).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/login", async (HttpContext ctx, SignInGuard guard, ILogger<SignInGuard> logger) =>
        {
            var form = await ctx.Request.ReadFormAsync();
            var name = form["username"].ToString();
            var returnUrl = form["returnUrl"].ToString();
            var attempt = guard.Attempt(name, form["password"].ToString(), ctx.Connection.RemoteIpAddress, "form");
            if (attempt.RetryAfter is { } wait)
            {
                return TooMany(ctx, wait, "Too many failed sign-ins.", returnUrl);
            }

            if (attempt.Role is not { } role)
            {
                Log.SignInFailed(logger, name.Length > 64 ? name[..64] : name);
                return Results.Content(LoginPage.Render(returnUrl, "Wrong user name or password."), "text/html; charset=utf-8", statusCode: StatusCodes.Status401Unauthorized);
            }

            await SignInCookieAsync(ctx, name, role, attempt.Stamp!);
            return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl : "/");
        }).AllowAnonymous().DisableAntiforgery().RequireRateLimiting(SignInLimit).ExcludeFromDescription();
        app.MapPost("/logout", async (HttpContext ctx) =>
        {
            await ctx.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/login");
        }).ExcludeFromDescription();
        app.MapGet("/api/me", (ClaimsPrincipal user) => new UserInfo(user.Identity?.Name ?? "", user.FindFirstValue(ClaimTypes.Role) ?? ""));
        app.MapGet("/api/auth/lockouts", (SignInGuard guard) => guard.Lockouts()).RequireAuthorization(SupervisorPolicy);
        app.MapDelete("/api/auth/lockouts/{name}", (string name, SignInGuard guard, ClaimsPrincipal user) =>
            guard.Unlock(name, user.Identity?.Name ?? "") ? Results.NoContent() : Results.NotFound()).RequireAuthorization(SupervisorPolicy);
    }

    /// <summary>Starts a browser session (the cookie) for a user who proved their password, with the user's security stamp
    /// (<see cref="UserSessions"/>).</summary>
    internal static Task SignInCookieAsync(HttpContext ctx, string name, string role, string stamp) =>
        ctx.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role), new Claim(UserSessions.StampClaim, stamp)],
            CookieAuthenticationDefaults.AuthenticationScheme)));

    /// <summary>429 with Retry-After (whole seconds, rounded up): the sign-in page for a browser, a line of text otherwise.</summary>
    internal static IResult TooMany(HttpContext ctx, TimeSpan wait, string why, string? returnUrl = null)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        ctx.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var message = $"{why} Try again in {(seconds < 120 ? $"{seconds} s" : $"{Math.Ceiling(seconds / 60.0)} min")}.";
        return ctx.Request.Path.StartsWithSegments("/login")
            ? Results.Content(LoginPage.Render(returnUrl, message), "text/html; charset=utf-8", statusCode: StatusCodes.Status429TooManyRequests)
            : Results.Text(message, statusCode: StatusCodes.Status429TooManyRequests);
    }

    private static bool IsLocal(string url) =>
        url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal);
}

public sealed record UserInfo(string Name, string Role);
