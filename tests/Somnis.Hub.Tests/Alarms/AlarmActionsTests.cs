using Somnis.Hub.Alarms;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Tests.Alarms;

/// <summary>Operator actions answer in domain outcomes; a refused action changes nothing and audits nothing
/// (the HTTP mapping is AlarmsApiTests').</summary>
public sealed class AlarmActionsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = AlarmRig.T0;
    private FailingStore? _failing;
    private readonly AlarmRig _rig;

    public AlarmActionsTests() => _rig = new AlarmRig(store => _failing = new FailingStore(store));

    public void Dispose() => _rig.Dispose();

    private AlarmActions Actions => _rig.Actions;

    private Alarm Raise(string type, string bed = "bed-01", DateTimeOffset? at = null)
    {
        _rig.Vitals(bed, at ?? T0);
        _rig.Assess(type, bed, true, at ?? T0);
        return _rig.Engine.Open().Single(a => a.Type == type && a.Bed == bed);
    }

    private static Alarm Done(ActionOutcome outcome) => Assert.IsType<ActionOutcome.Done>(outcome).Alarm;

    [Fact]
    public void Acknowledge_records_who_and_when_and_refuses_a_second_time()
    {
        var a = Raise(AlarmTypes.ArchitectDeprivation);
        _rig.Time.Advance(TimeSpan.FromSeconds(42));
        var acked = Done(Actions.Acknowledge(a.Id, "tess", "looking"));
        Assert.Equal((true, "tess", _rig.Time.GetUtcNow(), "looking", AlarmStates.ActiveAcknowledged), (acked.Acknowledged, acked.AckedBy, acked.AckedAt, acked.AckComment, acked.State));
        Assert.Equal("after 42 s: looking", _rig.Engine.QueryAudit(new AuditFilter(null, null, a.Id, null, null, 10))[^1].Detail);

        var again = Assert.IsType<ActionOutcome.Conflict>(Actions.Acknowledge(a.Id, "sam", null));
        Assert.Contains("already acknowledged (by tess)", again.Reason, StringComparison.Ordinal);
        Assert.IsType<ActionOutcome.Invalid>(Actions.Acknowledge(a.Id, "sam", new string('x', 1001)));
        Assert.Equal(["raised", "acknowledged"], _rig.AuditOf(a.Id));
    }

    [Fact]
    public void Manual_unshelve_returns_the_alarm_and_only_a_shelved_one()
    {
        var id = Raise(AlarmTypes.SustainedArousal).Id;
        Assert.IsType<ActionOutcome.Conflict>(Actions.Unshelve(id, "tess", supervisor: false));
        Assert.Equal(AlarmStates.Shelved, Done(Actions.Shelve(id, "tess", false, "checking", TimeSpan.FromMinutes(30))).State);
        Assert.IsType<ActionOutcome.Conflict>(Actions.Shelve(id, "tess", false, "again", TimeSpan.FromMinutes(30)));
        Assert.Equal(AlarmStates.ActiveUnacknowledged, Done(Actions.Unshelve(id, "tess", false)).State);
    }

    [Fact]
    public void Only_a_supervisor_unshelves_a_high_priority_alarm()
    {
        var id = Raise(AlarmTypes.ArchitectDeprivation).Id;
        Done(Actions.Shelve(id, "sam", supervisor: true, "checked", TimeSpan.FromMinutes(10)));
        Assert.IsType<ActionOutcome.Forbidden>(Actions.Unshelve(id, "tess", supervisor: false));
        Done(Actions.Unshelve(id, "sam", supervisor: true));
    }

    public static TheoryData<string?, double?, bool, Type> BadShelves() => new()
    {
        { null, 30, true, typeof(ActionOutcome.Invalid) },
        { "  ", 30, true, typeof(ActionOutcome.Invalid) },
        { new string('x', 501), 30, true, typeof(ActionOutcome.Invalid) },
        { "reason", null, true, typeof(ActionOutcome.Invalid) },
        { "reason", 0, true, typeof(ActionOutcome.Invalid) },
        { "reason", (8 * 60) + 1, true, typeof(ActionOutcome.Invalid) },
        { "reason", 30, false, typeof(ActionOutcome.Forbidden) },
    };

    [Theory]
    [MemberData(nameof(BadShelves))]
    public void Bad_shelve_changes_nothing_and_audits_nothing(string? reason, double? minutes, bool supervisor, Type refusal)
    {
        var before = Raise(AlarmTypes.ArchitectDeprivation);
        var r = Actions.Shelve(before.Id, "tess", supervisor, reason, minutes is { } m ? TimeSpan.FromMinutes(m) : null);
        Assert.IsType(refusal, r);
        Assert.False(string.IsNullOrWhiteSpace(((ActionOutcome.Refused)r).Reason));
        Assert.Equal(before, _rig.Only(AlarmTypes.ArchitectDeprivation));
        Assert.Equal(["raised"], _rig.AuditOf(before.Id));
    }

    [Fact]
    public void Acting_on_unknown_or_cleared_alarms_fails_without_audit()
    {
        Assert.IsType<ActionOutcome.NotFound>(Actions.Acknowledge("nope", "tess", null));
        _rig.Start(o => o.Types[AlarmTypes.SustainedArousal].OffDelay = TimeSpan.Zero);
        var id = Raise(AlarmTypes.SustainedArousal).Id;
        _rig.Assess(AlarmTypes.SustainedArousal, "bed-01", false, T0.AddMinutes(1));
        var audit = _rig.AuditOf(id).Count();
        Assert.Contains("returned to normal", Assert.IsType<ActionOutcome.Conflict>(Actions.Acknowledge(id, "tess", null)).Reason, StringComparison.Ordinal);
        Assert.IsType<ActionOutcome.Conflict>(Actions.Comment(id, "tess", "late"));
        Assert.Equal(audit, _rig.AuditOf(id).Count());
    }

    [Fact]
    public void Comment_and_assign_are_audited()
    {
        var id = Raise(AlarmTypes.SustainedArousal).Id;
        Done(Actions.Comment(id, "tess", "called the room"));
        Assert.IsType<ActionOutcome.Invalid>(Actions.Comment(id, "tess", ""));
        Assert.Equal("sam", Done(Actions.Assign(id, "tess", "sam", u => u == "sam")).AssignedTo);
        Assert.IsType<ActionOutcome.Invalid>(Actions.Assign(id, "tess", "mallory", u => u == "sam"));
        Assert.Equal(["raised", "commented", "assigned"], _rig.AuditOf(id));
    }

    [Fact]
    public void Acknowledging_an_incident_acknowledges_what_is_grouped_under_it()
    {
        var arousals = new[] { "bed-01", "bed-02" }.Select(b => Raise(AlarmTypes.SustainedArousal, b)).ToList();
        _rig.Assess(AlarmTypes.FacilityIncident, null, true, T0.AddMinutes(1), ["bed-01", "bed-02"]);
        var incident = _rig.Only(AlarmTypes.FacilityIncident);
        Done(Actions.Acknowledge(incident.Id, "tess", "exchange restarted"));
        Assert.All(arousals, a => Assert.Equal("tess", _rig.Engine.Find(a.Id)!.AckedBy));
        Assert.Equal(["raised", "grouped", "acknowledged"], _rig.AuditOf(arousals[0].Id));
    }

    [Fact]
    public void An_action_the_store_cannot_record_is_refused_and_changes_nothing()
    {
        var arousal = Raise(AlarmTypes.SustainedArousal);
        _rig.Assess(AlarmTypes.FacilityIncident, null, true, T0.AddMinutes(1), ["bed-01"]);
        var incident = _rig.Only(AlarmTypes.FacilityIncident);
        _rig.Engine.Flush();
        var notified = _rig.Changes.Count;

        _failing!.Fail = true;
        Assert.IsType<ActionOutcome.StoreUnavailable>(Actions.Acknowledge(incident.Id, "tess", null));
        _failing.Fail = false;

        // Neither the incident nor the alarm grouped under it changed, in memory or in the store, and nothing was notified.
        Assert.Equal(notified, _rig.Changes.Count);
        Assert.False(_rig.Only(AlarmTypes.FacilityIncident).Acknowledged);
        Assert.False(_rig.Engine.Find(arousal.Id)!.Acknowledged);
        Assert.DoesNotContain("acknowledged", _rig.AuditOf(incident.Id));
        Assert.DoesNotContain("acknowledged", _rig.AuditOf(arousal.Id));
    }

    /// <summary>The real store, failing its writes on demand (a full disk).</summary>
    private sealed class FailingStore(SomnisStore inner) : IAlarmStore
    {
        public bool Fail { get; set; }

        public void Save(Alarm? alarm, IReadOnlyList<AuditEntry> audit)
        {
            ThrowIfFailing();
            inner.Save(alarm, audit);
        }

        public void SaveMany(IReadOnlyList<AlarmChange> changes)
        {
            ThrowIfFailing();
            inner.SaveMany(changes);
        }

        public IReadOnlyList<Alarm> LoadOpen() => inner.LoadOpen();

        public IReadOnlyList<Alarm> QueryAlarms(AlarmFilter filter) => inner.QueryAlarms(filter);

        public Alarm? FindAlarm(string id) => inner.FindAlarm(id);

        public IReadOnlyList<AuditEntry> QueryAudit(AuditFilter filter) => inner.QueryAudit(filter);

        public void SaveInterlock(InterlockRequest request) => inner.SaveInterlock(request);

        public IReadOnlyList<InterlockRequest> LoadInterlocks() => inner.LoadInterlocks();

        private void ThrowIfFailing()
        {
            if (Fail)
            {
                throw new IOException("No space left on device");
            }
        }
    }
}
