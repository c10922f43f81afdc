using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Contracts;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Tests.Ingestion;

public sealed class DeliveryTrackerTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 23, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly string _data = Directory.CreateTempSubdirectory("somnis-delivery-").FullName;
    private readonly TestLogger<DeliveryTracker> _log = new();

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    private DeliveryTracker Tracker() => new(
        _time, Options.Create(new DeliveryOptions()), Options.Create(new HubOptions { DataDirectory = _data }), _services.GetRequiredService<IMeterFactory>(), _log);

    private static DateTimeOffset Ts(long seq) => T0 + TimeSpan.FromSeconds(10 * seq);

    private static IngestionOutcome Data(DeliveryTracker t, long seq, DateTimeOffset? ts = null) => t.ObserveData("nexus", "bed-01", seq, ts ?? Ts(seq));

    private static DeliverySummary Delivery(DeliveryTracker t) => t.Summary("nexus", "bed-01")!.Value.Delivery;

    private static StatusMessage Status(long seq, DateTimeOffset ts, long backlog = 0, bool synchronised = true, double? speed = null) => new()
    {
        Bed = "bed-01",
        Seq = seq,
        Ts = ts,
        Delivery = new DeliveryStatus(backlog, null, 0, "disk"),
        Clock = new ClockStatus(synchronised, "configured"),
        Simulation = speed is { } s ? new SimulationInfo("healthy", 1, s) : null,
    };

    [Fact]
    public void Duplicates_are_dropped_and_counted()
    {
        var t = Tracker();
        Assert.Equal(IngestionResult.Accepted, Data(t, 1).Result);
        Assert.Equal(IngestionResult.Accepted, Data(t, 2).Result);
        Assert.Equal(IngestionResult.Duplicate, Data(t, 2).Result);
        Assert.Equal(IngestionResult.Duplicate, Data(t, 1).Result);
        var d = Delivery(t);
        Assert.Equal((2L, 2L, 0L, 2L, "complete"), (d.LastSequence, d.Received, d.Missing, d.Duplicates, d.State));
    }

    [Fact]
    public void A_gap_stays_missing_until_replayed_and_late_backfill_is_flagged()
    {
        var t = Tracker();
        Data(t, 1);
        Data(t, 50);
        Assert.Equal((48L, "delayed"), (Delivery(t).Missing, Delivery(t).State));

        var early = Data(t, 2);
        Assert.Equal(IngestionResult.Backfilled, early.Result);
        Assert.True(early.IsLate, "seq 2 is 480 s of event time behind the newest data (more than LateAfter = 2 min)");
        var recent = Data(t, 45);
        Assert.False(recent.IsLate, "seq 45 is 50 s behind: not late");
        for (var s = 3; s < 50; s++)
        {
            if (s != 45)
            {
                Data(t, s);
            }
        }

        var d = Delivery(t);
        Assert.Equal((50L, 50L, 0L, 0L, "complete"), (d.LastSequence, d.Received, d.Missing, d.Duplicates, d.State));
        Assert.Contains(_log.Lines, l => l.Contains("every gap filled", StringComparison.Ordinal));
    }

    [Fact]
    public void Replayed_data_older_than_the_device_time_in_the_live_birth_is_late()
    {
        var t = Tracker();
        Data(t, 1);
        t.ApplyStatus("nexus", Status(100, Ts(100), backlog: 99), retained: false);
        Assert.Equal(99, Delivery(t).Backlog);
        Assert.Equal("delayed", Delivery(t).State);
        Assert.True(Data(t, 2).IsLate);
        Assert.False(Data(t, 99).IsLate);
    }

    [Fact]
    public void A_gap_report_declares_the_missing_numbers_lost_but_not_those_received()
    {
        var t = Tracker();
        Data(t, 1);
        Data(t, 3);
        Data(t, 10);
        t.DeclareLost("nexus", new GapMessage { Bed = "bed-01", FromSeq = 2, ToSeq = 6, Count = 4, Reason = GapReasons.JournalFull });
        var d = Delivery(t);
        Assert.Equal((4L, 3L, "delayed"), (d.Lost, d.Missing, d.State));
        Assert.Equal([new SequenceRange(2, 2), new SequenceRange(4, 6)], d.LostRanges);

        // A number declared lost that turns up after all is received, not lost.
        Assert.Equal(IngestionResult.Backfilled, Data(t, 4).Result);
        for (var s = 7; s < 10; s++)
        {
            Data(t, s);
        }

        d = Delivery(t);
        Assert.Equal((3L, 0L, "incomplete"), (d.Lost, d.Missing, d.State));
    }

    [Fact]
    public void A_gap_report_beyond_the_highest_received_number_never_becomes_missing()
    {
        var t = Tracker();
        Data(t, 1);
        t.DeclareLost("nexus", new GapMessage { Bed = "bed-01", FromSeq = 2, ToSeq = 5, Count = 4, Reason = GapReasons.JournalAge });
        Data(t, 6);
        var d = Delivery(t);
        Assert.Equal((6L, 0L, 4L), (d.LastSequence, d.Missing, d.Lost));
    }

    [Fact]
    public void The_accounting_survives_a_restart()
    {
        var t = Tracker();
        Data(t, 1);
        Data(t, 5);
        Data(t, 5);
        Assert.True(t.Save());
        Assert.False(t.Save());

        var again = Tracker();
        var d = Delivery(again);
        Assert.Equal((5L, 2L, 3L, 1L), (d.LastSequence, d.Received, d.Missing, d.Duplicates));
        Assert.Equal(IngestionResult.Duplicate, Data(again, 5).Result);
        Assert.Equal(IngestionResult.Backfilled, Data(again, 3).Result);
    }

    [Fact]
    public void The_checkpoint_file_holds_every_bed_and_only_changed_beds_are_encoded_again()
    {
        var t = Tracker();
        t.ApplyStatus("nexus", Status(0, Ts(0)) with { Boot = "run-\"a\"" }, retained: false);
        Data(t, 1);
        Data(t, 5);
        Data(t, 9);
        t.DeclareLost("nexus", new GapMessage { Bed = "bed-01", FromSeq = 2, ToSeq = 3, Count = 2, Reason = GapReasons.JournalAge });
        t.ObserveData("west", "bed-02", 1, Ts(1));

        var first = t.Snapshot();
        Assert.True(t.Write(first));

        var states = DeliveryCheckpointFormat.Decode(File.ReadAllBytes(Path.Combine(_data, "delivery.json")));
        var a = Assert.Single(states, s => s.Bed == "bed-01");
        Assert.Equal(("nexus", 9L, 3L, 0L, 0L, 0L), (a.Facility, a.LastSequence, a.Received, a.Duplicates, a.Late, a.Resets));
        Assert.Equal([new SequenceRange(4, 4), new SequenceRange(6, 8)], a.Missing);
        Assert.Equal([new SequenceRange(2, 3)], a.Lost);
        Assert.Equal(["run-\"a\""], a.Boots);
        Assert.Equal((Ts(9), Ts(0)), (a.NewestEventTs, a.DeviceFrontier));
        var b = Assert.Single(states, s => s.Bed == "bed-02");
        Assert.Equal(("west", 1L, (DateTimeOffset?)null), (b.Facility, b.LastSequence, b.DeviceFrontier));
        Assert.Empty(b.Missing);
        Assert.Empty(b.Boots);

        // Only bed-02 changed: bed-01's entry is the one already encoded, bed-02's is new.
        t.ObserveData("west", "bed-02", 2, Ts(2));
        var second = t.Snapshot()!;
        Assert.Equal(2, second.Entries.Count);
        Assert.Equal(1, second.Entries.Count(e => first!.Entries.Any(old => ReferenceEquals(old, e))));
        Assert.True(t.Write(second));
        Assert.Null(t.Snapshot());

        var again = Tracker();
        Assert.Equal((2L, 2L), (again.Summary("west", "bed-02")!.Value.Delivery.LastSequence, again.Summary("west", "bed-02")!.Value.Delivery.Received));
        Assert.Equal((9L, 4L, 2L), (Delivery(again).LastSequence, Delivery(again).Missing, Delivery(again).Lost));
    }

    [Fact]
    public void A_checkpoint_written_by_todays_hub_is_loaded_at_start()
    {
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Ingestion", "fixtures", "delivery-2026-11.json"), Path.Combine(_data, "delivery.json"));
        var t = Tracker();

        var d = Delivery(t);
        Assert.Equal((20L, 10L, 8L, 2L, 2L, 1L, "delayed"), (d.LastSequence, d.Received, d.Missing, d.Duplicates, d.Lost, d.Late, d.State));
        Assert.Equal(IngestionResult.Backfilled, Data(t, 13).Result);
        Assert.Equal(IngestionResult.Duplicate, Data(t, 20).Result);
        var restarted = t.Summary("west", "bed-04")!.Value.Delivery;
        Assert.Equal((0L, 2L, 1L, "incomplete"), (restarted.LastSequence, restarted.Received, restarted.Lost, restarted.State));
        Assert.Equal(4, new[] { "bed-01", "bed-02", "bed-03", "bed-04" }.Count(b => t.Summary(b == "bed-01" ? "nexus" : "west", b) is not null));
    }

    [Fact]
    public void Saved_checkpoints_and_the_beds_restored_at_start_are_in_the_metrics()
    {
        using (var saved = new MetricCollector<long>(_services.GetRequiredService<IMeterFactory>(), HubMetrics.MeterName, "somnis.delivery.checkpoints"))
        using (var restored = new MetricCollector<long>(_services.GetRequiredService<IMeterFactory>(), HubMetrics.MeterName, "somnis.delivery.beds.restored"))
        {
            var t = Tracker();
            Data(t, 1);
            t.ObserveData("west", "bed-02", 1, Ts(1));
            Assert.True(t.Save());
            Assert.False(t.Save());
            Assert.Equal(1, saved.GetMeasurementSnapshot().EvaluateAsCounter());
            restored.RecordObservableInstruments();
            Assert.Equal(0, restored.LastMeasurement!.Value);
        }

        // The restarted hub: its own meters, on the same data directory.
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var afterRestart = new MetricCollector<long>(meters, HubMetrics.MeterName, "somnis.delivery.beds.restored");
        _ = new DeliveryTracker(_time, Options.Create(new DeliveryOptions()), Options.Create(new HubOptions { DataDirectory = _data }), meters, _log);
        afterRestart.RecordObservableInstruments();
        Assert.Equal(2, afterRestart.LastMeasurement!.Value);
        Assert.Contains(_log.Lines, l => l.StartsWith("Delivery state of 2 bed(s) loaded", StringComparison.Ordinal));
    }

    [Fact]
    public void A_backwards_clock_jump_is_flagged_and_ordering_stays_by_sequence()
    {
        var t = Tracker();
        Data(t, 1);
        Data(t, 2);
        var afterJump = Data(t, 3, Ts(3) - TimeSpan.FromDays(30));
        Assert.Equal(IngestionResult.Accepted, afterJump.Result);
        Assert.False(afterJump.IsLate, "after a jump the device time restarts; new data is not 'late'");
        Assert.Equal("jump", t.Summary("nexus", "bed-01")!.Value.Clock.Problem);
        Assert.Equal(IngestionResult.Duplicate, Data(t, 2).Result);

        _time.Advance(TimeSpan.FromHours(2));
        Assert.Null(t.Summary("nexus", "bed-01")!.Value.Clock.Problem);
    }

    [Fact]
    public void Skew_is_judged_only_for_real_time_edges_and_unsynchronised_clocks_are_flagged()
    {
        var t = Tracker();
        t.ApplyStatus("nexus", Status(0, T0 + TimeSpan.FromMinutes(5)), retained: false);
        var clock = t.Summary("nexus", "bed-01")!.Value.Clock;
        Assert.Equal(("skew", 300.0), (clock.Problem, clock.SkewSeconds));

        t.ApplyStatus("nexus", Status(0, T0 + TimeSpan.FromDays(3), speed: 2000), retained: false);
        Assert.Null(t.Summary("nexus", "bed-01")!.Value.Clock.Problem);

        t.ApplyStatus("nexus", Status(0, T0, synchronised: false), retained: false);
        Assert.Equal("unsynchronised", t.Summary("nexus", "bed-01")!.Value.Clock.Problem);
    }

    [Fact]
    public void An_edge_restarting_its_sequence_without_a_journal_is_detected_but_a_retained_status_is_not_a_birth()
    {
        var t = Tracker();
        Data(t, 1);
        Data(t, 5);
        t.ApplyStatus("nexus", Status(2, Ts(2)), retained: true);
        Assert.Equal(5, Delivery(t).LastSequence);

        t.ApplyStatus("nexus", Status(0, Ts(6)), retained: false);
        var d = Delivery(t);
        Assert.Equal((0L, 0L, 3L), (d.LastSequence, d.Missing, d.Lost));
        Assert.Equal(IngestionResult.Accepted, Data(t, 1, Ts(7)).Result);
    }

    [Fact]
    public void A_status_of_a_known_run_delivered_again_after_a_hub_crash_is_not_taken_for_a_restart()
    {
        var t = Tracker();
        t.ApplyStatus("nexus", Status(0, Ts(0)) with { Boot = "run-a" }, retained: false);
        for (var seq = 1; seq <= 5; seq++)
        {
            Data(t, seq);
        }

        t.ApplyStatus("nexus", Status(3, Ts(3)) with { Boot = "run-a" }, retained: false);
        Assert.True(t.Save());

        // The hub crashed after that save but before acknowledging: the broker delivers the status and data again.
        var again = Tracker();
        again.ApplyStatus("nexus", Status(3, Ts(3)) with { Boot = "run-a" }, retained: false);
        Assert.Equal(IngestionResult.Duplicate, Data(again, 4).Result);
        Assert.Equal(IngestionResult.Duplicate, Data(again, 5).Result);
        Assert.Equal(IngestionResult.Accepted, Data(again, 6).Result);
        var d = Delivery(again);
        Assert.Equal((6L, 6L, 0L, 0L), (d.LastSequence, d.Received, d.Missing, d.Lost));

        // A run the hub has not seen, numbering from the start again: the edge lost its numbering (no journal).
        again.ApplyStatus("nexus", Status(0, Ts(7)) with { Boot = "run-b" }, retained: false);
        d = Delivery(again);
        Assert.Equal((0L, 0L), (d.LastSequence, d.Missing));
        Assert.Equal(IngestionResult.Accepted, Data(again, 1, Ts(8)).Result);
    }
}
