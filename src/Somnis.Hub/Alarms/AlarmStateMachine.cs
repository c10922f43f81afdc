using System.Diagnostics.Metrics;

namespace Somnis.Hub.Alarms;

/// <summary>
/// The rules that turn condition observations into alarm states (docs/alarms.md, "Types" and "States"): the late-data
/// rule, on/off-delays (<see cref="DelayTimers"/>), raise, re-raise and clear, latching, chattering
/// (<see cref="ChatterDetector"/>), grouping under facility incidents, suppression by design, and the hub-time
/// <see cref="AlarmTimers"/>. Every change goes through <see cref="OpenAlarms.Commit(Alarm, IReadOnlyList{AuditEntry}, CommitMode)"/>
/// as the system's (<see cref="CommitMode.System"/>). Single-threaded: the <see cref="AlarmEngine"/> calls it under its lock.
/// Each input returns the high-priority <c>architect-deprivation</c> it raised, if any, for the automatic interlock rule.
/// </summary>
internal sealed class AlarmStateMachine
{
    public const string SystemActor = "system";

    private readonly OpenAlarms _alarms;
    private readonly EventClocks _clocks;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DelayTimers _delays = new();
    private readonly ChatterDetector _chatter = new();
    private readonly HashSet<(string Facility, string Bed)> _lateLogged = [];
    private readonly Counter<long> _raised;
    private readonly Counter<long> _late;
    private readonly Counter<long> _chattering;
    private long _lateCount;

    public AlarmStateMachine(OpenAlarms alarms, EventClocks clocks, TimeProvider time, IMeterFactory meters, ILogger logger)
    {
        _alarms = alarms;
        _clocks = clocks;
        _time = time;
        _logger = logger;
        var meter = meters.Create(HubMetrics.MeterName);
        _raised = meter.CreateCounter<long>("somnis.alarms.raised", "{alarm}", "Alarm annunciations (raise and re-raise), by type and priority");
        _late = meter.CreateCounter<long>("somnis.alarms.late_ignored", "{assessment}", "Assessments too old to open a new alarm (late data rule)");
        _chattering = meter.CreateCounter<long>("somnis.alarms.chattering", "{alarm}", "Alarms found chattering");
    }

    /// <summary>Any on/off-delay is running (read without the engine's lock on the ingestion hot path).</summary>
    public bool AnyDelayRunning => _delays.AnyRunning;

    public long LateIgnored => Interlocked.Read(ref _lateCount);

    /// <summary>Takes the open alarms loaded from the store. An active alarm's condition is assumed to still hold until an
    /// observation says otherwise, so it is not raised again.</summary>
    public void Load(IEnumerable<Alarm> open)
    {
        foreach (var a in open)
        {
            _alarms.Put(a);
            if (a.Active)
            {
                _delays.GetOrAdd(a.Key).EventTime = a.LastEventTime;
            }
        }
    }

    /// <summary>
    /// A takeover (docs/high-availability.md, "Takeover"): the store's open alarms replace what this node kept in memory as a
    /// standby, so what the old active raised, acknowledged, commented and escalated carries on as stored. A condition this
    /// node saw holding with no open alarm in the store (the old active had not stored it, or never raised it) is raised now,
    /// as this node's own alarm.
    /// </summary>
    /// <returns>The raises to commit.</returns>
    public IReadOnlyList<AlarmChange> TakeOver(IReadOnlyList<Alarm> stored, string node)
    {
        var shadow = _alarms.All.ToList();
        _alarms.Clear();
        Load(stored);
        var now = _time.GetUtcNow();
        var raises = new List<AlarmChange>();
        foreach (var a in shadow.Where(a => a.Active && _alarms.Get(a.Key) is null))
        {
            var raised = a with
            {
                AnnouncedAt = now, Acknowledged = false, Escalation = 0,
                ParentId = a.ParentId is { } p && (stored.Any(s => s.Id == p) || shadow.Any(s => s.Id == p && s.Active)) ? p : null,
            };
            raises.Add(new AlarmChange(raised, [Audit(raised, "raised", $"{a.Summary} (held at takeover by node {node})", a.RaisedEventTime)]));
            _raised.Add(1, new KeyValuePair<string, object?>("type", a.Type), new KeyValuePair<string, object?>("priority", a.Priority));
            Log.AlarmRaised(_logger, raised.Id, a.Type, raised.Priority, raised.Bed ?? a.Facility);
        }

        return raises;
    }

    /// <summary>Applies one observation of an enabled type: late-data rule, on-delay, off-delay, raise, clear, evidence update.</summary>
    public Alarm? Observe(ConditionInput input, AlarmOptions o)
    {
        var key = new AlarmKey(input.Facility, input.Bed ?? "", input.Type);
        var open = _alarms.Get(key);
        if (!input.Holds)
        {
            Release(key, open, input, o);
            return null;
        }

        if (open is { Active: true })
        {
            Repeat(key, open, input, o);
            return null;
        }

        if (IsLate(input, open, o))
        {
            return null;
        }

        var c = _delays.GetOrAdd(key);
        c.Input = input;
        c.EventTime = input.EventTime;
        _delays.StartOnDelay(key, c, input.Now);
        return TryRaise(key, c, input.Now, o, input.Seq);
    }

    /// <summary>Runs the event-time delays of one bed (and of its facility's alarms) at its new event time.</summary>
    /// <param name="seq">Sequence number of the bed's message that moved its clock (the trigger of what it raises).</param>
    public Alarm? RunDelays(string facility, string bed, (DateTimeOffset Bed, DateTimeOffset Facility) clocks, long seq, AlarmOptions o)
    {
        Alarm? deprivation = null;
        foreach (var key in _delays.Running(facility, bed))
        {
            if (AlarmTypes.ClockOf(key.Type) != AlarmClockKind.Event || _delays.Find(key) is not { } c)
            {
                continue;
            }

            var now = key.Bed.Length == 0 ? clocks.Facility : clocks.Bed;
            var raised = TryRaise(key, c, now, o, key.Bed == bed ? seq : null);
            deprivation ??= raised;
            TryClear(key, c, now, o);
        }

        return deprivation;
    }

    /// <summary>Hub-time work at <paramref name="now"/>: the hub-clock delays, then each open alarm's <see cref="AlarmTimers"/>.</summary>
    public Alarm? Tick(DateTimeOffset now, AlarmOptions o)
    {
        Alarm? deprivation = null;
        foreach (var (key, c) in _delays.OnHubClock())
        {
            var raised = TryRaise(key, c, now, o, trigger: null);
            deprivation ??= raised;
            TryClear(key, c, now, o);
        }

        foreach (var a in _alarms.All.ToList())
        {
            if (AlarmTimers.Due(a, now, o) is not { } due)
            {
                continue;
            }

            _alarms.Commit(due.Next, [Audit(a, due.Action, due.Detail)], CommitMode.System);
            if (due.Timer == AlarmTimer.Renotify)
            {
                Log.AlarmRenotified(_logger, a.Id, a.Type, a.Bed ?? a.Facility);
            }
            else if (due.Timer == AlarmTimer.Escalate)
            {
                Log.AlarmEscalated(_logger, a.Id, a.Type, a.Bed ?? a.Facility);
            }
        }

        return deprivation;
    }

    /// <summary>The condition cleared: an active alarm starts its off-delay; a pending condition is forgotten.</summary>
    private void Release(AlarmKey key, Alarm? open, ConditionInput input, AlarmOptions o)
    {
        if (open is not { Active: true })
        {
            _delays.Forget(key);
            return;
        }

        var c = _delays.GetOrAdd(key);
        c.EventTime = input.EventTime;
        _delays.StartOffDelay(key, c, input.Now);
        TryClear(key, c, input.Now, o);
    }

    /// <summary>The condition of an active alarm still holds: a running off-delay stops and the alarm takes the new evidence.</summary>
    private void Repeat(AlarmKey key, Alarm open, ConditionInput input, AlarmOptions o)
    {
        var c = _delays.GetOrAdd(key);
        _delays.Stop(key, c);
        c.EventTime = input.EventTime;
        var updated = open with { Summary = input.Summary, Evidence = input.Evidence, LastEventTime = Later(open.LastEventTime, input.EventTime), Beds = input.Beds ?? open.Beds };
        // A repeat with new evidence updates the alarm in memory; only an incident that grew is a change worth storing.
        if (input.Beds is not null && (open.Beds is null || input.Beds.Except(open.Beds).Any()))
        {
            _alarms.Commit(updated, [Audit(updated, "updated", $"beds: {string.Join(", ", input.Beds)}", input.EventTime)], CommitMode.System);
            GroupUnder(updated, input.IncidentStart ?? input.EventTime, o);
        }
        else
        {
            _alarms.Put(updated);
        }
    }

    /// <summary>Late rule: backfilled data about something long over never opens a new alarm (docs/alarms.md, "Late data").</summary>
    private bool IsLate(ConditionInput input, Alarm? open, AlarmOptions o)
    {
        if (open is not null || input.Bed is null || AlarmTypes.ClockOf(input.Type) != AlarmClockKind.Event
            || _clocks.Of(input.Facility, input.Bed) is not { } newest || input.EventTime >= newest - o.LateBound)
        {
            return false;
        }

        Interlocked.Increment(ref _lateCount);
        _late.Add(1, new KeyValuePair<string, object?>("type", input.Type));
        if (_lateLogged.Add((input.Facility, input.Bed)))
        {
            Log.AlarmLateIgnored(_logger, input.Type, input.Bed, input.EventTime, newest);
        }

        return true;
    }

    /// <summary>Raises (or re-raises) the alarm once the on-delay has run out; returns it if the automatic interlock rule applies.</summary>
    /// <param name="trigger">Sequence number of the bed's data message being processed (it is what raises the alarm), or null for the hub's clock.</param>
    private Alarm? TryRaise(AlarmKey key, Condition c, DateTimeOffset now, AlarmOptions o, long? trigger)
    {
        var settings = o.For(key.Type);
        if (!c.OnDelayElapsed(now, settings.OnDelay) || c.Input is not { } input)
        {
            return null;
        }

        _delays.Stop(key, c);
        var audit = new List<AuditEntry>();
        var raised = _alarms.Get(key) is { } open ? Reraised(open, input, trigger, audit) : Raised(key, input, settings, trigger, audit);
        var raises = _chatter.Raised(key, now, o.ChatterWindow);
        if (raises >= o.ChatterCount && !raised.Chattering)
        {
            raised = raised with { Chattering = true };
            audit.Add(Audit(raised, "chattering", $"raised {raises} times within {o.ChatterWindow:c}", input.EventTime));
            _chattering.Add(1, new KeyValuePair<string, object?>("type", key.Type));
            Log.AlarmChattering(_logger, raised.Id, key.Type, raised.Bed ?? key.Facility);
        }

        _alarms.Commit(raised, audit, CommitMode.System);
        _raised.Add(1, new KeyValuePair<string, object?>("type", key.Type), new KeyValuePair<string, object?>("priority", raised.Priority));
        Log.AlarmRaised(_logger, raised.Id, key.Type, raised.Priority, raised.Bed ?? key.Facility);
        if (key.Type == AlarmTypes.FacilityIncident)
        {
            GroupUnder(raised, input.IncidentStart ?? input.EventTime, o);
        }

        SetSuppression(key, suppressed: true);
        return key.Type == AlarmTypes.ArchitectDeprivation && raised.Priority == AlarmPriorities.High && raised.Bed is not null ? raised : null;
    }

    /// <summary>A new alarm: what it has; everything else (acknowledgement, shelving, escalation…) starts at its default.</summary>
    private Alarm Raised(AlarmKey key, ConditionInput input, AlarmTypeSettings settings, long? trigger, List<AuditEntry> audit)
    {
        var hubNow = _time.GetUtcNow();
        var eventTime = AlarmTypes.ClockOf(key.Type) == AlarmClockKind.Event ? input.EventTime : (_clocks.Of(key.Facility, null) ?? input.EventTime);
        var parent = settings.GroupUnderIncident && input.Bed is not null
            ? _alarms.All.FirstOrDefault(p => p.Type == AlarmTypes.FacilityIncident && p.Facility == key.Facility && p.Active && (p.Beds?.Contains(input.Bed) ?? false))
            : null;
        var suppressor = AlarmTypes.SuppressedBy(key.Type);
        var suppressed = suppressor is not null && input.Bed is not null && _alarms.Get(key with { Type = suppressor }) is { Active: true };
        var raised = new Alarm
        {
            Id = NewId(), Facility = key.Facility, Bed = input.Bed, Type = key.Type,
            Priority = settings.Priority, Class = AlarmTypes.IsTechnical(key.Type) ? "technical" : "clinical", Latching = settings.Latching,
            Active = true, Occurrences = 1, Suppressed = suppressed, ParentId = parent?.Id,
            RaisedAt = hubNow, AnnouncedAt = hubNow, RaisedEventTime = eventTime, LastEventTime = input.EventTime,
            Summary = input.Summary, Evidence = input.Evidence, Beds = input.Beds, TriggerSeq = trigger,
        };
        audit.Add(Audit(raised, "raised", input.Summary, eventTime));
        if (parent is not null)
        {
            audit.Add(Audit(raised, "grouped", $"under incident {parent.Id}", eventTime));
        }

        if (suppressed)
        {
            audit.Add(Audit(raised, "suppressed", $"by design: explained by {suppressor}", eventTime));
        }

        return raised;
    }

    /// <summary>The condition returned while the alarm was still open (cleared-unacknowledged): the same alarm, active again.</summary>
    private Alarm Reraised(Alarm open, ConditionInput input, long? trigger, List<AuditEntry> audit)
    {
        var raised = open with
        {
            Active = true, Acknowledged = false, Closed = false, AnnouncedAt = _time.GetUtcNow(), LastEventTime = input.EventTime, ClearedAt = null,
            Occurrences = open.Occurrences + 1, Escalation = 0, Summary = input.Summary, Evidence = input.Evidence, Beds = input.Beds ?? open.Beds,
            TriggerSeq = trigger,
        };
        audit.Add(Audit(raised, "re-raised", input.Summary, input.EventTime));
        return raised;
    }

    /// <summary>Clears the alarm once the off-delay has run out: returns to normal, or waits for acknowledgement if latching.</summary>
    private void TryClear(AlarmKey key, Condition c, DateTimeOffset now, AlarmOptions o)
    {
        if (!c.OffDelayElapsed(now, o.For(key.Type).OffDelay) || _alarms.Get(key) is not { Active: true } open)
        {
            return;
        }

        _delays.Stop(key, c);
        var closes = !open.Latching || open.Acknowledged;
        var cleared = open with { Active = false, Closed = closes, ClearedAt = _time.GetUtcNow(), Escalation = 0 };
        _alarms.Commit(cleared, [Audit(cleared, closes ? "cleared" : "returned-unacknowledged", null, c.EventTime)], CommitMode.System);
        if (closes)
        {
            _delays.Forget(key);
        }

        SetSuppression(key, suppressed: false);
    }

    /// <summary>Groups the open per-bed alarms an incident explains under it (raised within the group window before its start, or after).</summary>
    private void GroupUnder(Alarm incident, DateTimeOffset start, AlarmOptions o)
    {
        foreach (var child in _alarms.All.Where(a => a.Facility == incident.Facility && a.Bed is not null && a.ParentId is null
                     && (incident.Beds?.Contains(a.Bed) ?? false) && o.For(a.Type).GroupUnderIncident
                     && a.RaisedEventTime >= start - o.IncidentGroupWindow).ToList())
        {
            _alarms.Commit(child with { ParentId = incident.Id, Escalation = 0 }, [Audit(child, "grouped", $"under incident {incident.Id}")], CommitMode.System);
        }
    }

    /// <summary>Suppression by design: while an explaining alarm (<see cref="AlarmTypes.SuppressedBy"/>) is active on a bed, the
    /// alarms it explains are suppressed; when it clears they are annunciated again if still active.</summary>
    private void SetSuppression(AlarmKey explaining, bool suppressed)
    {
        if (explaining.Bed.Length == 0)
        {
            return;
        }

        var now = _time.GetUtcNow();
        foreach (var a in _alarms.All.Where(a => a.Facility == explaining.Facility && a.Bed == explaining.Bed
                     && AlarmTypes.SuppressedBy(a.Type) == explaining.Type && a.Suppressed != suppressed).ToList())
        {
            _alarms.Commit(
                suppressed ? a with { Suppressed = true, Escalation = 0 } : a with { Suppressed = false, AnnouncedAt = now },
                [Audit(a, suppressed ? "suppressed" : "unsuppressed", suppressed ? $"by design: explained by {explaining.Type}" : $"{explaining.Type} cleared")],
                CommitMode.System);
        }
    }

    private AuditEntry Audit(Alarm a, string action, string? detail, DateTimeOffset? eventTime = null) =>
        AuditEntry.About(a, _time.GetUtcNow(), action, SystemActor, detail, eventTime);

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static string NewId() => Guid.CreateVersion7().ToString("N")[..20];
}
