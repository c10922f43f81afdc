using Somnis.Contracts;
using Somnis.Hub.Detection;

namespace Somnis.Hub.Tests.Detection;

public sealed class EpochScorerTests
{
    private static readonly DateTimeOffset Origin = new(2025, 3, 1, 22, 0, 0, TimeSpan.Zero);

    /// <summary>Feeds 10-s vitals messages for <paramref name="minutes"/> starting at <paramref name="fromMinute"/>.</summary>
    private static void Feed(EpochScorer scorer, double fromMinute, double minutes, Func<double, VitalsMessage> at)
    {
        for (var s = fromMinute * 60 + 10; s <= (fromMinute + minutes) * 60; s += 10)
        {
            scorer.Add(at(s) with { Ts = Origin.AddSeconds(s), IntervalSeconds = 10 });
        }
    }

    private static VitalsMessage Still(double s) => new() { HeartRate = 55 + (s % 30 / 10), ActivityCount = 0, BedPresence = true };

    [Fact]
    public void Still_sleeper_with_resting_hr_is_scored_asleep_after_settling()
    {
        var scorer = new EpochScorer(Origin);
        Feed(scorer, 0, 120, Still);
        scorer.Complete();

        var epochs = scorer.Finalized;
        Assert.Equal(240, epochs.Count);
        Assert.All(epochs.Skip(60), e => Assert.Equal(EpochState.Sleep, e.State));
        Assert.Equal(Origin.AddMinutes(60), epochs[120].Start);
    }

    [Fact]
    public void A_large_movement_is_wake_whatever_the_clock_and_the_baseline_say()
    {
        var scorer = new EpochScorer(Origin);
        Feed(scorer, 0, 180, s => s is > 7200 and <= 7230
            ? new VitalsMessage { HeartRate = 55, ActivityCount = SleepModel.LargeMovementCount / 2, BedPresence = true }
            : Still(s));
        scorer.Complete();

        var moved = scorer.Finalized[240];
        Assert.Equal(EpochState.Wake, moved.State);
        Assert.Equal(0, moved.PSleep);
        Assert.Equal(SleepModel.LargeMovementCount * 1.5, moved.ActivityCount);
    }

    [Fact]
    public void The_clock_prior_alone_cannot_turn_a_restless_epoch_into_sleep()
    {
        var restless = new EpochFeatures(Math.Log(1 + 300), Math.Log(1 + 60), Math.Log(1 + 40), 0.5, 1, Clock: 0);
        var model = SleepModel.Default;

        var early = model.PSleep(restless, 100);
        var late = model.PSleep(restless with { Clock = 1 }, 100);

        Assert.True(late < model.Threshold, $"p(sleep) {late:0.000} late in the night");
        Assert.True(late >= early);
        Assert.True(Math.Log(late / (1 - late)) - Math.Log(early / (1 - early)) <= SleepModel.ClockMaxLogit + 1e-9);
    }

    [Fact]
    public void Out_of_bed_epochs_are_out_of_bed_with_no_sleep_probability()
    {
        var scorer = new EpochScorer(Origin);
        Feed(scorer, 0, 90, Still);
        Feed(scorer, 90, 10, _ => new VitalsMessage { BedPresence = false });
        Feed(scorer, 100, 30, Still);
        scorer.Complete();

        Assert.All(scorer.Finalized.Skip(180).Take(20), e => Assert.Equal(EpochState.OutOfBed, e.State));
        Assert.All(scorer.Finalized.Skip(180).Take(20), e => Assert.Equal(0, e.PSleep));
        var m = NightMetrics.Compute(scorer.Finalized);
        Assert.Equal(120, m.TimeInBedMin);
    }

    [Fact]
    public void Live_epochs_finalize_after_the_lookahead_with_a_provisional_score_before()
    {
        var scorer = new EpochScorer(Origin);
        Feed(scorer, 0, 30, Still);

        var final = scorer.TakeFinalized();
        var provisional = scorer.Provisional();

        // 60 epochs elapsed: 0–57 have closed (58 and 59 end within the 60-s grace), and the newest 20 closed
        // epochs wait for their lookahead, so 0–37 are final.
        Assert.Equal(58 - EpochScorer.LookaheadEpochs, final.Count);
        Assert.NotNull(provisional);
        Assert.Equal(57, provisional.Index);
        Assert.Empty(scorer.TakeFinalized());
        Assert.All(final, (e, i) => Assert.Equal(i, e.Index));
        Assert.Equal(final.Count + EpochScorer.LookaheadEpochs - 1, provisional.Index);
    }

    [Fact]
    public void Samples_arriving_after_their_epoch_closed_are_counted_and_dropped()
    {
        var scorer = new EpochScorer(Origin);
        Feed(scorer, 0, 10, Still);
        scorer.Add(Origin.AddMinutes(1), 10, 5000, 120, true, false);

        Assert.Equal(1, scorer.LateSamples);
        scorer.Complete();
        Assert.Equal(0, scorer.Finalized[1].ActivityCount);
    }

    [Fact]
    public void The_baseline_is_learned_from_the_night()
    {
        var scorer = new EpochScorer(Origin);
        Feed(scorer, 0, 20, _ => new VitalsMessage { HeartRate = 75, ActivityCount = 30, BedPresence = true });
        Feed(scorer, 20, 100, _ => new VitalsMessage { HeartRate = 52, ActivityCount = 0, BedPresence = true });
        scorer.Complete();

        Assert.Equal(52, scorer.Baseline.RestingHeartRate);
        Assert.Equal(0, scorer.Baseline.UsualActivity);
    }

    [Fact]
    public void Epochs_without_motion_data_are_no_signal_not_sleep()
    {
        var scorer = new EpochScorer(Origin);
        Feed(scorer, 0, 90, Still);
        // The motion sensor goes silent for 20 min; heart rate still arrives.
        Feed(scorer, 90, 20, _ => new VitalsMessage { HeartRate = 56, BedPresence = true });
        Feed(scorer, 110, 30, Still);
        scorer.Complete();

        var epochs = scorer.Finalized;
        // The first and last silent epochs border epochs with motion (a 60-s interval may fall in either of two).
        Assert.All(epochs.Skip(181).Take(38), e => Assert.Equal(EpochState.NoSignal, e.State));
        Assert.All(epochs.Skip(181).Take(38), e => Assert.False(e.InBed));
        Assert.Equal(EpochState.Sleep, epochs[170].State);
        Assert.Equal(EpochState.Sleep, epochs[230].State);
        var m = NightMetrics.Compute(epochs);
        Assert.Equal(19, m.NoSignalMin);
        Assert.Equal(0, m.WasoMin);
        // Unknown time is not sleep: the sleep estimate may be up to NoSignalMin higher.
        Assert.True(m.TotalSleepMin <= 140 - 19);
    }

    [Fact]
    public void Motion_every_minute_still_covers_every_epoch()
    {
        var scorer = new EpochScorer(Origin);
        for (var s = 60; s <= 60 * 60; s += 60)
        {
            scorer.Add(Origin.AddSeconds(s), 60, 0, null, true, false);
        }

        scorer.Complete();
        Assert.DoesNotContain(scorer.Finalized, e => e.State == EpochState.NoSignal);
    }

    [Fact]
    public void A_prior_from_earlier_nights_sets_the_heart_rate_baseline_before_tonight_has_one()
    {
        // Awake at 72 bpm from lights-off: tonight alone, 72 bpm is the only HR known, so it looks like resting HR.
        static IReadOnlyList<ScoredEpoch> Night(SleeperPrior? prior)
        {
            var scorer = new EpochScorer(Origin, prior: prior);
            Feed(scorer, 0, 20, _ => new VitalsMessage { HeartRate = 72, ActivityCount = 0, BedPresence = true });
            scorer.Complete();
            return scorer.Finalized;
        }

        var alone = Night(null);
        var known = Night(new SleeperPrior(RestingHeartRate: 52, HeartRateSpread: 12));

        Assert.True(known[10].Features.HrRel > alone[10].Features.HrRel + 1, $"{known[10].Features.HrRel:0.00} vs {alone[10].Features.HrRel:0.00}");
        Assert.True(known[10].PSleep < alone[10].PSleep);
    }
}
