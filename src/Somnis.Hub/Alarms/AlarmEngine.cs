using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Somnis.Contracts;
using Somnis.Hub.Detection;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Alarms;

/// <summary>One observation of an alarm condition. <see cref="Now"/> is on the type's clock (<see cref="AlarmTypes.ClockOf"/>).</summary>
internal sealed record ConditionInput(
    string Type,
    string Facility,
    string? Bed,
    bool Holds,
    DateTimeOffset Now,
    DateTimeOffset EventTime,
    string Summary,
    JsonElement? Evidence,
    IReadOnlyList<string>? Beds = null,
    DateTimeOffset? IncidentStart = null,
    long? Seq = null);

/// <summary>The outcome of an operator action: the changed alarm, or an HTTP status with a message (nothing changed).</summary>
internal readonly record struct ActionResult(Alarm? Alarm, int Status, string? Error)
{
    public static ActionResult Ok(Alarm a) => new(a, 200, null);

    public static ActionResult Fail(int status, string error) => new(null, status, error);
}

/// <summary>
/// The alarm system (docs/alarms.md): turns conditions (detection assessments, bed liveness, sensor health, delivery
/// reports) into alarms with ISA-18.2 states, applies the per-type rationalisation (on/off-delay, deadband, latching,
/// re-alarm, chattering), groups per-bed alarms under facility incidents, suppresses by design, escalates, and carries
/// out operator actions. Every change is written to the store (with its audit entries) before it becomes visible and
/// then raised through <see cref="Changed"/>, outside the lock.
/// </summary>
internal sealed class AlarmEngine : IVitalsRecorder, IBeforeAcknowledge, IDisposable
{
    public const string SystemActor = "system";

    private readonly IAlarmStore _store;
    private readonly AlarmStoreWriter _writer;
    private readonly IOptionsMonitor<AlarmOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AlarmEngine> _logger;
    private readonly Lock _sync = new();
    private readonly Dictionary<(string Facility, string Bed, string Type), Alarm> _open = [];
    private readonly Dictionary<(string Facility, string Bed, string Type), Condition> _conditions = [];

    // Raise times per bed and type for chatter detection; kept across alarms (a chattering condition opens and closes alarms).
    private readonly Dictionary<(string Facility, string Bed, string Type), Queue<DateTimeOffset>> _raises = [];
    // Event clocks are moved lock-free (EventTimeMark): every message of a facility advances the same facility clock,
    // and ConcurrentDictionary.AddOrUpdate takes that key's bucket lock, where the ingestion threads spun (4.6 % of the
    // hub's CPU, docs/performance.md).
    private readonly ConcurrentDictionary<(string Facility, string Bed), EventTimeMark> _bedClock = new();
    private readonly ConcurrentDictionary<string, EventTimeMark> _facilityClock = new();
    private readonly ConcurrentDictionary<(string Facility, string Bed), byte> _lateLogged = new();
    private readonly Counter<long> _raised;
    private readonly Counter<long> _late;
    private readonly Counter<long> _chattering;
    private readonly Counter<long> _storeFailures;
    private int _timed;

    // Types with a running on/off-delay, per (facility, bed) ("" for facility alarms); kept by SetTimer under _sync.
    private readonly Dictionary<(string Facility, string Bed), HashSet<string>> _timedByBed = [];
    private long _lateCount;
    private bool _inOperatorAction;

    public AlarmEngine(IAlarmStore store, IOptionsMonitor<AlarmOptions> options, TimeProvider time, IMeterFactory meters, ILogger<AlarmEngine> logger)
    {
        _store = store;
        _options = options;
        _time = time;
        _logger = logger;
        var meter = meters.Create(HubMetrics.MeterName);
        _raised = meter.CreateCounter<long>("somnis.alarms.raised", "{alarm}", "Alarm annunciations (raise and re-raise), by type and priority");
        _late = meter.CreateCounter<long>("somnis.alarms.late_ignored", "{assessment}", "Assessments too old to open a new alarm (late data rule)");
        _chattering = meter.CreateCounter<long>("somnis.alarms.chattering", "{alarm}", "Alarms found chattering");
        _storeFailures = meter.CreateCounter<long>("somnis.alarms.store_failures", "{write}", "Alarm state changes the store could not write (kept in memory)");
        meter.CreateObservableGauge("somnis.alarms.open", () => OpenCount, "{alarm}", "Alarms not returned to normal");
        _writer = new AlarmStoreWriter(store, (alarm, ex) =>
        {
            _storeFailures.Add(1);
            Log.AlarmStoreFailed(_logger, alarm?.Id ?? "(batch)", ex);
        });
        meter.CreateObservableGauge("somnis.alarms.store_queued", () => (long)_writer.Queued, "{change}", "Alarm changes waiting to be written to the store");
    }

    /// <summary>Raised after every state change (outside the engine's lock, on the thread that caused it).</summary>
    public event Action<Alarm>? Changed;

    /// <summary>Raised when a high-priority <c>architect-deprivation</c> is raised (for the automatic interlock rule).</summary>
    public event Action<Alarm>? DeprivationRaised;

    public long LateIgnored => Interlocked.Read(ref _lateCount);

    private int OpenCount
    {
        get
        {
            lock (_sync)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Loads the open alarms from the store (at start-up, before any input).</summary>
    public void Load()
    {
        var open = _store.LoadOpen();
        lock (_sync)
        {
            foreach (var a in open)
            {
                _open[Key(a)] = a;
                if (a.Active)
                {
                    // The condition is assumed to still hold until an observation says otherwise.
                    _conditions[Key(a)] = new Condition { EventTime = a.LastEventTime };
                }
            }
        }
    }

    /// <summary>The open alarms, newest first.</summary>
    public IReadOnlyList<Alarm> Open()
    {
        lock (_sync)
        {
            return [.. _open.Values.OrderByDescending(a => a.RaisedAt)];
        }
    }

    public Alarm? Find(string id)
    {
        lock (_sync)
        {
            var open = _open.Values.FirstOrDefault(a => a.Id == id);
            if (open is not null)
            {
                return open;
            }
        }

        _writer.Flush();
        return _store.FindAlarm(id);
    }

    /// <summary>Newest event time seen from a bed (or, with <paramref name="bed"/> null, from any bed of the facility).</summary>
    public DateTimeOffset? EventClock(string facility, string? bed) =>
        bed is null ? (_facilityClock.TryGetValue(facility, out var f) ? f.Value : null) : (_bedClock.TryGetValue((facility, bed), out var b) ? b.Value : null);

    // ---- inputs -------------------------------------------------------------------------------------------------

    /// <summary>Detection's assessment changes (raised on the ingestion thread).</summary>
    public void OnAssessment(AssessmentUpdate u)
    {
        var clock = (u.Bed is null ? EventClock(u.Facility, null) : EventClock(u.Facility, u.Bed)) ?? u.EventTime;
        var now = u.EventTime > clock ? u.EventTime : clock;
        DateTimeOffset? incidentStart = u.Evidence is FacilityIncident fi ? fi.Start : null;
        Observe(new ConditionInput(u.Type, u.Facility, u.Bed, u.Active, now, u.EventTime, u.Summary, Evidence(u.Evidence), u.Beds, incidentStart, u.Seq));
    }

    /// <summary>Every accepted vitals message advances the bed's event clock, which runs the event-time delays.</summary>
    public void Record(string facility, VitalsMessage vitals)
    {
        var bedTime = _bedClock.GetOrAdd((facility, vitals.Bed), static _ => new EventTimeMark()).Advance(vitals.Ts);
        var facilityTime = _facilityClock.GetOrAdd(facility, static _ => new EventTimeMark()).Advance(vitals.Ts);
        if (Volatile.Read(ref _timed) > 0)
        {
            Advance(facility, vitals.Bed, bedTime, facilityTime, vitals.Seq);
        }
    }

    /// <summary>A data gap on a bed (from delivery accounting): active while data is missing, cleared when it is complete again.</summary>
    public void ReportDataGap(string facility, string bed, bool active, DateTimeOffset eventTime, string summary) =>
        // Evidence only while the condition holds: a clear carries none (Observe reads neither), and this runs for
        // every bed on every alarm-clock tick.
        Observe(new ConditionInput(AlarmTypes.DataGap, facility, bed, active, Later(EventClock(facility, bed), eventTime), eventTime, summary,
            active ? JsonSerializer.SerializeToElement(new DataGapEvidence(summary), HubJsonContext.Default.DataGapEvidence) : null));

    /// <summary>A measured clock skew of a bed (device − hub). Raised above <see cref="AlarmOptions.ClockSkewLimitSeconds"/>, cleared
    /// only below the limit minus the type's deadband.</summary>
    public void ReportClockSkew(string facility, string bed, TimeSpan skew, DateTimeOffset eventTime)
    {
        var o = _options.CurrentValue;
        var limit = o.ClockSkewLimitSeconds;
        var abs = Math.Abs(skew.TotalSeconds);
        bool holds;
        lock (_sync)
        {
            var active = _open.TryGetValue((facility, bed, AlarmTypes.ClockSkew), out var a) && a.Active;
            holds = active ? abs > limit - o.For(AlarmTypes.ClockSkew).Deadband : abs > limit;
        }

        Observe(new ConditionInput(AlarmTypes.ClockSkew, facility, bed, holds, Later(EventClock(facility, bed), eventTime), eventTime,
            holds ? string.Create(CultureInfo.InvariantCulture, $"Device clock {skew.TotalSeconds:+0.0;-0.0} s from the hub's (limit {limit:0.#} s)") : "clock in step",
            holds ? JsonSerializer.SerializeToElement(new ClockSkewEvidence(Math.Round(skew.TotalSeconds, 3), limit), HubJsonContext.Default.ClockSkewEvidence) : null));
    }

    /// <summary>Applies one observation of a condition: on-delay, off-delay, late-data rule, raise, clear, evidence update.</summary>
    public void Observe(ConditionInput input)
    {
        var o = _options.CurrentValue;
        var settings = o.For(input.Type);
        if (!settings.Enabled)
        {
            return;
        }

        var key = (input.Facility, input.Bed ?? "", input.Type);
        var changes = new List<Alarm>();
        Alarm? deprivation = null;
        lock (_sync)
        {
            _open.TryGetValue(key, out var open);
            if (input.Holds)
            {
                if (open is { Active: true })
                {
                    _conditions.TryGetValue(key, out var c);
                    c ??= _conditions[key] = new Condition();
                    SetTimer(key, c, pending: null, clear: null);
                    c.EventTime = input.EventTime;
                    // A repeat with new evidence updates the alarm in memory; only an incident that grew is a change worth storing.
                    var updated = open with { Summary = input.Summary, Evidence = input.Evidence, LastEventTime = Later(open.LastEventTime, input.EventTime), Beds = input.Beds ?? open.Beds };
                    var grew = input.Beds is not null && (open.Beds is null || input.Beds.Except(open.Beds).Any());
                    if (grew)
                    {
                        Commit(updated, [Audit(updated, "updated", SystemActor, $"beds: {string.Join(", ", input.Beds!)}", input.EventTime)], changes);
                        GroupUnder(updated, input.IncidentStart ?? input.EventTime, o, changes);
                    }
                    else
                    {
                        _open[key] = updated;
                    }
                }
                else
                {
                    if (open is null && input.Bed is not null && AlarmTypes.ClockOf(input.Type) == AlarmClockKind.Event
                        && EventClock(input.Facility, input.Bed) is { } newest && input.EventTime < newest - o.LateBound)
                    {
                        // Late rule: backfilled data about something long over never opens a new alarm (docs/alarms.md).
                        Interlocked.Increment(ref _lateCount);
                        _late.Add(1, new KeyValuePair<string, object?>("type", input.Type));
                        if (_lateLogged.TryAdd((input.Facility, input.Bed), 0))
                        {
                            Log.AlarmLateIgnored(_logger, input.Type, input.Bed, input.EventTime, newest);
                        }

                        return;
                    }

                    _conditions.TryGetValue(key, out var c);
                    c ??= _conditions[key] = new Condition();
                    c.Input = input;
                    c.EventTime = input.EventTime;
                    SetTimer(key, c, pending: c.PendingSince ?? input.Now, clear: null);
                    deprivation = TryRaise(key, c, input.Now, o, changes, input.Seq);
                }
            }
            else
            {
                _conditions.TryGetValue(key, out var c);
                if (open is { Active: true })
                {
                    c ??= _conditions[key] = new Condition();
                    c.EventTime = input.EventTime;
                    SetTimer(key, c, pending: null, clear: c.ClearSince ?? input.Now);
                    TryClear(key, c, input.Now, o, changes);
                }
                else if (c is not null)
                {
                    SetTimer(key, c, null, null);
                    _conditions.Remove(key);
                }
            }
        }

        AutoInterlock(deprivation);
    }

    /// <summary>Hub-time work (called every <see cref="AlarmOptions.TickPeriod"/>): hub-clock delays, shelve expiry,
    /// re-alarm, escalation.</summary>
    public void Tick()
    {
        var o = _options.CurrentValue;
        var now = _time.GetUtcNow();
        var changes = new List<Alarm>();
        Alarm? deprivation = null;
        lock (_sync)
        {
            foreach (var (key, c) in _conditions.Where(kv => AlarmTypes.ClockOf(kv.Key.Type) == AlarmClockKind.Hub).ToList())
            {
                deprivation ??= TryRaise(key, c, now, o, changes, trigger: null);
                TryClear(key, c, now, o, changes);
            }

            foreach (var a in _open.Values.ToList())
            {
                var settings = o.For(a.Type);
                if (a.ShelvedUntil is { } until && now >= until)
                {
                    Commit(a with { ShelvedUntil = null, ShelvedBy = null, ShelveReason = null, AnnouncedAt = now, Escalation = 0 },
                        [Audit(a, "shelve-expired", SystemActor, null)], changes);
                    continue;
                }

                if (a.Active && a.Acknowledged && settings.ReAlarm > TimeSpan.Zero && a.AckedAt is { } acked && now - acked >= settings.ReAlarm)
                {
                    Commit(a with { Acknowledged = false, AnnouncedAt = now, Escalation = 0 },
                        [Audit(a, "re-alarm", SystemActor, $"still active {settings.ReAlarm:c} after acknowledgement")], changes);
                    continue;
                }

                if (a.Sounding)
                {
                    var age = now - a.AnnouncedAt;
                    if (a.Escalation == 0 && age >= o.RenotifyAfter)
                    {
                        Commit(a with { Escalation = 1 }, [Audit(a, "re-notified", SystemActor, $"unacknowledged for {o.RenotifyAfter:c}")], changes);
                        Log.AlarmRenotified(_logger, a.Id, a.Type, a.Bed ?? a.Facility);
                    }
                    else if (a.Escalation == 1 && age >= o.EscalateAfter)
                    {
                        Commit(a with { Escalation = 2 }, [Audit(a, "escalated", SystemActor, $"to supervisors: unacknowledged for {o.EscalateAfter:c}")], changes);
                        Log.AlarmEscalated(_logger, a.Id, a.Type, a.Bed ?? a.Facility);
                    }
                }
            }
        }

        AutoInterlock(deprivation);
    }

    // ---- operator actions ---------------------------------------------------------------------------------------

    public ActionResult Acknowledge(string id, string user, string? comment)
    {
        if (comment is { Length: > 1000 })
        {
            return ActionResult.Fail(400, "comment is longer than 1000 characters");
        }

        return Act(id, a =>
        {
            if (a.Acknowledged)
            {
                return ActionResult.Fail(409, $"alarm {id} is already acknowledged (by {a.AckedBy})");
            }

            return null;
        }, (a, now, changes) =>
        {
            var acked = a with { Acknowledged = true, AckedBy = user, AckedAt = now, AckComment = comment, Escalation = 0, Closed = !a.Active };
            var latency = (now - a.AnnouncedAt).TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
            Commit(acked, [Audit(a, "acknowledged", user, comment is null ? $"after {latency} s" : $"after {latency} s: {comment}")], changes);
            if (a.Type == AlarmTypes.FacilityIncident)
            {
                // Acknowledging the incident acknowledges what is grouped under it: it is shown and handled as one.
                foreach (var child in _open.Values.Where(c => c.ParentId == a.Id && !c.Acknowledged).ToList())
                {
                    Commit(child with { Acknowledged = true, AckedBy = user, AckedAt = now, AckComment = comment, Escalation = 0, Closed = !child.Active },
                        [Audit(child, "acknowledged", user, $"with incident {a.Id}")], changes);
                }
            }

            return acked;
        });
    }

    public ActionResult Shelve(string id, string user, bool supervisor, string? reason, TimeSpan? duration)
    {
        var max = _options.CurrentValue.MaxShelve;
        if (string.IsNullOrWhiteSpace(reason))
        {
            return ActionResult.Fail(400, "shelving needs a reason");
        }

        if (reason.Length > 500)
        {
            return ActionResult.Fail(400, "reason is longer than 500 characters");
        }

        if (duration is not { } d || d <= TimeSpan.Zero || d > max)
        {
            return ActionResult.Fail(400, $"shelving needs a duration between 1 min and the bound {max.TotalMinutes:0} min (Alarms:MaxShelve)");
        }

        return Act(id, a =>
        {
            if (a.ShelvingNeedsSupervisor && !supervisor)
            {
                return ActionResult.Fail(403, "only a supervisor may shelve a high-priority alarm");
            }

            return a.ShelvedUntil is not null ? ActionResult.Fail(409, $"alarm {id} is already shelved until {a.ShelvedUntil:o}") : null;
        }, (a, now, changes) =>
        {
            var shelved = a with { ShelvedUntil = now + d, ShelvedBy = user, ShelveReason = reason, Escalation = 0 };
            Commit(shelved, [Audit(a, "shelved", user, $"for {d.TotalMinutes:0} min: {reason}")], changes);
            return shelved;
        });
    }

    public ActionResult Unshelve(string id, string user, bool supervisor) => Act(id, a =>
        a.ShelvedUntil is null ? ActionResult.Fail(409, $"alarm {id} is not shelved")
        : a.ShelvingNeedsSupervisor && !supervisor ? ActionResult.Fail(403, "only a supervisor may unshelve a high-priority alarm")
        : null,
        (a, now, changes) =>
        {
            var back = a with { ShelvedUntil = null, ShelvedBy = null, ShelveReason = null, AnnouncedAt = now, Escalation = 0 };
            Commit(back, [Audit(a, "unshelved", user, null)], changes);
            return back;
        });

    public ActionResult Comment(string id, string user, string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 1000)
        {
            return ActionResult.Fail(400, "a comment needs 1–1000 characters of text");
        }

        return Act(id, _ => null, (a, _, changes) =>
        {
            Commit(a, [Audit(a, "commented", user, text)], changes);
            return a;
        });
    }

    public ActionResult Assign(string id, string user, string? to, Func<string, bool> knownUser)
    {
        if (string.IsNullOrWhiteSpace(to) || !knownUser(to))
        {
            return ActionResult.Fail(400, $"'{to}' is not a user of this hub");
        }

        return Act(id, _ => null, (a, _, changes) =>
        {
            var assigned = a with { AssignedTo = to };
            Commit(assigned, [Audit(a, "assigned", user, $"to {to}")], changes);
            return assigned;
        });
    }

    /// <summary>Audit for things that are not alarm state (Architect commands), through the same store.</summary>
    public void AppendAudit(AuditEntry entry) => _writer.SaveNow(null, [entry]);

    /// <summary>Stores every queued change (before the messages that caused them are acknowledged to the broker).</summary>
    public void Flush() => _writer.Flush();

    public ValueTask BeforeAcknowledgeAsync(CancellationToken ct)
    {
        _writer.Flush();
        return ValueTask.CompletedTask;
    }

    public void Dispose() => _writer.Dispose();

    public IReadOnlyList<AuditEntry> QueryAudit(AuditFilter filter)
    {
        _writer.Flush();
        return _store.QueryAudit(filter);
    }

    /// <summary>Alarms matching a filter: open ones from memory, closed ones (state <c>cleared</c> or none given) from the store.</summary>
    public IReadOnlyList<Alarm> Query(AlarmFilter f)
    {
        bool Matches(Alarm a) => (f.Facility is null || a.Facility == f.Facility) && (f.Bed is null || a.Bed == f.Bed)
            && (f.Type is null || a.Type == f.Type) && (f.Priority is null || a.Priority == f.Priority) && (f.State is null || a.State == f.State)
            && (f.RaisedEventFrom is null || a.RaisedEventTime >= f.RaisedEventFrom) && (f.RaisedEventTo is null || a.RaisedEventTime < f.RaisedEventTo);
        var result = Open().Where(Matches).ToList();
        if (f.State is null or AlarmStates.Cleared)
        {
            var ids = result.Select(a => a.Id).ToHashSet();
            _writer.Flush();
            result.AddRange(_store.QueryAlarms(f with { State = AlarmStates.Cleared, Limit = f.Limit }).Where(a => a.Closed && !ids.Contains(a.Id) && Matches(a)));
        }

        return [.. result.OrderByDescending(a => a.RaisedAt).Take(f.Limit)];
    }

    // ---- internals ------------------------------------------------------------------------------------------------

    private ActionResult Act(string id, Func<Alarm, ActionResult?> check, Func<Alarm, DateTimeOffset, List<Alarm>, Alarm> apply)
    {
        var changes = new List<Alarm>();
        ActionResult result;
        lock (_sync)
        {
            var a = _open.Values.FirstOrDefault(x => x.Id == id);
            if (a is null)
            {
                _writer.Flush();
                return _store.FindAlarm(id) is { } closed
                    ? ActionResult.Fail(409, $"alarm {id} has returned to normal ({closed.State}); there is nothing to act on")
                    : ActionResult.Fail(404, $"no alarm '{id}'");
            }

            if (check(a) is { } refused)
            {
                return refused;
            }

            try
            {
                _inOperatorAction = true;
                result = ActionResult.Ok(apply(a, _time.GetUtcNow(), changes));
            }
            catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException or InvalidOperationException)
            {
                // Commit stores before it changes memory, so a failed write leaves everything as it was.
                Log.AlarmActionFailed(_logger, id, ex);
                return ActionResult.Fail(503, $"the alarm store could not record the action: {ex.Message}");
            }
            finally
            {
                _inOperatorAction = false;
            }
        }

        return result;
    }

    /// <param name="trigger">Sequence number of the bed's data message being processed (it is what raises the alarm), or null for the hub's clock.</param>
    private Alarm? TryRaise((string Facility, string Bed, string Type) key, Condition c, DateTimeOffset now, AlarmOptions o, List<Alarm> changes, long? trigger)
    {
        if (c.PendingSince is not { } since || c.Input is not { } input || now - since < o.For(key.Type).OnDelay)
        {
            return null;
        }

        SetTimer(key, c, null, null);
        var settings = o.For(key.Type);
        var hubNow = _time.GetUtcNow();
        var audit = new List<AuditEntry>();
        _open.TryGetValue(key, out var open);
        Alarm raised;
        if (open is not null)
        {
            raised = open with
            {
                Active = true, Acknowledged = false, Closed = false, AnnouncedAt = hubNow, LastEventTime = input.EventTime, ClearedAt = null,
                Occurrences = open.Occurrences + 1, Escalation = 0, Summary = input.Summary, Evidence = input.Evidence, Beds = input.Beds ?? open.Beds,
                TriggerSeq = trigger,
            };
            audit.Add(Audit(raised, "re-raised", SystemActor, input.Summary, input.EventTime));
        }
        else
        {
            var eventTime = AlarmTypes.ClockOf(key.Type) == AlarmClockKind.Event ? input.EventTime : (EventClock(key.Facility, null) ?? input.EventTime);
            var parent = settings.GroupUnderIncident && input.Bed is not null
                ? _open.Values.FirstOrDefault(p => p.Type == AlarmTypes.FacilityIncident && p.Facility == key.Facility && p.Active && (p.Beds?.Contains(input.Bed) ?? false))
                : null;
            var suppressor = AlarmTypes.SuppressedBy(key.Type);
            var suppressed = suppressor is not null && input.Bed is not null
                && _open.TryGetValue((key.Facility, input.Bed, suppressor), out var explaining) && explaining.Active;
            raised = new Alarm(
                Id: NewId(), Facility: key.Facility, Bed: input.Bed, Type: key.Type, Priority: settings.Priority,
                Class: AlarmTypes.IsTechnical(key.Type) ? "technical" : "clinical", Latching: settings.Latching,
                Active: true, Acknowledged: false, Closed: false, RaisedAt: hubNow, RaisedEventTime: eventTime, AnnouncedAt: hubNow,
                LastEventTime: input.EventTime, ClearedAt: null, AckedBy: null, AckedAt: null, AckComment: null,
                ShelvedUntil: null, ShelvedBy: null, ShelveReason: null, Suppressed: suppressed, ParentId: parent?.Id, AssignedTo: null,
                Occurrences: 1, Chattering: false, Escalation: 0, Summary: input.Summary, Evidence: input.Evidence, Beds: input.Beds)
            {
                TriggerSeq = trigger,
            };
            audit.Add(Audit(raised, "raised", SystemActor, input.Summary, eventTime));
            if (parent is not null)
            {
                audit.Add(Audit(raised, "grouped", SystemActor, $"under incident {parent.Id}", eventTime));
            }

            if (suppressed)
            {
                audit.Add(Audit(raised, "suppressed", SystemActor, $"by design: explained by {suppressor}", eventTime));
            }
        }

        // Chattering: raised ChatterCount times within ChatterWindow of its own clock.
        if (!_raises.TryGetValue(key, out var raises))
        {
            raises = _raises[key] = new Queue<DateTimeOffset>();
        }

        raises.Enqueue(now);
        while (raises.Count > 0 && raises.Peek() < now - o.ChatterWindow)
        {
            raises.Dequeue();
        }

        if (raises.Count >= o.ChatterCount && !raised.Chattering)
        {
            raised = raised with { Chattering = true };
            audit.Add(Audit(raised, "chattering", SystemActor, $"raised {raises.Count} times within {o.ChatterWindow:c}", input.EventTime));
            _chattering.Add(1, new KeyValuePair<string, object?>("type", key.Type));
            Log.AlarmChattering(_logger, raised.Id, key.Type, raised.Bed ?? key.Facility);
        }

        Commit(raised, audit, changes);
        _raised.Add(1, new KeyValuePair<string, object?>("type", key.Type), new KeyValuePair<string, object?>("priority", raised.Priority));
        Log.AlarmRaised(_logger, raised.Id, key.Type, raised.Priority, raised.Bed ?? key.Facility);
        if (key.Type == AlarmTypes.FacilityIncident)
        {
            GroupUnder(raised, input.IncidentStart ?? input.EventTime, o, changes);
        }

        SetSuppression(key.Facility, key.Bed, key.Type, true, changes);
        return key.Type == AlarmTypes.ArchitectDeprivation && raised.Priority == AlarmPriorities.High && raised.Bed is not null ? raised : null;
    }

    private void TryClear((string Facility, string Bed, string Type) key, Condition c, DateTimeOffset now, AlarmOptions o, List<Alarm> changes)
    {
        if (c.ClearSince is not { } since || now - since < o.For(key.Type).OffDelay || !_open.TryGetValue(key, out var open) || !open.Active)
        {
            return;
        }

        SetTimer(key, c, null, null);
        var closes = !open.Latching || open.Acknowledged;
        var cleared = open with { Active = false, Closed = closes, ClearedAt = _time.GetUtcNow(), Escalation = 0 };
        Commit(cleared, [Audit(cleared, closes ? "cleared" : "returned-unacknowledged", SystemActor, null, c.EventTime)], changes);
        if (closes)
        {
            _conditions.Remove(key);
        }

        SetSuppression(key.Facility, key.Bed, key.Type, false, changes);
    }

    /// <summary>Groups the open per-bed alarms an incident explains under it (raised within the group window before its start, or after).</summary>
    private void GroupUnder(Alarm incident, DateTimeOffset start, AlarmOptions o, List<Alarm> changes)
    {
        foreach (var child in _open.Values.Where(a => a.Facility == incident.Facility && a.Bed is not null && a.ParentId is null
                     && (incident.Beds?.Contains(a.Bed) ?? false) && o.For(a.Type).GroupUnderIncident
                     && a.RaisedEventTime >= start - o.IncidentGroupWindow).ToList())
        {
            Commit(child with { ParentId = incident.Id, Escalation = 0 }, [Audit(child, "grouped", SystemActor, $"under incident {incident.Id}")], changes);
        }
    }

    /// <summary>Suppression by design: while an explaining alarm (<see cref="AlarmTypes.SuppressedBy"/>) is active on a bed, the
    /// alarms it explains are suppressed; when it clears they are annunciated again if still active.</summary>
    private void SetSuppression(string facility, string bed, string explainingType, bool suppressed, List<Alarm> changes)
    {
        if (bed.Length == 0)
        {
            return;
        }

        var now = _time.GetUtcNow();
        foreach (var a in _open.Values.Where(a => a.Facility == facility && a.Bed == bed && AlarmTypes.SuppressedBy(a.Type) == explainingType && a.Suppressed != suppressed).ToList())
        {
            Commit(
                suppressed ? a with { Suppressed = true, Escalation = 0 } : a with { Suppressed = false, AnnouncedAt = now },
                [Audit(a, suppressed ? "suppressed" : "unsuppressed", SystemActor, suppressed ? $"by design: explained by {explainingType}" : $"{explainingType} cleared")],
                changes);
        }
    }

    /// <summary>Runs the event-time delays of one bed (and of its facility's alarms) at its new event time.</summary>
    private void Advance(string facility, string bed, DateTimeOffset bedTime, DateTimeOffset facilityTime, long seq)
    {
        var o = _options.CurrentValue;
        var changes = new List<Alarm>();
        Alarm? deprivation = null;
        lock (_sync)
        {
            // Only this bed's and its facility's running delays: a scan of every condition here cost O(beds) per message.
            foreach (var key in Timed(facility, bed).Concat(Timed(facility, "")).ToList())
            {
                if (AlarmTypes.ClockOf(key.Type) != AlarmClockKind.Event || !_conditions.TryGetValue(key, out var c))
                {
                    continue;
                }

                var now = key.Bed.Length == 0 ? facilityTime : bedTime;
                deprivation ??= TryRaise(key, c, now, o, changes, key.Bed == bed ? seq : null);
                TryClear(key, c, now, o, changes);
            }
        }

        AutoInterlock(deprivation);
    }

    /// <summary>
    /// Makes the new version current and has it stored with its audit. An operator action is stored before it takes effect
    /// (a failed write refuses the action); the system's own changes are queued to the <see cref="AlarmStoreWriter"/>, which
    /// writes them in order moments later and before the messages behind them are acknowledged. A store failure on those is
    /// logged and counted but the alarm still changes: alarming must not stop because the disk is full.
    /// </summary>
    private void Commit(Alarm alarm, IReadOnlyList<AuditEntry> audit, List<Alarm> changes)
    {
        if (_inOperatorAction)
        {
            _writer.SaveNow(alarm, audit);
        }
        else
        {
            _writer.Enqueue(alarm, audit);
        }

        var key = Key(alarm);
        if (alarm.Closed)
        {
            _open.Remove(key);
        }
        else
        {
            _open[key] = alarm;
        }

        changes.Add(alarm);

        // Notified under the lock so every listener sees one alarm's versions in order; listeners only queue (never block).
        try
        {
            Changed?.Invoke(alarm);
        }
        catch (Exception ex)
        {
            // By design: a failing notifier must not undo or block the alarm change.
            Log.AlarmNotifyFailed(_logger, alarm.Id, ex);
        }
    }

    /// <summary>Runs the automatic interlock rule outside the lock (it stores and publishes a command).</summary>
    private void AutoInterlock(Alarm? deprivation)
    {
        if (deprivation is not null)
        {
            try
            {
                DeprivationRaised?.Invoke(deprivation);
            }
            catch (Exception ex)
            {
                // By design: the automatic interlock failing is logged; the alarm stands and a supervisor can pause by hand.
                Log.AlarmNotifyFailed(_logger, deprivation.Id, ex);
            }
        }
    }

    /// <summary>Starts or stops a condition's on/off-delay, keeping the per-bed index of running delays (under the lock).</summary>
    private void SetTimer((string Facility, string Bed, string Type) key, Condition c, DateTimeOffset? pending, DateTimeOffset? clear)
    {
        var before = c.PendingSince is not null || c.ClearSince is not null;
        c.PendingSince = pending;
        c.ClearSince = clear;
        var after = pending is not null || clear is not null;
        if (before == after)
        {
            return;
        }

        Interlocked.Add(ref _timed, after ? 1 : -1);
        if (after)
        {
            if (!_timedByBed.TryGetValue((key.Facility, key.Bed), out var set))
            {
                set = _timedByBed[(key.Facility, key.Bed)] = [];
            }

            set.Add(key.Type);
        }
        else if (_timedByBed.TryGetValue((key.Facility, key.Bed), out var set))
        {
            set.Remove(key.Type);
            if (set.Count == 0)
            {
                _timedByBed.Remove((key.Facility, key.Bed));
            }
        }
    }

    private AuditEntry Audit(Alarm a, string action, string actor, string? detail, DateTimeOffset? eventTime = null) =>
        new(0, _time.GetUtcNow(), eventTime, a.Facility, a.Bed, a.Id, action, actor, detail);

    private IEnumerable<(string Facility, string Bed, string Type)> Timed(string facility, string bed) =>
        _timedByBed.TryGetValue((facility, bed), out var types) ? types.Select(t => (facility, bed, t)) : [];

    private static (string, string, string) Key(Alarm a) => (a.Facility, a.Bed ?? "", a.Type);

    private static DateTimeOffset Later(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;

    private static string NewId() => Guid.CreateVersion7().ToString("N")[..20];

    internal static JsonElement? Evidence(object? evidence) => evidence switch
    {
        null => null,
        ArchitectDeprivationEvidence e => JsonSerializer.SerializeToElement(e, HubJsonContext.Default.ArchitectDeprivationEvidence),
        AcuteSleepLossEvidence e => JsonSerializer.SerializeToElement(e, HubJsonContext.Default.AcuteSleepLossEvidence),
        ArousalEpisode e => JsonSerializer.SerializeToElement(e, HubJsonContext.Default.ArousalEpisode),
        FacilityIncident e => JsonSerializer.SerializeToElement(e, HubJsonContext.Default.FacilityIncident),
        JsonElement e => e,
        _ => null,
    };

    private sealed class Condition
    {
        public DateTimeOffset? PendingSince { get; set; }

        public DateTimeOffset? ClearSince { get; set; }

        public DateTimeOffset EventTime { get; set; }

        public ConditionInput? Input { get; set; }
    }
}

public sealed record DataGapEvidence(string Detail);

public sealed record ClockSkewEvidence(double SkewSeconds, double LimitSeconds);

/// <summary>Evidence of the liveness and sensor alarms.</summary>
public sealed record BedConditionEvidence(DateTimeOffset? LastSeen, DateTimeOffset? LastEventTime, IReadOnlyList<SensorHealth>? FaultySensors);
