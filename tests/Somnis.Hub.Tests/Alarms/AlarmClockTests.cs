using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Somnis.Contracts;
using Somnis.Hub.Alarms;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Tests.Alarms;

/// <summary>The alarm clock feeds delivery accounting to the technical alarms: data declared lost raises data-gap.</summary>
public sealed class AlarmClockTests
{
    private static ReadOnlySequence<byte> Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) =>
        new(JsonSerializer.SerializeToUtf8Bytes(value, info));

    [Fact]
    public async Task Data_declared_lost_raises_a_latching_data_gap_alarm_naming_the_range()
    {
        await using var hub = new HubFactory();
        using var _ = hub.CreateClient();
        var pipeline = hub.Services.GetRequiredService<IngestionPipeline>();
        var engine = hub.Services.GetRequiredService<AlarmEngine>();
        var clock = hub.Services.GetRequiredService<AlarmClock>();
        var t0 = AlarmEngineTests.T0;
        pipeline.Process("somnis/nexus/beds/bed-09/status", Json(new StatusMessage { Bed = "bed-09", Ts = t0, Mode = "hardware", Software = "test" }, SomnisJsonContext.Default.StatusMessage));
        for (var seq = 1; seq <= 3; seq++)
        {
            pipeline.Process("somnis/nexus/beds/bed-09/vitals", Json(new VitalsMessage { Bed = "bed-09", Seq = seq, Ts = t0.AddSeconds(10 * seq), IntervalSeconds = 10, SignalQuality = 1, BedPresence = true }, SomnisJsonContext.Default.VitalsMessage));
        }

        clock.RunOnce();
        Assert.DoesNotContain(engine.Open(), a => a.Type == AlarmTypes.DataGap);

        var gap = new GapMessage { Bed = "bed-09", Ts = t0.AddSeconds(60), FromSeq = 4, ToSeq = 9, Count = 6, Reason = GapReasons.JournalFull };
        Assert.Null(pipeline.Process("somnis/nexus/beds/bed-09/gap", Json(gap, SomnisJsonContext.Default.GapMessage)));
        pipeline.Process("somnis/nexus/beds/bed-09/vitals", Json(new VitalsMessage { Bed = "bed-09", Seq = 10, Ts = t0.AddSeconds(100), IntervalSeconds = 10, SignalQuality = 1, BedPresence = true }, SomnisJsonContext.Default.VitalsMessage));
        clock.RunOnce();

        var alarm = Assert.Single(engine.Open(), a => a.Type == AlarmTypes.DataGap && a.Bed == "bed-09");
        Assert.Contains("6 messages lost for good (seq 4–9)", alarm.Summary, StringComparison.Ordinal);

        // The loss does not grow: the condition returns to normal, and the latching alarm waits for acknowledgement.
        clock.RunOnce();
        Assert.False(engine.Find(alarm.Id)!.Active);
        Assert.Contains(engine.Open(), a => a.Id == alarm.Id);
    }
}
