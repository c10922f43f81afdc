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

    [Fact]
    public async Task Loss_reported_before_a_restart_does_not_raise_data_gap_again_but_new_loss_does()
    {
        var data = Directory.CreateTempSubdirectory("somnis-alarmclock-").FullName;
        try
        {
            var t0 = AlarmEngineTests.T0;
            await using (var first = new HubFactory(new() { ["Hub:DataDirectory"] = data }))
            {
                using var _ = first.CreateClient();
                var pipeline = first.Services.GetRequiredService<IngestionPipeline>();
                Feed(pipeline, t0, 1, 3);
                pipeline.Process("somnis/nexus/beds/bed-09/gap", Json(new GapMessage { Bed = "bed-09", Ts = t0.AddSeconds(60), FromSeq = 4, ToSeq = 9, Count = 6, Reason = GapReasons.JournalFull }, SomnisJsonContext.Default.GapMessage));
                Feed(pipeline, t0, 10, 10);
                var firstClock = first.Services.GetRequiredService<AlarmClock>();
                firstClock.RunOnce();
                var raised = Assert.Single(first.Services.GetRequiredService<AlarmEngine>().Open(), a => a.Type == AlarmTypes.DataGap);
                firstClock.RunOnce();
                Assert.IsType<ActionOutcome.Done>(first.Services.GetRequiredService<AlarmActions>().Acknowledge(raised.Id, "tess", "seen"));
                Assert.True(first.Services.GetRequiredService<DeliveryTracker>().Save());
            }

            // The restarted hub restores the lost count (6) from the checkpoint: that loss was reported by the first run.
            await using var second = new HubFactory(new() { ["Hub:DataDirectory"] = data });
            using var __ = second.CreateClient();
            var again = second.Services.GetRequiredService<IngestionPipeline>();
            var engine = second.Services.GetRequiredService<AlarmEngine>();
            var clock = second.Services.GetRequiredService<AlarmClock>();
            Feed(again, t0, 11, 12);
            clock.RunOnce();
            Assert.DoesNotContain(engine.Open(), a => a.Type == AlarmTypes.DataGap);
            Assert.Equal(6, second.Services.GetRequiredService<DeliveryTracker>().Summary("nexus", "bed-09")!.Value.Delivery.Lost);

            // New loss after the restart still raises.
            again.Process("somnis/nexus/beds/bed-09/gap", Json(new GapMessage { Bed = "bed-09", Ts = t0.AddSeconds(130), FromSeq = 13, ToSeq = 14, Count = 2, Reason = GapReasons.JournalFull }, SomnisJsonContext.Default.GapMessage));
            Feed(again, t0, 15, 15);
            clock.RunOnce();
            var alarm = Assert.Single(engine.Open(), a => a.Type == AlarmTypes.DataGap && a.Active);
            Assert.Contains("8 messages lost for good", alarm.Summary, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task After_ResetBaseline_only_loss_declared_later_raises_data_gap()
    {
        await using var hub = new HubFactory();
        using var _ = hub.CreateClient();
        var pipeline = hub.Services.GetRequiredService<IngestionPipeline>();
        var engine = hub.Services.GetRequiredService<AlarmEngine>();
        var clock = hub.Services.GetRequiredService<AlarmClock>();
        var t0 = AlarmEngineTests.T0;
        Feed(pipeline, t0, 1, 3);
        pipeline.Process("somnis/nexus/beds/bed-09/gap", Json(new GapMessage { Bed = "bed-09", Ts = t0.AddSeconds(60), FromSeq = 4, ToSeq = 9, Count = 6, Reason = GapReasons.JournalFull }, SomnisJsonContext.Default.GapMessage));
        Feed(pipeline, t0, 10, 10);

        clock.ResetBaseline();
        clock.RunOnce();
        Assert.DoesNotContain(engine.Open(), a => a.Type == AlarmTypes.DataGap);

        pipeline.Process("somnis/nexus/beds/bed-09/gap", Json(new GapMessage { Bed = "bed-09", Ts = t0.AddSeconds(120), FromSeq = 11, ToSeq = 11, Count = 1, Reason = GapReasons.JournalFull }, SomnisJsonContext.Default.GapMessage));
        Feed(pipeline, t0, 12, 12);
        clock.RunOnce();
        Assert.Single(engine.Open(), a => a.Type == AlarmTypes.DataGap && a.Active);
    }

    private static void Feed(IngestionPipeline pipeline, DateTimeOffset t0, int from, int to)
    {
        if (from == 1)
        {
            pipeline.Process("somnis/nexus/beds/bed-09/status", Json(new StatusMessage { Bed = "bed-09", Ts = t0, Mode = "hardware", Software = "test" }, SomnisJsonContext.Default.StatusMessage));
        }

        for (var seq = from; seq <= to; seq++)
        {
            pipeline.Process("somnis/nexus/beds/bed-09/vitals", Json(new VitalsMessage { Bed = "bed-09", Seq = seq, Ts = t0.AddSeconds(10 * seq), IntervalSeconds = 10, SignalQuality = 1, BedPresence = true }, SomnisJsonContext.Default.VitalsMessage));
        }
    }
}
