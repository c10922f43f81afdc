using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Somnis.Integration.Tests.Delivery;
using Somnis.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Somnis.Integration.Tests.Deploy;

/// <summary>
/// Issue 21, a clustered broker: the shipped three-node nats-server configuration (deploy/nats, with its demo users and
/// permissions) carries a hub and a simulated fleet speaking MQTT 3.1.1 to the list of its nodes; kill -9 of the node they
/// are connected to moves both to the other nodes with their persistent sessions, and every bed ends with nothing missing
/// at the hub (the delivery accounting of docs/protocol.md).
/// </summary>
[Collection("processes")]
public sealed class NatsClusterTests(ITestOutputHelper output)
{
    /// <summary>deploy/nats/users.conf has demo users for the facility "nexus".</summary>
    private const string Facility = "nexus";
    private const int Beds = 3;

    /// <summary>60 messages/s per bed: well under the cluster's measured ceiling (docs/performance.md), even on a busy machine.</summary>
    private const double Speed = 600;

    [Fact]
    public async Task Killing_the_node_hub_and_edges_use_moves_them_to_the_others_and_nothing_is_missing()
    {
        var watch = Stopwatch.StartNew();
        await using var cluster = await NatsCluster.StartAsync();
        output.WriteLine($"cluster ready after {watch.Elapsed.TotalSeconds:0.0} s");
        string[] v311 = ["--mqtt-version", "3.1.1"];
        await using var rig = await DeliveryRig.StartOnBrokerAsync(
            Facility,
            Beds,
            Speed,
            ["--broker", cluster.BrokerList, .. v311, "--broker-username", "hub-nexus", "--broker-password", "demo-hub-secret", "--Broker:Facilities:0", Facility],
            cluster.BrokerList,
            [.. v311, "--broker-username", "fleet-nexus", "--broker-password", "demo-fleet-secret"]);
        await rig.WaitForSequenceAsync(100, "data flowing through the cluster");

        // Both prefer the first node of their list: the hub's subscriber and every bed's data link are on node 0.
        var used = cluster.NodeOf(await BrokerOfHubAsync(rig.Hub));
        Assert.Equal(0, used);
        var edgesThere = await cluster.MqttClientsAsync(used);
        Assert.Equal(Beds, edgesThere.Count(c => c.StartsWith($"edge-{Facility}-", StringComparison.Ordinal) && !c.EndsWith("-cmd", StringComparison.Ordinal)));

        var killedAt = watch.Elapsed;
        cluster.Kill(used);
        await Eventually.UntilAsync(
            async () => cluster.NodeOf(await BrokerOfHubAsync(rig.Hub)) is var now && now >= 0 && now != used,
            TimeSpan.FromSeconds(60),
            "the hub to connect to another node");
        output.WriteLine($"hub on another node {(watch.Elapsed - killedAt).TotalSeconds:0.0} s after the kill");
        await rig.WaitForProgressAsync(100, "every bed's data flowing through the other nodes");
        output.WriteLine($"every bed 100 messages further {(watch.Elapsed - killedAt).TotalSeconds:0.0} s after the kill");

        await rig.StopEdgeAsync();
        var beds = await rig.WaitCompleteAsync();
        Assert.All(beds.Values, d => Assert.Equal(0, d.GetProperty("missing").GetInt64()));
        // What the move cost, as the hub saw it (connection lost, attempts, connected with its session).
        foreach (var line in rig.Hub.Process.Lines.Where(l => l.Contains("MQTT subscriber", StringComparison.Ordinal) || l.Contains("MQTT publisher", StringComparison.Ordinal)))
        {
            output.WriteLine(line);
        }

        // And as the surviving nodes saw it (nats-server names the reason it closed a connection).
        foreach (var node in new[] { 1, 2 })
        {
            foreach (var line in cluster.Log(node).Split('\n').Where(l => l.Contains("\"somnis-hub\"", StringComparison.Ordinal) && l.Contains("[ERR]", StringComparison.Ordinal)).Take(10))
            {
                output.WriteLine($"n{node + 1}: {line}");
            }
        }

        output.WriteLine($"resend requests: {rig.Hub.Process.CountLines("asked the edge to resend")}; edge answers: {rig.EdgeCount("resent from the journal")}");
        foreach (var (bed, d) in beds.OrderBy(kv => kv.Key))
        {
            output.WriteLine($"{bed}: {d}");
        }

        output.WriteLine($"total {watch.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>The broker the hub's connections are on, from its readiness check ("connected to mqtt://…").</summary>
    private static async Task<string> BrokerOfHubAsync(HubProcess hub)
    {
        using var anonymous = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var ready = await anonymous.GetFromJsonAsync<JsonElement>(new Uri(hub.Url + "/readyz"));
        var broker = ready.GetProperty("checks").GetProperty("broker");
        return broker.GetProperty("status").GetString() == "Healthy" ? broker.GetProperty("description").GetString() ?? "" : "";
    }
}
