using System.Diagnostics;

namespace Somnis.Bench;

/// <summary>
/// The shipped three-node nats-server cluster (deploy/nats/somnis-nats.conf with its demo users) on loopback ports, for
/// the phase that measures ingestion through it against its own ceiling (docs/performance.md, "Through a NATS cluster").
/// </summary>
internal sealed class NatsCluster : IDisposable
{
    public const string Facility = "nexus";
    public const string HubUser = "hub-nexus";
    public const string HubPassword = "demo-hub-secret";
    public const string FleetUser = "fleet-nexus";
    public const string FleetPassword = "demo-fleet-secret";
    private readonly Process[] _nodes;

    private NatsCluster(Process[] nodes, int[] mqttPorts)
    {
        _nodes = nodes;
        MqttPorts = mqttPorts;
    }

    public int[] MqttPorts { get; }

    /// <summary>Every node, as <c>--broker</c> takes them.</summary>
    public string Urls => string.Join(",", MqttPorts.Select(p => $"mqtt://127.0.0.1:{p}"));

    /// <summary>CPU seconds used so far by all three nodes.</summary>
    public double CpuSeconds => _nodes.Sum(n => Rig.CpuSeconds(n.Id));

    public static async Task<NatsCluster> StartAsync(string repo, string dir)
    {
        var ports = Enumerable.Range(0, 3).Select(_ => (Client: Rig.FreePort(), Monitor: Rig.FreePort(), Cluster: Rig.FreePort(), Mqtt: Rig.FreePort())).ToArray();
        var routes = "[" + string.Join(", ", ports.Select(p => $"nats-route://127.0.0.1:{p.Cluster}")) + "]";
        var config = Path.Combine(repo, "deploy", "nats", "somnis-nats.conf");
        var nodes = new Process[3];
        for (var i = 0; i < 3; i++)
        {
            nodes[i] = Rig.Start("/usr/sbin/nats-server", ["-c", config], Path.Combine(dir, $"nats-n{i + 1}.log"), new Dictionary<string, string>
            {
                ["NATS_NODE"] = $"n{i + 1}",
                ["NATS_LISTEN"] = $"127.0.0.1:{ports[i].Client}",
                ["NATS_MONITOR"] = $"127.0.0.1:{ports[i].Monitor}",
                ["NATS_CLUSTER"] = $"127.0.0.1:{ports[i].Cluster}",
                ["NATS_ROUTES"] = routes,
                ["NATS_MQTT"] = $"127.0.0.1:{ports[i].Mqtt}",
                ["NATS_STORE"] = Path.Combine(dir, $"nats-n{i + 1}"),
            });
        }

        var cluster = new NatsCluster(nodes, [.. ports.Select(p => p.Mqtt)]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var p in ports)
        {
            // /healthz is 200 once JetStream is in contact with a meta leader.
            await Rig.UntilAsync(async () =>
            {
                try
                {
                    return (await http.GetAsync(new Uri($"http://127.0.0.1:{p.Monitor}/healthz"))).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(60), "the NATS cluster to be ready", TimeSpan.FromMilliseconds(100));
            await Rig.WaitForListenerAsync(p.Mqtt, TimeSpan.FromSeconds(30));
        }

        return cluster;
    }

    public void Dispose()
    {
        foreach (var n in _nodes)
        {
            Rig.Stop(n);
        }
    }
}
