using System.CommandLine;
using System.Data.Common;
using Microsoft.Extensions.Options;
using Somnis.Edge.Cli;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Auth;

/// <summary>
/// <c>users list|add|remove|set-role|set-password</c>: the users of a hub's store from the command line, with the rules,
/// the audit trail and the store of the API (<see cref="UserAccounts"/>); works while the hub runs (a running hub ends the
/// sessions of a removed or changed user within <see cref="UserSessions.CheckPeriod"/>) and before its first start (the
/// first supervisor). A password is read from standard input: its first line, or typed without echo at a terminal.
/// Exit codes: 0 done, 1 refused (name taken, no such user, last supervisor, store unusable), 2 bad command line, input
/// (name, role, password) or configuration.
/// </summary>
internal static class UsersCommand
{
    public const int Refused = 1;

    private const string ExitCodes = "Exit codes: 0 done, 1 refused (name taken, no such user, last supervisor, store unusable), 2 bad command line, input or configuration.";

    private static readonly IReadOnlyDictionary<string, string> Mappings = new Dictionary<string, string> { ["--data"] = "Hub:DataDirectory" };

    private static readonly IReadOnlyDictionary<string, string> Help = new Dictionary<string, string>
    {
        ["--data"] = "DIR: the hub's data directory, where its store is [default: data]",
    };

    /// <param name="keys">Configuration keys given as <c>--Section:Key value</c>.</param>
    /// <param name="input">Where passwords are read; standard input when null.</param>
    public static Command Create(IReadOnlyList<KeyValuePair<string, string?>> keys, TextReader? input = null)
    {
        var users = new Command("users", $"Manage the users of the hub's store (docs/operations.md, \"Users\"); works while the hub runs.\n{ExitCodes}");
        var context = new Context(keys, input);
        users.Subcommands.Add(context.Sub("list", "List the users: name, role, created when and by whom.", named: false, role: false, Need.ExistingStore,
            (accounts, _, output, _) =>
            {
                var list = accounts.List();
                var width = Math.Max(4, list.Select(u => u.Name.Length).DefaultIfEmpty(0).Max());
                output.WriteLine($"{"NAME".PadRight(width)}  {"ROLE",-10}  {"CREATED (UTC)",-16}  BY");
                foreach (var u in list)
                {
                    output.WriteLine($"{u.Name.PadRight(width)}  {u.Role,-10}  {u.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm}  {u.CreatedBy}");
                }

                return null;
            }));
        users.Subcommands.Add(context.Sub("add", $"Add a user; the password (at least {Passwords.MinLength} characters) is read from standard input.",
            named: true, role: true, Need.Password, (accounts, a, output, _) =>
            {
                var refused = accounts.Add(a.Name, a.Role, a.Password, Actor).Refused;
                return refused ?? Done(output, $"added {a.Name} ({a.Role})");
            }));
        users.Subcommands.Add(context.Sub("remove", "Remove a user; their sessions end (the last supervisor cannot be removed).",
            named: true, role: false, Need.ExistingStore, (accounts, a, output, _) => accounts.Remove(a.Name, Actor) ?? Done(output, $"removed {a.Name}")));
        users.Subcommands.Add(context.Sub("set-role", "Change a user's role; their sessions end (the last supervisor cannot be demoted).",
            named: true, role: true, Need.ExistingStore, (accounts, a, output, _) =>
                accounts.SetRole(a.Name, a.Role, Actor).Refused ?? Done(output, $"{a.Name} is {a.Role}")));
        users.Subcommands.Add(context.Sub("set-password", "Set a user's password (read from standard input, as for add); their sessions end.",
            named: true, role: false, Need.Password | Need.ExistingStore, (accounts, a, output, _) =>
                accounts.SetPassword(a.Name, a.Password, Actor).Refused ?? Done(output, $"password of {a.Name} set")));
        return users;
    }

    /// <summary>Who the audit trail names for a change made here.</summary>
    private static string Actor => $"command-line:{Environment.UserName}";

    private static Sleepers.Refusal? Done(TextWriter output, string what)
    {
        output.WriteLine(what);
        return null;
    }

    /// <summary>What a subcommand needs before it runs.</summary>
    [Flags]
    private enum Need
    {
        /// <summary>A password from standard input, read (and checked) before the store is opened.</summary>
        Password = 1,

        /// <summary>A store that exists already (all but <c>add</c>, which may create the first one).</summary>
        ExistingStore = 2,
    }

    /// <summary>The values of one subcommand's command line.</summary>
    private sealed record Given(string Name, string? Role, string? Password);

    /// <summary>A subcommand's work on the accounts; null when done, else why it was refused.</summary>
    private delegate Sleepers.Refusal? UsersAction(UserAccounts accounts, Given given, TextWriter output, TextWriter error);

    private sealed class Context(IReadOnlyList<KeyValuePair<string, string?>> keys, TextReader? input)
    {
        public Command Sub(string verb, string description, bool named, bool role, Need need, UsersAction action)
        {
            var command = new Command(verb, $"{description}\n{ExitCodes}");
            var name = new Argument<string>("NAME") { Description = "user name: 1-64 letters, digits, '.', '_', '-', '@'" };
            var roleOption = new Option<string>("--role") { Required = true, HelpName = "ROLE", Description = "technician or supervisor" }
                .AcceptOnlyFromAmong(Roles.Technician, Roles.Supervisor);
            if (named)
            {
                command.Arguments.Add(name);
            }

            if (role)
            {
                command.Options.Add(roleOption);
            }

            var switches = Switches.Options(Mappings, Help);
            foreach (var option in switches)
            {
                command.Options.Add(option);
            }

            command.SetAction(result =>
            {
                var error = result.InvocationConfiguration.Error;
                var user = named ? result.GetValue(name)! : "";
                var password = need.HasFlag(Need.Password) ? ReadPassword(input, user, error) : null;
                if (need.HasFlag(Need.Password) && password is null)
                {
                    return Switches.Usage;
                }

                var given = new Given(user, role ? result.GetValue(roleOption) : null, password);
                return Run(Switches.ConfigurationArgs(result, switches, Mappings, keys), need.HasFlag(Need.ExistingStore), result, accounts =>
                {
                    var refused = action(accounts, given, result.InvocationConfiguration.Output, error);
                    if (refused is null)
                    {
                        return Switches.Done;
                    }

                    error.WriteLine($"somnis-hub users: {refused.Problem}: nothing was changed");
                    return refused.Status == StatusCodes.Status400BadRequest ? Switches.Usage : Refused;
                });
            });
            return Switches.ReadsConfiguration(command);
        }
    }

    /// <summary>Opens the store the hub would open with this configuration (<c>appsettings.json</c>, environment, command
    /// line), brings its schema up to date, seeds it from <c>Auth:Users</c> if it has no users, then runs the action.</summary>
    private static int Run(string[] configuration, bool existingStore, ParseResult result, Func<UserAccounts, int> action)
    {
        var error = result.InvocationConfiguration.Error;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = configuration, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        var file = Path.GetFullPath(Path.Combine(builder.Configuration[$"{HubOptions.Section}:{nameof(HubOptions.DataDirectory)}"] ?? "data", SomnisStore.FileName));
        if (existingStore && !File.Exists(file))
        {
            error.WriteLine($"somnis-hub users: there is no store at {file} (is --data the hub's data directory?)");
            return Switches.Usage;
        }

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<HubOptions>().Bind(builder.Configuration.GetSection(HubOptions.Section));
        services.AddSingleton<IValidateOptions<HubOptions>, HubOptionsValidator>();
        services.AddOptions<AuthOptions>().Bind(builder.Configuration.GetSection(AuthOptions.Section));
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddSingleton<SomnisStore>();
        UsersApi.AddUserAccounts(services);
        using var host = builder.Build();
        try
        {
            _ = host.Services.GetRequiredService<IOptions<HubOptions>>().Value;
            _ = host.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            foreach (var failure in ex.Failures)
            {
                error.WriteLine($"somnis-hub users: invalid setting: {failure}");
            }

            return Switches.Usage;
        }

        var store = host.Services.GetRequiredService<SomnisStore>();
        try
        {
            store.Migrate();
            var accounts = host.Services.GetRequiredService<UserAccounts>();
            accounts.SeedFromConfiguration();
            return action(accounts);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"somnis-hub users: the store {store.DatabasePath} cannot be used: {ex.Message}");
            return Refused;
        }
    }

    /// <summary>The first line of <paramref name="input"/>, or of standard input (typed without echo at a terminal); null,
    /// with the reason written, when it is no acceptable password.</summary>
    private static string? ReadPassword(TextReader? input, string user, TextWriter error)
    {
        string? password;
        if (input is null && !Console.IsInputRedirected)
        {
            error.Write($"Password for {user} (at least {Passwords.MinLength} characters, not shown): ");
            password = ReadHidden();
            error.WriteLine();
        }
        else
        {
            password = (input ?? Console.In).ReadLine();
        }

        if (Passwords.Problem(password) is { } problem)
        {
            error.WriteLine($"somnis-hub users: {problem} (give it on standard input): nothing was changed");
            return null;
        }

        return password;
    }

    private static string ReadHidden()
    {
        var typed = new System.Text.StringBuilder();
        for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        {
            if (key.Key == ConsoleKey.Backspace)
            {
                typed.Length = Math.Max(0, typed.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                typed.Append(key.KeyChar);
            }
        }

        return typed.ToString();
    }
}
