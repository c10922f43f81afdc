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

    /// <summary>Expands value-less flags into switch pairs: <c>--emulate-chips</c> → <c>--simulation-level chips</c>.</summary>
    public static string[] ExpandFlags(string[] args) =>
        [.. args.SelectMany(a => string.Equals(a, "--emulate-chips", StringComparison.OrdinalIgnoreCase) ? ["--simulation-level", "chips"] : new[] { a })];

    /// <summary>Adds the bedside worker (the beds of <c>Edge</c> options) to a host.</summary>
    public static IHostApplicationBuilder AddSomnisEdge(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<EdgeOptions>().Bind(MqttVersions.Spelled(builder.Configuration.GetSection(EdgeOptions.Section))).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<EdgeOptions>, EdgeOptionsValidator>();
        builder.Services.AddPublishPipelines();
        builder.Services.AddSingleton<BedSourceFactory>();
        builder.Services.AddSingleton<ClockQuality>();
        builder.Services.AddSingleton<EdgeService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EdgeService>());
        builder.Services.AddHostedService<Sensors.SystemdWatchdog>();
        return builder;
    }
}
