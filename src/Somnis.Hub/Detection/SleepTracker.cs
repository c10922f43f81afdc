using System.Globalization;
using Somnis.Contracts;
using Somnis.Hub.Nights;

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
/// <remarks>
/// With a <see cref="NightRecorder"/> (the hub's live path) the night is recorded as it goes (started, each batch of
/// epochs, metrics every <see cref="ProgressEpochs"/> epochs, every assessment change, ended), and the debt and the prior
/// come from the sleeper's earlier nights of record instead of this bed's own. Without one (offline analysis, validation)
/// the tracker keeps the bed's debt itself, over the nights it has seen.
/// </remarks>
internal sealed class SleepTracker(string facility, string bed, DetectionOptions options, NightRecorder? recorder = null)
{
    private const int MaxPastNights = 30;

    /// <summary>A night's metrics so far are recorded every this many epochs (10 minutes).</summary>
    internal const int ProgressEpochs = 20;

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

    // The night's metrics, kept up to date epoch by epoch (acute-sleep-loss reads its TST estimate on every epoch).
    private NightMetricsAccumulator _metrics = new();

    // The night of record (null without a recorder) and its date; epochs of a night resumed from the store are numbered
    // after the stored ones.
    private NightKey? _key;
    private DateOnly _nightDate;
    private int _indexOffset;

    public string Facility { get; } = facility;

    public string Bed { get; } = bed;

    public DateTimeOffset NightStart => _nightStart;

    public IReadOnlyList<ScoredEpoch> Epochs => _night;

    public IReadOnlyList<NightSummary> PastNights => _past;

    /// <summary>The debt tonight started with: the owner's (sleeper's, else the bed's) over their nights of record with a
    /// recorder, else this bed's over the nights this tracker saw.</summary>
    public double DebtHours => Debt(_latest ?? _nightStart);

    /// <summary>Tonight's night of record, while one goes on (with a recorder).</summary>
    public NightKey? Key => _key;

    /// <summary>Messages fed from the raw history after a restart that the broker may deliver again (they were processed
    /// but not yet acknowledged before it): (sequence number, device time in Unix ms). Each is skipped once when it comes.</summary>
    public HashSet<(long Seq, long TsMs)>? Replayed { get; private set; }

    public EpochScorer? Scorer => _scorer;

    /// <summary>A baseline for the scorer of the next night that starts, overriding the one the recorder finds in the
    /// sleeper's earlier nights (null: that one, or none); tonight's scorer keeps the one it started with.</summary>
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
        if (Replayed is { } replayed && replayed.Remove((m.Seq, m.Ts.ToUnixTimeMilliseconds())))
        {
            // Fed already from the history at start-up; the broker delivered it again because it was never acknowledged.
            Replayed = replayed.Count == 0 ? null : replayed;
            return updates;
        }

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

            _scorer = new EpochScorer(start, model: Model, retainFinalized: false, prior: Prior ?? recorder?.PriorFor(Facility, Bed, start));
            _tstSdMin = (Model ?? SleepModel.Default).TstSdMin;
            _nightStart = start;
            ClearNight();
            _settledRun = 0;
            if (recorder is not null)
            {
                _key = recorder.Started(Facility, Bed, start);
                _nightDate = recorder.NightDate(start);
            }
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
        var end = _night.Count > 0 ? _night[^1].Start + ScoredEpoch.Length : _nightStart;
        var metrics = CurrentMetrics() with { Baseline = NightBaseline(_scorer) };
        if (_night.Count > 0)
        {
            Evaluate(nightFinished: true, updates);
            var debt = _debt.AddNight(TimeSpan.FromMinutes(metrics.TotalSleepMin));
            _past.Add(new NightSummary(_nightStart, end, metrics, debt));
            if (_past.Count > MaxPastNights)
            {
                _past.RemoveAt(0);
            }
        }

        // The night's patient alarms end with it; acute-sleep-loss for a short night stays until acknowledged (latching).
        foreach (var type in new[] { AssessmentTypes.ArchitectDeprivation, AssessmentTypes.SustainedArousal })
        {
            Set(type, null, end, updates);
        }

        if (_key is { } key)
        {
            recorder!.Ended(key, end, metrics);
        }

        _scorer = null;
        _key = null;
        ClearNight();
    }

    /// <summary>
    /// Carries on a stored night whose raw vitals are no longer there to replay (docs/storage.md, "Restart"): the stored
    /// epochs are the night so far, the assessments that still held are current again, and scoring goes on from the end of
    /// the last stored epoch with a scorer of its own (its baseline and look-back start afresh there, so the epochs after
    /// it may differ from an uninterrupted run's for the first minutes). Missing epochs (dropped from a full night queue)
    /// come back as no-signal.
    /// </summary>
    public void Resume(NightKey key, DateOnly nightDate, IReadOnlyList<StoredEpoch> epochs, IReadOnlyList<NightAssessment> assessments)
    {
        _nightStart = key.Start;
        ClearNight();
        var resumed = new List<ScoredEpoch>();
        foreach (var e in epochs)
        {
            while (resumed.Count < e.Index)
            {
                resumed.Add(new StoredEpoch(resumed.Count, EpochState.NoSignal, 0, null, null, null, false).ToScored(key.Start));
            }

            if (e.Index == resumed.Count)
            {
                resumed.Add(e.ToScored(key.Start));
            }
        }

        AddEpochs(resumed, record: false);
        _indexOffset = resumed.Count;
        var origin = key.Start + (ScoredEpoch.Length * _indexOffset);
        _scorer = new EpochScorer(origin, origin == key.Start ? default : key.Start - origin, Model, retainFinalized: false,
            Prior ?? recorder?.PriorFor(Facility, Bed, key.Start));
        _tstSdMin = (Model ?? SleepModel.Default).TstSdMin;
        _latest = origin;
        _outOfBedSince = null;
        _settledRun = 0;
        _key = recorder is null ? null : key;
        _nightDate = nightDate;
        foreach (var a in assessments.Where(a => a.End is null))
        {
            _active[a.Type] = true;
            Current[a.Type] = new AssessmentUpdate(a.Type, Facility, Bed, true, a.Start, a.Summary, a.Evidence);
        }
    }

    /// <summary>Feeds one message of the raw history at start-up. Its assessment changes are not raised again (the alarms
    /// they caused are stored); one that was never acknowledged is remembered, since the broker delivers it again.</summary>
    public void Replay(VitalsMessage m, bool acknowledged)
    {
        Add(m);
        if (!acknowledged)
        {
            (Replayed ??= []).Add((m.Seq, m.Ts.ToUnixTimeMilliseconds()));
        }
    }

    /// <summary>The night so far, again, to the recorder (<see cref="NightRecorder.Rewrite"/>); false when no night is open.
    /// Call under <see cref="Sync"/>.</summary>
    internal bool RecordNight()
    {
        if (_key is not { } key || _night.Count == 0)
        {
            return false;
        }

        var all = new ScoredEpoch[_night.Count];
        for (var i = 0; i < all.Length; i++)
        {
            all[i] = _night[i];
        }

        recorder!.Rewrite(key, all, CurrentMetrics());
        return true;
    }

    public NightMetrics CurrentMetrics() => _metrics.Result(options.NeedHours);

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
        var tonight = TstEstimate.Scaled(_metrics.ExpectedSleepEpochs * minutes, _metrics.NoSignalEpochs * minutes, _night.Count * minutes,
            _tstSdMin, options.NeedHours);
        var loss = AcuteSleepLoss.Assess(tonight, nightFinished, Debt(end),
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
            Changed(update, updates);
        }
        else if (was)
        {
            _active[type] = false;
            Current.Remove(type);
            Changed(new AssessmentUpdate(type, Facility, Bed, false, at, "cleared", null), updates);
        }
    }

    private void Changed(AssessmentUpdate update, List<AssessmentUpdate> updates)
    {
        updates.Add(update);
        if (_key is { } key)
        {
            recorder!.Assessment(key, update);
        }
    }

    /// <summary>The debt the night's owner carried into it (the sleeper's as of <paramref name="at"/>, through the recorder),
    /// or this bed's own without a recorder.</summary>
    private double Debt(DateTimeOffset at) =>
        _key is { } key && recorder!.DebtBefore(key, _nightDate, at) is { } debt ? debt : _debt.Hours;

    /// <summary>The night's baseline for the sleeper's next nights: HR percentiles and usual movement, as the scorer learned them.</summary>
    private static SleeperPrior? NightBaseline(EpochScorer scorer) =>
        scorer.Baseline is { RestingHeartRate: { } p10 } baseline && scorer.HeartRateQuantile(0.9) is { } p90
            ? new SleeperPrior(p10, p90 - p10, baseline.UsualActivity)
            : null;

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

    private void AddEpochs(IReadOnlyList<ScoredEpoch> fresh, bool record = true)
    {
        if (fresh.Count == 0)
        {
            return;
        }

        if (_indexOffset > 0 && record)
        {
            // A resumed night's scorer numbers its epochs from where the stored ones end.
            fresh = [.. fresh.Select(e => e with { Index = e.Index + _indexOffset, StartSeconds = e.StartSeconds + (_indexOffset * EpochScorer.EpochSeconds) })];
        }

        var before = _night.Count;
        _night.AddRange(fresh);
        foreach (var e in fresh)
        {
            _metrics.Add(e);
            if (ArchitectDeprivation.Counts(e))
            {
                _sleepingHrSum += e.MeanHeartRate!.Value;
                _sleepingHrCount++;
            }
        }

        if (_key is { } key && record)
        {
            recorder!.Epochs(key, fresh);
            if (_night.Count / ProgressEpochs != before / ProgressEpochs)
            {
                recorder.Progress(key, CurrentMetrics());
            }
        }
    }

    private void ClearNight()
    {
        _night.Clear();
        _metrics = new NightMetricsAccumulator();
        _sleepingHrSum = 0;
        _sleepingHrCount = 0;
        _indexOffset = 0;
    }

    private static DateTimeOffset Max(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;
}
