using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Ingestion;

/// <summary>
/// The whole path with real parts: a separate edge process publishes simulated beds through a real Mosquitto,
/// and a separate hub process shows them.
/// </summary>
[Collection("processes")]
public sealed class EdgeToHubTests
{
    [Fact]
    public async Task Edge_process_publishes_through_mosquitto_and_hub_shows_the_beds_live()
    {
        await using var broker = await Mosquitto.StartAsync();
        await using var hub = await HubProcess.StartAsync("--broker", broker.Url, "--beds", "0");
        await using var edge = DotnetProcess.Start(RepoPaths.EdgeDll,
            "--broker", broker.Url, "--facility", "itest", "--beds", "3", "--speed", "60", "--scenario", "healthy,architect-deprivation,sensor-fault", "--seed", "7");

        var beds = await Eventually.UntilAsync(
            async () =>
            {
                var all = await hub.BedsAsync();
                return all.Length == 3 && all.All(b => b.GetProperty("online").GetBoolean() && b.GetProperty("heartRate").ValueKind == JsonValueKind.Number) ? all : null;
            },
            TimeSpan.FromSeconds(60),
            "three online beds with heart rates");

        Assert.Equal(["bed-01", "bed-02", "bed-03"], beds.Select(b => b.GetProperty("id").GetString()));
        Assert.All(beds, b => Assert.Equal("itest", b.GetProperty("facility").GetString()));
        Assert.Equal(
            ["healthy", "architect-deprivation", "sensor-fault"],
            beds.Select(b => b.GetProperty("simulation").GetProperty("scenario").GetString()));
        Assert.All(beds, b => Assert.InRange(b.GetProperty("heartRate").GetDouble(), 35, 130));

        // Live: the sequence numbers keep moving.
        var before = beds[0].GetProperty("lastSequence").GetInt64();
        await Eventually.UntilAsync(
            async () => (await hub.BedsAsync())[0].GetProperty("lastSequence").GetInt64() > before + 5,
            TimeSpan.FromSeconds(30),
            "bed-01 to publish more vitals");

        // kill -9: the broker publishes the edge's last will and the hub shows the beds offline.
        edge.Kill();
        await Eventually.UntilAsync(
            async () => (await hub.BedsAsync()).All(b => !b.GetProperty("online").GetBoolean()),
            TimeSpan.FromSeconds(60),
            "the last will to mark every bed offline");
    }

    [Fact]
    public async Task Edge_stopped_cleanly_reports_offline_at_once()
    {
        await using var broker = await Mosquitto.StartAsync();
        await using var hub = await HubProcess.StartAsync("--broker", broker.Url, "--beds", "0");
        await using var edge = DotnetProcess.Start(RepoPaths.EdgeDll, "--broker", broker.Url, "--bed", "bed-07", "--speed", "30");
        await Eventually.UntilAsync(async () => (await hub.BedsAsync()).Any(b => b.GetProperty("online").GetBoolean()), TimeSpan.FromSeconds(60), "bed-07 online");

        using (var term = Process.Start("kill", ["-TERM", edge.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        Assert.Equal(0, await edge.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var bed = await hub.Http.GetFromJsonAsync<JsonElement>("/api/beds/bed-07");
        await Eventually.UntilAsync(
            async () => !(await hub.Http.GetFromJsonAsync<JsonElement>("/api/beds/bed-07")).GetProperty("online").GetBoolean(),
            TimeSpan.FromSeconds(10),
            "bed-07 offline after a clean stop");
        Assert.Equal("simulated", bed.GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Bad_messages_through_the_broker_are_rejected_by_reason_and_other_beds_keep_updating()
    {
        await using var broker = await Mosquitto.StartAsync();
        await using var hub = await HubProcess.StartAsync("--broker", broker.Url, "--beds", "0");
        await using var edge = DotnetProcess.Start(RepoPaths.EdgeDll, "--broker", broker.Url, "--bed", "bed-good", "--speed", "60");
        await Eventually.UntilAsync(async () => (await hub.BedsAsync()).Any(b => b.GetProperty("id").GetString() == "bed-good"), TimeSpan.FromSeconds(60), "bed-good");

        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId("itest-bad").Build());
        var ts = "2026-01-01T00:00:00Z";
        var bad = new (string Topic, string Payload, string Reason)[]
        {
            ("somnis/nexus/beds/bed-x/vitals", "this is not json", "not-json"),
            ("somnis/nexus/beds/bed-x/vitals", $$"""{"v":1,"bed":"bed-x","seq":"one","ts":"{{ts}}","intervalSeconds":10,"signalQuality":1}""", "wrong-type"),
            ("somnis/nexus/beds/bed-x/vitals", $$"""{"v":1,"bed":"bed-x","seq":1,"ts":"{{ts}}","intervalSeconds":10,"heartRate":"NaN","signalQuality":1}""", "not-finite"),
            ("somnis/nexus/beds/bed-x/vitals", $$"""{"v":1,"bed":"bed-x","seq":1,"ts":"{{ts}}","intervalSeconds":10,"heartRate":900,"signalQuality":1}""", "out-of-range"),
            ("somnis/nexus/beds/bed-x/vitals", $$"""{"v":7,"bed":"bed-x","seq":1,"ts":"{{ts}}","intervalSeconds":10,"signalQuality":1}""", "unsupported-version"),
            ("somnis/nexus/beds/bed-x/vitals", $$"""{"v":1,"bed":"bed-y","seq":1,"ts":"{{ts}}","intervalSeconds":10,"signalQuality":1}""", "bed-mismatch"),
            ("somnis/nexus/beds/bed-x/vitals", "{\"pad\":\"" + new string('x', 5000) + "\"}", "too-large"),
        };
        foreach (var (topic, payload, _) in bad)
        {
            await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(Encoding.UTF8.GetBytes(payload)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        }

        var stats = await Eventually.UntilAsync(
            async () =>
            {
                var s = await hub.Http.GetFromJsonAsync<JsonElement>("/api/ingestion");
                var rejected = s.GetProperty("rejected");
                return bad.All(b => rejected.TryGetProperty(b.Reason, out var n) && n.GetInt64() >= 1) ? (object)s : null;
            },
            TimeSpan.FromSeconds(30),
            "every bad message to be rejected with its reason");
        Assert.NotNull(stats);

        // The hub kept serving: the bad bed never appeared, the good one keeps updating, and each reason was logged with bed and topic.
        var beds = await hub.BedsAsync();
        Assert.DoesNotContain(beds, b => b.GetProperty("id").GetString() == "bed-x");
        var seq = beds.Single(b => b.GetProperty("id").GetString() == "bed-good").GetProperty("lastSequence").GetInt64();
        await Eventually.UntilAsync(
            async () => (await hub.BedsAsync()).Single(b => b.GetProperty("id").GetString() == "bed-good").GetProperty("lastSequence").GetInt64() > seq,
            TimeSpan.FromSeconds(30),
            "bed-good to keep updating");
        Assert.Contains("Rejected message (bed-mismatch) from bed bed-x on somnis/nexus/beds/bed-x/vitals", hub.Process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', 100), hub.Process.Output, StringComparison.Ordinal);
    }
}
