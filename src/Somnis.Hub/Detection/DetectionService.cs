using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Somnis.Contracts;
using Somnis.Hub.Nights;

namespace Somnis.Hub.Detection;

/// <summary>
/// The live detection path: every accepted vitals message goes to its bed's <see cref="SleepTracker"/> (the same
/// scorer the offline <c>analyze</c> command uses), and facility incidents are found across beds from their arousal
/// onsets. Changes of assessments are raised through <see cref="Changed"/> for the alarm feature, in event time. With a
/// <see cref="NightRecorder"/> every bed's nights are recorded as they go (nights of record, docs/storage.md).
/// </summary>
internal sealed class DetectionService(IOptions<DetectionOptions> options, ILogger<DetectionService> logger, NightRecorder? recorder = null)
{
    private readonly ConcurrentDictionary<(string Facility, string Bed), SleepTracker> _trackers = new();
    private readonly ConcurrentDictionary<string, FacilityState> _facilities = new();

    // Shared and never written: most messages bring no arousal onset.
    private static readonly List<DateTimeOffset> NoOnsets = [];

    /// <summary>Raised (on the ingestion thread) for every assessment that became true, changed evidence, or cleared.</summary>
    public event Action<AssessmentUpdate>? Changed;

    public void OnVitals(string facility, VitalsMessage m)
    {
        var tracker = Tracker(facility, m.Bed);
        List<AssessmentUpdate> updates;
        List<DateTimeOffset> onsets;
        DateTimeOffset? scoredUntil;
        lock (tracker.Sync)
        {
            updates = tracker.Add(m);
            onsets = tracker.NewOnsets.Count == 0 ? NoOnsets : [.. tracker.NewOnsets];
            tracker.NewOnsets.Clear();
            scoredUntil = tracker.Epochs.Count > 0 ? tracker.Epochs[^1].Start + ScoredEpoch.Length : null;
        }

        // Facility logic runs on scored time (finalized epochs lag the live data by the scorer's look-ahead).
        if (scoredUntil is { } until && (onsets.Count > 0 || until > _facilities.GetOrAdd(facility, _ => new FacilityState()).Latest))
        {
            updates.AddRange(UpdateFacility(facility, m.Bed, onsets, until));
        }

        foreach (var update in updates)
        {
            Raise(update with { Seq = m.Seq });
        }
    }

    /// <summary>Every open night, again, to the recorder (a standby taking over, <see cref="NightTakeover"/>).</summary>
    /// <returns>How many nights.</returns>
    public int RecordOpenNights()
    {
        var nights = 0;
        foreach (var tracker in _trackers.Values)
        {
            lock (tracker.Sync)
            {
                nights += tracker.RecordNight() ? 1 : 0;
            }
        }

        return nights;
    }

    /// <summary>The bed's tracker, created on first use (the live path; the restore at start-up, before it).</summary>
    internal SleepTracker Tracker(string facility, string bed) =>
        _trackers.TryGetValue((facility, bed), out var tracker)
            ? tracker
            : _trackers.GetOrAdd((facility, bed), k => new SleepTracker(k.Facility, k.Bed, options.Value, recorder));

    /// <summary>The facility of a bed the detection has a tracker for (a restored night before the bed sent anything).</summary>
    public string? FacilityOf(string bed, string? facility = null) =>
        _trackers.Keys.Where(k => k.Bed == bed && (facility is null || k.Facility == facility)).Select(k => k.Facility).FirstOrDefault();

    /// <summary>A copy of one bed's night so far, for the API; null for an unknown bed.</summary>
    public BedNight? Night(string facility, string bed)
    {
        if (!_trackers.TryGetValue((facility, bed), out var t))
        {
            return null;
        }

        lock (t.Sync)
        {
            return new BedNight(
                t.Facility,
                t.Bed,
                t.Key?.Id,
                t.Scorer is null ? null : t.NightStart,
                [.. t.Epochs],
                t.Scorer?.Provisional(),
                t.Epochs.Count > 0 ? t.CurrentMetrics() : null,
                t.Baseline,
                t.DebtHours,
                [.. t.Current.Values],
                [.. t.PastNights]);
        }
    }

    /// <summary>The newest scored sleep state of a bed (asleep / awake / out-of-bed / unknown without signal), or null before the first epoch.</summary>
    public string? SleepState(string facility, string bed)
    {
        if (!_trackers.TryGetValue((facility, bed), out var t))
        {
            return null;
        }

        lock (t.Sync)
        {
            return t.LatestState switch
            {
                EpochState.Sleep => "asleep",
                EpochState.Wake => "awake",
                EpochState.OutOfBed => "out-of-bed",
                // No motion data: the scorer cannot tell, and the dashboard says so rather than guessing from movement.
                EpochState.NoSignal => "unknown",
                _ => null,
            };
        }
    }

    public IReadOnlyList<AssessmentUpdate> ActiveIncidents() =>
        [.. _facilities.Values.Select(f => f.Incident).OfType<AssessmentUpdate>()];

    private IEnumerable<AssessmentUpdate> UpdateFacility(string facility, string bed, List<DateTimeOffset> onsets, DateTimeOffset now)
    {
        var o = options.Value;
        var state = _facilities.GetOrAdd(facility, _ => new FacilityState());
        lock (state.Sync)
        {
            if (now > state.Latest)
            {
                state.Latest = now;
            }

            foreach (var onset in onsets)
            {
                state.Onsets.Add((bed, onset));
            }

            // Keep onsets that can still join an incident. Beds' data arrive unevenly (a fast simulation, a replaying
            // edge), so scored time differs between beds by minutes: keep a generous horizon.
            var horizon = IncidentHorizon(o);
            state.Onsets.RemoveAll(x => x.Onset < state.Latest - horizon);
            var monitored = _trackers.Values.Count(t => t.Facility == facility && t.Scorer is not null);
            var found = onsets.Count == 0 ? [] : FacilityIncidentDetector.Detect(state.Onsets, monitored,
                new FacilityIncidentOptions(o.IncidentWindow, o.IncidentMinBeds, o.IncidentMinShare));
            var newest = found.Count > 0 ? found[^1] : null;
            if (newest is not null && (state.Incident is null || newest.Beds.Count > ((FacilityIncident)state.Incident.Evidence!).Beds.Count || newest.Start > ((FacilityIncident)state.Incident.Evidence!).End))
            {
                state.Incident = new AssessmentUpdate(
                    AssessmentTypes.FacilityIncident, facility, null, true, newest.End,
                    string.Create(CultureInfo.InvariantCulture, $"{newest.Beds.Count} of {newest.MonitoredBeds} beds aroused within {o.IncidentWindow.TotalMinutes:0} min: {string.Join(", ", newest.Beds)}"),
                    newest, newest.Beds);
                Log.IncidentDetected(logger, facility, newest.Beds.Count);
                return [state.Incident];
            }

            // An incident clears when nothing has joined it for the horizon (event time).
            if (state.Incident is { } open && state.Latest - ((FacilityIncident)open.Evidence!).End > horizon)
            {
                state.Incident = null;
                return [open with { Active = false, EventTime = state.Latest, Summary = "cleared", Evidence = null }];
            }

            return [];
        }
    }

    private static TimeSpan IncidentHorizon(DetectionOptions o) =>
        o.IncidentWindow * 5 > TimeSpan.FromMinutes(30) ? o.IncidentWindow * 5 : TimeSpan.FromMinutes(30);

    private void Raise(AssessmentUpdate update)
    {
        try
        {
            Changed?.Invoke(update);
        }
        catch (Exception ex)
        {
            // By design: a failing listener must not stop detection for the other beds.
            Log.AssessmentListenerFailed(logger, update.Type, ex);
        }
    }

    private sealed class FacilityState
    {
        public Lock Sync { get; } = new();

        public List<(string Bed, DateTimeOffset Onset)> Onsets { get; } = [];

        public DateTimeOffset Latest { get; set; }

        public AssessmentUpdate? Incident { get; set; }
    }
}

/// <summary>One bed's night for the API.</summary>
/// <param name="NightId">Tonight's night of record (<c>GET /api/nights/{id}</c>), while one goes on.</param>
internal sealed record BedNight(
    string Facility,
    string Bed,
    string? NightId,
    DateTimeOffset? NightStart,
    IReadOnlyList<ScoredEpoch> Epochs,
    ScoredEpoch? Provisional,
    NightMetrics? Metrics,
    double? BaselineHeartRate,
    double DebtHours,
    IReadOnlyList<AssessmentUpdate> Assessments,
    IReadOnlyList<NightSummary> PastNights);
