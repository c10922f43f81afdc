using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Somnis.Contracts;
using Somnis.Contracts.Settings;
using Somnis.Hub.Detection;
using Somnis.Hub.Ingestion;
using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Beds;

/// <summary>Hub-side timing of bed liveness (section <c>Beds</c>).</summary>
public sealed class BedOptions : ISettingsSection
{
    public const string Section = "Beds";

    /// <summary>A bed whose last message is older than this (hub time) is shown stale, never as normal. Keep it well above
    /// the edges' <c>Edge:Interval</c>, or healthy beds flicker stale between messages.</summary>
    /// <value>Default 60 s.</value>
    [Bounds(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(60);

    string ISettingsSection.SectionPath => Section;
}

/// <summary>Generated from <see cref="BedOptions"/>' attributes.</summary>
[OptionsValidator]
internal sealed partial class BedOptionsValidator : IValidateOptions<BedOptions>;

/// <summary>Every bed the hub has heard of, with its live state, and a feed of changed beds for live dashboards.</summary>
internal sealed class BedRegistry(TimeProvider time, IOptions<BedOptions> options, DeliveryTracker delivery, DetectionService? detection = null,
    SleeperLedger? sleepers = null)
{
    private readonly ConcurrentDictionary<(string Facility, string Bed), BedState> _beds = new();
    // Beds changed since the live feed last looked, each queued once (BedState.Dirty). A ConcurrentDictionary here made
    // every message take a stripe lock that the feed's key snapshot (all locks) held up (docs/performance.md, "What was
    // changed", lock contention on the ingestion path).
    private readonly ConcurrentQueue<BedState> _changed = new();

    public int Count => _beds.Count;

    public void ApplyVitals(string facility, VitalsMessage m)
    {
        var bed = Get(facility, m.Bed);
        lock (bed.Sync)
        {
            bed.LastSeen = time.GetUtcNow();
            bed.Online = true;
            bed.Received++;
            bed.LastSequence = Math.Max(bed.LastSequence, m.Seq);
            if (bed.LastEventTime is null || m.Ts >= bed.LastEventTime)
            {
                // Out-of-order (replayed) vitals count as received but do not overwrite the newer live values.
                bed.LastEventTime = m.Ts;
                bed.Latest = m;
                bed.AddActivity(m.Ts, m.ActivityCount);
            }
        }

        MarkDirty(bed);
    }

    public void ApplyStatus(string facility, StatusMessage m)
    {
        var bed = Get(facility, m.Bed);
        lock (bed.Sync)
        {
            bed.LastSeen = time.GetUtcNow();
            bed.Online = m.State == DeviceStates.Online;
            bed.Status = m;
        }

        MarkDirty(bed);
    }

    public void ApplyArchitect(string facility, ArchitectEvent m)
    {
        var bed = Get(facility, m.Bed);
        lock (bed.Sync)
        {
            bed.LastSeen = time.GetUtcNow();
            bed.Received++;
            bed.LastSequence = Math.Max(bed.LastSequence, m.Seq);
            if (bed.Latest is { } latest && m.Ts >= latest.Ts)
            {
                bed.Latest = latest with { ArchitectStimulating = m.Stimulating, InterlockEngaged = m.InterlockEngaged };
            }
        }

        MarkDirty(bed);
    }

    /// <summary>Marks a bed changed for the live feed (e.g. its delivery accounting moved without new vitals).</summary>
    public void MarkChanged(string facility, string bed)
    {
        if (_beds.TryGetValue((facility, bed), out var state))
        {
            MarkDirty(state);
        }
    }

    public IReadOnlyList<BedSummary> All() =>
        [.. _beds.Values.Select(Snapshot).OrderBy(b => b.Facility, StringComparer.Ordinal).ThenBy(b => b.Id, StringComparer.Ordinal)];

    /// <summary>Every bed, in no particular order (for the rounds that visit all beds and need no sorting).</summary>
    public List<BedSummary> Unordered()
    {
        var result = new List<BedSummary>(_beds.Count);
        foreach (var bed in _beds.Values)
        {
            result.Add(Snapshot(bed));
        }

        return result;
    }

    public BedSummary? Find(string bed, string? facility = null) =>
        _beds.Values.Where(b => b.Bed == bed && (facility is null || b.Facility == facility)).Select(Snapshot).FirstOrDefault();

    /// <summary>Takes the beds changed since the last call (coalesced: a bed appears once however often it changed).</summary>
    public IReadOnlyList<BedSummary> TakeChanged()
    {
        var changed = new List<BedSummary>();
        for (var n = _changed.Count; n > 0 && _changed.TryDequeue(out var bed); n--)
        {
            // Cleared before the snapshot: a change made while it is taken queues the bed again, so none is missed.
            Volatile.Write(ref bed.Dirty, 0);
            changed.Add(Snapshot(bed));
        }

        return changed;
    }

    /// <summary>Marks beds whose staleness changed, so dashboards see a bed go stale without a new message.</summary>
    public void MarkStaleTransitions(Dictionary<(string, string), bool> lastStale)
    {
        foreach (var (key, bed) in _beds)
        {
            var stale = IsStale(bed);
            if (!lastStale.TryGetValue(key, out var was) || was != stale)
            {
                lastStale[key] = stale;
                MarkDirty(bed);
            }
        }
    }

    private bool IsStale(BedState bed)
    {
        lock (bed.Sync)
        {
            return bed.Online && bed.LastSeen is { } seen && time.GetUtcNow() - seen > options.Value.StaleAfter;
        }
    }

    private BedState Get(string facility, string bed) => _beds.GetOrAdd((facility, bed), k => new BedState(k.Facility, k.Bed));

    private void MarkDirty(BedState bed)
    {
        if (Interlocked.Exchange(ref bed.Dirty, 1) == 0)
        {
            _changed.Enqueue(bed);
        }
    }

    /// <summary>The scorer's newest epoch when there is one (validated on PSG), else the rough movement rule;
    /// always unknown for an offline or stale bed.</summary>
    private string StateOf(BedState bed, bool stale)
    {
        var rough = bed.RoughState(stale);
        if (rough is SleeperState.Unknown or SleeperState.OutOfBed)
        {
            return rough == SleeperState.Unknown ? "unknown" : "out-of-bed";
        }

        return detection?.SleepState(bed.Facility, bed.Bed) ?? (rough == SleeperState.Asleep ? "asleep" : "awake");
    }

    private BedSummary Snapshot(BedState bed)
    {
        // Taken before the bed's lock, not inside it: a nested lock would hold up ingestion of this bed for as long as the
        // delivery tracker's lock is contended.
        var accounting = delivery.Summary(bed.Facility, bed.Bed);
        var sleeper = sleepers?.Current(bed.Facility, bed.Bed);
        lock (bed.Sync)
        {
            var stale = bed.Online && bed.LastSeen is { } seen && time.GetUtcNow() - seen > options.Value.StaleAfter;
            var v = bed.Latest;
            return new BedSummary(
                Id: bed.Bed,
                Facility: bed.Facility,
                Online: bed.Online,
                Stale: stale,
                LastSeen: bed.LastSeen,
                LastEventTime: bed.LastEventTime,
                State: StateOf(bed, stale),
                HeartRate: v?.HeartRate,
                RespirationRate: v?.RespirationRate,
                ActivityCount: v?.ActivityCount,
                SkinTemperature: v?.SkinTemperature,
                RoomTemperature: v?.RoomTemperature,
                BedPresence: v?.BedPresence,
                SignalQuality: v?.SignalQuality,
                ArchitectStimulating: v?.ArchitectStimulating ?? false,
                InterlockEngaged: v?.InterlockEngaged ?? false,
                Mode: bed.Status?.Mode,
                Simulation: bed.Status?.Simulation,
                Sensors: bed.Status?.Sensors ?? [],
                LastSequence: bed.LastSequence,
                Received: bed.Received,
                Delivery: accounting?.Delivery,
                Clock: accounting?.Clock,
                Sleeper: sleeper);
        }
    }
}

/// <summary>One bed as the API and dashboard show it (docs/protocol.md, "Hub API").</summary>
/// <param name="Sleeper">The sleeper admitted to the bed now; null when nobody is.</param>
public sealed record BedSummary(
    string Id,
    string Facility,
    bool Online,
    bool Stale,
    DateTimeOffset? LastSeen,
    DateTimeOffset? LastEventTime,
    string State,
    double? HeartRate,
    double? RespirationRate,
    double? ActivityCount,
    double? SkinTemperature,
    double? RoomTemperature,
    bool? BedPresence,
    double? SignalQuality,
    bool ArchitectStimulating,
    bool InterlockEngaged,
    string? Mode,
    SimulationInfo? Simulation,
    IReadOnlyList<SensorHealth> Sensors,
    long LastSequence,
    long Received,
    DeliverySummary? Delivery = null,
    ClockSummary? Clock = null,
    SleeperRef? Sleeper = null);
