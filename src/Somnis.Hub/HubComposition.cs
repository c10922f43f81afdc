using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Somnis.Contracts.Mqtt;
using Somnis.Contracts.Settings;
using Somnis.Hub.Beds;
using Somnis.Hub.Broker;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub;

/// <summary>One <c>AddXxx</c> per feature; Program.cs lists them.</summary>
internal static class HubComposition
{
    /// <summary>Command-line flags of the hub and the configuration keys they set (README, "Hub options"). Flags of
    /// <c>Edge:</c> and <c>Demo:</c> keys are <c>demo</c>'s, for its simulated beds and their story (ServeCommand).</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["--urls"] = "Urls",
        ["--broker"] = "Broker:Url",
        ["--mqtt-version"] = "Broker:MqttVersion",
        ["--broker-username"] = "Broker:Username",
        ["--broker-password"] = "Broker:Password",
        ["--broker-ca"] = "Broker:CaCertificate",
        ["--data"] = "Hub:DataDirectory",
        ["--facility"] = "Edge:Facility",
        ["--beds"] = "Edge:Beds",
        ["--speed"] = "Edge:Speed",
        ["--seed"] = "Edge:Seed",
        ["--scenario"] = "Edge:Scenario",
        ["--incident-at"] = "Edge:IncidentAt",
        ["--history-nights"] = "Demo:HistoryNights",
    };

    /// <summary>What each flag of <see cref="SwitchMappings"/> takes and does, for <c>--help</c> ("VALUE: meaning").</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchHelp = new Dictionary<string, string>
    {
        ["--urls"] = "URL: where the hub serves, ';' between several; plain http:// only on loopback (docs/operations.md, \"HTTPS\") [default: http://127.0.0.1:5080]",
        ["--broker"] = "URL[,URL...]: external MQTT broker(s), mqtt://HOST:PORT or mqtts://; a list is tried in turn [default: an embedded broker on 127.0.0.1]",
        ["--mqtt-version"] = "5|3.1.1: MQTT protocol version (3.1.1 for brokers that speak only it, e.g. nats-server) [default: 5]",
        ["--broker-username"] = "NAME: the hub's broker user",
        ["--broker-password"] = "PASSWORD: the hub's broker password",
        ["--broker-ca"] = "FILE: CA certificate of the broker's TLS certificate [default: system trust]",
        ["--data"] = "DIR: where the hub keeps its files (store, cookie keys) [default: data]",
        ["--facility"] = "ID: facility of the simulated beds [default: nexus]",
        ["--beds"] = "N: number of simulated beds, 0-5000 [default: 24]",
        ["--speed"] = "X: simulated seconds per real second [default: 60]",
        ["--seed"] = "N: seed of the simulation [default: 1]",
        ["--scenario"] = "NAME: healthy, architect-deprivation, sensor-fault, natural, mix, or a comma list [default: mix]",
        ["--incident-at"] = "TIME: simulated time of a Dream Exchange fault that wakes a third of the beds [default: 04:00:00]",
        ["--history-nights"] = "N: past nights per sleeper, simulated and written before the live night starts, 0-365 (0: none) [default: 14]",
    };

    public static IHostApplicationBuilder AddSomnisDefaults(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        // Under systemd (deploy/systemd/somnis-hub.service, Type=notify): readiness notification and journal-friendly
        // logs; does nothing elsewhere.
        builder.Services.AddSystemd();
        builder.Services.AddOptionsWithValidateOnStart<HubOptions, HubOptionsValidator>().Bind(builder.Configuration.GetSection(HubOptions.Section));
        // Keys for the sign-in cookie live with the hub's data, so browsers stay signed in across a hub restart.
        var dataDirectory = builder.Configuration[$"{HubOptions.Section}:{nameof(HubOptions.DataDirectory)}"] ?? "data";
        builder.Services.AddDataProtection()
            .SetApplicationName("somnis-hub")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "keys")));
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, HubJsonContext.Default));
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(HubMetrics.MeterName)
            // The resilience pipelines' events (retries, timeouts) of Polly.Extensions (the demo's simulated beds, the
            // Influx sink) and Http.Resilience (the webhook).
            .AddMeter("Polly")
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());
        return builder;
    }

    public static IHostApplicationBuilder AddBroker(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<BrokerOptions, BrokerOptionsValidator>().Bind(MqttVersions.Spelled(builder.Configuration.GetSection(BrokerOptions.Section)));
        builder.Services.AddSingleton<BrokerEndpoint>();
        builder.Services.AddSingleton<EmbeddedBroker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        builder.Services.AddSingleton(sp => new MqttConnectionMetrics(sp.GetRequiredService<IMeterFactory>().Create(HubMetrics.MeterName), "somnis.broker"));
        // After the embedded broker, which it may connect to. Alarm states, Architect commands and resend requests.
        builder.Services.AddSingleton<HubPublisher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HubPublisher>());
        return builder;
    }

    public static IHostApplicationBuilder AddIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<DeliveryOptions, DeliveryOptionsValidator>().Bind(builder.Configuration.GetSection(DeliveryOptions.Section));
        builder.Services.AddSingleton<DeliveryTracker>();
        builder.Services.AddSingleton<IngestionPipeline>();
        builder.Services.AddSingleton<MqttIngestor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MqttIngestor>());
        return builder;
    }

    public static IHostApplicationBuilder AddBeds(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<BedOptions, BedOptionsValidator>().Bind(builder.Configuration.GetSection(BedOptions.Section));
        builder.Services.AddSingleton<BedRegistry>();
        return builder;
    }

    public static IHostApplicationBuilder AddDetection(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<DetectionOptions, DetectionOptionsValidator>().Bind(builder.Configuration.GetSection(DetectionOptions.Section));
        builder.Services.AddSingleton<DetectionService>();
        return builder;
    }

    public static IHostApplicationBuilder AddDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LiveFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LiveFeed>());
        return builder;
    }
}

/// <summary>General hub settings (section <c>Hub</c>).</summary>
public sealed class HubOptions : ISettingsSection
{
    public const string Section = "Hub";

    /// <summary>Where the hub keeps its files: the store, the delivery checkpoint, cookie keys (<c>--data</c>). Created at
    /// start-up if missing (<see cref="Storage.StoreStartup"/>); validation only checks that it names a directory.</summary>
    /// <value>A directory path, relative to the working directory. Default <c>data</c>.</value>
    [NotBlank(Flag = "--data", Requirement = "must name a directory")]
    public string DataDirectory { get; set; } = "data";

    string ISettingsSection.SectionPath => Section;
}

/// <summary>Generated from <see cref="HubOptions"/>' attributes; reads and creates nothing.</summary>
[OptionsValidator]
internal sealed partial class HubOptionsValidator : IValidateOptions<HubOptions>;

/// <summary>Generated from <see cref="BrokerOptions"/>' attributes, plus <see cref="Rules"/> (through its
/// <see cref="System.ComponentModel.DataAnnotations.IValidatableObject"/>).</summary>
[OptionsValidator]
internal sealed partial class BrokerOptionsValidator : IValidateOptions<BrokerOptions>
{
    /// <summary>What one attribute cannot say: the broker list must parse, the CA file must load, facility ids.</summary>
    internal static List<string> Rules(BrokerOptions o)
    {
        var errors = new List<string>();
        if (!o.Embedded && !BrokerAddress.TryParseList(o.Url, out _, out var error))
        {
            errors.Add($"--broker (Broker:Url): {error}");
        }

        if (o.CaCertificate is not null && BrokerTls.Problem(o.CaCertificate) is { } caProblem)
        {
            errors.Add($"--broker-ca (Broker:CaCertificate): {caProblem}");
        }

        foreach (var f in o.Facilities)
        {
            if (f != "+" && !Somnis.Contracts.Identifiers.IsValid(f))
            {
                errors.Add($"Broker:Facilities: '{f}' is not a facility id");
            }
        }

        return errors;
    }
}
