using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Somnis.Hub.Alarms;
using Somnis.Hub.Auth;

namespace Somnis.Hub.Tests.Auth;

/// <summary>
/// Users a supervisor manages, through real HTTP (the hub on Kestrel on a loopback port): the API, sessions that end
/// when their user is removed or changed (a browser's cookie, its live feed, HTTP Basic), own password changes, the
/// rehash of an old hash, and bad input that changes nothing.
/// </summary>
public sealed class UsersApiTests : IDisposable
{
    private const string TinaPassword = "tina-password-1";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly List<IDisposable> _disposables = [];

    public void Dispose() => _disposables.ForEach(d => d.Dispose());

    private (HubFactory Hub, Uri Address) Start(Dictionary<string, string?>? settings = null)
    {
        var hub = new HubFactory(settings);
        _disposables.Add(hub);
        return (hub, hub.ServeOnKestrel());
    }

    /// <summary>An API client (HTTP Basic when <paramref name="user"/> is given) or, with <paramref name="cookies"/>, a
    /// browser-like client that keeps its session cookie.</summary>
    private HttpClient Client(Uri address, string? user = null, string password = HubFactory.Password, bool cookies = false)
    {
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = cookies }) { BaseAddress = address, Timeout = Patience };
        if (user is not null)
        {
            client.DefaultRequestHeaders.Authorization = HubFactory.Basic(user, password);
        }

        _disposables.Add(client);
        return client;
    }

    private async Task<HttpClient> SignedIn(Uri address, string user, string password = HubFactory.Password)
    {
        var browser = Client(address, cookies: true);
        using var signIn = await browser.PostAsync(new Uri("/login", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = user, ["password"] = password, ["returnUrl"] = "/" }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        return browser;
    }

    private static async Task<HttpStatusCode> Status(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        return response.StatusCode;
    }

    /// <summary>Opens the live feed as a browser does and waits for its first event.</summary>
    private static async Task<(HttpResponseMessage Response, StreamReader Reader)> LiveFeed(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var cts = new CancellationTokenSource(Patience);
        // The hub's greeting (event "connected", naming the node and its role) comes first, before any snapshot.
        while (await reader.ReadLineAsync(cts.Token) is { } line && line != "event: connected")
        {
        }

        return (response, reader);
    }

    /// <summary>Reads the live feed until the hub ends it; fails if it is still open after <see cref="Patience"/>.</summary>
    private static async Task EndsAsync(StreamReader feed)
    {
        using var cts = new CancellationTokenSource(Patience);
        await feed.ReadToEndAsync(cts.Token);
    }

    private static async Task<List<AuditEntry>> UserAudit(HttpClient supervisor) =>
        [.. (await supervisor.GetFromJsonAsync<List<AuditEntry>>("/api/audit"))!.Where(a => a.Action.StartsWith("user-", StringComparison.Ordinal))];

    private static async Task<string> Problem(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail!;

    [Fact]
    public async Task A_supervisor_adds_a_technician_who_signs_in_and_whose_sessions_end_at_once_when_removed()
    {
        var (hub, address) = Start();
        using var ended = new MetricCollector<long>(hub.Services.GetRequiredService<IMeterFactory>(), HubMetrics.MeterName, "somnis.auth.sessions_ended");
        var supervisor = Client(address, "sam");
        using (var added = await supervisor.PostAsJsonAsync("/api/users", new { name = "tina", role = "technician", password = TinaPassword }))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            Assert.Equal("/api/users/tina", added.Headers.Location!.OriginalString);
            var view = (await added.Content.ReadFromJsonAsync<UserView>())!;
            Assert.Equal(("tina", Roles.Technician, "sam"), (view.Name, view.Role, view.CreatedBy));
        }

        Assert.Equal(["sam", "tess", "tina"], (await supervisor.GetFromJsonAsync<List<UserView>>("/api/users"))!.Select(u => u.Name));

        // The technician signs in with the form (a cookie session), watches the live feed, and uses HTTP Basic too.
        var browser = await SignedIn(address, "tina", TinaPassword);
        Assert.Equal(new UserInfo("tina", Roles.Technician), await browser.GetFromJsonAsync<UserInfo>("/api/me"));
        var (response, feed) = await LiveFeed(browser);
        using var _ = response;
        using var __ = feed;
        var api = Client(address, "tina", TinaPassword);
        Assert.Equal(HttpStatusCode.OK, await Status(api, "/api/beds"));

        using (var removed = await supervisor.DeleteAsync(new Uri("/api/users/tina", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        // At once: the live feed ends, the cookie's next request is refused, and so is HTTP Basic (whose successful
        // check the hub remembers for minutes, but not past the store).
        await EndsAsync(feed);
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(browser, "/api/beds"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(api, "/api/beds"));
        Assert.Equal(HttpStatusCode.Redirect, await Status(browser, "/"));

        // A page's own request gets no Basic challenge (the page goes to the sign-in page; a challenge would make the
        // browser ask for a password in its own dialog); an API client still does.
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/me") { Headers = { { "Sec-Fetch-Site", "same-origin" } } })
        using (var fromPage = await Client(address).SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, fromPage.StatusCode);
            Assert.Empty(fromPage.Headers.WwwAuthenticate);
        }

        using (var fromScript = await Client(address).GetAsync(new Uri("/api/me", UriKind.Relative)))
        {
            Assert.StartsWith("Basic", fromScript.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
        Assert.Contains(ended.GetMeasurementSnapshot(), m => Equals(m.Tags["reason"], "removed"));

        var audit = await UserAudit(supervisor);
        Assert.Equal(
            [("user-add", "configuration"), ("user-add", "configuration"), ("user-add", "sam"), ("user-remove", "sam")],
            audit.Select(a => (a.Action, a.Actor)));
        Assert.Equal(["user tina, role technician", "user tina"], audit.Skip(2).Select(a => a.Detail));
        Assert.DoesNotContain(audit, a => (a.Detail ?? "").Contains(TinaPassword, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_role_change_ends_the_users_sessions_and_the_new_role_applies_at_the_next_sign_in()
    {
        var (_, address) = Start();
        var browser = await SignedIn(address, "tess");
        var (response, feed) = await LiveFeed(browser);
        using var _ = response;
        using var __ = feed;
        var supervisor = Client(address, "sam");
        using (var changed = await supervisor.PutAsJsonAsync("/api/users/tess/role", new { role = "supervisor" }))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            Assert.Equal(Roles.Supervisor, (await changed.Content.ReadFromJsonAsync<UserView>())!.Role);
        }

        await EndsAsync(feed);
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(browser, "/api/me"));
        var again = await SignedIn(address, "tess");
        Assert.Equal(new UserInfo("tess", Roles.Supervisor), await again.GetFromJsonAsync<UserInfo>("/api/me"));
        Assert.Equal(HttpStatusCode.OK, await Status(again, "/api/users"));

        // Setting the role a user already has changes nothing: no audit entry, and the session goes on.
        using (var same = await supervisor.PutAsJsonAsync("/api/users/tess/role", new { role = "supervisor" }))
        {
            Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, await Status(again, "/api/me"));
        Assert.Equal(["user-add", "user-add", "user-role"], (await UserAudit(supervisor)).Select(a => a.Action));
        Assert.Equal("user tess: technician -> supervisor", (await UserAudit(supervisor))[^1].Detail);
    }

    [Fact]
    public async Task Bad_input_and_technicians_get_a_clear_4xx_and_nothing_changes()
    {
        var (_, address) = Start();
        var supervisor = Client(address, "sam");
        async Task Refused(Task<HttpResponseMessage> request, HttpStatusCode status, string problem)
        {
            using var response = await request;
            Assert.Equal(status, response.StatusCode);
            Assert.Contains(problem, await Problem(response), StringComparison.Ordinal);
        }

        await Refused(supervisor.PostAsJsonAsync("/api/users", new { name = "bad name", role = "technician", password = TinaPassword }), HttpStatusCode.BadRequest, "'bad name' is not a valid user name");
        await Refused(supervisor.PostAsJsonAsync("/api/users", new { name = "a:b", role = "technician", password = TinaPassword }), HttpStatusCode.BadRequest, "not a valid user name");
        await Refused(supervisor.PostAsJsonAsync("/api/users", new { }), HttpStatusCode.BadRequest, "a user name is required");
        await Refused(supervisor.PostAsJsonAsync("/api/users", new { name = "tina", role = "technician", password = "too-short" }), HttpStatusCode.BadRequest, "at least 12 characters");
        await Refused(supervisor.PostAsJsonAsync("/api/users", new { name = "tina", role = "technician", password = "" }), HttpStatusCode.BadRequest, "a password is required");
        await Refused(supervisor.PostAsJsonAsync("/api/users", new { name = "tina", role = "janitor", password = TinaPassword }), HttpStatusCode.BadRequest, "role must be 'technician' or 'supervisor' (got 'janitor')");
        await Refused(supervisor.PostAsJsonAsync("/api/users", new { name = "TESS", role = "technician", password = TinaPassword }), HttpStatusCode.Conflict, "the user name 'TESS' is taken");
        await Refused(supervisor.DeleteAsync(new Uri("/api/users/sam", UriKind.Relative)), HttpStatusCode.Conflict, "'sam' is the last supervisor and cannot be removed");
        await Refused(supervisor.PutAsJsonAsync("/api/users/sam/role", new { role = "technician" }), HttpStatusCode.Conflict, "'sam' is the last supervisor and cannot be demoted");
        await Refused(supervisor.PutAsJsonAsync("/api/users/tess/role", new { role = "admin" }), HttpStatusCode.BadRequest, "role must be");
        await Refused(supervisor.DeleteAsync(new Uri("/api/users/nobody", UriKind.Relative)), HttpStatusCode.NotFound, "no user 'nobody'");
        await Refused(supervisor.PutAsJsonAsync("/api/users/nobody/role", new { role = "technician" }), HttpStatusCode.NotFound, "no user 'nobody'");

        var technician = Client(address, "tess");
        await Refused(technician.GetAsync(new Uri("/api/users", UriKind.Relative)), HttpStatusCode.Forbidden, "managing users needs a supervisor");
        await Refused(technician.PostAsJsonAsync("/api/users", new { name = "mallory", role = "supervisor", password = TinaPassword }), HttpStatusCode.Forbidden, "needs a supervisor");
        await Refused(technician.DeleteAsync(new Uri("/api/users/sam", UriKind.Relative)), HttpStatusCode.Forbidden, "needs a supervisor");
        await Refused(technician.PutAsJsonAsync("/api/users/tess/role", new { role = "supervisor" }), HttpStatusCode.Forbidden, "needs a supervisor");
        var cookieTechnician = await SignedIn(address, "tess");
        Assert.Equal(HttpStatusCode.Forbidden, await Status(cookieTechnician, "/api/users"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(Client(address), "/api/users"));

        // Nothing changed: the same users with their roles, no audit entry beyond the first start's, and the sessions go on.
        Assert.Equal([("sam", Roles.Supervisor), ("tess", Roles.Technician)], (await supervisor.GetFromJsonAsync<List<UserView>>("/api/users"))!.Select(u => (u.Name, u.Role)));
        Assert.Equal(2, (await UserAudit(supervisor)).Count);
        Assert.Equal(HttpStatusCode.OK, await Status(cookieTechnician, "/api/me"));
    }

    [Fact]
    public async Task A_user_changes_their_own_password_and_their_other_sessions_end()
    {
        var (_, address) = Start();
        var here = await SignedIn(address, "tess");
        var elsewhere = await SignedIn(address, "tess");
        const string NewPassword = "a new horse battery";
        async Task<HttpResponseMessage> Change(string current, string @new) =>
            await here.PostAsJsonAsync("/api/users/me/password", new { current, @new });

        using (var wrong = await Change("not-the-password", NewPassword))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
            Assert.Contains("the current password is wrong", await Problem(wrong), StringComparison.Ordinal);
        }

        using (var tooShort = await Change(HubFactory.Password, "short"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
            Assert.Contains("at least 12 characters", await Problem(tooShort), StringComparison.Ordinal);
        }

        using (var missing = await here.PostAsJsonAsync("/api/users/me/password", new { current = HubFactory.Password }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, await Status(elsewhere, "/api/me"));
        using (var changed = await Change(HubFactory.Password, NewPassword))
        {
            Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        }

        // This browser goes on (signed in again with the new stamp); the other session ended; the old password is refused.
        Assert.Equal(HttpStatusCode.OK, await Status(here, "/api/me"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(elsewhere, "/api/me"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Status(Client(address, "tess"), "/api/me"));
        Assert.Equal(HttpStatusCode.OK, await Status(Client(address, "tess", NewPassword), "/api/me"));

        var entry = (await UserAudit(Client(address, "sam")))[^1];
        Assert.Equal(("user-password", "tess", "user tess changed their own password"), (entry.Action, entry.Actor, entry.Detail));
    }

    [Fact]
    public async Task An_old_format_hash_still_signs_in_and_is_replaced_by_the_new_format_keeping_sessions()
    {
        var (hub, address) = Start(new() { ["Auth:Users:0:PasswordHash"] = PasswordsTests.OldHash });
        var store = hub.Services.GetRequiredService<IUserStore>();
        var before = store.FindUser("tess")!;
        Assert.Equal(PasswordsTests.OldHash, before.PasswordHash);

        var browser = await SignedIn(address, "tess", PasswordsTests.OldPassword);
        var after = store.FindUser("tess")!;
        Assert.NotEqual(PasswordsTests.OldHash, after.PasswordHash);
        Assert.Equal(PasswordCheck.Right, Passwords.Verify(PasswordsTests.OldPassword, after.PasswordHash));
        Assert.Equal(before.Stamp, after.Stamp);

        // The session signed in at the rehash goes on; the password still works, now against the new hash.
        Assert.Equal(HttpStatusCode.OK, await Status(browser, "/api/me"));
        Assert.Equal(HttpStatusCode.OK, await Status(Client(address, "tess", PasswordsTests.OldPassword), "/api/me"));
        Assert.Equal(after.PasswordHash, store.FindUser("tess")!.PasswordHash);
    }
}
