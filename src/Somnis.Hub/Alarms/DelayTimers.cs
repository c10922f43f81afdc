namespace Somnis.Hub.Alarms;

/// <summary>
/// The conditions the engine watches and their on/off-delays (docs/alarms.md, "Which clock"): a condition that holds
/// waits out its type's on-delay before its alarm is raised; one that clears waits out the off-delay before the alarm
/// clears. Running delays are indexed per (facility, bed), so a vitals message runs only its own bed's and its
/// facility's delays (a scan of every condition cost O(beds) per message), and <see cref="AnyRunning"/> is read without
/// a lock on the ingestion hot path so that a message with nothing to run takes no lock at all.
/// Not thread-safe otherwise: the engine calls it under its lock.
/// </summary>
internal sealed class DelayTimers
{
    private static readonly List<AlarmKey> None = [];
    private readonly Dictionary<AlarmKey, Condition> _conditions = [];
    private readonly Dictionary<(string Facility, string Bed), HashSet<string>> _runningByBed = [];
    private int _running;

    /// <summary>Any delay is running (read lock-free).</summary>
    public bool AnyRunning => Volatile.Read(ref _running) > 0;

    public Condition? Find(AlarmKey key) => _conditions.GetValueOrDefault(key);

    public Condition GetOrAdd(AlarmKey key)
    {
        if (!_conditions.TryGetValue(key, out var c))
        {
            c = _conditions[key] = new Condition();
        }

        return c;
    }

    /// <summary>The condition holds: starts its on-delay at <paramref name="since"/> unless it is already running; stops an off-delay.</summary>
    public void StartOnDelay(AlarmKey key, Condition c, DateTimeOffset since) => Set(key, c, c.PendingSince ?? since, null);

    /// <summary>The condition cleared: starts its off-delay at <paramref name="since"/> unless it is already running; stops an on-delay.</summary>
    public void StartOffDelay(AlarmKey key, Condition c, DateTimeOffset since) => Set(key, c, null, c.ClearSince ?? since);

    public void Stop(AlarmKey key, Condition c) => Set(key, c, null, null);

    /// <summary>Stops watching a condition (and its delay).</summary>
    public void Forget(AlarmKey key)
    {
        if (_conditions.Remove(key, out var c))
        {
            Set(key, c, null, null);
        }
    }

    /// <summary>The keys of the running delays of a bed and of its facility's alarms (a copy: running them changes the index).</summary>
    public List<AlarmKey> Running(string facility, string bed)
    {
        var ofBed = _runningByBed.GetValueOrDefault((facility, bed));
        var ofFacility = _runningByBed.GetValueOrDefault((facility, ""));
        if (ofBed is null && ofFacility is null)
        {
            return None;
        }

        var keys = new List<AlarmKey>((ofBed?.Count ?? 0) + (ofFacility?.Count ?? 0));
        keys.AddRange(ofBed?.Select(t => new AlarmKey(facility, bed, t)) ?? []);
        keys.AddRange(ofFacility?.Select(t => new AlarmKey(facility, "", t)) ?? []);
        return keys;
    }

    /// <summary>The conditions of the types that run on the hub's clock (a copy).</summary>
    public List<KeyValuePair<AlarmKey, Condition>> OnHubClock() =>
        [.. _conditions.Where(kv => AlarmTypes.ClockOf(kv.Key.Type) == AlarmClockKind.Hub)];

    private void Set(AlarmKey key, Condition c, DateTimeOffset? pending, DateTimeOffset? clear)
    {
        var before = c.Running;
        c.PendingSince = pending;
        c.ClearSince = clear;
        if (before == c.Running)
        {
            return;
        }

        Interlocked.Add(ref _running, c.Running ? 1 : -1);
        var bed = (key.Facility, key.Bed);
        if (c.Running)
        {
            if (!_runningByBed.TryGetValue(bed, out var types))
            {
                types = _runningByBed[bed] = [];
            }

            types.Add(key.Type);
        }
        else if (_runningByBed.TryGetValue(bed, out var types))
        {
            types.Remove(key.Type);
            if (types.Count == 0)
            {
                _runningByBed.Remove(bed);
            }
        }
    }
}

/// <summary>One watched condition: its running delay (at most one of the two; set only through <see cref="DelayTimers"/>,
/// which indexes them), its newest event time, and the observation an on-delay will raise the alarm from.</summary>
internal sealed class Condition
{
    /// <summary>Start of the on-delay (on the type's clock).</summary>
    public DateTimeOffset? PendingSince { get; set; }

    /// <summary>Start of the off-delay (on the type's clock).</summary>
    public DateTimeOffset? ClearSince { get; set; }

    public DateTimeOffset EventTime { get; set; }

    public ConditionInput? Input { get; set; }

    public bool Running => PendingSince is not null || ClearSince is not null;

    public bool OnDelayElapsed(DateTimeOffset now, TimeSpan delay) => PendingSince is { } since && now - since >= delay;

    public bool OffDelayElapsed(DateTimeOffset now, TimeSpan delay) => ClearSince is { } since && now - since >= delay;
}
