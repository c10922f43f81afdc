using Somnis.Contracts;

namespace Somnis.Hub.Beds;

/// <summary>What the sleeper appears to be doing, as shown to technicians.</summary>
public enum SleeperState
{
    Unknown,
    Asleep,
    Awake,
    OutOfBed,
}

/// <summary>
/// The live state of one bed. Mutated only under its own lock by the ingestion path; readers take
/// <see cref="Snapshot"/> copies.
/// </summary>
internal sealed class BedState(string facility, string bed)
{
    /// <summary>1 while the bed is queued for the live feed (BedRegistry.MarkDirty); a field for Interlocked.</summary>
    public int Dirty;

    // Recent activity (event time, count) for the rough live sleep/wake state: 5 minutes of intervals.
    private readonly Queue<(DateTimeOffset Ts, double Count)> _recentActivity = new();
    private double _recentActivitySum;

    public Lock Sync { get; } = new();

    public string Facility { get; } = facility;

    public string Bed { get; } = bed;

    public bool Online { get; set; }

    /// <summary>Hub time the last message of any kind arrived.</summary>
    public DateTimeOffset? LastSeen { get; set; }

    /// <summary>Device time of the newest vitals.</summary>
    public DateTimeOffset? LastEventTime { get; set; }

    public VitalsMessage? Latest { get; set; }

    public StatusMessage? Status { get; set; }

    public long LastSequence { get; set; }

    public long Received { get; set; }

    public void AddActivity(DateTimeOffset ts, double? count)
    {
        if (count is { } c)
        {
            _recentActivity.Enqueue((ts, c));
            _recentActivitySum += c;
        }

        while (_recentActivity.Count > 0 && _recentActivity.Peek().Ts < ts - TimeSpan.FromMinutes(5))
        {
            _recentActivitySum -= _recentActivity.Dequeue().Count;
        }
    }

    /// <summary>
    /// A rough live state until the scorer's epochs are available: out of bed from presence; asleep when the last
    /// five minutes held little movement (under 60 counts, about one short fidget); awake otherwise.
    /// </summary>
    public SleeperState RoughState(bool stale)
    {
        if (!Online || stale || Latest is null)
        {
            return SleeperState.Unknown;
        }

        if (Latest.BedPresence == false)
        {
            return SleeperState.OutOfBed;
        }

        return _recentActivity.Count >= 3 && _recentActivitySum < 60 ? SleeperState.Asleep : SleeperState.Awake;
    }
}
