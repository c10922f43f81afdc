using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Somnis.Contracts;
using Somnis.Hub;
using Somnis.Hub.Detection;
using Somnis.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Somnis.Integration.Tests.Delivery;

/// <summary>
/// Issue 18's "Done when": a night of record survives <c>kill -9</c> of a real hub process in the middle of it, while a
/// separate edge process goes on publishing through Mosquitto. A short simulated night (4 h in bed, 40 min up, at 1000×:
/// about 17 s of real time) so the test stays small.
/// </summary>
[Collection("processes")]
public sealed class NightRestartTests(ITestOutputHelper output)
{
    /// <summary>The mix's Architect-deprivation bed (bed-01 sleeps healthily).</summary>
    private const string Bed = "bed-02";

    [Fact]
    public async Task A_night_survives_a_hub_kill_and_ends_as_an_uninterrupted_run_over_the_same_data_would()
    {
        var watch = Stopwatch.StartNew();
        await using var rig = await DeliveryRig.StartAsync(2, 1000, false, null, "--Edge:NightLength", "04:00:00", "--Edge:DayLength", "00:40:00");
        var http = rig.Hub.Http;
        var night = $"/api/beds/{Bed}/night?facility={rig.Facility}";

        // An hour and more into the night, with its start stored and a checkpoint saved: kill -9.
        var before = await Eventually.WhileProgressingAsync(
            () => http.GetFromJsonAsync<JsonElement>(night), n => n.GetProperty("epochs").GetArrayLength() >= 150,
            n => n.GetProperty("epochs").GetArrayLength(), DeliveryRig.HubStall, DeliveryRig.HubWaitMax, "an hour of the night scored");
        var id = before.GetProperty("nightId").GetString()!;
        await Eventually.UntilAsync(async () => (await http.GetAsync(new Uri($"/api/nights/{id}", UriKind.Relative))).IsSuccessStatusCode,
            DeliveryRig.HubStall, "the night's start to be stored");
        await rig.WaitForCheckpointAsync("a checkpoint before the kill");
        var hypnogram = Hypnogram(await http.GetFromJsonAsync<JsonElement>(night));
        await rig.Hub.RestartAsync();
        Assert.True(await rig.Hub.MetricAsync("somnis_nights_restored_total") >= 1, "the hub restored no night");

        // The hypnogram before the kill is still there, in the same night, and the night goes on.
        var after = await http.GetFromJsonAsync<JsonElement>(night);
        Assert.Equal(id, after.GetProperty("nightId").GetString());
        Assert.Equal(hypnogram, Hypnogram(after).Take(hypnogram.Count));
        await Eventually.WhileProgressingAsync(
            () => http.GetFromJsonAsync<JsonElement>(night), n => n.GetProperty("nightId").GetString() != id || n.GetProperty("epochs").GetArrayLength() >= hypnogram.Count + 120,
            n => n.GetProperty("epochs").GetArrayLength(), DeliveryRig.HubStall, DeliveryRig.HubWaitMax, "the night to go on after the restart");

        // It ends (the sleeper gets up for the day and lies down again); its stored figures are those of the same vitals
        // scored without an interruption.
        var stored = await Eventually.WhileProgressingAsync(
            () => http.GetFromJsonAsync<JsonElement>($"/api/nights/{id}"), n => n.GetProperty("night").GetProperty("end").ValueKind != JsonValueKind.Null,
            n => n.GetProperty("epochs").GetArrayLength(), DeliveryRig.HubStall, DeliveryRig.HubWaitMax, "the night to end");
        var start = stored.GetProperty("night").GetProperty("start").GetDateTimeOffset();
        var end = stored.GetProperty("night").GetProperty("end").GetDateTimeOffset();
        var epochs = stored.GetProperty("epochs");
        Assert.Equal(hypnogram, Hypnogram(stored).Take(hypnogram.Count));

        // The same vitals from the history, up to the one that ended the night (the sleeper back in bed): stored a few
        // seconds after it was scored (the history writer lets its batches fill).
        var points = await Eventually.UntilAsync(async () =>
        {
            var v = await http.GetFromJsonAsync<JsonElement>($"/api/beds/{Bed}/vitals?facility={rig.Facility}&from={Iso(start)}&to={Iso(end.AddHours(2))}&limit=50000");
            var all = v.GetProperty("points").EnumerateArray().ToList();
            return all.Any(p => p.GetProperty("ts").GetDateTimeOffset() > end && p.GetProperty("bedPresence").ValueKind == JsonValueKind.True) ? all : null;
        }, DeliveryRig.HubStall, "the vitals that ended the night to be stored");
        var tracker = new SleepTracker(rig.Facility, Bed, new DetectionOptions());
        foreach (var p in points)
        {
            tracker.Add(Message(p));
        }

        var uninterrupted = tracker.PastNights[0];
        var metrics = JsonSerializer.Deserialize(stored.GetProperty("night").GetProperty("metrics").GetRawText(), HubJsonContext.Default.NightMetrics);
        Assert.Equal(uninterrupted.Metrics, metrics);
        Assert.Equal(uninterrupted.End!.Value.ToUnixTimeMilliseconds(), end.ToUnixTimeMilliseconds());
        Assert.Equal(tracker.PastNights[0].Metrics.TimeInBedMin, epochs.EnumerateArray().Count(e => e.GetProperty("state").GetString() is "sleep" or "wake") * 0.5);
        output.WriteLine($"{hypnogram.Count} epochs before the kill, {epochs.GetArrayLength()} in the night; TST {metrics!.TotalSleepMin} min; took {watch.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>Each epoch's start (ms), state and p(sleep), as the API gives them.</summary>
    private static List<(long Start, string State, double PSleep)> Hypnogram(JsonElement night) =>
        [.. night.GetProperty("epochs").EnumerateArray().Select(e =>
            (e.GetProperty("start").GetDateTimeOffset().ToUnixTimeMilliseconds(), e.GetProperty("state").GetString()!, e.GetProperty("pSleep").GetDouble()))];

    private static string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));

    private static VitalsMessage Message(JsonElement p)
    {
        static double? N(JsonElement e, string name) => e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetDouble();
        return new VitalsMessage
        {
            Bed = Bed, Seq = p.GetProperty("seq").GetInt64(), Ts = p.GetProperty("ts").GetDateTimeOffset(), IntervalSeconds = p.GetProperty("intervalSeconds").GetDouble(),
            HeartRate = N(p, "heartRate"), RespirationRate = N(p, "respirationRate"), ActivityCount = N(p, "activityCount"),
            SkinTemperature = N(p, "skinTemperature"), RoomTemperature = N(p, "roomTemperature"),
            BedPresence = p.GetProperty("bedPresence").ValueKind == JsonValueKind.Null ? null : p.GetProperty("bedPresence").GetBoolean(),
            SignalQuality = p.GetProperty("signalQuality").GetDouble(), ArchitectStimulating = p.GetProperty("architectStimulating").GetBoolean(),
        };
    }
}
