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
        var night = new NightMetricsAccumulator();
        foreach (var e in epochs)
        {
            if (e.StartSeconds >= lightsOffSeconds)
            {
                night.Add(e);
            }
        }

        return night.Result(needHours, lightsOffSeconds);
    }

    /// <summary>The sleeper's baseline of this night for the next nights' prior (<see cref="SleeperPrior"/>); set on a
    /// finished night of record (the live tracker's), null elsewhere. Resting HR and spread: the night's 10th percentile
    /// of epoch-mean HR and its 90th minus 10th, as the scorer keeps them; activity: its median count per epoch.</summary>
    public SleeperPrior? Baseline { get; init; }
}

/// <summary>
/// <see cref="NightMetrics"/> kept up to date epoch by epoch: the live tracker adds each finalized epoch and reads the
/// metrics so far in constant time (recomputing them over the whole night on every epoch of every bed would cost the
/// ingestion path a pass over up to a thousand epochs). <see cref="NightMetrics.Compute"/> is the same arithmetic over
/// a list, so both give identical figures for the same epochs.
/// </summary>
internal sealed class NightMetricsAccumulator
{
    private static readonly int MinRun = (int)Math.Ceiling(NightMetrics.MinAwakening.TotalSeconds / EpochScorer.EpochSeconds);
    private int _inBed;
    private int _sleep;
    private double? _firstSleepSeconds;
    private int _waso;
    private int _pendingWake;
    private double _expectedWaso;
    private double _pendingExpectedWake;
    private int _awakenings;
    private double _sleepingHrSum;
    private int _sleepingHrCount;
    private double _wakingHrSum;
    private int _wakingHrCount;
    private int _stimulated;
    private int _stimulatedInBed;
    private int _stimulatedSleep;
    private int _unstimulatedInBed;
    private int _unstimulatedSleep;
    private double _expectedSleepEpochs;
    private int _noSignal;

    /// <summary>Epochs added.</summary>
    public int Count { get; private set; }

    /// <summary>Σ calibrated p(sleep) over the in-bed epochs (the TST estimate, in epochs).</summary>
    public double ExpectedSleepEpochs => _expectedSleepEpochs;

    /// <summary>No-signal epochs.</summary>
    public int NoSignalEpochs => _noSignal;

    public void Add(ScoredEpoch e) => Add(e.State, e.PSleep, e.MeanHeartRate, e.Stimulating, e.StartSeconds);

    /// <summary>Adds the next epoch of the night (in order).</summary>
    public void Add(EpochState state, double pSleep, double? heartRate, bool stimulating, double startSeconds)
    {
        Count++;
        var inBed = state is EpochState.Sleep or EpochState.Wake;
        _stimulated += stimulating ? 1 : 0;
        if (inBed)
        {
            _inBed++;
            _expectedSleepEpochs += pSleep;
            if (stimulating)
            {
                _stimulatedInBed++;
                _stimulatedSleep += state == EpochState.Sleep ? 1 : 0;
            }
            else
            {
                _unstimulatedInBed++;
                _unstimulatedSleep += state == EpochState.Sleep ? 1 : 0;
            }
        }

        switch (state)
        {
            case EpochState.Sleep:
                _sleep++;
                _firstSleepSeconds ??= startSeconds;
                // Wake and out-of-bed time since the previous sleep epoch lies inside the sleep period now.
                _waso += _pendingWake;
                _expectedWaso += _pendingExpectedWake;
                _awakenings += _pendingWake >= MinRun ? 1 : 0;
                _pendingWake = 0;
                _pendingExpectedWake = 0;
                if (heartRate is { } shr)
                {
                    _sleepingHrSum += shr;
                    _sleepingHrCount++;
                }

                break;
            case EpochState.NoSignal:
                // Unknown: neither wake time nor the end of a wake run.
                _noSignal++;
                break;
            default:
                if (_firstSleepSeconds is not null)
                {
                    _pendingWake++;
                    _pendingExpectedWake += 1 - pSleep;
                }

                if (state == EpochState.Wake && heartRate is { } whr)
                {
                    _wakingHrSum += whr;
                    _wakingHrCount++;
                }

                break;
        }
    }

    /// <summary>The metrics of the epochs added so far.</summary>
    public NightMetrics Result(double needHours = NightMetrics.DefaultNeedHours, double lightsOffSeconds = 0)
    {
        var minutesPerEpoch = EpochScorer.EpochSeconds / 60;
        var tst = _sleep * minutesPerEpoch;
        double? sleepingHr = _sleepingHrCount > 0 ? _sleepingHrSum / _sleepingHrCount : null;
        double? wakingHr = _wakingHrCount > 0 ? _wakingHrSum / _wakingHrCount : null;
        return new NightMetrics(
            TimeInBedMin: _inBed * minutesPerEpoch,
            TotalSleepMin: tst,
            SleepEfficiency: _inBed > 0 ? (double)_sleep / _inBed : null,
            SleepOnsetLatencyMin: _firstSleepSeconds is { } first ? first / 60 - lightsOffSeconds / 60 : null,
            WasoMin: _waso * minutesPerEpoch,
            Awakenings: _awakenings,
            ArousalIndex: _sleep > 0 ? _awakenings / (tst / 60) : null,
            MeanSleepingHr: sleepingHr,
            MeanWakingHr: wakingHr,
            HrDip: sleepingHr is { } s && wakingHr is { } w && w > 0 ? (w - s) / w : null,
            StimulatedMin: _stimulated * minutesPerEpoch,
            EfficiencyStimulated: _stimulatedInBed > 0 ? (double)_stimulatedSleep / _stimulatedInBed : null,
            EfficiencyUnstimulated: _unstimulatedInBed > 0 ? (double)_unstimulatedSleep / _unstimulatedInBed : null,
            NeedHours: needHours,
            IsShort: tst < needHours * 60,
            ExpectedSleepMin: _expectedSleepEpochs * minutesPerEpoch,
            NoSignalMin: _noSignal * minutesPerEpoch,
            ExpectedWasoMin: _expectedWaso * minutesPerEpoch);
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
