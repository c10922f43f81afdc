using System.Globalization;
using Somnis.Contracts;

namespace Somnis.Hub.Detection;

/// <summary>A finished (or current) night of one bed.</summary>
/// <param name="Start">Lights-off: the start of the first interval in bed.</param>
/// <param name="End">End of the last epoch; null while the night goes on.</param>
internal sealed record NightSummary(DateTimeOffset Start, DateTimeOffset? End, NightMetrics Metrics, double DebtHours);

/// <summary>
/// One bed's sleep, live: an <see cref="EpochScorer"/> per night fed with every vitals message, the night's
/// finalized epochs, the assessments over them, and the nights before (metrics and sleep debt). Not thread-safe:
/// the <see cref="DetectionService"/> serialises access per bed.
/// </summary>
internal sealed class SleepTracker(string facility, string bed, DetectionOptions options)
{
    private const int MaxPastNights = 30;

    /// <summary>Guards the tracker between the ingestion thread and the API (a Lock: it does not spin, see Somnis.Hub.csproj).</summary>
    public Lock Sync { get; } = new();
    private readonly NightEpochs _night = new();
    private readonly List<NightSummary> _past = [];
    private readonly SleepDebt _debt = new(options.NeedHours);
    private readonly Dictionary<string, bool> _active = [];
    private EpochScorer? _scorer;
    private double _tstSdMin = SleepModel.Default.TstSdMin;
    private DateTimeOffset _nightStart;
    private DateTimeOffset? _outOfBedSince;
    private DateTimeOffset? _latest;
    private int _settledRun;
    private DateTimeOffset? _stimulatedSince;

    // Running sum of ArchitectDeprivation.SleepingBaseline over _night (kept with it: the baseline is read on every epoch).
    private double _sleepingHrSum;
    private int _sleepingHrCount;

    // Σ p(sleep) over _night's scored in-bed epochs and its no-signal epochs, for acute-sleep-loss on every epoch without
    // re-counting the night.
    private double _expectedSleepEpochs;
    private int _noSignalEpochs;

    public string Facility { get; } = facility;

    public string Bed { get; } = bed;

    public DateTimeOffset NightStart => _nightStart;

    public IReadOnlyList<ScoredEpoch> Epochs => _night;

    public IReadOnlyList<NightSummary> PastNights => _past;

    public double DebtHours => _debt.Hours;

    public EpochScorer? Scorer => _scorer;

    /// <summary>The sleeper's baseline from earlier nights, for the scorer of the next night that starts (null: none
    /// known). Set by whoever keeps sleepers across nights; tonight's scorer keeps the one it started with.</summary>
    public SleeperPrior? Prior { get; set; }

    /// <summary>The sleep model for the next night that starts (null: <see cref="SleepModel.Default"/>); the validation
    /// runs real nights through the live path with a model that never saw them.</summary>
    public SleepModel? Model { get; set; }

    /// <summary>Arousal onsets (event time) found since the last call: a wake epoch after settled sleep.</summary>
    public List<DateTimeOffset> NewOnsets { get; } = [];

    /// <summary>Assessments currently true for this bed, with their latest evidence.</summary>
    public Dictionary<string, AssessmentUpdate> Current { get; } = [];

    /// <summary>The newest scored state: the provisional epoch if any, else the last finalized one.</summary>
    public EpochState? LatestState => (_scorer?.Provisional() ?? (_night.Count > 0 ? _night[^1] : null))?.State;

    /// <summary>Feeds one vitals message; returns the assessment changes it caused.</summary>
    public List<AssessmentUpdate> Add(VitalsMessage m)
    {
        var updates = new List<AssessmentUpdate>();
        var start = m.Ts - TimeSpan.FromSeconds(m.IntervalSeconds);
        if (_latest is { } latest && start - latest > options.NightGap)
        {
            // Nothing heard for longer than a night gap: whatever came before is over.
            EndNight(updates);
        }

        if (m.BedPresence == false)
        {
            _outOfBedSince ??= start;
        }
        else if (m.BedPresence == true)
        {
            if (_outOfBedSince is { } since && start - since >= options.NightGap)
            {
                EndNight(updates);
            }

            _outOfBedSince = null;
        }

        if (_scorer is null)
        {
            if (m.BedPresence != true)
            {
                // A night starts when somebody lies down.
                _latest = Max(_latest, m.Ts);
                return updates;
            }

            _scorer = new EpochScorer(start, model: Model, retainFinalized: false, prior: Prior);
            _tstSdMin = (Model ?? SleepModel.Default).TstSdMin;
            _nightStart = start;
            ClearNight();
            _settledRun = 0;
        }

        _scorer.Add(m);
        _latest = Max(_latest, m.Ts);
        var fresh = _scorer.TakeFinalized();
        if (fresh.Count > 0)
        {
            AddEpochs(fresh);
            FindOnsets(fresh);
            Evaluate(nightFinished: false, updates);
        }

        return updates;
    }

    /// <summary>Finishes the current night (out of bed long enough, or a long silence).</summary>
    public void EndNight(List<AssessmentUpdate> updates)
    {
        if (_scorer is null)
        {
            return;
        }

        _scorer.Complete();
        var fresh = _scorer.TakeFinalized();
        AddEpochs(fresh);
        FindOnsets(fresh);
        if (_night.Count > 0)
        {
            Evaluate(nightFinished: true, updates);
            var metrics = NightMetrics.Compute(_night, options.NeedHours);
            var debt = _debt.AddNight(TimeSpan.FromMinutes(metrics.TotalSleepMin));
            _past.Add(new NightSummary(_nightStart, _night[^1].Start + ScoredEpoch.Length, metrics, debt));
            if (_past.Count > MaxPastNights)
            {
                _past.RemoveAt(0);
            }
        }

        // The night's patient alarms end with it; acute-sleep-loss for a short night stays until acknowledged (latching).
        foreach (var type in new[] { AssessmentTypes.ArchitectDeprivation, AssessmentTypes.SustainedArousal })
        {
            Set(type, null, _night.Count > 0 ? _night[^1].Start + ScoredEpoch.Length : _nightStart, updates);
        }

        _scorer = null;
        ClearNight();
    }

    public NightMetrics CurrentMetrics() => NightMetrics.Compute(_night, options.NeedHours);

    public double? Baseline => (_sleepingHrCount > 0 ? _sleepingHrSum / _sleepingHrCount : (double?)null) ?? _scorer?.Baseline.RestingHeartRate;

    private void Evaluate(bool nightFinished, List<AssessmentUpdate> updates)
    {
        var end = _night[^1].Start + ScoredEpoch.Length;
        var baseline = Baseline;

        var deprivation = ArchitectDeprivation.Assess(_night, baseline, new ArchitectDeprivationOptions(options.DeprivationWindow));
        Set(AssessmentTypes.ArchitectDeprivation, deprivation is null ? null : (deprivation, string.Create(CultureInfo.InvariantCulture,
            $"Architect stimulation kept the sleeper from sleep: sleep efficiency {deprivation.SleepEfficiencyStimulated:P0} over {deprivation.StimulatedMin:0} stimulated min, {deprivation.AwakeningsStimulated} awakenings, HR {deprivation.MeanHrStimulated:0} bpm (+{deprivation.HrRise:P0} over sleeping {deprivation.BaselineHr:0})")), end, updates);

        var ongoing = SustainedArousal.Ongoing(_night, baseline);
        Set(AssessmentTypes.SustainedArousal, ongoing is null ? null : (ongoing, string.Create(CultureInfo.InvariantCulture,
            $"Heart rate {ongoing.MeanHr:0} bpm (peak {ongoing.PeakHr:0}) over sleeping {ongoing.BaselineHr:0} bpm for {ongoing.Duration.TotalMinutes:0} min in bed")), end, updates);

        var minutes = EpochScorer.EpochSeconds / 60;
        var tonight = TstEstimate.Scaled(_expectedSleepEpochs * minutes, _noSignalEpochs * minutes, _night.Count * minutes,
            _tstSdMin, options.NeedHours);
        var loss = AcuteSleepLoss.Assess(tonight, nightFinished, _debt.Hours,
            new AcuteSleepLossOptions(options.PlannedTimeInBed, options.NeedHours, options.MaxDebtHours));
        Set(AssessmentTypes.AcuteSleepLoss, loss is null ? null : (loss, loss.Reason switch
        {
            "short-night" => FormattableString.Invariant($"Slept {loss.TotalSleepMin / 60:0.0} ± {loss.SdMin / 60:0.0} h tonight, under the {loss.NeedMin / 60:0.#} h need (P {loss.ProbabilityShort:P0})"),
            "projected-short" => FormattableString.Invariant($"Cannot reach {loss.NeedMin / 60:0.#} h tonight: slept {loss.TotalSleepMin / 60:0.0} h, at most {loss.BestCaseTstMin / 60:0.0} h possible"),
            _ => FormattableString.Invariant($"Sleep debt {loss.DebtHours:0.0} h"),
        }), end, updates);
    }

    private void Set(string type, (object Evidence, string Summary)? now, DateTimeOffset at, List<AssessmentUpdate> updates)
    {
        var was = _active.GetValueOrDefault(type);
        if (now is { } n)
        {
            var update = new AssessmentUpdate(type, Facility, Bed, true, at, n.Summary, n.Evidence);
            _active[type] = true;
            Current[type] = update;
            updates.Add(update);
        }
        else if (was)
        {
            _active[type] = false;
            Current.Remove(type);
            updates.Add(new AssessmentUpdate(type, Facility, Bed, false, at, "cleared", null));
        }
    }

    /// <summary>
    /// An arousal onset, for facility incidents: after <see cref="DetectionOptions.OnsetAfterSleep"/> of settled
    /// heart rate (under 120 % of the sleeping baseline), an epoch's heart rate jumps above 130 % of it (arousals raise
    /// HR 10–30 bpm within seconds). Judged on the heart rate itself rather than on the sleep/wake score, whose
    /// centred window blurs the moment of waking. Onsets in the first 3 minutes of a bout of the bed's own Architect
    /// are left out: that arousal is explained by the bed, not shared across beds.
    /// </summary>
    private void FindOnsets(IReadOnlyList<ScoredEpoch> fresh)
    {
        var needed = (int)(options.OnsetAfterSleep.TotalSeconds / EpochScorer.EpochSeconds);
        if (Baseline is not { } baseline)
        {
            return;
        }

        foreach (var e in fresh)
        {
            _stimulatedSince = e.Stimulating ? _stimulatedSince ?? e.Start : null;
            if (e.MeanHeartRate is not { } hr || !e.InBed)
            {
                _settledRun = 0;
                continue;
            }

            // The bed's own Architect starting a bout explains an arousal in its first minutes.
            var architectStart = _stimulatedSince is { } since && e.Start - since < TimeSpan.FromMinutes(3);
            if (hr >= baseline * 1.3 && _settledRun >= needed && !architectStart)
            {
                NewOnsets.Add(e.Start);
            }

            _settledRun = hr < baseline * 1.2 ? _settledRun + 1 : 0;
        }
    }

    private void AddEpochs(IReadOnlyList<ScoredEpoch> fresh)
    {
        _night.AddRange(fresh);
        foreach (var e in fresh)
        {
            _expectedSleepEpochs += e.InBed ? e.PSleep : 0;
            _noSignalEpochs += e.State == EpochState.NoSignal ? 1 : 0;
            if (ArchitectDeprivation.Counts(e))
            {
                _sleepingHrSum += e.MeanHeartRate!.Value;
                _sleepingHrCount++;
            }
        }
    }

    private void ClearNight()
    {
        _night.Clear();
        _expectedSleepEpochs = 0;
        _noSignalEpochs = 0;
        _sleepingHrSum = 0;
        _sleepingHrCount = 0;
    }

    private static DateTimeOffset Max(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;
}
