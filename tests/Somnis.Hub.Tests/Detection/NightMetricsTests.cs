using Somnis.Hub.Detection;

namespace Somnis.Hub.Tests.Detection;

public sealed class NightMetricsTests
{
    private static string Min(char c, double minutes) => Epochs.Repeat(c, TimeSpan.FromMinutes(minutes));

    [Fact]
    public void Computes_the_standard_night_figures()
    {
        // 20 min to fall asleep, 3 h sleep, 30 s blip (not an awakening), 3 h sleep, 10 min awake, 1 h sleep,
        // 5 min out of bed, 30 min sleep, 15 min awake at the end.
        var pattern = Min('W', 20) + Min('S', 180) + "W" + Min('S', 180) + Min('W', 10) + Min('S', 60)
            + Min('O', 5) + Min('S', 30) + Min('W', 15);
        var epochs = Epochs.From(pattern, (_, c) => c == 'S' ? 54 : 66);

        var m = NightMetrics.Compute(epochs);

        Assert.Equal(pattern.Length * 0.5 - 5, m.TimeInBedMin);
        Assert.Equal(450, m.TotalSleepMin);
        Assert.Equal(450 / m.TimeInBedMin, m.SleepEfficiency!.Value, 6);
        Assert.Equal(20, m.SleepOnsetLatencyMin);
        Assert.Equal(0.5 + 10 + 5, m.WasoMin);
        Assert.Equal(2, m.Awakenings);
        Assert.Equal(2 / 7.5, m.ArousalIndex!.Value, 6);
        Assert.Equal(54, m.MeanSleepingHr);
        Assert.Equal(66, m.MeanWakingHr);
        Assert.Equal(12.0 / 66, m.HrDip!.Value, 6);
        Assert.False(m.IsShort);
        Assert.True(NightMetrics.Compute(epochs, needHours: 8).IsShort);
    }

    [Fact]
    public void Efficiency_inside_and_outside_stimulation()
    {
        // First hour stimulated: half awake. Second hour not: all asleep.
        var pattern = string.Concat(Enumerable.Repeat("SW", 60)) + Min('S', 60);
        var epochs = Epochs.From(pattern, stimulating: i => i < 120);

        var m = NightMetrics.Compute(epochs);

        Assert.Equal(60, m.StimulatedMin);
        Assert.Equal(0.5, m.EfficiencyStimulated);
        Assert.Equal(1.0, m.EfficiencyUnstimulated);
    }

    [Fact]
    public void A_night_without_sleep_has_no_onset_and_is_short()
    {
        var m = NightMetrics.Compute(Epochs.From(Min('W', 60)));

        Assert.Null(m.SleepOnsetLatencyMin);
        Assert.Equal(0, m.TotalSleepMin);
        Assert.Equal(0, m.SleepEfficiency);
        Assert.Null(m.ArousalIndex);
        Assert.True(m.IsShort);
    }

    [Fact]
    public void The_waso_estimate_counts_each_epoch_called_wake_as_its_probability_of_being_awake()
    {
        // Awake before sleep (not WASO), sleep at p 0.9, 2 min called wake at p 0.6, sleep, 1 min out of bed, an epoch
        // without signal, sleep, awake at the end (not WASO).
        var pattern = Min('W', 5) + Min('S', 50) + Min('W', 2) + Min('S', 50) + Min('O', 1) + "N" + Min('S', 10) + Min('W', 5);
        var epochs = Epochs.From(pattern.Replace('N', 'S')).Select((e, i) => pattern[i] switch
        {
            'S' => e with { PSleep = 0.9 },
            'W' => e with { PSleep = i < 10 ? 0.1 : 0.6 },
            'N' => e with { State = EpochState.NoSignal, PSleep = 0, ActivityCount = null },
            _ => e,
        }).ToList();

        var m = NightMetrics.Compute(epochs);

        // Decisions: 2 min wake + 1 min out of bed; the estimate: 4 epochs × (1 − 0.6) + 2 out-of-bed epochs × 1, in minutes.
        Assert.Equal(3, m.WasoMin);
        Assert.Equal(((4 * 0.4) + 2) * 0.5, m.ExpectedWasoMin, 9);
        // Sleep epochs' own small p(wake) is not WASO: a night called sleep throughout has none.
        Assert.Equal(0, NightMetrics.Compute(Epochs.From(Min('S', 60)).Select(e => e with { PSleep = 0.9 }).ToList()).ExpectedWasoMin);
    }

    [Fact]
    public void Lights_off_excludes_earlier_epochs()
    {
        var m = NightMetrics.Compute(Epochs.From(Min('W', 30) + Min('W', 10) + Min('S', 60)), lightsOffSeconds: 1800);

        Assert.Equal(70, m.TimeInBedMin);
        Assert.Equal(10, m.SleepOnsetLatencyMin);
    }

    [Fact]
    public void Sleep_debt_accumulates_shortfalls_and_never_goes_negative()
    {
        var debt = new SleepDebt(needHours: 7);

        Assert.Equal(0, debt.AddNight(TimeSpan.FromHours(9)));   // surplus is not banked
        Assert.Equal(2, debt.AddNight(TimeSpan.FromHours(5)), 9);
        Assert.Equal(3.5, debt.AddNight(TimeSpan.FromHours(5.5)), 9);
        Assert.Equal(2.5, debt.AddNight(TimeSpan.FromHours(8)), 9);
        Assert.Equal(0, debt.AddNight(TimeSpan.FromHours(12)));
        Assert.Equal(5, debt.Nights);
    }
}
