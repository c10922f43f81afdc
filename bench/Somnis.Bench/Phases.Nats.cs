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

        // 1. Ceiling: generator → cluster → one MQTTnet 3.1.1 subscriber that only counts (persistent session, QoS 1, the
        // hub's topic filter), acknowledging each message as soon as it is counted. mosquitto_sub was the limit here
        // (docs/performance.md, "Through a NATS cluster"). Subscribed before anything is published, so nothing is missed.
        var fleet = new Fleet(NatsCluster.Facility, plan.Beds, Scenarios.Mix, Interval, padding: plan.Padding);
        var ceilings = new List<double>();
        var clusterCores = new List<double>();
        var duplicates = 0L;
        await using (var subscriber = await CountingSubscriber.ConnectAsync("127.0.0.1", cluster.MqttPorts[1], "bench-nats-ceiling", NatsCluster.HubUser, NatsCluster.HubPassword,
            Somnis.Contracts.Topics.AllBeds(NatsCluster.Facility), CancellationToken.None))
        {
            // Run 0 is the warm-up, unmeasured, as the hub's first push below: the streams, the client and the generator
            // are past their first messages before the clock starts.
            for (var run = 0; run <= Repeats; run++)
            {
                var batch = fleet.Next(perBed);
                var target = subscriber.Received + batch.Length;
                var cpu0 = cluster.CpuSeconds;
                var start = Stopwatch.GetTimestamp();
                await publisher.PublishAsync(batch, 0, null, retain: false, CancellationToken.None);
                await subscriber.UntilAsync(target, TimeSpan.FromMinutes(10));
                var seconds = Stopwatch.GetElapsedTime(start, subscriber.LastArrival).TotalSeconds;
                if (run > 0)
                {
                    ceilings.Add(batch.Length / seconds);
                    clusterCores.Add((cluster.CpuSeconds - cpu0) / Stopwatch.GetElapsedTime(start).TotalSeconds);
                }
            }

            duplicates = subscriber.Duplicates;
            // The ceiling's session would queue the hub phase's messages too: a clean session removes it.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await subscriber.RemoveSessionAsync(cts.Token);
        }

        var ceiling = Median(ceilings);
        results["nats_ceiling_msgs_per_s"] = Math.Round(ceiling);
        results["nats_ceiling_runs_msgs_per_s"] = new JsonArray([.. ceilings.Select(r => (JsonNode?)Math.Round(r))]);
        results["nats_cluster_cpu_cores"] = Math.Round(Median(clusterCores), 2);
        results["nats_ceiling_duplicates"] = duplicates;
        report("nats: ceiling, generator → 3 nodes → MQTTnet", $"{ceiling:0} msg/s (median of {Repeats} × {plan.Beds * perBed}: {string.Join(", ", ceilings.Select(r => r.ToString("0", CultureInfo.InvariantCulture)))}; cluster used {Median(clusterCores):0.00} cores; {duplicates} redelivered)");

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
