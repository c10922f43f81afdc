using System.Data.Common;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Options;
using Somnis.Contracts;
using Somnis.Hub.Detection;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Alarms;

/// <summary>
/// The alarm system (docs/alarms.md) as the rest of the hub sees it: takes conditions (detection assessments, bed
/// liveness and sensor health from the <see cref="AlarmClock"/>, delivery reports) and hands them to the
/// <see cref="AlarmStateMachine"/>; carries out the decisions of the operator <see cref="AlarmActions"/>; answers queries
/// (open alarms from memory, history from the store). One lock keeps the open alarms, the rules' state and operator
/// actions consistent; every change is stored through <see cref="OpenAlarms"/> and raised through <see cref="Changed"/>.
/// </summary>
/// <remarks>
/// It is an <see cref="IVitalsRecorder"/> because event time is device time: every accepted vitals message advances its
/// bed's and facility's <see cref="EventClocks"/>, which run the event-time on/off-delays (docs/alarms.md, "Which
/// clock"). That takes no lock unless a delay is running.
/// </remarks>
internal sealed class AlarmEngine : IVitalsRecorder
{
    private readonly IAlarmStore _store;
    private readonly AlarmStoreWriter _writer;
    private readonly IOptionsMonitor<AlarmOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AlarmEngine> _logger;
    private readonly Lock _sync = new();
    private readonly OpenAlarms _alarms;
    private readonly EventClocks _clocks = new();
    private readonly AlarmStateMachine _rules;

    public AlarmEngine(IAlarmStore store, AlarmStoreWriter writer, IOptionsMonitor<AlarmOptions> options, TimeProvider time, IMeterFactory meters, ILogger<AlarmEngine> logger,
        Sleepers.SleeperLedger? sleepers = null)
    {
        _store = store;
        _writer = writer;
        _options = options;
        _time = time;
        _logger = logger;
        _alarms = new OpenAlarms(writer, logger);
        _rules = new AlarmStateMachine(_alarms, _clocks, time, meters, logger) { SleeperOf = sleepers is null ? null : sleepers.At };
        meters.Create(HubMetrics.MeterName).CreateObservableGauge("somnis.alarms.open", () => OpenCount, "{alarm}", "Alarms not returned to normal");
    }

    /// <summary>Raised after every state change, under the engine's lock on the thread that caused it, so listeners see one
    /// alarm's versions in order (they only queue, never block).</summary>
    public event Action<Alarm>? Changed
    {
        add => _alarms.Changed += value;
        remove => _alarms.Changed -= value;
    }

    /// <summary>Raised, outside the lock, when a high-priority <c>architect-deprivation</c> is raised (the automatic interlock rule).</summary>
    public event Action<Alarm>? DeprivationRaised;

    public long LateIgnored => _rules.LateIgnored;

    private int OpenCount
    {
        get
        {
            lock (_sync)
            {
                return _alarms.Count;
            }
        }
    }

    /// <summary>Loads the open alarms from the store (at start-up, before any input).</summary>
    public void Load()
    {
        var open = _store.LoadOpen();
        lock (_sync)
        {
            _rules.Load(open);
        }
    }

    /// <summary>A standby (docs/high-availability.md, "Roles"): from now on changes stay in memory, nothing is stored or
    /// notified, operator actions are refused.</summary>
    public void Shadow()
    {
        lock (_sync)
        {
            _alarms.Mode = AlarmMode.Shadow;
        }
    }

    /// <summary>
    /// This node takes over as the active of several (under the new lease term, which already fences its writes): the open
    /// alarms are loaded from the store in place of what it kept in memory (<see cref="AlarmStateMachine.TakeOver"/>), the
    /// conditions that hold without an open alarm are raised, and from now on changes are stored, then notified.
    /// </summary>
    /// <returns>How many alarms were loaded and how many raised.</returns>
    public (int Loaded, int Raised) TakeOver(string node)
    {
        var stored = _store.LoadOpen();
        lock (_sync)
        {
            var raises = _rules.TakeOver(stored, node);
            _alarms.Mode = AlarmMode.ActingAfterStore;
            if (raises.Count > 0)
            {
                _alarms.Commit(raises, CommitMode.System);
            }

            return (stored.Count, raises.Count);
        }
    }

    // ---- queries ------------------------------------------------------------------------------------------------

    /// <summary>
    /// A standby's reads show the facility's alarms as the active stored them (docs/high-availability.md, "Roles"): what it
    /// evaluates itself carries ids nobody stored and none of the operators' acknowledgements, comments or shelving, so an
    /// operator who opens a standby directly would see alarms that do not exist and acknowledged ones as unacknowledged.
    /// </summary>
    private bool Shadowing
    {
        get
        {
            lock (_sync)
            {
                return _alarms.Mode == AlarmMode.Shadow;
            }
        }
    }

    /// <summary>The open alarms, newest first (a standby: the stored ones; while it cannot read the store, what it evaluated
    /// itself, the conditions that hold, rather than nothing).</summary>
    public IReadOnlyList<Alarm> Open()
    {
        if (Shadowing)
        {
            try
            {
                return StoredOpen();
            }
            catch (Exception ex) when (ex is DbException or IOException)
            {
                // By design: the live feed's snapshot must not fail with the store; its own view is the next best.
            }
        }

        return Evaluated();
    }

    public Alarm? Find(string id)
    {
        if (!Shadowing)
        {
            lock (_sync)
            {
                if (_alarms.WithId(id) is { } open)
                {
                    return open;
                }
            }
        }

        _writer.Flush();
        return _store.FindAlarm(id);
    }

    /// <summary>Alarms matching a filter: open ones from memory, closed ones (state <c>cleared</c> or none given) from the store.</summary>
    public IReadOnlyList<Alarm> Query(AlarmFilter f)
    {
        bool Matches(Alarm a) => (f.Facility is null || a.Facility == f.Facility) && (f.Bed is null || a.Bed == f.Bed)
            && (f.Type is null || a.Type == f.Type) && (f.Priority is null || a.Priority == f.Priority) && (f.State is null || a.State == f.State)
            && (f.RaisedEventFrom is null || a.RaisedEventTime >= f.RaisedEventFrom) && (f.RaisedEventTo is null || a.RaisedEventTime < f.RaisedEventTo);
        // A standby's open alarms from the store; without it the answer would be a mix of its own and stored ids.
        var result = (Shadowing ? StoredOpen() : Evaluated()).Where(Matches).ToList();
        if (f.State is null or AlarmStates.Cleared)
        {
            var ids = result.Select(a => a.Id).ToHashSet();
            _writer.Flush();
            result.AddRange(_store.QueryAlarms(f with { State = AlarmStates.Cleared, Limit = f.Limit }).Where(a => a.Closed && !ids.Contains(a.Id) && Matches(a)));
        }

        return [.. result.OrderByDescending(a => a.RaisedAt).Take(f.Limit)];
    }

    private List<Alarm> StoredOpen() => [.. _store.LoadOpen().OrderByDescending(a => a.RaisedAt)];

    private List<Alarm> Evaluated()
    {
        lock (_sync)
        {
            return [.. _alarms.All.OrderByDescending(a => a.RaisedAt)];
        }
    }

    public IReadOnlyList<AuditEntry> QueryAudit(AuditFilter filter)
    {
        _writer.Flush();
        return _store.QueryAudit(filter);
    }

    /// <summary>Newest event time seen from a bed (or, with <paramref name="bed"/> null, from any bed of the facility).</summary>
    public DateTimeOffset? EventClock(string facility, string? bed) => _clocks.Of(facility, bed);

    /// <summary>Audit for things that are not alarm state (Architect commands), through the same ordered store writes.</summary>
    public void AppendAudit(AuditEntry entry) => _writer.SaveNow(null, [entry]);

    /// <summary>Stores every queued change.</summary>
    public void Flush() => _writer.Flush();

    // ---- inputs -------------------------------------------------------------------------------------------------

    /// <summary>Detection's assessment changes (raised on the ingestion thread).</summary>
    public void OnAssessment(AssessmentUpdate u)
    {
        var clock = EventClock(u.Facility, u.Bed) ?? u.EventTime;
        var now = u.EventTime > clock ? u.EventTime : clock;
        DateTimeOffset? incidentStart = u.Evidence is FacilityIncident fi ? fi.Start : null;
        Observe(new ConditionInput(u.Type, u.Facility, u.Bed, u.Active, now, u.EventTime, u.Summary, AlarmEvidence.Of(u.Evidence), u.Beds, incidentStart, u.Seq));
    }

    /// <summary>Every accepted vitals message advances its bed's event clock, which runs the event-time delays.</summary>
    public void Record(string facility, VitalsMessage vitals)
    {
        var clocks = _clocks.Advance(facility, vitals.Bed, vitals.Ts);
        if (!_rules.AnyDelayRunning)
        {
            return;
        }

        Alarm? deprivation;
        lock (_sync)
        {
            deprivation = _rules.RunDelays(facility, vitals.Bed, clocks, vitals.Seq, _options.CurrentValue);
        }

        AutoInterlock(deprivation);
    }

    /// <summary>A data gap on a bed (from delivery accounting): active while data is missing, cleared when it is complete again.</summary>
    public void ReportDataGap(string facility, string bed, bool active, DateTimeOffset eventTime, string summary) =>
        // Evidence only while the condition holds: this runs for every bed on every alarm-clock tick.
        Observe(new ConditionInput(AlarmTypes.DataGap, facility, bed, active, Later(EventClock(facility, bed), eventTime), eventTime, summary,
            active ? AlarmEvidence.DataGap(summary) : null));

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
            holds = _alarms.Get(new AlarmKey(facility, bed, AlarmTypes.ClockSkew)) is { Active: true }
                ? abs > limit - o.For(AlarmTypes.ClockSkew).Deadband
                : abs > limit;
        }

        Observe(new ConditionInput(AlarmTypes.ClockSkew, facility, bed, holds, Later(EventClock(facility, bed), eventTime), eventTime,
            holds ? string.Create(CultureInfo.InvariantCulture, $"Device clock {skew.TotalSeconds:+0.0;-0.0} s from the hub's (limit {limit:0.#} s)") : "clock in step",
            holds ? AlarmEvidence.ClockSkew(skew, limit) : null));
    }

    /// <summary>Applies one observation of a condition (<see cref="AlarmStateMachine.Observe"/>); a type turned off is ignored.</summary>
    public void Observe(ConditionInput input)
    {
        var o = _options.CurrentValue;
        if (!o.For(input.Type).Enabled)
        {
            return;
        }

        Alarm? deprivation;
        lock (_sync)
        {
            deprivation = _rules.Observe(input, o);
        }

        AutoInterlock(deprivation);
    }

    /// <summary>Hub-time work (called every <see cref="AlarmOptions.TickPeriod"/>): hub-clock delays, shelve expiry,
    /// re-alarm, re-notification, escalation.</summary>
    public void Tick()
    {
        Alarm? deprivation;
        lock (_sync)
        {
            deprivation = _rules.Tick(_time.GetUtcNow(), _options.CurrentValue);
        }

        AutoInterlock(deprivation);
    }

    /// <summary>
    /// Carries out an operator action on the open alarm <paramref name="id"/> (the rules are <see cref="AlarmActions"/>'):
    /// under the lock, <paramref name="decide"/> sees the alarm, every open alarm and the hub time, and refuses or names
    /// the new versions, which are stored (<see cref="CommitMode.Operator"/>) before they take effect.
    /// </summary>
    internal ActionOutcome Act(string id, Func<Alarm, IReadOnlyCollection<Alarm>, DateTimeOffset, ActionPlan> decide)
    {
        lock (_sync)
        {
            if (_alarms.WithId(id) is not { } alarm)
            {
                _writer.Flush();
                return _store.FindAlarm(id) is { } closed
                    ? new ActionOutcome.Conflict($"alarm {id} has returned to normal ({closed.State}); there is nothing to act on")
                    : new ActionOutcome.NotFound($"no alarm '{id}'");
            }

            var plan = decide(alarm, _alarms.All, _time.GetUtcNow());
            if (plan.Refusal is { } refused)
            {
                return refused;
            }

            try
            {
                _alarms.Commit(plan.Changes, CommitMode.Operator);
            }
            catch (Exception ex) when (ex is DbException or IOException or InvalidOperationException)
            {
                Log.AlarmActionFailed(_logger, id, ex);
                return new ActionOutcome.StoreUnavailable($"the alarm store could not record the action: {ex.Message}");
            }

            return new ActionOutcome.Done(plan.Changes[0].Alarm!);
        }
    }

    /// <summary>Runs the automatic interlock rule outside the lock (it stores and publishes a command).</summary>
    private void AutoInterlock(Alarm? deprivation)
    {
        if (deprivation is null)
        {
            return;
        }

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

    private static DateTimeOffset Later(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;
}
