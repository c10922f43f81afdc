using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Somnis.Hub.Auth;

namespace Somnis.Hub.Tests.Auth;

/// <summary>
/// Sign-in that resists guessing, through real HTTP: the hub on Kestrel on a loopback port, the sign-in form and HTTP
/// Basic as a browser and an API client use them; lockouts end on a fake clock.
/// </summary>
public sealed class SignInGuardTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(TimeProvider.System.GetUtcNow());
    private readonly List<IDisposable> _disposables = [];

    public void Dispose() => _disposables.ForEach(d => d.Dispose());

    /// <summary>The hub serving on Kestrel with the given limits (the per-address windows are long, so they never roll
    /// over during a test) and the fake clock.</summary>
    private (HubFactory Hub, Uri Address) Start(int attemptsPerAddress = 1000, int failuresPerAddress = 1000, int lockoutFailures = 3)
    {
        var hub = new HubFactory(
            new()
            {
                ["Auth:SignIn:AttemptsPerAddress"] = attemptsPerAddress.ToString(CultureInfo.InvariantCulture),
                ["Auth:SignIn:FailuresPerAddress"] = failuresPerAddress.ToString(CultureInfo.InvariantCulture),
                ["Auth:SignIn:Window"] = "01:00:00",
                ["Auth:SignIn:LockoutFailures"] = lockoutFailures.ToString(CultureInfo.InvariantCulture),
                ["Auth:SignIn:LockoutWindow"] = "00:15:00",
                ["Auth:SignIn:LockoutDuration"] = "00:10:00",
            },
            services => services.AddSingleton<TimeProvider>(_time));
        _disposables.Add(hub);
        hub.UseKestrel(0);
        hub.StartServer();
        var address = hub.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (hub, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
    }

    private HttpClient Client(Uri address, string? user = null, string password = HubFactory.Password)
    {
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        if (user is not null)
        {
            client.DefaultRequestHeaders.Authorization = HubFactory.Basic(user, password);
        }

        _disposables.Add(client);
        return client;
    }

    private static Task<HttpResponseMessage> SignIn(HttpClient client, string user, string password) =>
        client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = user, ["password"] = password, ["returnUrl"] = "/" }));

    private static int RetryAfter(HttpResponseMessage response) =>
        int.Parse(Assert.Single(response.Headers.GetValues("Retry-After")), CultureInfo.InvariantCulture);

    [Fact]
    public async Task Repeated_failures_lock_the_name_out_even_for_the_right_password_until_the_lockout_ends()
    {
        var (_, address) = Start(lockoutFailures: 3);
        var browser = Client(address);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignIn(browser, "tess", "guess-" + i)).StatusCode);
        }

        // Locked out: the right password fails too, through the form and through HTTP Basic, with a time to wait.
        using var form = await SignIn(browser, "tess", HubFactory.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, form.StatusCode);
        Assert.InRange(RetryAfter(form), 590, 600);
        Assert.Contains("Too many failed sign-ins", await form.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var basic = await Client(address, "tess").GetAsync("/api/beds");
        Assert.Equal(HttpStatusCode.TooManyRequests, basic.StatusCode);
        Assert.InRange(RetryAfter(basic), 590, 600);

        // Other users are not affected; a supervisor sees the lockout.
        var supervisor = Client(address, "sam");
        Assert.Equal(HttpStatusCode.OK, (await supervisor.GetAsync("/api/beds")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(browser, "sam", HubFactory.Password)).StatusCode);
        var lockout = Assert.Single((await supervisor.GetFromJsonAsync<List<Lockout>>("/api/auth/lockouts"))!);
        Assert.Equal(("tess", 3, _time.GetUtcNow() + TimeSpan.FromMinutes(10)), (lockout.Name, lockout.Failures, lockout.LockedUntil));

        // The lockout ends on time.
        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await Client(address, "tess").GetAsync("/api/beds")).StatusCode);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await Client(address, "tess").GetAsync("/api/beds")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(browser, "tess", HubFactory.Password)).StatusCode);
        Assert.Empty((await supervisor.GetFromJsonAsync<List<Lockout>>("/api/auth/lockouts"))!);
    }

    [Fact]
    public async Task Failures_older_than_the_window_do_not_count_and_a_success_resets_the_count()
    {
        var (_, address) = Start(lockoutFailures: 3);
        var browser = Client(address);
        await SignIn(browser, "tess", "guess-1");
        await SignIn(browser, "tess", "guess-2");
        _time.Advance(TimeSpan.FromMinutes(15));
        await SignIn(browser, "tess", "guess-3");
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(browser, "tess", HubFactory.Password)).StatusCode);
        await SignIn(browser, "tess", "guess-4");
        await SignIn(browser, "tess", "guess-5");
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(browser, "tess", HubFactory.Password)).StatusCode);
    }

    [Fact]
    public async Task Failures_from_one_address_refuse_every_attempt_from_it_over_any_name()
    {
        var (hub, address) = Start(failuresPerAddress: 3, lockoutFailures: 100);
        using var throttled = new MetricCollector<long>(hub.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), HubMetrics.MeterName, "somnis.auth.throttled");
        foreach (var name in new[] { "alice", "bob", "carol" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await Client(address, name, "Winter2026!").GetAsync("/api/beds")).StatusCode);
        }

        // Spraying one password over many names stops here, and a right password from that address is not checked.
        using var next = await Client(address, "tess").GetAsync("/api/beds");
        Assert.Equal(HttpStatusCode.TooManyRequests, next.StatusCode);
        Assert.InRange(RetryAfter(next), 1, 3600);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignIn(Client(address), "sam", HubFactory.Password)).StatusCode);
        Assert.Equal(2, throttled.GetMeasurementSnapshot().Count(m => Equals(m.Tags["reason"], "address-failures")));
    }

    [Fact]
    public async Task Sign_in_posts_beyond_the_per_address_limit_get_429_with_retry_after()
    {
        var (_, address) = Start(attemptsPerAddress: 2);
        var browser = Client(address);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(browser, "tess", HubFactory.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignIn(browser, "tess", "wrong")).StatusCode);
        using var third = await SignIn(browser, "sam", HubFactory.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.InRange(RetryAfter(third), 1, 3600);
        Assert.Contains("Too many sign-in attempts from this address", await third.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // API clients with good credentials are not sign-in posts: unaffected.
        Assert.Equal(HttpStatusCode.OK, (await Client(address, "sam").GetAsync("/api/beds")).StatusCode);
    }

    [Fact]
    public async Task Only_a_supervisor_sees_and_lifts_lockouts()
    {
        var (_, address) = Start(lockoutFailures: 1);
        await SignIn(Client(address), "mallory", "guess");
        var technician = Client(address, "tess");
        Assert.Equal(HttpStatusCode.Forbidden, (await technician.GetAsync("/api/auth/lockouts")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await technician.DeleteAsync("/api/auth/lockouts/mallory")).StatusCode);

        var supervisor = Client(address, "sam");
        Assert.Equal("mallory", Assert.Single((await supervisor.GetFromJsonAsync<List<Lockout>>("/api/auth/lockouts"))!).Name);
        Assert.Equal(HttpStatusCode.NoContent, (await supervisor.DeleteAsync("/api/auth/lockouts/mallory")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await supervisor.DeleteAsync("/api/auth/lockouts/mallory")).StatusCode);
        Assert.Empty((await supervisor.GetFromJsonAsync<List<Lockout>>("/api/auth/lockouts"))!);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client(address).GetAsync("/api/auth/lockouts")).StatusCode);
    }

    [Fact]
    public void Settings_out_of_range_are_named()
    {
        var result = new SignInOptionsValidator().Validate(null, new SignInOptions { LockoutFailures = 0, LockoutDuration = TimeSpan.Zero, FailuresPerAddress = -1 });
        Assert.Contains("Auth:SignIn:LockoutFailures must be between 1 and 1000 (got 0)", result.Failures!);
        Assert.Contains(result.Failures!, f => f.StartsWith("Auth:SignIn:LockoutDuration must be between", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Auth:SignIn:FailuresPerAddress", StringComparison.Ordinal));
        Assert.True(new SignInOptionsValidator().Validate(null, new SignInOptions()).Succeeded);
    }
}
