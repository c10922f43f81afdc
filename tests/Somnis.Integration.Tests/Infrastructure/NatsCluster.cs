using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>
/// A real three-node nats-server cluster (Debian's <c>nats-server</c> 2.9, which ./test.sh installs) running the shipped
/// configuration <c>deploy/nats/somnis-nats.conf</c> as it is (with its demo users), each node's ports and JetStream
/// directory given through the environment as the file expects. Every node listens for MQTT on a free loopback port.
/// Ready means: every running node answers <c>/healthz</c> (JetStream in contact with a meta leader), sees its routes to
/// the other running nodes, and takes MQTT connections. A node can be killed (-9) and started again on its ports and data.
/// </summary>
public sealed class NatsCluster : IAsyncDisposable
{
    public const string Executable = "/usr/sbin/nats-server";
    private const int Size = 3;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dir;
    private readonly Node[] _nodes;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private NatsCluster(string dir, Node[] nodes)
    {
        _dir = dir;
        _nodes = nodes;
    }

    public static string ConfigPath => Path.Combine(RepoPaths.Root, "deploy", "nats", "somnis-nats.conf");

    /// <summary>Every node's MQTT address, node 0 first, as <c>--broker</c> takes them.</summary>
    public string BrokerList => BrokerListFrom(0);

    /// <summary>The node's MQTT address (<c>mqtt://127.0.0.1:PORT</c>).</summary>
    public string MqttUrl(int node) => $"mqtt://127.0.0.1:{_nodes[node].MqttPort}";

    public int MqttPort(int node) => _nodes[node].MqttPort;

    /// <summary>The node whose MQTT address is <paramref name="url"/>, or -1.</summary>
    public int NodeOf(string url) => Array.FindIndex(_nodes, n => url.Contains($":{n.MqttPort}", StringComparison.Ordinal));

    /// <summary>Every node's MQTT address, starting at <paramref name="first"/> (clients that prefer another node).</summary>
    public string BrokerListFrom(int first) => string.Join(",", Enumerable.Range(0, Size).Select(i => MqttUrl((first + i) % Size)));

    public static async Task<NatsCluster> StartAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException("nats-server is not installed: run ./test.sh (it installs the Debian package) or apt-get install nats-server");
        }

        var dir = Directory.CreateTempSubdirectory("somnis-nats-").FullName;
        var ports = new HashSet<int>();
        int Port()
        {
            // Several quick picks can return the same port.
            int p;
            while (!ports.Add(p = Net.FreePort()))
            {
            }

            return p;
        }

        var nodes = Enumerable.Range(1, Size).Select(i => new Node($"n{i}", Port(), Port(), Port(), Port(), Path.Combine(dir, $"n{i}"))).ToArray();
        var cluster = new NatsCluster(dir, nodes);
        try
        {
            for (var i = 0; i < Size; i++)
            {
                cluster.Launch(i);
            }

            await cluster.WaitReadyAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>kill -9 a node: no clean shutdown, as in a crash.</summary>
    public void Kill(int node)
    {
        var n = _nodes[node];
        if (n.Process is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit();
        }

        n.Process?.Dispose();
        n.Process = null;
    }

    /// <summary>Starts a killed node again on its ports and JetStream directory and waits until the cluster is whole.</summary>
    public async Task RestartAsync(int node)
    {
        Kill(node);
        Launch(node);
        await WaitReadyAsync();
    }

    /// <summary>Waits until every running node is healthy (JetStream meta leader known), routed to the others and taking MQTT connections.</summary>
    public async Task WaitReadyAsync()
    {
        var running = Enumerable.Range(0, Size).Where(i => _nodes[i].Process is not null).ToArray();
        foreach (var i in running)
        {
            await Eventually.UntilAsync(
                async () =>
                {
                    var n = _nodes[i];
                    if (n.Process is { HasExited: true } p)
                    {
                        throw new InvalidOperationException($"nats-server {n.Name} exited with {p.ExitCode}:\n{Log(i)}");
                    }

                    var health = await _http.GetAsync(new Uri($"http://127.0.0.1:{n.MonitorPort}/healthz"));
                    if (!health.IsSuccessStatusCode)
                    {
                        return false;
                    }

                    var routes = await _http.GetFromJsonAsync<JsonElement>(new Uri($"http://127.0.0.1:{n.MonitorPort}/routez"));
                    var jsz = await _http.GetFromJsonAsync<JsonElement>(new Uri($"http://127.0.0.1:{n.MonitorPort}/jsz"));
                    return routes.GetProperty("num_routes").GetInt32() >= running.Length - 1
                        && jsz.TryGetProperty("meta_cluster", out var meta) && meta.TryGetProperty("leader", out var leader) && leader.GetString() is { Length: > 0 };
                },
                ReadyTimeout,
                $"nats-server {_nodes[i].Name} to join the cluster with JetStream ready");
            await Net.WaitForListenerAsync(_nodes[i].MqttPort, ReadyTimeout);
        }
    }

    /// <summary>The client ids of the MQTT connections a node holds now (its monitoring endpoint <c>/connz</c>).</summary>
    public async Task<IReadOnlyList<string>> MqttClientsAsync(int node)
    {
        var connz = await _http.GetFromJsonAsync<JsonElement>(new Uri($"http://127.0.0.1:{_nodes[node].MonitorPort}/connz?limit=1024"));
        return [.. connz.GetProperty("connections").EnumerateArray()
            .Select(c => c.TryGetProperty("mqtt_client", out var id) ? id.GetString() : null)
            .OfType<string>()];
    }

    /// <summary>A node's log (stdout and stderr), for failure messages.</summary>
    public string Log(int node)
    {
        var path = _nodes[node].LogPath;
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    private void Launch(int node)
    {
        var n = _nodes[node];
        Directory.CreateDirectory(n.Store);
        // The shipped file takes everything that differs between nodes from the environment (deploy/nats/README.md).
        var psi = new ProcessStartInfo(Executable, ["-c", ConfigPath, "-l", n.LogPath]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["NATS_NODE"] = n.Name;
        psi.Environment["NATS_LISTEN"] = $"127.0.0.1:{n.ClientPort}";
        psi.Environment["NATS_MONITOR"] = $"127.0.0.1:{n.MonitorPort}";
        psi.Environment["NATS_CLUSTER"] = $"127.0.0.1:{n.ClusterPort}";
        psi.Environment["NATS_ROUTES"] = "[" + string.Join(", ", _nodes.Select(o => $"nats-route://127.0.0.1:{o.ClusterPort}")) + "]";
        psi.Environment["NATS_MQTT"] = $"127.0.0.1:{n.MqttPort}";
        psi.Environment["NATS_STORE"] = n.Store;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("nats-server did not start");
        // Everything goes to the log file (-l); the pipes are drained so the server never blocks on them.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        n.Process = process;
    }

    public ValueTask DisposeAsync()
    {
        for (var i = 0; i < Size; i++)
        {
            Kill(i);
        }

        _http.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private sealed class Node(string name, int clientPort, int monitorPort, int clusterPort, int mqttPort, string dir)
    {
        public string Name { get; } = name;

        public int ClientPort { get; } = clientPort;

        public int MonitorPort { get; } = monitorPort;

        public int ClusterPort { get; } = clusterPort;

        public int MqttPort { get; } = mqttPort;

        public string Store { get; } = Path.Combine(dir, "jetstream");

        public string LogPath { get; } = dir + ".log";

        public Process? Process { get; set; }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} mqtt {MqttPort}");
    }
}
