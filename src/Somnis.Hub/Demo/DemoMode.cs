using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;
using Somnis.Edge;
using Somnis.Edge.Simulation;
using Somnis.Hub.Auth;
using Somnis.Hub.Broker;

namespace Somnis.Hub.Demo;

/// <summary>
/// <c>demo</c>: the whole system in one process with embedded defaults: the embedded broker, the embedded store,
/// and a simulated facility run by the edge's own fleet code. Every default can be overridden like any hub setting.
/// </summary>
internal static class DemoMode
{
    /// <summary>The demo's credentials. Demo only: printed at start-up, never valid unless the demo created them.</summary>
    public const string DemoPassword = "somnis-demo";

    public static IHostApplicationBuilder AddSomnisDemo(this IHostApplicationBuilder builder)
    {
        // Lowest priority: appsettings, environment and command line all override these.
        var defaults = new Dictionary<string, string?>
        {
            ["Edge:Beds"] = "24",
            ["Edge:Speed"] = "60",
            ["Edge:Scenario"] = "mix",
            ["Edge:Seed"] = "1",
            ["Edge:Facility"] = "nexus",

            // A Dream Exchange fault wakes a third of the beds at once four hours into the first night.
            ["Edge:IncidentAt"] = "04:00:00",
            ["Edge:IncidentShare"] = "0.33",

            // The demo's credentials are no secret: plain HTTP is fine on any address (docs/operations.md, "HTTPS").
            ["Transport:AllowPlainHttp"] = "true",

            // The automatic interlock rule: a high-priority architect-deprivation pauses that bed's Architect (docs/alarms.md).
            ["Alarms:AutoInterlock"] = "true",
        };
        var hasUsers = builder.Configuration.GetSection("Auth:Users").GetChildren().Any();
        if (!hasUsers)
        {
            defaults["Auth:Users:0:Name"] = Roles.Technician;
            defaults["Auth:Users:0:Role"] = Roles.Technician;
            defaults["Auth:Users:0:PasswordHash"] = Passwords.Hash(DemoPassword);
            defaults["Auth:Users:1:Name"] = Roles.Supervisor;
            defaults["Auth:Users:1:Role"] = Roles.Supervisor;
            defaults["Auth:Users:1:PasswordHash"] = Passwords.Hash(DemoPassword);
        }

        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = defaults });
        var dayLengthGiven = builder.Configuration[$"{EdgeOptions.Section}:{nameof(EdgeOptions.DayLength)}"] is not null;

        // The story (docs/study.md): sleepers in the beds and their past nights, written before the beds start.
        builder.Services.AddOptionsWithValidateOnStart<DemoOptions, DemoOptionsValidator>().Bind(builder.Configuration.GetSection(DemoOptions.Section));
        builder.Services.AddSingleton<IValidateOptions<DemoOptions>, DemoRetentionValidator>();
        builder.Services.AddSingleton(new EdgeStartGate("the demo's sleepers and their past nights"));
        builder.Services.AddHostedService<DemoStory>();

        builder.AddSomnisEdge();
        builder.Services.AddOptions<EdgeOptions>().PostConfigure(edge => TellTheStory(edge, dayLengthGiven));
        builder.Services.AddOptions<EdgeOptions>().PostConfigure<BrokerEndpoint, IOptions<BrokerOptions>, IOptions<HubOptions>>((edge, endpoint, broker, hub) =>
        {
            // The simulated beds journal like real edges (under the hub's data directory), so data the broker lost
            // after acknowledging it can be sent again instead of being reported lost.
            edge.Journal ??= Path.Combine(hub.Value.DataDirectory, "edge-journal");

            // The simulated beds publish to whichever broker the hub reads, in the hub's MQTT version.
            edge.Broker = endpoint.Url;
            edge.MqttVersion = broker.Value.MqttVersion;
            if (!endpoint.Embedded)
            {
                edge.BrokerUsername ??= broker.Value.Username;
                edge.BrokerPassword ??= broker.Value.Password;
                edge.BrokerCaCertificate ??= broker.Value.CaCertificate;
            }
        });
        builder.Services.AddHostedService(sp => new DemoBanner(sp, demoUsers: !hasUsers));
        return builder;
    }

    /// <summary>
    /// The simulated beds of the story. Simulated days are real days: lights-off to lights-off is 24 h on the accelerated
    /// clock (unless <c>Edge:DayLength</c> is given), so each night falls on its own calendar date, as the past nights do.
    /// Each bed's live scenario follows its sleeper's program (<see cref="DemoCast.LiveScenario"/>).
    /// </summary>
    internal static void TellTheStory(EdgeOptions edge, bool dayLengthGiven)
    {
        if (!dayLengthGiven && edge.NightLength > TimeSpan.Zero && edge.NightLength < TimeSpan.FromDays(1))
        {
            edge.DayLength = TimeSpan.FromDays(1) - edge.NightLength;
        }

        if (edge.Beds is > 0 and <= 5000 && Scenarios.TryAssign(edge.Scenario, edge.Beds.Value, out var given, out _))
        {
            edge.Scenario = string.Join(",", given.Select((s, i) => DemoCast.LiveScenario(s, i, edge.Seed).Name()));
        }
    }

    /// <summary>Prints where the dashboard is and how to sign in, once the server listens.</summary>
    private sealed class DemoBanner(IServiceProvider services, bool demoUsers) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStarted.Register(() =>
            {
                var addresses = services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
                var edge = services.GetRequiredService<IOptions<EdgeOptions>>().Value;
                var broker = services.GetRequiredService<BrokerEndpoint>();
                Console.WriteLine();
                Console.WriteLine("Somnis Facility demo");
                Console.WriteLine($"  dashboard: {string.Join(", ", addresses)}");
                Console.WriteLine($"  broker:    {broker.Url}{(broker.Embedded ? " (embedded)" : "")}");
                Console.WriteLine($"  beds:      {edge.Beds ?? 1} simulated, speed {edge.Speed}x (a night every {TimeSpan.FromSeconds(Math.Round((edge.NightLength + edge.DayLength).TotalSeconds / edge.Speed)):c}), seed {edge.Seed}");
                if (edge.Beds is > 0 and <= 5000 && Scenarios.TryAssign(edge.Scenario, edge.Beds.Value, out var live, out _))
                {
                    var cast = DemoCast.Create(edge.BedIds(), live, edge.Seed);
                    var nights = services.GetRequiredService<IOptions<DemoOptions>>().Value.HistoryNightsFor(cast.Count);
                    Console.WriteLine($"  sleepers:  {cast.Count(c => c.Role == DemoRole.ArchitectUser)} Architect users, {cast.Count(c => c.Role == DemoRole.Companion)} Companions, " +
                        $"{cast.Count(c => c.Role == DemoRole.Switcher)} switching to Companions; {nights} past nights each, written once per data directory before the beds start (study: GET /api/study)");
                }

                if (demoUsers)
                {
                    Console.WriteLine($"  sign in:   technician / {DemoPassword}  or  supervisor / {DemoPassword}   (DEMO credentials only)");
                }

                Console.WriteLine();
            });
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
