namespace Somnis.Hub.Detection;

/// <summary>
/// Summary of one night from its scored epochs (definitions after the AASM/SRS conventions, docs/detection.md).
/// Times are in minutes; ratios are 0–1; null where undefined (e.g. no sleep, no stimulation).
/// </summary>
/// <param name="TimeInBedMin">In-bed scored epochs (sleep or wake) from lights-off on.</param>
/// <param name="TotalSleepMin">TST: sleep epochs.</param>
/// <param name="SleepEfficiency">TST / time in bed.</param>
/// <param name="SleepOnsetLatencyMin">Lights-off to the first sleep epoch; null when the sleeper never slept.</param>
/// <param name="WasoMin">Wake and out-of-bed time between the first and the last sleep epoch (epochs called wake: the
/// hypnogram's WASO).</param>
/// <param name="Awakenings">Wake runs of at least <see cref="MinAwakening"/> inside the sleep period.</param>
/// <param name="ArousalIndex">Awakenings per hour of sleep.</param>
/// <param name="MeanSleepingHr">Mean HR over sleep epochs, bpm.</param>
/// <param name="MeanWakingHr">Mean HR over in-bed wake epochs, bpm.</param>
/// <param name="HrDip">(waking − sleeping) / waking HR; normal nights dip 0.10–0.20.</param>
/// <param name="StimulatedMin">Time the Architect was stimulating.</param>
/// <param name="EfficiencyStimulated">Sleep efficiency over in-bed stimulated epochs.</param>
/// <param name="EfficiencyUnstimulated">Sleep efficiency over in-bed epochs without stimulation.</param>
/// <param name="NeedHours">The sleep need the night was judged against.</param>
/// <param name="IsShort">TST below the need.</param>
/// <param name="ExpectedSleepMin">The night's TST estimate: Σ calibrated p(sleep) over the scored in-bed epochs (less
/// biased per night than counting decisions, whose threshold trades wake found against sleep missed).</param>
/// <param name="NoSignalMin">In-bed time without motion data, not scored: TST may be up to this much higher.</param>
/// <param name="ExpectedWasoMin">The night's WASO estimate: Σ (1 − p(sleep)) over the epochs that <paramref name="WasoMin"/>
/// counts. The threshold is set to find wake, so an epoch called wake may well be sleep: it counts as its probability of
/// being awake rather than as a whole epoch (restless sleepers' WASO was counted two to four times over). Epochs called
/// sleep count nothing: their small p(wake), summed over a whole night, would add 5–25 min to nights with no wake behind it.</param>
internal sealed record NightMetrics(
    double TimeInBedMin,
    double TotalSleepMin,
    double? SleepEfficiency,
    double? SleepOnsetLatencyMin,
    double WasoMin,
    int Awakenings,
    double? ArousalIndex,
    double? MeanSleepingHr,
    double? MeanWakingHr,
    double? HrDip,
    double StimulatedMin,
    double? EfficiencyStimulated,
    double? EfficiencyUnstimulated,
    double NeedHours,
    bool IsShort,
    double ExpectedSleepMin = 0,
    double NoSignalMin = 0,
    double ExpectedWasoMin = 0)
{
    /// <summary>AASM/SRS consensus (Watson 2015): adults need at least 7 h.</summary>
    public const double DefaultNeedHours = 7;

    /// <summary>Shortest wake run counted as an awakening.</summary>
    public static readonly TimeSpan MinAwakening = TimeSpan.FromMinutes(1);

    /// <summary>Computes the metrics over the epochs starting at or after <paramref name="lightsOffSeconds"/>.</summary>
    public static NightMetrics Compute(IReadOnlyList<ScoredEpoch> epochs, double needHours = DefaultNeedHours,
        double lightsOffSeconds = 0)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var night = epochs.Where(e => e.StartSeconds >= lightsOffSeconds).ToList();
        var minutesPerEpoch = EpochScorer.EpochSeconds / 60;
        var inBed = night.Count(e => e.InBed);
        var sleep = night.Count(e => e.IsSleep);
        var first = night.FindIndex(e => e.IsSleep);
        var lastSleep = night.FindLastIndex(e => e.IsSleep);

        var waso = 0;
        var expectedWaso = 0.0;
        var awakenings = 0;
        var minRun = (int)Math.Ceiling(MinAwakening.TotalSeconds / EpochScorer.EpochSeconds);
        var run = 0;
        for (var i = first + 1; first >= 0 && i <= lastSleep; i++)
        {
            if (night[i].IsSleep)
            {
                awakenings += run >= minRun ? 1 : 0;
                run = 0;
            }
            else if (night[i].State == EpochState.NoSignal)
            {
                // Unknown: neither wake time nor the end of a wake run.
                continue;
            }
            else
            {
                waso++;
                expectedWaso += 1 - night[i].PSleep;
                run++;
            }
        }

        var sleepingHr = Mean(night.Where(e => e.IsSleep).Select(e => e.MeanHeartRate));
        var wakingHr = Mean(night.Where(e => e.State == EpochState.Wake).Select(e => e.MeanHeartRate));
        var stimulated = night.Where(e => e.Stimulating && e.InBed).ToList();
        var unstimulated = night.Where(e => !e.Stimulating && e.InBed).ToList();
        var tst = sleep * minutesPerEpoch;

        return new NightMetrics(
            TimeInBedMin: inBed * minutesPerEpoch,
            TotalSleepMin: tst,
            SleepEfficiency: inBed > 0 ? (double)sleep / inBed : null,
            SleepOnsetLatencyMin: first >= 0 ? night[first].StartSeconds / 60 - lightsOffSeconds / 60 : null,
            WasoMin: waso * minutesPerEpoch,
            Awakenings: awakenings,
            ArousalIndex: sleep > 0 ? awakenings / (tst / 60) : null,
            MeanSleepingHr: sleepingHr,
            MeanWakingHr: wakingHr,
            HrDip: sleepingHr is { } s && wakingHr is { } w && w > 0 ? (w - s) / w : null,
            StimulatedMin: night.Count(e => e.Stimulating) * minutesPerEpoch,
            EfficiencyStimulated: Efficiency(stimulated),
            EfficiencyUnstimulated: Efficiency(unstimulated),
            NeedHours: needHours,
            IsShort: tst < needHours * 60,
            ExpectedSleepMin: night.Where(e => e.InBed).Sum(e => e.PSleep) * minutesPerEpoch,
            NoSignalMin: night.Count(e => e.State == EpochState.NoSignal) * minutesPerEpoch,
            ExpectedWasoMin: expectedWaso * minutesPerEpoch);
    }

    private static double? Efficiency(List<ScoredEpoch> inBed) =>
        inBed.Count > 0 ? (double)inBed.Count(e => e.IsSleep) / inBed.Count : null;

    private static double? Mean(IEnumerable<double?> values)
    {
        var (sum, n) = (0.0, 0);
        foreach (var v in values)
        {
            if (v is { } x)
            {
                sum += x;
                n++;
            }
        }

        return n > 0 ? sum / n : null;
    }
}

/// <summary>
/// Sleep debt across nights: adds need − TST after each night; a surplus pays debt back but the total never goes
/// below zero (sleep cannot be banked ahead).
/// </summary>
internal sealed class SleepDebt(double needHours = NightMetrics.DefaultNeedHours)
{
    /// <summary>Accumulated debt, hours, ≥ 0.</summary>
    public double Hours { get; private set; }

    /// <summary>Nights added.</summary>
    public int Nights { get; private set; }

    /// <summary>Adds one night's total sleep time; returns the new debt in hours.</summary>
    public double AddNight(TimeSpan totalSleep)
    {
        Hours = Math.Max(0, Hours + needHours - totalSleep.TotalHours);
        Nights++;
        return Hours;
    }
}
