using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.CompilerServices;

namespace Somnis.Edge.Cli;

/// <summary>
/// The command lines of the edge and the hub (README, "Commands"). Every flag sets one configuration key, listed in one
/// table per program (<see cref="EdgeHost.SwitchMappings"/>, the hub's <c>HubComposition.SwitchMappings</c>), and any
/// configuration key can also be given as <c>--Section:Key value</c> (or <c>--Section:Key=value</c>). System.CommandLine
/// parses the flags, so <c>--help</c> and <c>--version</c> run nothing and an unknown option is named; the result goes to
/// configuration as key/value pairs, where the options' validators check the values as before.
/// Exit codes: <see cref="Done"/>, <see cref="Usage"/> (bad command line or configuration).
/// </summary>
public static class Switches
{
    public const int Done = 0;
    public const int Usage = 2;

    /// <summary>Settings of the generic host itself, which the test host (WebApplicationFactory) passes as
    /// <c>--key=value</c> (with every configuration section as <c>--Section=</c>); accepted like configuration keys.</summary>
    private static readonly HashSet<string> HostKeys = new(["environment", "contentRoot", "applicationName"], StringComparer.OrdinalIgnoreCase);

    /// <summary>The commands that read configuration (<see cref="ReadsConfiguration"/>).</summary>
    private static readonly ConditionalWeakTable<Command, object> Configurable = [];

    /// <summary>Marks a command as one that reads configuration, so it takes <c>--Section:Key value</c> arguments; any
    /// other command refuses them.</summary>
    public static T ReadsConfiguration<T>(T command)
        where T : Command
    {
        Configurable.AddOrUpdate(command, command);
        return command;
    }

    /// <summary>One option per flag of <paramref name="mappings"/> whose configuration key <paramref name="include"/>
    /// accepts. <paramref name="help"/> gives "VALUE: what it does" per flag; a flag without help says which key it sets.</summary>
    public static Option<string>[] Options(
        IReadOnlyDictionary<string, string> mappings, IReadOnlyDictionary<string, string> help, Func<string, bool>? include = null) =>
        [.. mappings.Where(m => include?.Invoke(m.Value) ?? true).Select(m => Option(m.Key, m.Value, help))];

    private static Option<string> Option(string flag, string key, IReadOnlyDictionary<string, string> help)
    {
        var text = help.GetValueOrDefault(flag) ?? "";
        var colon = text.IndexOf(": ", StringComparison.Ordinal);
        return new Option<string>(flag)
        {
            HelpName = colon > 0 ? text[..colon] : "VALUE",
            Description = $"{(colon > 0 ? text[(colon + 2)..] : "sets")} ({key})",
        };
    }

    /// <summary>Takes the configuration keys (<c>--Section:Key value</c>, <c>--Section:Key=value</c>) out of
    /// <paramref name="args"/>: what remains are flags and commands for the parser.</summary>
    public static (string[] Flags, List<KeyValuePair<string, string?>> Keys) SplitKeys(IReadOnlyList<string> args)
    {
        var flags = new List<string>();
        var keys = new List<KeyValuePair<string, string?>>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var name = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : null;
            var equals = name?.IndexOf('=', StringComparison.Ordinal) ?? -1;
            var key = equals > 0 ? name![..equals] : name;
            var assignment = equals > 0 && (HostKeys.Contains(key!) || equals == name!.Length - 1);
            if (key is null || !(key.Contains(':', StringComparison.Ordinal) || assignment))
            {
                flags.Add(arg);
            }
            else if (equals > 0)
            {
                keys.Add(new(key, name![(equals + 1)..]));
            }
            else if (i + 1 < args.Count)
            {
                keys.Add(new(key, args[++i]));
            }
            else
            {
                // Left to the parser, which names it as an unknown option.
                flags.Add(arg);
            }
        }

        return ([.. flags], keys);
    }

    /// <summary>The configuration a parsed command line sets: each given flag's value under its key, then the keys given
    /// as <c>--Section:Key</c> (which win over a flag for the same key), as <c>--key=value</c> arguments for a host.</summary>
    public static string[] ConfigurationArgs(
        ParseResult result, IEnumerable<Option<string>> options, IReadOnlyDictionary<string, string> mappings, IEnumerable<KeyValuePair<string, string?>> keys)
    {
        ArgumentNullException.ThrowIfNull(result);
        var pairs = options
            .Where(o => result.GetResult(o) is not null && mappings.ContainsKey(o.Name))
            .Select(o => new KeyValuePair<string, string?>(mappings[o.Name], result.GetValue(o)))
            .Concat(keys);
        return [.. pairs.Where(p => p.Value is not null).Select(p => $"--{p.Key}={p.Value}")];
    }

    /// <summary>
    /// Parses <paramref name="args"/> and runs the command they name. A bad command line runs nothing: every error is
    /// printed with a pointer to <c>--help</c>, and the exit code is <see cref="Usage"/>.
    /// </summary>
    /// <param name="keys">The configuration keys taken out of the arguments by <see cref="SplitKeys"/>, if any: a command
    /// that does not read configuration (<see cref="ReadsConfiguration"/>) refuses them.</param>
    public static async Task<int> InvokeAsync(string program, RootCommand root, string[] flags, IReadOnlyList<KeyValuePair<string, string?>> keys,
        TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(error);
        // No response files: a value that starts with '@' (a password) is a value.
        var result = root.Parse(flags, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var command = result.CommandResult.Command;
        var errors = result.Errors.Select(e => e.Message).ToList();
        if (keys.Count > 0 && !Configurable.TryGetValue(command, out _) && result.Action is not System.CommandLine.Help.HelpAction)
        {
            errors.Add($"'{command.Name}' takes no configuration keys (got --{keys[0].Key})");
        }

        if (errors.Count > 0)
        {
            foreach (var message in errors)
            {
                await error.WriteLineAsync($"{program}: {message}");
            }

            // The whole path of a nested command ("somnis-hub users add").
            var names = new List<string> { program };
            for (var r = result.CommandResult; r.Command != root && r.Parent is CommandResult parent; r = parent)
            {
                names.Insert(1, r.Command.Name);
            }

            var path = string.Join(' ', names);
            await error.WriteLineAsync($"Run '{path} --help' for usage.");
            return Usage;
        }

        return await result.InvokeAsync(new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // An unexpected exception crashes the program with its stack trace, as it would without a parser.
            EnableDefaultExceptionHandler = false,
            // The host handles SIGTERM/SIGINT itself and stops in order (ingestion first, then the stores are flushed).
            ProcessTerminationTimeout = null,
        });
    }
}
