using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;
using Somnis.Edge;
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

        builder.AddSomnisEdge();
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
                Console.WriteLine($"  beds:      {edge.Beds ?? 1} simulated ({edge.Scenario}), speed {edge.Speed}x, seed {edge.Seed}");
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
