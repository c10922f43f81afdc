using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Somnis.Edge.Cli;
using Somnis.Hub.Alarms;
using Somnis.Hub.Auth;
using Somnis.Hub.Storage;
using Somnis.Hub.Tests.Storage;

namespace Somnis.Hub.Tests.Auth;

/// <summary>
/// <c>users …</c> run in process through the hub's own parser, with standard input given, against a store on disk; and
/// what a first start makes of <c>Auth:Users</c>.
/// </summary>
public sealed class UsersCommandTests : IDisposable
{
    private const string BossPassword = "boss-password-1";
    private readonly string _data = Directory.CreateTempSubdirectory("somnis-users-cli-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    private static async Task<(int Code, string Output, string Error)> Users(string stdin, params string[] args)
    {
        var (flags, keys) = Switches.SplitKeys(["users", .. args]);
        var root = new RootCommand("test");
        root.Subcommands.Add(UsersCommand.Create(keys, new StringReader(stdin)));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Switches.InvokeAsync("somnis-hub", root, flags, keys, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private IUserStore Store() => new SomnisStore(Options.Create(new HubOptions { DataDirectory = _data }));

    [Fact]
    public async Task Users_are_added_listed_changed_and_removed_with_the_password_on_standard_input()
    {
        var (code, output, error) = await Users(BossPassword + "\n", "add", "boss", "--role", "supervisor", "--data", _data);
        Assert.True(code == 0, error);
        Assert.Equal("added boss (supervisor)", output.Trim());
        Assert.Equal(PasswordCheck.Right, Passwords.Verify(BossPassword, Store().FindUser("boss")!.PasswordHash));

        // A configuration key names the data directory as well as --data does.
        Assert.Equal(0, (await Users("tina-password-1\n", "add", "tina", "--role", "technician", "--Hub:DataDirectory", _data)).Code);
        (code, output, _) = await Users("", "list", "--data", _data);
        Assert.Equal(0, code);
        var lines = output.Trim().Split('\n');
        Assert.StartsWith("NAME", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^boss\s+supervisor\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+command-line:", lines[1]);
        Assert.Matches(@"^tina\s+technician\s", lines[2]);

        Assert.Equal(0, (await Users("", "set-role", "tina", "--role", "supervisor", "--data", _data)).Code);
        Assert.Equal(Roles.Supervisor, Store().FindUser("tina")!.Role);
        Assert.Equal(0, (await Users("another boss password\n", "set-password", "boss", "--data", _data)).Code);
        Assert.Equal(PasswordCheck.Right, Passwords.Verify("another boss password", Store().FindUser("boss")!.PasswordHash));
        (code, output, _) = await Users("", "remove", "boss", "--data", _data);
        Assert.Equal((0, "removed boss"), (code, output.Trim()));
        Assert.Equal(["tina"], Store().Users().Select(u => u.Name));

        var audit = ((IAlarmStore)Store()).QueryAudit(new AuditFilter(null, null, null, null, null, 100));
        Assert.Equal(["user-add", "user-add", "user-role", "user-password", "user-remove"], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.StartsWith("command-line:", a.Actor, StringComparison.Ordinal));
        Assert.DoesNotContain(audit, a => (a.Detail ?? "").Contains("password-1", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", new[] { "add", "tina", "--role", "technician" }, 2, "a password is required")]
    [InlineData("short\n", new[] { "add", "tina", "--role", "technician" }, 2, "the password is too short: at least 12 characters")]
    [InlineData(BossPassword + "\n", new[] { "add", "bad name", "--role", "technician" }, 2, "'bad name' is not a valid user name")]
    [InlineData(BossPassword + "\n", new[] { "add", "tina", "--role", "janitor" }, 2, "'janitor'")]
    [InlineData(BossPassword + "\n", new[] { "add", "tina" }, 2, "Option '--role' is required")]
    [InlineData(BossPassword + "\n", new[] { "add", "BOSS", "--role", "technician" }, 1, "the user name 'BOSS' is taken")]
    [InlineData("", new[] { "remove", "boss" }, 1, "'boss' is the last supervisor and cannot be removed")]
    [InlineData("", new[] { "set-role", "boss", "--role", "technician" }, 1, "'boss' is the last supervisor and cannot be demoted")]
    [InlineData("", new[] { "remove", "nobody" }, 1, "no user 'nobody'")]
    [InlineData("short\n", new[] { "set-password", "boss" }, 2, "too short")]
    public async Task Bad_input_is_named_with_its_exit_code_and_changes_nothing(string stdin, string[] args, int exit, string message)
    {
        Assert.Equal(0, (await Users(BossPassword + "\n", "add", "boss", "--role", "supervisor", "--data", _data)).Code);
        var before = Store().Users();

        var (code, output, error) = await Users(stdin, [.. args, "--data", _data]);
        Assert.Equal(exit, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Equal("", output);
        Assert.Equal(before, Store().Users());
    }

    [Fact]
    public async Task Nothing_is_created_for_a_refused_password_or_a_store_that_is_not_there()
    {
        var empty = Path.Combine(_data, "empty");
        Assert.Equal(2, (await Users("short\n", "add", "boss", "--role", "supervisor", "--data", empty)).Code);
        var (code, _, error) = await Users("", "list", "--data", empty);
        Assert.Equal(2, code);
        Assert.Contains("there is no store at", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(empty));

        (code, _, error) = await Users("", "--data", _data);
        Assert.Equal(2, code);
        Assert.Contains("Run 'somnis-hub users --help' for usage.", error, StringComparison.Ordinal);
        (code, _, error) = await Users("", "add", "--data", _data);
        Assert.Equal(2, code);
        Assert.Contains("Run 'somnis-hub users add --help' for usage.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_first_start_copies_configured_users_into_the_store_and_later_the_store_wins()
    {
        using var db = new TempStore();
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var logger = new TestLogger<UserAccounts>();
        UserAccounts Accounts(params UserEntry[] configured) => new(db.Store,
            new UserSessions(db.Store, TimeProvider.System, services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), NullLogger<UserSessions>.Instance),
            Options.Create(new AuthOptions { Users = [.. configured] }), TimeProvider.System,
            services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), logger);
        var hash = Passwords.Hash("tess-password-1");

        Accounts(new UserEntry { Name = "tess", Role = Roles.Technician, PasswordHash = hash }, new UserEntry { Name = "sam", Role = Roles.Supervisor, PasswordHash = hash })
            .SeedFromConfiguration();
        Assert.Equal([("sam", Roles.Supervisor, "configuration"), ("tess", Roles.Technician, "configuration")],
            db.Store.Users().Select(u => (u.Name, u.Role, u.CreatedBy)));
        Assert.Contains("The store had no users: 2 added from Auth:Users", logger.Lines);

        // Configuration changed later: the store is used, and each difference is named.
        Accounts(new UserEntry { Name = "tess", Role = Roles.Supervisor, PasswordHash = hash }, new UserEntry { Name = "newbie", Role = Roles.Technician, PasswordHash = hash })
            .SeedFromConfiguration();
        Assert.Equal(["sam", "tess"], db.Store.Users().Select(u => u.Name));
        Assert.Equal(Roles.Technician, db.Store.FindUser("tess")!.Role);
        Assert.Contains(logger.Lines, l => l.StartsWith("Auth:Users lists tess as supervisor but the store has technician: the store is used", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.StartsWith("Auth:Users lists newbie as technician but the store has no such user", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Lines, l => l.Contains("lists sam", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_user_removed_with_the_command_while_the_hub_runs_is_signed_out_within_the_check_period()
    {
        using var hub = new HubFactory();
        var address = hub.ServeOnKestrel();
        using var browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        using var signIn = await browser.PostAsync(new Uri("/login", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = "tess", ["password"] = HubFactory.Password, ["returnUrl"] = "/" }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var feed = await browser.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, feed.StatusCode);

        var (code, _, error) = await Users("", "remove", "tess", "--data", hub.DataDirectory);
        Assert.True(code == 0, error);

        // The hub reads the store every few seconds (UserSessions.CheckPeriod): the live feed ends, then the cookie is refused.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await (await feed.Content.ReadAsStreamAsync(cts.Token)).CopyToAsync(Stream.Null, cts.Token);
        using var after = await browser.GetAsync(new Uri("/api/me", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }
}
