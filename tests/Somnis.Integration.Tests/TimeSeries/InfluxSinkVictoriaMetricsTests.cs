using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.TimeSeries;

/// <summary>
/// The hub's time-series sink against a real server speaking the InfluxDB v2 write protocol (VictoriaMetrics), with a
/// real Mosquitto and a separate simulated-edge process. Ground truth is what the hub accepted: the per-bed counters
/// of <c>/api/beds</c> and the embedded store's history.
/// </summary>
[Collection("processes")]
public sealed class InfluxSinkVictoriaMetricsTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private static string[] InfluxArgs(VictoriaMetrics vm) =>
        ["--Influx:Url", vm.Url, "--Influx:Token", "itest-token", "--Influx:Org", "somnis", "--Influx:Bucket", "somnis", "--Influx:FlushInterval", "00:00:00.200"];

    private static async Task TerminateAsync(DotnetProcess process)
    {
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])!)
        {
            await term.WaitForExitAsync();
        }

        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>Vitals the hub accepted since it started (its own counter, <c>somnis_ingest_accepted_total{kind="vitals"}</c>).</summary>
    private static async Task<long> VitalsAcceptedAsync(HubProcess hub)
    {
        var metrics = await hub.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var line = metrics.Split('\n').Single(l => l.StartsWith("somnis_ingest_accepted_total{", StringComparison.Ordinal) && l.Contains("kind=\"vitals\"", StringComparison.Ordinal));
        return long.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>Waits until the server holds exactly as many vitals as the hub accepted (every bed's intake without a
    /// sequence gap), then returns the export. Beds also send Architect events, so vitals ≤ received per bed.</summary>
    private static async Task<IReadOnlyList<ExportedSeries>> WaitForEverythingAsync(HubProcess hub, VictoriaMetrics vm, string facility, int beds)
    {
        return await Eventually.UntilAsync(
            async () =>
            {
                var all = await hub.BedsAsync();
                var accepted = await VitalsAcceptedAsync(hub);
                var series = await vm.ExportAsync($"{{__name__=~\"vitals_.*\",facility=\"{facility}\"}}");
                var stored = series.Where(s => s.Name == "vitals_seq").Sum(s => (long)s.Points.Count);
                var complete = all.Length == beds && all.All(b => b.GetProperty("received").GetInt64() == b.GetProperty("lastSequence").GetInt64());
                return complete && stored == accepted ? series : null;
            },
            TimeSpan.FromSeconds(90),
            "the time-series server to hold every accepted vitals message");
    }

    private static void AssertContiguous(IReadOnlyList<(long Ms, double Value)> points, string what)
    {
        for (var i = 1; i < points.Count; i++)
        {
            Assert.True(points[i].Ms - points[i - 1].Ms == (long)Interval.TotalMilliseconds, $"{what}: gap or duplicate between {points[i - 1].Ms} and {points[i].Ms}");
        }
    }

    [Fact]
    public async Task A_simulated_night_arrives_complete_with_values_tags_and_counts()
    {
        await using var vm = await VictoriaMetrics.StartAsync();
        await using var broker = await Mosquitto.StartAsync();
        await using var hub = await HubProcess.StartAsync(["--broker", broker.Url, "--beds", "0", .. InfluxArgs(vm)]);
        await using var edge = DotnetProcess.Start(RepoPaths.EdgeDll,
            "--broker", broker.Url, "--facility", "night", "--beds", "3", "--speed", "2000", "--scenario", "healthy", "--seed", "11");

        // A night: 8 hours of 10-second intervals per bed.
        const int Night = 8 * 360;
        await Eventually.UntilAsync(
            // "received" counts data messages, Architect events included: a margin so every bed has a night of vitals.
            async () => (await hub.BedsAsync()) is { Length: 3 } b && b.All(x => x.GetProperty("received").GetInt64() >= Night + 60),
            TimeSpan.FromSeconds(120),
            "three beds to send a night of vitals");
        await TerminateAsync(edge);

        var series = await WaitForEverythingAsync(hub, vm, "night", 3);
        var beds = await hub.BedsAsync();
        foreach (var bed in beds)
        {
            var id = bed.GetProperty("id").GetString()!;
            var received = bed.GetProperty("received").GetInt64();
            Assert.Equal(received, bed.GetProperty("lastSequence").GetInt64());

            // Tags: facility and bed, nothing else (the bucket is not a label in VictoriaMetrics).
            var mine = series.Where(s => s.Labels["bed"] == id).ToList();
            Assert.All(mine, s => Assert.Equal(["__name__", "bed", "facility"], s.Labels.Keys.Order(StringComparer.Ordinal)));
            var seq = mine.Single(s => s.Name == "vitals_seq").Points;
            Assert.True(seq.Count >= Night, $"{id}: a whole night ({seq.Count} intervals)");
            Assert.Equal(seq.Select(p => p.Value).Order(), seq.Select(p => p.Value));
            Assert.InRange(seq[^1].Value, seq.Count, received);
            AssertContiguous(seq, id);
            Assert.All(mine.Single(s => s.Name == "vitals_interval_s").Points, p => Assert.Equal(10, p.Value));

            // Values: identical to what the hub stored in its embedded history, point by point.
            var from = Uri.EscapeDataString(DateTimeOffset.FromUnixTimeMilliseconds(seq[0].Ms).ToString("o", CultureInfo.InvariantCulture));
            // The embedded history is written in batches, at most Storage:FlushInterval (1 s) behind what was received.
            var points = await Eventually.UntilAsync(
                async () =>
                {
                    var history = await hub.Http.GetFromJsonAsync<JsonElement>($"/api/beds/{id}/vitals?facility=night&from={from}&limit=50000");
                    var all = history.GetProperty("points").EnumerateArray().ToList();
                    return all.Count >= seq.Count ? all : null;
                },
                TimeSpan.FromSeconds(30),
                $"{id}: the embedded history to hold the exported night");
            Assert.Equal(seq.Count, points.Count);
            foreach (var (field, json) in new[] { ("heart_rate", "heartRate"), ("respiration_rate", "respirationRate"), ("activity_count", "activityCount"), ("signal_quality", "signalQuality"), ("room_temperature", "roomTemperature") })
            {
                var stored = points.Where(p => p.GetProperty(json).ValueKind == JsonValueKind.Number)
                    .Select(p => (p.GetProperty("ts").GetDateTimeOffset().ToUnixTimeMilliseconds(), p.GetProperty(json).GetDouble())).ToList();
                var exported = mine.SingleOrDefault(s => s.Name == "vitals_" + field)?.Points ?? [];
                Assert.Equal(stored, exported);
            }

            var hr = mine.Single(s => s.Name == "vitals_heart_rate").Points;
            Assert.True(hr.Count > received / 2, $"{id}: heart rate in most intervals");
            Assert.All(hr, p => Assert.InRange(p.Value, 20, 250));
        }

        var metrics = await hub.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("somnis_influx_points_written_total", metrics, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^somnis_influx_up\{[^}]*\} 1$", metrics);
    }

    [Fact]
    public async Task Database_down_then_up_loses_nothing_and_the_outage_is_visible()
    {
        await using var vm = await VictoriaMetrics.StartAsync();
        await using var broker = await Mosquitto.StartAsync();
        await using var hub = await HubProcess.StartAsync(["--broker", broker.Url, "--beds", "0", "--Influx:MaxRetryDelay", "00:00:02", .. InfluxArgs(vm)]);
        await using var edge = DotnetProcess.Start(RepoPaths.EdgeDll,
            "--broker", broker.Url, "--facility", "outage", "--beds", "2", "--speed", "300", "--scenario", "healthy", "--seed", "5");
        await Eventually.UntilAsync(async () => (await vm.ExportAsync("{__name__=\"vitals_seq\"}")).Count == 2, TimeSpan.FromSeconds(60), "first points in the database");

        await vm.StopAsync();
        var report = await Eventually.UntilAsync(
            async () =>
            {
                using var anonymous = new HttpClient();
                var r = await anonymous.GetAsync(new Uri(hub.Url + "/readyz"));
                var text = await r.Content.ReadAsStringAsync();
                var json = JsonDocument.Parse(text).RootElement;
                return r.IsSuccessStatusCode && json.GetProperty("checks").GetProperty("influx").GetProperty("status").GetString() == "Degraded"
                    && json.GetProperty("checks").GetProperty("influx").GetProperty("pending").GetDouble() > 100 ? text : null;
            },
            TimeSpan.FromSeconds(60),
            "readyz to show the database outage with points buffered");
        var degraded = JsonDocument.Parse(report).RootElement;
        Assert.Equal("Degraded", degraded.GetProperty("status").GetString());
        Assert.Contains("unreachable", degraded.GetProperty("checks").GetProperty("influx").GetProperty("description").GetString(), StringComparison.Ordinal);
        var metrics = await hub.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Matches(@"(?m)^somnis_influx_up\{[^}]*\} 0$", metrics);
        Assert.True(Directory.EnumerateFiles(Path.Combine(hub.DataDirectory, "influx-spool"), "*.lp").Any(), "the outage is buffered on disk");

        // The hub itself keeps working meanwhile: live state keeps moving.
        var before = (await hub.BedsAsync()).Sum(b => b.GetProperty("received").GetInt64());
        await Eventually.UntilAsync(async () => (await hub.BedsAsync()).Sum(b => b.GetProperty("received").GetInt64()) > before + 50, TimeSpan.FromSeconds(30), "ingestion to go on during the outage");

        await vm.RestartAsync();
        await Eventually.UntilAsync(
            async () =>
            {
                using var anonymous = new HttpClient();
                var json = JsonDocument.Parse(await anonymous.GetStringAsync(new Uri(hub.Url + "/readyz"))).RootElement;
                return json.GetProperty("checks").GetProperty("influx").GetProperty("status").GetString() == "Healthy";
            },
            TimeSpan.FromSeconds(60),
            "the sink to recover");
        await TerminateAsync(edge);

        var series = await WaitForEverythingAsync(hub, vm, "outage", 2);
        foreach (var seq in series.Where(s => s.Name == "vitals_seq"))
        {
            AssertContiguous(seq.Points, seq.Labels["bed"]);
        }

        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(hub.DataDirectory, "influx-spool"), "*.lp"), _ => true);
    }

    [Fact]
    public async Task Invalid_influx_settings_stop_the_hub_with_a_clear_message()
    {
        var data = Directory.CreateTempSubdirectory("somnis-hub-").FullName;
        try
        {
            await using var hub = DotnetProcess.Start(RepoPaths.HubDll,
                "demo", "--beds", "0", "--urls", $"http://127.0.0.1:{Net.FreePort()}", "--data", data,
                "--Influx:Url", "http://127.0.0.1:1", "--Influx:Org", "somnis", "--Influx:BatchSize", "0");
            Assert.Equal(2, await hub.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("invalid setting: Influx:Token is required when Influx:Url is set", hub.Output, StringComparison.Ordinal);
            Assert.Contains("invalid setting: Influx:Bucket is required when Influx:Url is set", hub.Output, StringComparison.Ordinal);
            Assert.Contains("invalid setting: Influx:BatchSize must be between 1 and 50000", hub.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
