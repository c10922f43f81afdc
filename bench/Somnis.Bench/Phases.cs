using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Somnis.Edge.Simulation;

namespace Somnis.Bench;

/// <summary>The benchmark's phases. Each starts its own broker (and hub), so one phase's backlog never slows the next.</summary>
internal sealed partial class Phases(Plan plan, string hubDll, string edgeExe, string work, Action<string, string> report, JsonObject results)
{
    private static readonly IReadOnlyList<Scenario> LatencyMix = [Scenario.ArchitectDeprivation, Scenario.Healthy];
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    // Intervals per bed pushed before the ceiling and hub measurements (10 event minutes).
    private const int WarmUpPerBed = 60;
    private const int MaxWarmUpRounds = 12;
    private const string TieredCompilerThread = ".NET Tiered Com";

    /// <summary>Generator → Mosquitto → mosquitto_sub (QoS 1, output discarded): the most this machine's broker delivers.</summary>
    public async Task CeilingAsync()
    {
        var dir = Subdir("ceiling");
        using var broker = await Broker.StartAsync(dir);
        var fleet = new Fleet("ceiling", plan.Beds, Scenarios.Mix, Interval, padding: plan.Padding);
        var gen = Stopwatch.StartNew();
        var messages = fleet.Next(plan.MessagesPerBed);
        report("generator: payload build", $"{messages.Length / gen.Elapsed.TotalSeconds:0} msg/s ({messages.Average(m => m.Payload.Length):0} B/message)");
        // A persistent session (-c) created first with -E (exit once subscribed): nothing published after this point is
        // missed, however long the real subscriber below takes to start.
        var sub = $"mosquitto_sub -h 127.0.0.1 -p {broker.Port} -q 1 -c -i bench-ceiling -t 'somnis/ceiling/beds/+/vitals'";
        using (var create = Rig.Start("/bin/sh", ["-c", $"exec {sub} -E"], Path.Combine(dir, "sub.log")))
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await create.WaitForExitAsync(cts.Token);
        }

        await using var publisher = await Publisher.ConnectAsync("127.0.0.1", broker.Port, "bench-ceiling-pub", plan.Connections, plan.Inflight, CancellationToken.None);
        var warmup = new Fleet("warmup", plan.Beds, Scenarios.Mix, Interval);
        var rates = new List<double>();
        var generated = new List<double>();
        var brokerCores = new List<double>();
        for (var run = 0; run < Repeats; run++)
        {
            var batch = run == 0 ? messages : fleet.Next(plan.MessagesPerBed);
            // The session above keeps whatever is published before this subscriber is up.
            var subscriber = Rig.Start("/bin/sh", ["-c", $"exec {sub} -C {batch.Length} > /dev/null"], Path.Combine(dir, "sub.log"));
            try
            {
                // Warm-up, unmeasured, on a topic nobody reads: the generator's code is jitted and tiered before the clock
                // starts (as the hub's is before its measured run), and the subscriber has connected meanwhile.
                await publisher.PublishAsync(warmup.Next(WarmUpPerBed), 0, null, retain: false, CancellationToken.None);
                var cpu0 = Rig.CpuSeconds(broker.Pid);
                var clock = Stopwatch.StartNew();
                await publisher.PublishAsync(batch, 0, null, retain: false, CancellationToken.None);
                var published = clock.Elapsed;
                using (var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
                {
                    await subscriber.WaitForExitAsync(cts.Token);
                }

                var drained = clock.Elapsed;
                rates.Add(batch.Length / drained.TotalSeconds);
                generated.Add(batch.Length / published.TotalSeconds);
                brokerCores.Add((Rig.CpuSeconds(broker.Pid) - cpu0) / drained.TotalSeconds);
            }
            finally
            {
                Rig.Stop(subscriber);
            }
        }

        var ceiling = Median(rates);
        results["ceiling_msgs_per_s"] = Math.Round(ceiling);
        results["ceiling_runs_msgs_per_s"] = new JsonArray([.. rates.Select(r => (JsonNode?)Math.Round(r))]);
        results["generator_msgs_per_s"] = Math.Round(Median(generated));
        results["ceiling_broker_cpu_share"] = Math.Round(Median(brokerCores), 2);
        report("ceiling: generator → mosquitto → mosquitto_sub", $"{ceiling:0} msg/s (median of {Repeats} × {messages.Length} messages: {string.Join(", ", rates.Select(r => r.ToString("0", CultureInfo.InvariantCulture)))}; generator published at {Median(generated):0}/s; broker used {Median(brokerCores):0.00} cores)");
    }

    /// <summary>The hub's sustained ingestion, alarm latency at 10/50/90 % of it, and (full run) the soak night.</summary>
    public async Task HubAsync()
    {
        var dir = Subdir("hub");
        using var broker = await Broker.StartAsync(dir);
        using var hub = await HubUnderTest.StartAsync(hubDll, broker, dir);
        await using var listener = new AlarmListener(hub.Http);
        await listener.Connected.WaitAsync(TimeSpan.FromSeconds(30));
        await using var publisher = await Publisher.ConnectAsync("127.0.0.1", broker.Port, "bench-gen", plan.Connections, plan.Inflight, CancellationToken.None);

        // 1. Sustained ingestion: a burst the hub drains as fast as it can (the broker queues what it has not taken yet).
        var fleet = new Fleet("bench", plan.Beds, Scenarios.Mix, Interval, padding: plan.Padding);
        await BirthAsync(hub, publisher, fleet);
        // Warm-up, unmeasured: the first minutes of the same night, so the hub's per-bed state exists and its hot paths
        // are jitted and tiered before the clock starts. Repeated until the runtime's tiered compiler has gone quiet
        // (under 2 % of a core over a round): with dynamic PGO it re-compiles hot methods for ~30 s after start, and a
        // drain measured meanwhile is partly start-up (docs/performance.md). Bounded in rounds and time.
        var warmUp = Stopwatch.StartNew();
        var warmUpRounds = 0;
        double jitShare;
        do
        {
            var jit0 = Rig.ThreadCpuSeconds(hub.Pid, TieredCompilerThread);
            var round = Stopwatch.StartNew();
            await PushAsync(hub, publisher, fleet.Next(WarmUpPerBed), 0, null);
            jitShare = (Rig.ThreadCpuSeconds(hub.Pid, TieredCompilerThread) - jit0) / round.Elapsed.TotalSeconds;
            warmUpRounds++;
        }
        while (jitShare >= 0.02 && warmUpRounds < MaxWarmUpRounds && warmUp.Elapsed < plan.WarmUpLimit);

        results["hub_warmup_s"] = Math.Round(warmUp.Elapsed.TotalSeconds, 1);
        results["hub_warmup_jit_cores"] = Math.Round(jitShare, 3);
        report("hub: warm-up", $"{warmUp.Elapsed.TotalSeconds:0} s, {warmUpRounds} × {WarmUpPerBed} intervals per bed (tiered compiler at {jitShare * 100:0.0} % of a core in the last round)");
        // Repeated and the median kept: on a shared 2-core machine single drains of the same hub varied by ±20 %.
        var runs = new List<(double Rate, double Cores)>();
        var count = 0;
        for (var run = 0; run < Repeats; run++)
        {
            var messages = fleet.Next(plan.MessagesPerBed);
            count = messages.Length;
            var cpu0 = hub.CpuSeconds;
            var (runRate, runSeconds) = await PushAsync(hub, publisher, messages, 0, null);
            runs.Add((runRate, (hub.CpuSeconds - cpu0) / runSeconds));
        }

        var (rate, cores) = runs.OrderBy(r => r.Rate).ElementAt(runs.Count / 2);
        results["hub_msgs_per_s"] = Math.Round(rate);
        results["hub_runs_msgs_per_s"] = new JsonArray([.. runs.Select(r => (JsonNode?)Math.Round(r.Rate))]);
        results["hub_cpu_cores"] = Math.Round(cores, 2);
        results["hub_cpu_us_per_msg"] = Math.Round(cores * 1e6 / rate, 1);
        if (results["ceiling_msgs_per_s"] is { } c)
        {
            results["ingest_ratio"] = Math.Round(rate / c.GetValue<double>(), 3);
        }

        report("hub: sustained ingestion", $"{rate:0} msg/s (median of {Repeats} × {count} messages: {string.Join(", ", runs.Select(r => r.Rate.ToString("0", CultureInfo.InvariantCulture)))}; {cores:0.00} cores, {cores * 1e6 / rate:0} µs CPU/message)");
        report("hub: RSS / GC heap after ingestion", $"{hub.RssMb:0} MiB / {await hub.GcHeapMbAsync():0} MiB");

        // 2. Alarm latency at 10, 50, 90 % of that rate: publish → alarm pushed to a live-feed client.
        var latency = new JsonObject();
        double? p99At50 = null;
        foreach (var share in plan.LatencySeconds > 0 ? new[] { 0.1, 0.5, 0.9 } : [])
        {
            var level = await LatencyAsync(hub, publisher, listener, rate * share, $"lat{share * 100:0}");
            latency[$"{share * 100:0}"] = level;
            if (share == 0.5 && level["p99_ms"] is { } p)
            {
                p99At50 = p.GetValue<double>();
            }
        }

        results["alarm_latency"] = latency;
        if (p99At50 is { } p99)
        {
            results["alarm_p99_ms"] = p99;
        }

        // 3. Soak: an accelerated night at full size, RSS and GC heap at every event hour.
        if (plan.SoakHours > 0)
        {
            await SoakAsync(hub, publisher, rate * SoakShare);
        }

        results["hub_rss_mb"] = Math.Round(hub.RssMb);
        results["hub_gc_heap_mb"] = Math.Round(await hub.GcHeapMbAsync());
        report("hub: RSS / GC heap at the end", $"{(double)results["hub_rss_mb"]!:0} MiB / {(double)results["hub_gc_heap_mb"]!:0} MiB");
    }

    /// <summary>
    /// A hub killed (<c>kill -9</c>) in the middle of a night of <see cref="Plan.Beds"/> beds, <see cref="Plan.RestartHours"/>
    /// event hours in, and started again on its data: the time from the start of the new process to <c>/readyz</c>, which
    /// answers only once every open night is restored (replayed from the stored vitals, docs/storage.md, "Restart").
    /// </summary>
    public async Task RestartAsync()
    {
        var dir = Subdir("restart");
        using var broker = await Broker.StartAsync(dir);
        var fleet = new Fleet("restart", plan.Beds, Scenarios.Mix, Interval, seed: 2000);
        var hub = await HubUnderTest.StartAsync(hubDll, broker, dir);
        try
        {
            await using (var publisher = await Publisher.ConnectAsync("127.0.0.1", broker.Port, "bench-restart", plan.Connections, plan.Inflight, CancellationToken.None))
            {
                await BirthAsync(hub, publisher, fleet);
                for (var h = 0; h < plan.RestartHours; h++)
                {
                    await PushAsync(hub, publisher, fleet.Next(360), 0, null);
                }
            }

            hub.Dispose();
            var clock = Stopwatch.StartNew();
            hub = await HubUnderTest.StartAsync(hubDll, broker, dir);
            var ready = clock.Elapsed;
            var cpu = hub.CpuSeconds;
            var restored = await hub.MetricAsync("somnis_nights_restored_total");
            var restore = await hub.MetricAsync("somnis_nights_restore_seconds");
            using var night = JsonDocument.Parse(await hub.Http.GetStringAsync($"/api/beds/{fleet.Ids[0]}/night?facility={fleet.Facility}"));
            var epochs = night.RootElement.GetProperty("epochs").GetArrayLength();
            results["restart_ready_s"] = Math.Round(ready.TotalSeconds, 2);
            results["restart_cpu_s"] = Math.Round(cpu, 2);
            results["restart_restore_s"] = Math.Round(restore, 2);
            results["restart_nights_restored"] = restored;
            report($"restart: {plan.Beds} beds {plan.RestartHours} h into the night", $"ready {ready.TotalSeconds:0.0} s after start, {cpu:0.0} s of CPU (restore {restore:0.0} s, {restored:0} nights; {fleet.Ids[0]} has {epochs} epochs)");
        }
        finally
        {
            hub.Dispose();
        }
    }

    /// <summary>Edge footprint at real-time rate: one bed in hardware mode on emulated chips, and a fleet-mode process.</summary>
    public async Task EdgeAsync()
    {
        var dir = Subdir("edge");
        using var broker = await Broker.StartAsync(dir);
        // The deployed unit's environment (deploy/systemd/somnis-edge.service: GC heap limit, one malloc arena), so RSS
        // is what a Pi would see. Started in its own directory, as the systemd unit does, so it reads its appsettings
        // (the sensor wiring).
        var edgeHome = Path.GetDirectoryName(edgeExe)!;
        var env = new Dictionary<string, string>
        {
            ["DOTNET_GCHeapHardLimit"] = "0x4000000",
            ["MALLOC_ARENA_MAX"] = "1",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var hardware = Rig.Start(edgeExe, ["--broker", broker.Url, "--facility", "edgebench", "--bed", "hw-1", "--mode", "hardware", "--emulate-chips",
            "--speed", "1", "--journal", Path.Combine(dir, "journal-hw")], Path.Combine(dir, "edge-hw.log"), env, edgeHome);
        var fleet = Rig.Start(edgeExe, ["--broker", broker.Url, "--facility", "edgebench", "--beds", plan.EdgeFleetBeds.ToString(CultureInfo.InvariantCulture),
            "--mode", "simulated", "--speed", "1", "--journal", Path.Combine(dir, "journal-fleet")], Path.Combine(dir, "edge-fleet.log"), env, edgeHome);
        try
        {
            // Start-up (JIT, connect) is not the steady state: measure after a quarter of the run.
            var warm = TimeSpan.FromSeconds(Math.Max(5, plan.EdgeSeconds / 4.0));
            await Task.Delay(warm);
            var (hw0, fl0) = (Rig.CpuSeconds(hardware.Id), Rig.CpuSeconds(fleet.Id));
            var clock = Stopwatch.StartNew();
            var rssHw = new List<double>();
            var rssFleet = new List<double>();
            while (clock.Elapsed < TimeSpan.FromSeconds(plan.EdgeSeconds))
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                if (hardware.HasExited || fleet.HasExited)
                {
                    throw new InvalidOperationException($"an edge exited early; see {dir}");
                }

                rssHw.Add(Rig.RssMb(hardware.Id));
                rssFleet.Add(Rig.RssMb(fleet.Id));
            }

            var s = clock.Elapsed.TotalSeconds;
            var hwCpu = (Rig.CpuSeconds(hardware.Id) - hw0) / s;
            var flCpu = (Rig.CpuSeconds(fleet.Id) - fl0) / s;
            results["edge_hardware_rss_mb"] = Math.Round(rssHw.Max(), 1);
            results["edge_hardware_cpu_percent"] = Math.Round(hwCpu * 100, 2);
            results["edge_fleet_beds"] = plan.EdgeFleetBeds;
            results["edge_fleet_rss_mb"] = Math.Round(rssFleet.Max(), 1);
            results["edge_fleet_cpu_percent_per_bed"] = Math.Round(flCpu * 100 / plan.EdgeFleetBeds, 3);
            report("edge: hardware mode, 1 bed, emulated chips", $"{rssHw.Max():0.0} MiB RSS (max), {hwCpu * 100:0.00} % of one core");
            report($"edge: fleet mode, {plan.EdgeFleetBeds} beds", $"{rssFleet.Max():0.0} MiB RSS (max), {flCpu * 100:0.00} % of one core ({flCpu * 100 / plan.EdgeFleetBeds:0.000} % per bed)");
        }
        finally
        {
            Rig.Stop(hardware);
            Rig.Stop(fleet);
        }
    }

    /// <summary>BenchmarkDotNet micro-benchmarks of the hot paths, in their own process (bench/Somnis.Bench.Micro).</summary>
    public async Task MicroAsync(string microDll)
    {
        if (plan.Micro == "none")
        {
            return;
        }

        var dir = Subdir("micro");
        var output = Path.Combine(dir, "micro.json");
        using var p = Rig.Start(Rig.Dotnet, [microDll, "--job", plan.Micro, "--out", output], Path.Combine(dir, "micro.log"));
        using (var cts = new CancellationTokenSource(TimeSpan.FromMinutes(15)))
        {
            await p.WaitForExitAsync(cts.Token);
        }

        if (p.ExitCode != 0 || !File.Exists(output))
        {
            throw new InvalidOperationException($"micro-benchmarks failed (exit {p.ExitCode}); see {dir}/micro.log");
        }

        var micro = JsonNode.Parse(await File.ReadAllTextAsync(output))!.AsArray();
        results["micro"] = micro.DeepClone();
        foreach (var m in micro)
        {
            var mean = m!["mean_ns"]?.GetValue<double>() ?? double.NaN;
            report($"micro: {m["name"]}", $"{(mean >= 1000 ? $"{mean / 1000:0.00} µs" : $"{mean:0} ns")}/op, {m["allocated_bytes"]} B allocated/op");
        }
    }

    private async Task<JsonObject> LatencyAsync(HubUnderTest hub, Publisher publisher, AlarmListener listener, double rate, string facility)
    {
        // Enough beds that the window covers ~30 event minutes per bed (where deprivation and arousal alarms are raised),
        // as few as 20 at low rates.
        var perBedWindow = 180.0;
        var beds = (int)Math.Clamp(rate * plan.LatencySeconds / perBedWindow, 20, plan.LatencyBeds);
        var fleet = new Fleet(facility, beds, LatencyMix, Interval, seed: 100);
        await BirthAsync(hub, publisher, fleet);
        await PushAsync(hub, publisher, fleet.Next(plan.LatencyPreRollMinutes * 6), 0, null);
        var perBed = Math.Max(1, (int)(rate * plan.LatencySeconds / beds));
        var window = fleet.Next(perBed);
        var sent = new long[window.Length];
        var (achieved, seconds) = await PushAsync(hub, publisher, window, rate, sent);
        var index = new Dictionary<(string, long), int>(window.Length);
        for (var i = 0; i < window.Length; i++)
        {
            index[(fleet.Ids[window[i].Bed], window[i].Seq)] = i;
        }

        // The push is complete when the hub has accepted everything; the last alarms are in flight a moment longer.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var samples = new List<double>();
        var types = new Dictionary<string, int>();
        foreach (var ((f, bed, seq), (arrived, type)) in listener.Raised)
        {
            if (f == facility && index.TryGetValue((bed, seq), out var i))
            {
                samples.Add(Stopwatch.GetElapsedTime(sent[i], arrived).TotalMilliseconds);
                types[type] = types.GetValueOrDefault(type) + 1;
            }
        }

        samples.Sort();
        var result = new JsonObject
        {
            ["target_msgs_per_s"] = Math.Round(rate),
            ["achieved_msgs_per_s"] = Math.Round(achieved),
            ["beds"] = beds,
            ["alarms"] = samples.Count,
            ["types"] = new JsonObject(types.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        };
        if (samples.Count > 0)
        {
            result["p50_ms"] = Math.Round(Percentile(samples, 0.5), 1);
            result["p99_ms"] = Math.Round(Percentile(samples, 0.99), 1);
            result["max_ms"] = Math.Round(samples[^1], 1);
        }

        report($"alarm latency at {facility[3..]} % ({rate:0} msg/s)", samples.Count == 0
            ? $"no alarm raised in the window ({window.Length} messages, {beds} beds)"
            : $"p50 {Percentile(samples, 0.5):0.0} ms, p99 {Percentile(samples, 0.99):0.0} ms, max {samples[^1]:0.0} ms over {samples.Count} alarms (achieved {achieved:0} msg/s, {beds} beds)");
        return result;
    }

    /// <summary>
    /// The soak's pace, as a share of the sustained rate. Paced, so the figures show what the hub keeps over a night:
    /// pushed as a burst, each hour's backlog (up to 65,535 messages in flight to the hub plus the store's queue)
    /// and the GC's slack after it would be measured as growth.
    /// </summary>
    private const double SoakShare = 0.5;

    private async Task SoakAsync(HubUnderTest hub, Publisher publisher, double rate)
    {
        var fleet = new Fleet("soak", plan.Beds, Scenarios.Mix, Interval, seed: 1000);
        await BirthAsync(hub, publisher, fleet);
        var hours = new JsonArray();
        double? first = null;
        for (var h = 1; h <= plan.SoakHours; h++)
        {
            var (achieved, _) = await PushAsync(hub, publisher, fleet.Next(360), rate, null);
            var rss = hub.RssMb;
            var heap = await hub.GcHeapMbAsync();
            first ??= rss;
            hours.Add(new JsonObject { ["hour"] = h, ["rss_mb"] = Math.Round(rss, 1), ["gc_heap_mb"] = Math.Round(heap, 1), ["msgs_per_s"] = Math.Round(achieved) });
            report($"soak: hour {h} of {plan.Beds} beds", $"RSS {rss:0} MiB, GC heap {heap:0} MiB ({achieved:0} msg/s, paced at {rate:0})");
        }

        var last = hours[^1]!["rss_mb"]!.GetValue<double>();
        results["soak"] = hours;
        results["soak_msgs_per_s"] = Math.Round(rate);
        results["soak_rss_growth_percent"] = Math.Round((last - first!.Value) / first.Value * 100, 1);
        report("soak: RSS growth hour 1 → last", $"{(last - first.Value) / first.Value * 100:0.0} %");
    }

    private static async Task BirthAsync(HubUnderTest hub, Publisher publisher, Fleet fleet)
    {
        var before = await hub.AcceptedAsync();
        var births = fleet.Births(TimeProvider.System).ToList();
        await publisher.PublishAsync(births, 0, null, retain: true, CancellationToken.None);
        await Rig.UntilAsync(async () => await hub.AcceptedAsync() >= before + births.Count, TimeSpan.FromMinutes(2), "the hub to accept the birth statuses");
    }

    /// <summary>Publishes and waits until the hub has accepted every message; returns the rate from first publish to last accept.</summary>
    private static async Task<(double Rate, double Seconds)> PushAsync(HubUnderTest hub, Publisher publisher, BenchMessage[] messages, double rate, long[]? sent)
    {
        var before = await hub.AcceptedAsync();
        var clock = Stopwatch.StartNew();
        var publishing = publisher.PublishAsync(messages, rate, sent, retain: false, CancellationToken.None);
        await Rig.UntilAsync(async () =>
        {
            if (publishing.IsFaulted)
            {
                await publishing;
            }

            return await hub.AcceptedAsync() >= before + messages.Length;
        }, TimeSpan.FromMinutes(20), $"the hub to accept {messages.Length} messages", TimeSpan.FromMilliseconds(20));
        var seconds = clock.Elapsed.TotalSeconds;
        await publishing;
        return (messages.Length / seconds, seconds);
    }

    /// <summary>Ceiling and sustained ingestion are each measured this many times; the median is reported.</summary>
    private const int Repeats = 3;

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private string Subdir(string name) => Directory.CreateDirectory(Path.Combine(work, name)).FullName;
}
