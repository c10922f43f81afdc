using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Somnis.Contracts.Mqtt;
using Somnis.Edge.Publishing;

namespace Somnis.Edge;

/// <summary>Composition of the edge: options, bed sources, and the service that runs the beds.</summary>
public static class EdgeHost
{
    /// <summary>Command-line flags and the configuration keys they set (README, "Edge options").</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["--broker"] = "Edge:Broker",
        ["--mqtt-version"] = "Edge:MqttVersion",
        ["--broker-username"] = "Edge:BrokerUsername",
        ["--broker-password"] = "Edge:BrokerPassword",
        ["--broker-ca"] = "Edge:BrokerCaCertificate",
        ["--facility"] = "Edge:Facility",
        ["--bed"] = "Edge:Bed",
        ["--beds"] = "Edge:Beds",
        ["--mode"] = "Edge:Mode",
        ["--scenario"] = "Edge:Scenario",
        ["--speed"] = "Edge:Speed",
        ["--seed"] = "Edge:Seed",
        ["--interval"] = "Edge:Interval",
        ["--incident-at"] = "Edge:IncidentAt",
        ["--simulation-level"] = "Edge:Simulation:Level",
        ["--journal"] = "Edge:Journal",
        ["--journal-max-bytes"] = "Edge:JournalMaxBytes",
        ["--journal-max-age"] = "Edge:JournalMaxAge",
        ["--replay-rate"] = "Edge:ReplayRate",
    };

    /// <summary>What each flag of <see cref="SwitchMappings"/> takes and does, for <c>--help</c> ("VALUE: meaning").</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchHelp = new Dictionary<string, string>
    {
        ["--broker"] = "URL[,URL...]: MQTT broker(s), mqtt://HOST:PORT or mqtts:// for TLS; a list is tried in turn [default: mqtt://127.0.0.1:1883]",
        ["--mqtt-version"] = "5|3.1.1: MQTT protocol version (3.1.1 for brokers that speak only it, e.g. nats-server) [default: 5]",
        ["--broker-username"] = "NAME: the device's broker user",
        ["--broker-password"] = "PASSWORD: the device's broker password",
        ["--broker-ca"] = "FILE: CA certificate that signed the broker's TLS certificate [default: system trust]",
        ["--facility"] = "ID: facility id [default: nexus]",
        ["--bed"] = "ID: this bed's id [default: bed-01]",
        ["--beds"] = "N: simulate a fleet of N beds (bed-01...), 0-5000",
        ["--mode"] = "hardware|simulated: real sensors or the simulator [default: simulated]",
        ["--scenario"] = "NAME: healthy, architect-deprivation, sensor-fault, natural, mix, or a comma list [default: healthy]",
        ["--speed"] = "X: simulated seconds per real second, 0.1-100000 [default: 1]",
        ["--seed"] = "N: seed of the simulation [default: 1]",
        ["--interval"] = "TIME: vitals interval, 00:00:01-00:01:00 [default: 00:00:10]",
        ["--incident-at"] = "TIME: simulated time of a Dream Exchange fault that wakes a share of the beds",
        ["--simulation-level"] = "model|chips: chips = hardware mode on bus-level emulated chips [default: model]",
        ["--journal"] = "DIR: crash-safe store-and-forward journal [default: memory only]",
        ["--journal-max-bytes"] = "BYTES: journal size bound per bed [default: 67108864 = 64 MiB]",
        ["--journal-max-age"] = "TIME: journal age bound [default: 7.00:00:00]",
        ["--replay-rate"] = "N: messages per second when replaying the journal [default: 200]",
    };

    /// <summary>
    /// The edge's command line: the flags of <see cref="SwitchMappings"/>, <c>--emulate-chips</c>, and any configuration key
    /// as <c>--Edge:Key value</c>. <paramref name="run"/> gets the resulting configuration as <c>--key=value</c> arguments.
    /// </summary>
    public static RootCommand Command(IReadOnlyList<KeyValuePair<string, string?>> keys, Func<string[], CancellationToken, Task<int>> run)
    {
        var root = Cli.Switches.ReadsConfiguration(new RootCommand(
            "Somnis bedside edge: reads a bed's sensors (or simulates a sleeper) and publishes vitals over MQTT. Every option is " +
            "also a configuration key (appsettings.json section Edge, environment Edge__Key, or --Edge:Key VALUE).\n" +
            "Exit codes: 0 stopped, 2 bad command line or configuration."));
        var options = Cli.Switches.Options(SwitchMappings, SwitchHelp);
        var emulateChips = new Option<bool>("--emulate-chips") { Description = "with --mode hardware: run on bus-level emulated chips (= --simulation-level chips)" };
        foreach (var option in options)
        {
            root.Options.Add(option);
        }

        root.Options.Add(emulateChips);
        root.SetAction((result, ct) =>
        {
            string[] chips = result.GetValue(emulateChips) ? ["--Edge:Simulation:Level=chips"] : [];
            return run([.. chips, .. Cli.Switches.ConfigurationArgs(result, options, SwitchMappings, keys)], ct);
        });
        return root;
    }

    /// <summary>Adds the bedside worker (the beds of <c>Edge</c> options) to a host.</summary>
    public static IHostApplicationBuilder AddSomnisEdge(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptionsWithValidateOnStart<EdgeOptions, EdgeOptionsValidator>().Bind(EdgeOptions.Spelled(builder.Configuration.GetSection(EdgeOptions.Section)));
        builder.Services.AddStartupStep(sp => JournalDirectory.Prepare(sp.GetRequiredService<IOptions<EdgeOptions>>().Value));
        builder.Services.AddPublishPipelines();
        builder.Services.AddSingleton<BedSourceFactory>();
        builder.Services.AddSingleton<ClockQuality>();
        builder.Services.AddSingleton<EdgeService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EdgeService>());
        builder.Services.AddHostedService<Sensors.SystemdWatchdog>();
        return builder;
    }
}
