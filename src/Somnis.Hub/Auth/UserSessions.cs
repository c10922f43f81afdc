using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Somnis.Hub.Auth;

/// <summary>
/// Ends a user's sessions when they are removed or their role or password changes (docs/operations.md, "Users"). A
/// browser session (cookie) carries the user's security stamp from sign-in (<see cref="StampClaim"/>) and is checked
/// against it on every request (<see cref="ValidateCookieAsync"/>); a streaming request (the live feed) is ended when
/// its user's sessions end (<see cref="UseUserSessions"/>). HTTP Basic needs neither: it checks the store on every
/// request (<see cref="UserAccounts.Verify"/>).
/// </summary>
/// <remarks>
/// The check is a look-up in memory: what the store held when last read. Changes made through this hub re-read it at once;
/// changes made elsewhere (the <c>users</c> command, another hub on a shared store) are read within
/// <see cref="CheckPeriod"/>. A stamp the memory does not know (a session signed in after such a change) makes the
/// store be read again before the session is refused, so a valid session is never refused for the memory being behind.
/// </remarks>
internal sealed class UserSessions : BackgroundService
{
    /// <summary>The claim of a browser session that holds its user's security stamp at sign-in.</summary>
    public const string StampClaim = "somnis:stamp";

    /// <summary>How often the store is read for changes made outside this hub.</summary>
    public static readonly TimeSpan CheckPeriod = TimeSpan.FromSeconds(5);

    private readonly IUserStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<UserSessions> _logger;
    private readonly Counter<long> _ended;
    private readonly Lock _refresh = new();
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _endings = new(StringComparer.Ordinal);
    private volatile Dictionary<string, Known> _known = new(StringComparer.Ordinal);

    public UserSessions(IUserStore store, TimeProvider time, IMeterFactory meters, ILogger<UserSessions> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _ended = meters.Create(HubMetrics.MeterName).CreateCounter<long>("somnis.auth.sessions_ended", "{user}",
            "Users whose sessions were ended, by reason (removed, changed: role or password)");
    }

    /// <summary>The user exists with this stamp and role: their session goes on.</summary>
    public bool IsCurrent(string name, string? stamp, string? role)
    {
        if (stamp is null)
        {
            return false;
        }

        if (Matches(name, stamp, role))
        {
            return true;
        }

        // Not what memory holds: a change made elsewhere may not have been read yet. The store decides.
        Refresh();
        return Matches(name, stamp, role);
    }

    /// <summary>Cancelled when the sessions of <paramref name="name"/> end.</summary>
    public CancellationToken Ended(string name) => _endings.GetOrAdd(name, _ => new CancellationTokenSource()).Token;

    /// <summary>Reads the users from the store and ends the sessions of every user removed or changed since the last read.</summary>
    public void Refresh()
    {
        var ended = new List<(string Name, string Reason)>();
        lock (_refresh)
        {
            var now = _store.Users().ToDictionary(u => u.Name, u => new Known(u.Role, u.Stamp), StringComparer.Ordinal);
            foreach (var (name, before) in _known)
            {
                if (!now.TryGetValue(name, out var after))
                {
                    ended.Add((name, "removed"));
                }
                else if (after.Stamp != before.Stamp)
                {
                    ended.Add((name, "changed"));
                }
            }

            _known = now;
        }

        foreach (var (name, reason) in ended)
        {
            // A request that takes the token from here on gets a new one: only what ran before the change ends.
            if (_endings.TryRemove(name, out var ending))
            {
                ending.Cancel();
            }

            _ended.Add(1, new KeyValuePair<string, object?>("reason", reason));
            Log.SessionsEnded(_logger, name, reason == "removed" ? "removed" : "role or password changed");
        }
    }

    /// <summary>The cookie handler's check on every request: a session whose user is gone or whose stamp or role is not
    /// the user's any more is refused and its cookie deleted (an API caller gets 401, a page the sign-in page).</summary>
    public static async Task ValidateCookieAsync(CookieValidatePrincipalContext context)
    {
        var sessions = context.HttpContext.RequestServices.GetRequiredService<UserSessions>();
        if (context.Principal is not { Identity.Name: { } name } user
            || !sessions.IsCurrent(name, user.FindFirstValue(StampClaim), user.FindFirstValue(ClaimTypes.Role)))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckPeriod, _time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                Refresh();
            }
            catch (Exception ex)
            {
                // By design: a store that cannot be read now must not end the checks; the next tick reads again.
                Log.UsersRefreshFailed(_logger, ex);
            }
        }
    }

    private bool Matches(string name, string stamp, string? role) =>
        _known.TryGetValue(name, out var k) && k.Stamp == stamp && k.Role == role;

    private readonly record struct Known(string Role, string Stamp);
}

internal static class UserSessionsMiddleware
{
    /// <summary>
    /// Call after <c>UseAuthentication()</c>. A streaming request of a signed-in user (one that accepts
    /// <c>text/event-stream</c>: the live feed) sees its <see cref="HttpContext.RequestAborted"/> cancelled when the
    /// user's sessions end, and its response ends there; the browser's reconnection then meets the ended session.
    /// Ordinary requests are short and are not touched: they finish as they started.
    /// </summary>
    public static void UseUserSessions(this WebApplication app) => app.Use(async (ctx, next) =>
    {
        if (ctx.User.Identity is not { IsAuthenticated: true, Name: { } name }
            || !ctx.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            await next(ctx);
            return;
        }

        var aborted = ctx.RequestAborted;
        var sessions = ctx.RequestServices.GetRequiredService<UserSessions>();
        var ended = sessions.Ended(name);
        // Checked again after taking the token: a change between sign-in and here would otherwise go unnoticed.
        if (!sessions.IsCurrent(name, ctx.User.FindFirstValue(UserSessions.StampClaim), ctx.User.FindFirstValue(ClaimTypes.Role)))
        {
            ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, ended);
        ctx.RequestAborted = linked.Token;
        try
        {
            await next(ctx);
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested && !aborted.IsCancellationRequested)
        {
            // By design: the user's sessions ended. What was sent stays sent; the response ends here.
            if (!ctx.Response.HasStarted)
            {
                ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
            }
        }
    });
}
