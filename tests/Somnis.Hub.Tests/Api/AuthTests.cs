using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Somnis.Hub.Tests.Api;

public sealed class AuthTests
{
    [Theory]
    [InlineData("/api/beds")]
    [InlineData("/api/beds/bed-01")]
    [InlineData("/api/ingestion")]
    [InlineData("/api/events")]
    [InlineData("/api/me")]
    [InlineData("/metrics")]
    public async Task Api_without_credentials_answers_401_with_a_basic_challenge(string path)
    {
        await using var hub = new HubFactory();
        using var client = hub.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Basic", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_is_anonymous()
    {
        await using var hub = new HubFactory();
        using var client = hub.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Contains(ready.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
    }

    [Fact]
    public async Task Basic_credentials_give_access_and_wrong_ones_do_not()
    {
        await using var hub = new HubFactory();
        using var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = HubFactory.Basic("tess");
        var beds = await client.GetFromJsonAsync<object[]>("/api/beds");
        Assert.NotNull(beds);
        var me = await client.GetFromJsonAsync<Somnis.Hub.Auth.UserInfo>("/api/me");
        Assert.Equal(new Somnis.Hub.Auth.UserInfo("tess", "technician"), me);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri("/api/beds/nope", UriKind.Relative))).StatusCode);

        client.DefaultRequestHeaders.Authorization = HubFactory.Basic("tess", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/api/beds", UriKind.Relative))).StatusCode);
        client.DefaultRequestHeaders.Authorization = HubFactory.Basic("mallory");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/api/beds", UriKind.Relative))).StatusCode);
        client.DefaultRequestHeaders.Authorization = new("Basic", "%%%");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/api/beds", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Browser_is_sent_to_sign_in_and_gets_a_cookie_session()
    {
        await using var hub = new HubFactory();
        using var client = hub.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

        var home = await client.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.StartsWith("/login", home.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync(new Uri("/js/console.js", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/login", UriKind.Relative))).StatusCode);
        var css = await client.GetAsync(new Uri("/login.css", UriKind.Relative));
        Assert.Equal((HttpStatusCode.OK, "text/css"), (css.StatusCode, css.Content.Headers.ContentType?.MediaType));

        var wrong = await client.PostAsync(new Uri("/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = "tess", ["password"] = "nope", ["returnUrl"] = "/" }));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        // An open redirect to another site is refused: sign-in always lands on this hub.
        var signIn = await client.PostAsync(new Uri("/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = "tess", ["password"] = HubFactory.Password, ["returnUrl"] = "//evil.example/" }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/", signIn.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/beds", UriKind.Relative))).StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, (await client.PostAsync(new Uri("/logout", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/api/beds", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public void Invalid_user_configuration_is_refused_naming_the_setting()
    {
        var options = new Somnis.Hub.Auth.AuthOptions
        {
            Users =
            [
                new() { Name = "a", Role = "janitor", PasswordHash = Somnis.Hub.Auth.Passwords.Hash("long enough") },
                new() { Name = "b", Role = "supervisor", PasswordHash = "plain-text" },
                new() { Name = "Dr Smith", Role = "supervisor", PasswordHash = Somnis.Hub.Tests.Auth.PasswordsTests.OldHash },
                new() { Name = "B", Role = "technician", PasswordHash = Somnis.Hub.Tests.Auth.PasswordsTests.OldHash },
            ],
        };
        var result = new Somnis.Hub.Auth.AuthOptionsValidator().Validate(null, options);
        Assert.Contains("Auth:Users:0:Role must be 'technician' or 'supervisor' (got 'janitor')", result.Failures!);
        Assert.Contains(result.Failures!, f => f.StartsWith("Auth:Users:1:PasswordHash is not a password hash", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Auth:Users:2:Name: 'Dr Smith' is not a valid user name", StringComparison.Ordinal));
        Assert.Contains("Auth:Users:3:Name 'B' is listed twice (names are unique ignoring case)", result.Failures!);
        // Both hash formats are accepted: the older one is replaced at the user's next sign-in.
        Assert.Equal(4, result.Failures!.Count());
    }
}
