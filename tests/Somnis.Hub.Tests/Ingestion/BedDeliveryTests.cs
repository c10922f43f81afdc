using Microsoft.Extensions.Time.Testing;
using Somnis.Contracts;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Tests.Ingestion;

public sealed class BedDeliveryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 23, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private readonly TestLogger<DeliveryTracker> _log = new();

    private BedDelivery Bed(DeliveryOptions? options = null) => new("bed-01", options ?? new DeliveryOptions(), _time, _log);

    private static DateTimeOffset Ts(long seq) => T0 + TimeSpan.FromSeconds(10 * seq);

    private static StatusMessage Birth(long seq, DateTimeOffset ts, string? boot = null, long backlog = 0) => new()
    {
        Bed = "bed-01",
        Seq = seq,
        Ts = ts,
        Boot = boot,
        Delivery = new DeliveryStatus(backlog, null, 0, "disk"),
        Clock = new ClockStatus(true, "configured"),
    };

    private static void Observe(BedDelivery d, params long[] seqs)
    {
        foreach (var seq in seqs)
        {
            d.Observe(seq, Ts(seq));
        }
    }

    [Fact]
    public void Numbers_in_order_are_accepted_and_numbers_seen_before_are_duplicates()
    {
        var d = Bed();
        Assert.Same(IngestionOutcome.Accepted, d.Observe(1, Ts(1)));
        Assert.Same(IngestionOutcome.Accepted, d.Observe(2, Ts(2)));
        Assert.Same(IngestionOutcome.Duplicate, d.Observe(2, Ts(2)));
        Assert.Same(IngestionOutcome.Duplicate, d.Observe(1, Ts(1)));
        var s = d.Summary();
        Assert.Equal((2L, 2L, 0L, 2L, "complete"), (s.LastSequence, s.Received, s.Missing, s.Duplicates, s.State));
        Assert.Empty(_log.Lines);
    }

    [Fact]
    public void A_hole_is_missing_until_filled_and_data_far_behind_the_newest_device_time_is_late()
    {
        var d = Bed();
        Observe(d, 1, 5);
        Assert.Equal([(2L, 4L)], d.MissingRanges);
        Assert.Single(_log.Lines, l => l.Contains("sequence gap 2-4 opened", StringComparison.Ordinal));

        // Seq 2 is 30 s behind the newest data: not late (LateAfter 2 min); a message 3 min behind is.
        Assert.Same(IngestionOutcome.Backfilled, d.Observe(2, Ts(2)));
        Assert.Same(IngestionOutcome.BackfilledLate, d.Observe(3, Ts(5) - TimeSpan.FromMinutes(3)));
        Assert.DoesNotContain(_log.Lines, l => l.Contains("every gap filled", StringComparison.Ordinal));
        d.Observe(4, Ts(4));
        Assert.Contains(_log.Lines, l => l.Contains("every gap filled; complete up to sequence 5 (5 received)", StringComparison.Ordinal));
        var s = d.Summary();
        Assert.Equal((5L, 5L, 0L, 1L, "complete"), (s.LastSequence, s.Received, s.Missing, s.Late, s.State));
    }

    [Fact]
    public void Declared_lost_numbers_leave_the_missing_set_and_one_that_turns_up_after_all_is_received()
    {
        var d = Bed();
        Observe(d, 1, 3, 10);
        Assert.Equal(4, d.DeclareLost(2, 6));
        Assert.Equal([(2L, 2L), (4L, 6L)], d.LostRanges);
        Assert.Equal([(7L, 9L)], d.MissingRanges);

        Assert.Same(IngestionOutcome.Backfilled, d.Observe(4, Ts(4)));
        Assert.Equal([(2L, 2L), (5L, 6L)], d.LostRanges);

        // Beyond the highest received: lost at once, never missing.
        Assert.Equal(5, d.DeclareLost(11, 15));
        var s = d.Summary();
        Assert.Equal((15L, 3L, 8L, "delayed"), (s.LastSequence, s.Missing, s.Lost, s.State));
        Assert.Equal([new SequenceRange(2, 2), new SequenceRange(5, 6), new SequenceRange(11, 15)], s.LostRanges);
    }

    [Fact]
    public void Beyond_the_bound_on_missing_ranges_the_oldest_are_declared_lost()
    {
        var d = Bed(new DeliveryOptions { MaxMissingRanges = 100 });
        for (var seq = 1; seq <= 203; seq += 2)
        {
            d.Observe(seq, Ts(seq));
        }

        Assert.Equal(100, d.MissingRanges.Count);
        Assert.Equal([(2L, 2L)], d.LostRanges);
        Assert.Equal((4L, 4L), d.MissingRanges[0]);
        Assert.Single(_log.Lines, l => l.StartsWith("Missing sequence range 2-2 declared lost: more than 100", StringComparison.Ordinal));
    }

    [Fact]
    public void A_live_birth_behind_from_an_unknown_run_is_a_restart_but_a_retained_status_or_a_known_run_is_not()
    {
        var d = Bed();
        d.ApplyStatus(Birth(0, Ts(0), boot: "run-a"), retained: false);
        Observe(d, 1, 2, 5);

        d.ApplyStatus(Birth(1, Ts(1), boot: "run-b"), retained: true);
        d.ApplyStatus(Birth(1, Ts(1), boot: "run-a"), retained: false);
        Assert.Equal((5L, 0L), (d.LastSequence, d.Resets));

        d.ApplyStatus(Birth(0, Ts(6), boot: "run-b"), retained: false);
        var s = d.Summary();
        Assert.Equal((0L, 1L, 0L, 2L), (s.LastSequence, d.Resets, s.Missing, s.Lost));
        Assert.Equal(["run-a", "run-b"], d.Boots);
        Assert.Null(d.NewestEventTs);
        Assert.Equal(Ts(6), d.DeviceFrontier);
        Assert.Contains(_log.Lines, l => l.Contains("restarted its sequence (was 5, now 0)", StringComparison.Ordinal));
        Assert.Same(IngestionOutcome.Accepted, d.Observe(1, Ts(7)));
    }

    [Fact]
    public void Only_the_last_eight_runs_are_remembered()
    {
        var d = Bed();
        Observe(d, 1, 2, 3);
        for (var run = 1; run <= 9; run++)
        {
            d.ApplyStatus(Birth(3, Ts(3), boot: $"run-{run}"), retained: false);
        }

        Assert.Equal([.. Enumerable.Range(2, 8).Select(run => $"run-{run}")], d.Boots);

        // run-1 is forgotten: a birth of it behind the numbering counts as a new run that lost its numbering.
        d.ApplyStatus(Birth(1, Ts(4), boot: "run-1"), retained: false);
        Assert.Equal(1, d.Resets);
    }

    [Fact]
    public void Missing_numbers_that_stop_moving_are_asked_for_again_in_bounded_requests_once_per_interval()
    {
        var options = new DeliveryOptions { ResendAfter = TimeSpan.FromSeconds(10) };
        var d = Bed(options);
        d.Observe(1, Ts(1));
        d.Observe(CommandMessage.MaxResendCount + 10, Ts(2));
        for (var i = 1; i <= 25; i++)
        {
            d.Observe(CommandMessage.MaxResendCount + 10 + (2 * i), Ts(2 + i));
        }

        Assert.Null(d.DueForResend(_time.GetUtcNow()));
        _time.Advance(options.ResendAfter);
        var ranges = d.DueForResend(_time.GetUtcNow())!;
        Assert.Equal(20, ranges.Count);
        Assert.Equal((2L, 1L + CommandMessage.MaxResendCount), ranges[0]);
        Assert.Equal((CommandMessage.MaxResendCount + 11L, CommandMessage.MaxResendCount + 11L), ranges[1]);

        Assert.Null(d.DueForResend(_time.GetUtcNow()));
        _time.Advance(options.ResendAfter);
        Assert.NotNull(d.DueForResend(_time.GetUtcNow()));
    }

    [Fact]
    public void The_state_is_delayed_by_a_backlog_at_the_bedside_and_incomplete_once_only_losses_remain()
    {
        var d = Bed();
        d.Observe(1, Ts(1));
        d.ApplyStatus(Birth(1, Ts(1), backlog: 3), retained: false);
        Assert.Equal(("delayed", 3L, "disk"), (d.Summary().State, d.Summary().Backlog, d.Summary().Journal));

        d.ApplyStatus(Birth(1, Ts(1)), retained: false);
        d.DeclareLost(2, 40);
        for (var seq = 41; seq <= 83; seq += 2)
        {
            d.Observe(seq, Ts(seq));
            d.DeclareLost(seq + 1, seq + 1);
        }

        var s = d.Summary();
        Assert.Equal("incomplete", s.State);
        Assert.Equal(20, s.LostRanges.Count);
        Assert.Equal(new SequenceRange(2, 40), s.LostRanges[0]);
    }

    [Fact]
    public void A_forward_step_across_a_birth_is_no_clock_jump_but_one_while_the_edge_stayed_up_is()
    {
        var d = Bed();
        d.Observe(1, Ts(1));
        d.ApplyStatus(Birth(1, Ts(1) + TimeSpan.FromHours(1)), retained: false);
        d.Observe(2, Ts(1) + TimeSpan.FromHours(1));
        Assert.Null(d.Clock.JumpAt);

        d.Observe(3, Ts(1) + TimeSpan.FromHours(2));
        Assert.Equal(T0, d.Clock.JumpAt);
        Assert.Contains(_log.Lines, l => l.Contains("clock jump between sequence 2 and 3: event time moved 3600 s", StringComparison.Ordinal));
    }

    [Fact]
    public void A_restored_bed_goes_on_from_the_saved_accounting()
    {
        var d = Bed();
        d.Restore(new BedDeliveryState(
            "nexus", "bed-01", LastSequence: 9, Received: 6, Duplicates: 2, Late: 1, Resets: 1,
            Missing: [new(4, 5)], Lost: [new(7, 7)], NewestEventTs: Ts(9), DeviceFrontier: Ts(8), Boots: ["run-a"]));

        Assert.Same(IngestionOutcome.Duplicate, d.Observe(9, Ts(9)));
        Assert.Same(IngestionOutcome.Backfilled, d.Observe(4, Ts(4)));
        var s = d.Summary();
        Assert.Equal((9L, 7L, 1L, 3L, 1L, 1L, 1L), (s.LastSequence, s.Received, s.Missing, s.Duplicates, s.Late, s.Lost, d.Resets));
        d.ApplyStatus(Birth(2, Ts(10), boot: "run-a"), retained: false);
        Assert.Equal(9, d.LastSequence);
    }
}
