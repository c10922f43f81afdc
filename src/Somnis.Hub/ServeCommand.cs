using System.CommandLine;
using Somnis.Edge.Cli;

namespace Somnis.Hub;

/// <summary>
/// <c>serve</c> (also the hub run without a command) and <c>demo</c>: the flags of <see cref="HubComposition.SwitchMappings"/>
/// (demo also those of its simulated beds and their story, the <c>Edge:</c> and <c>Demo:</c> keys) and any configuration key as <c>--Section:Key value</c>;
/// the hub itself is started by <paramref name="run"/> with the resulting configuration.
/// </summary>
internal static class ServeCommand
{
    /// <summary>Runs the hub: configuration as <c>--key=value</c> arguments, and whether it is the demo.</summary>
    public delegate Task<int> Run(string[] configuration, bool demo, CancellationToken cancellationToken);

    private const string ServeText = "Run the hub: ingest the beds over MQTT, score sleep, raise alarms, serve the dashboard and API.";

    private const string Keys =
        "Any configuration key can be given as --Section:Key VALUE (appsettings.json, environment Section__Key).\n" +
        "Exit codes: 0 stopped, 2 bad command line or configuration.";

    public static RootCommand Root(IReadOnlyList<KeyValuePair<string, string?>> keys, Run run) =>
        Configure(new RootCommand($"Somnis Facility hub. Without a command: serve.\n{ServeText}\n{Keys}"), demo: false, keys, run);

    public static Command Serve(IReadOnlyList<KeyValuePair<string, string?>> keys, Run run) =>
        Configure(new Command("serve", $"{ServeText}\n{Keys}"), demo: false, keys, run);

    public static Command Demo(IReadOnlyList<KeyValuePair<string, string?>> keys, Run run) =>
        Configure(new Command("demo", "The whole system in one process: the hub with an embedded broker, its embedded store and a " +
            $"simulated facility (24 beds at 60x); prints the demo sign-in. Plain HTTP is allowed on any address.\n{Keys}"), demo: true, keys, run);

    private static T Configure<T>(T command, bool demo, IReadOnlyList<KeyValuePair<string, string?>> keys, Run run)
        where T : Command
    {
        var options = Switches.Options(HubComposition.SwitchMappings, HubComposition.SwitchHelp,
            key => demo || !(key.StartsWith("Edge:", StringComparison.Ordinal) || key.StartsWith("Demo:", StringComparison.Ordinal)));
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        command.SetAction((result, ct) => run(Switches.ConfigurationArgs(result, options, HubComposition.SwitchMappings, keys), demo, ct));
        return Switches.ReadsConfiguration(command);
    }
}
