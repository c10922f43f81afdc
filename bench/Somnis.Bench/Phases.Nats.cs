using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Somnis.Edge.Simulation;

namespace Somnis.Bench;

/// <summary>The phase <c>nats</c> (<c>bench/run.sh --nats</c>): the same ceiling and ingestion measurements, through the
/// shipped three-node NATS cluster (deploy/nats) with MQTT 3.1.1 and its demo users, in the same run.</summary>
internal sealed partial class Phases
{
    /// <summary>Intervals per bed in each NATS run: the cluster takes a few thousand QoS 1 messages/s, so fewer than through Mosquitto.</summary>
    private const int NatsMessagesPerBed = 20;

    public async Task NatsAsync()
    {
        var dir = Subdir("nats");
        var repo = Path.GetDirectoryName(hubDll)!;
        while (!File.Exists(Path.Combine(repo, "Somnis.Facility.sln")))
        {
            repo = Path.GetDirectoryName(repo) ?? throw new InvalidOperationException("the repository is not above " + hubDll);
        }

        using var cluster = await NatsCluster.StartAsync(repo, dir);
        var fleetUser = (NatsCluster.FleetUser, NatsCluster.FleetPassword);
        // The generator on node 1, the subscriber (raw, then the hub) on node 2: every message crosses the cluster.
        await using var publisher = await Publisher.ConnectAsync("127.0.0.1", cluster.MqttPorts[0], "bench-nats-pub", plan.Connections, plan.Inflight, CancellationToken.None, fleetUser);
        var perBed = Math.Min(plan.MessagesPerBed, NatsMessagesPerBed);

        // 1. Ceiling: generator → cluster → mosquitto_sub (MQTT 3.1.1, QoS 1, persistent session, output discarded).
        var fleet = new Fleet(NatsCluster.Facility, plan.Beds, Scenarios.Mix, Interval, padding: plan.Padding);
        var sub = $"mosquitto_sub -V mqttv311 -h 127.0.0.1 -p {cluster.MqttPorts[1]} -q 1 -c -i bench-nats-ceiling -u {NatsCluster.HubUser} -P {NatsCluster.HubPassword} -t 'somnis/{NatsCluster.Facility}/beds/+/vitals'";
        using (var create = Rig.Start("/bin/sh", ["-c", $"exec {sub} -E"], Path.Combine(dir, "sub.log")))
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await create.WaitForExitAsync(cts.Token);
        }

        var ceilings = new List<double>();
        var clusterCores = new List<double>();
        for (var run = 0; run < Repeats; run++)
        {
            var batch = fleet.Next(perBed);
            var subscriber = Rig.Start("/bin/sh", ["-c", $"exec {sub} -C {batch.Length} > /dev/null"], Path.Combine(dir, "sub.log"));
            try
            {
                var cpu0 = cluster.CpuSeconds;
                var clock = Stopwatch.StartNew();
                await publisher.PublishAsync(batch, 0, null, retain: false, CancellationToken.None);
                using (var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10)))
                {
                    await subscriber.WaitForExitAsync(cts.Token);
                }

                ceilings.Add(batch.Length / clock.Elapsed.TotalSeconds);
                clusterCores.Add((cluster.CpuSeconds - cpu0) / clock.Elapsed.TotalSeconds);
            }
            finally
            {
                Rig.Stop(subscriber);
            }
        }

        // The ceiling's session would queue the hub phase's messages too: a clean session removes it.
        using (var remove = Rig.Start("/bin/sh", ["-c", $"exec {sub.Replace(" -c ", " ", StringComparison.Ordinal)} -E"], Path.Combine(dir, "sub.log")))
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await remove.WaitForExitAsync(cts.Token);
        }

        var ceiling = Median(ceilings);
        results["nats_ceiling_msgs_per_s"] = Math.Round(ceiling);
        results["nats_ceiling_runs_msgs_per_s"] = new JsonArray([.. ceilings.Select(r => (JsonNode?)Math.Round(r))]);
        results["nats_cluster_cpu_cores"] = Math.Round(Median(clusterCores), 2);
        report("nats: ceiling, generator → 3 nodes → mosquitto_sub", $"{ceiling:0} msg/s (median of {Repeats} × {plan.Beds * perBed}: {string.Join(", ", ceilings.Select(r => r.ToString("0", CultureInfo.InvariantCulture)))}; cluster used {Median(clusterCores):0.00} cores)");

        // 2. The hub ingesting through the cluster: the same bursts, drained by the hub instead.
        using var hub = await HubUnderTest.StartAsync(hubDll, $"mqtt://127.0.0.1:{cluster.MqttPorts[1]},mqtt://127.0.0.1:{cluster.MqttPorts[2]},mqtt://127.0.0.1:{cluster.MqttPorts[0]}", dir,
            "--mqtt-version", "3.1.1", "--broker-username", NatsCluster.HubUser, "--broker-password", NatsCluster.HubPassword, "--Broker:Facilities:0", NatsCluster.Facility,
            "--Broker:ClientId", "bench-nats-hub");
        var hubFleet = new Fleet(NatsCluster.Facility, plan.Beds, Scenarios.Mix, Interval, padding: plan.Padding, seed: 200);
        await BirthAsync(hub, publisher, hubFleet);
        await PushAsync(hub, publisher, hubFleet.Next(perBed), 0, null);
        var rates = new List<double>();
        for (var run = 0; run < Repeats; run++)
        {
            var (rate, _) = await PushAsync(hub, publisher, hubFleet.Next(perBed), 0, null);
            rates.Add(rate);
        }

        var ingest = Median(rates);
        results["nats_hub_msgs_per_s"] = Math.Round(ingest);
        results["nats_hub_runs_msgs_per_s"] = new JsonArray([.. rates.Select(r => (JsonNode?)Math.Round(r))]);
        results["nats_ingest_ratio"] = Math.Round(ingest / ceiling, 3);
        report("nats: hub sustained ingestion", $"{ingest:0} msg/s (median of {Repeats}: {string.Join(", ", rates.Select(r => r.ToString("0", CultureInfo.InvariantCulture)))}); ratio to the cluster's ceiling {ingest / ceiling:0.00}");
    }
}
