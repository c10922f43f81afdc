using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Contracts;
using Somnis.Hub.Alarms;
using Somnis.Hub.Detection;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Tests.Alarms;

/// <summary>The engine with the real embedded store (temp directory) and fake hub clock; event time is driven by vitals.</summary>
public sealed class AlarmEngineTests : IDisposable
{
    internal static readonly DateTimeOffset T0 = new(2026, 3, 1, 23, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("somnis-alarms-").FullName;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(T0);
    private readonly SomnisStore _store;
    private readonly List<Alarm> _changes = [];
    private AlarmOptions _options = new();
    private AlarmEngine _engine;

    public AlarmEngineTests()
    {
        _store = new SomnisStore(Options.Create(new HubOptions { DataDirectory = _dir }));
        _store.Migrate();
        _engine = NewEngine();
    }

    public void Dispose()
    {
        // The engine writes its changes behind ingestion: stop its writer before the store's directory goes.
        _engine.Dispose();
        _services.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private AlarmEngine NewEngine(Action<AlarmOptions>? configure = null)
    {
        _options = new AlarmOptions();
        new AlarmOptionsSetup(new ConfigurationBuilder().Build()).Configure(_options);
        configure?.Invoke(_options);
        _engine?.Dispose();
        var engine = new AlarmEngine(_store, new StaticMonitor(_options), _time, _services.GetRequiredService<IMeterFactory>(), new TestLogger<AlarmEngine>());
        engine.Changed += _changes.Add;
        engine.Load();
        return engine;
    }

    private void Vitals(string bed, DateTimeOffset ts) =>
        _engine.Record("nexus", new VitalsMessage { Bed = bed, Seq = 1, Ts = ts, IntervalSeconds = 10, SignalQuality = 1 });

    private void Assess(string type, string? bed, bool active, DateTimeOffset at, IReadOnlyList<string>? beds = null, object? evidence = null) =>
        _engine.OnAssessment(new AssessmentUpdate(type, "nexus", bed, active, at, active ? $"{type} holds" : "cleared", evidence, beds));

    private Alarm Only(string type) => Assert.Single(_engine.Open(), a => a.Type == type);

    [Fact]
    public void Raise_ack_clear_walks_the_latching_states()
    {
        Vitals("bed-02", T0);
        Assess(AlarmTypes.ArchitectDeprivation, "bed-02", true, T0);
        var a = Only(AlarmTypes.ArchitectDeprivation);
        Assert.Equal((AlarmStates.ActiveUnacknowledged, "high", "clinical", true), (a.State, a.Priority, a.Class, a.Latching));

        Assert.Equal(200, _engine.Acknowledge(a.Id, "tess", "looking").Status);
        Assert.Equal(AlarmStates.ActiveAcknowledged, Only(AlarmTypes.ArchitectDeprivation).State);

        // Off-delay 10 min of event time: cleared only once the condition stayed clear that long.
        Assess(AlarmTypes.ArchitectDeprivation, "bed-02", false, T0.AddMinutes(1));
        Vitals("bed-02", T0.AddMinutes(10));
        Assert.True(Only(AlarmTypes.ArchitectDeprivation).Active);
        Vitals("bed-02", T0.AddMinutes(11));
        Assert.Empty(_engine.Open());
        Assert.Equal(AlarmStates.Cleared, _engine.Find(a.Id)!.State);
        Assert.Equal(["raised", "acknowledged", "cleared"], _engine.QueryAudit(new AuditFilter(null, null, a.Id, null, null, 100)).Select(e => e.Action));
    }

    [Fact]
    public void Latching_alarm_cleared_unacknowledged_waits_for_ack_then_returns_to_normal()
    {
        Assess(AlarmTypes.FacilityIncident, null, true, T0, ["bed-01", "bed-02", "bed-03"]);
        var a = Only(AlarmTypes.FacilityIncident);
        Assess(AlarmTypes.FacilityIncident, null, false, T0.AddMinutes(20));
        Assert.Equal(AlarmStates.ClearedUnacknowledged, Only(AlarmTypes.FacilityIncident).State);
        Assert.Equal(200, _engine.Acknowledge(a.Id, "tess", null).Status);
        Assert.Empty(_engine.Open());
        Assert.Equal(AlarmStates.Cleared, _engine.Find(a.Id)!.State);
    }

    [Fact]
    public void Return_while_cleared_unacknowledged_reactivates_the_same_alarm()
    {
        Assess(AlarmTypes.FacilityIncident, null, true, T0, ["bed-01"]);
        var id = Only(AlarmTypes.FacilityIncident).Id;
        Assess(AlarmTypes.FacilityIncident, null, false, T0.AddMinutes(1));
        Assess(AlarmTypes.FacilityIncident, null, true, T0.AddMinutes(2), ["bed-01"]);
        var a = Only(AlarmTypes.FacilityIncident);
        Assert.Equal((id, AlarmStates.ActiveUnacknowledged, 2), (a.Id, a.State, a.Occurrences));
    }

    [Fact]
    public void Non_latching_alarm_returns_to_normal_unacknowledged()
    {
        _engine = NewEngine(o => o.Types[AlarmTypes.SustainedArousal].OffDelay = TimeSpan.Zero);
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        var id = Only(AlarmTypes.SustainedArousal).Id;
        Assess(AlarmTypes.SustainedArousal, "bed-01", false, T0.AddMinutes(1));
        Assert.Empty(_engine.Open());
        Assert.False(_engine.Find(id)!.Acknowledged);
    }

    [Fact]
    public void On_delay_on_event_time_raises_only_after_the_condition_held_long_enough()
    {
        _engine = NewEngine(o => o.Types[AlarmTypes.SustainedArousal].OnDelay = TimeSpan.FromMinutes(5));
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        Vitals("bed-01", T0.AddMinutes(4));
        Assert.Empty(_engine.Open());
        // Hub time does not matter for an event-time delay.
        _time.Advance(TimeSpan.FromHours(1));
        _engine.Tick();
        Assert.Empty(_engine.Open());
        Vitals("bed-01", T0.AddMinutes(5));
        Assert.Equal(AlarmStates.ActiveUnacknowledged, Only(AlarmTypes.SustainedArousal).State);
    }

    [Fact]
    public void Condition_that_clears_within_the_on_delay_never_alarms()
    {
        _engine = NewEngine(o => o.Types[AlarmTypes.SustainedArousal].OnDelay = TimeSpan.FromMinutes(5));
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", false, T0.AddMinutes(2));
        Vitals("bed-01", T0.AddMinutes(30));
        Assert.Empty(_engine.Open());
    }

    [Fact]
    public void Return_within_the_off_delay_keeps_one_alarm()
    {
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        var id = Only(AlarmTypes.SustainedArousal).Id;
        Assess(AlarmTypes.SustainedArousal, "bed-01", false, T0.AddMinutes(1));
        Vitals("bed-01", T0.AddMinutes(3));
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0.AddMinutes(3));
        Vitals("bed-01", T0.AddMinutes(20));
        var a = Only(AlarmTypes.SustainedArousal);
        Assert.Equal((id, true, 1), (a.Id, a.Active, a.Occurrences));
    }

    [Fact]
    public void Hub_clock_types_use_hub_time_delays()
    {
        var input = new ConditionInput(AlarmTypes.EdgeOffline, "nexus", "bed-04", true, _time.GetUtcNow(), T0, "offline", null);
        _engine.Observe(input);
        _time.Advance(TimeSpan.FromSeconds(29));
        _engine.Tick();
        Assert.Empty(_engine.Open());
        _time.Advance(TimeSpan.FromSeconds(1));
        _engine.Tick();
        Assert.Equal("technical", Only(AlarmTypes.EdgeOffline).Class);
        _engine.Observe(input with { Holds = false, Now = _time.GetUtcNow() });
        Assert.Empty(_engine.Open());
    }

    [Fact]
    public void Sensor_fault_while_offline_is_suppressed_by_design_and_unsuppressed_when_back()
    {
        _engine = NewEngine(o => o.Types[AlarmTypes.EdgeOffline].OnDelay = TimeSpan.Zero);
        _engine.Observe(new ConditionInput(AlarmTypes.EdgeOffline, "nexus", "bed-05", true, _time.GetUtcNow(), T0, "offline", null));
        _engine.Observe(new ConditionInput(AlarmTypes.SensorFault, "nexus", "bed-05", true, T0, T0, "bcg", null));
        _engine.Observe(new ConditionInput(AlarmTypes.SensorFault, "nexus", "bed-05", true, T0.AddMinutes(2), T0.AddMinutes(2), "bcg", null));
        Assert.Equal(AlarmStates.Suppressed, Only(AlarmTypes.SensorFault).State);
        _engine.Observe(new ConditionInput(AlarmTypes.EdgeOffline, "nexus", "bed-05", false, _time.GetUtcNow(), T0, "online", null));
        Assert.Equal(AlarmStates.ActiveUnacknowledged, Only(AlarmTypes.SensorFault).State);
    }

    [Fact]
    public void Shelve_hides_until_expiry_then_returns()
    {
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        var id = Only(AlarmTypes.SustainedArousal).Id;
        var r = _engine.Shelve(id, "tess", supervisor: false, "known restless sleeper", TimeSpan.FromMinutes(30));
        Assert.Equal(AlarmStates.Shelved, r.Alarm!.State);
        _time.Advance(TimeSpan.FromMinutes(29));
        _engine.Tick();
        Assert.Equal(AlarmStates.Shelved, Only(AlarmTypes.SustainedArousal).State);
        _time.Advance(TimeSpan.FromMinutes(1));
        _engine.Tick();
        Assert.Equal(AlarmStates.ActiveUnacknowledged, Only(AlarmTypes.SustainedArousal).State);
        Assert.Contains("shelve-expired", _engine.QueryAudit(new AuditFilter(null, null, id, null, null, 100)).Select(e => e.Action));
    }

    [Fact]
    public void Manual_unshelve_returns_the_alarm()
    {
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        var id = Only(AlarmTypes.SustainedArousal).Id;
        _engine.Shelve(id, "tess", false, "checking", TimeSpan.FromMinutes(30));
        Assert.Equal(AlarmStates.ActiveUnacknowledged, _engine.Unshelve(id, "tess", false).Alarm!.State);
    }

    public static TheoryData<string?, double?, bool, int> BadShelves() => new()
    {
        { null, 30, true, 400 },
        { "  ", 30, true, 400 },
        { "reason", null, true, 400 },
        { "reason", 0, true, 400 },
        { "reason", (8 * 60) + 1, true, 400 },
        { "reason", 30, false, 403 },
    };

    [Theory]
    [MemberData(nameof(BadShelves))]
    public void Bad_shelve_changes_nothing_and_audits_nothing(string? reason, double? minutes, bool supervisor, int status)
    {
        Vitals("bed-02", T0);
        Assess(AlarmTypes.ArchitectDeprivation, "bed-02", true, T0);
        var before = Only(AlarmTypes.ArchitectDeprivation);
        var r = _engine.Shelve(before.Id, "tess", supervisor, reason, minutes is { } m ? TimeSpan.FromMinutes(m) : null);
        Assert.Equal(status, r.Status);
        Assert.NotNull(r.Error);
        Assert.Equal(before, Only(AlarmTypes.ArchitectDeprivation));
        Assert.Equal(["raised"], _engine.QueryAudit(new AuditFilter(null, null, before.Id, null, null, 100)).Select(e => e.Action));
    }

    [Fact]
    public void Acting_on_unknown_or_cleared_alarms_fails_without_audit()
    {
        Assert.Equal(404, _engine.Acknowledge("nope", "tess", null).Status);
        _engine = NewEngine(o => o.Types[AlarmTypes.SustainedArousal].OffDelay = TimeSpan.Zero);
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        var id = Only(AlarmTypes.SustainedArousal).Id;
        Assess(AlarmTypes.SustainedArousal, "bed-01", false, T0.AddMinutes(1));
        var audit = _engine.QueryAudit(new AuditFilter(null, null, id, null, null, 100)).Count;
        Assert.Equal(409, _engine.Acknowledge(id, "tess", null).Status);
        Assert.Equal(409, _engine.Comment(id, "tess", "late").Status);
        Assert.Equal(audit, _engine.QueryAudit(new AuditFilter(null, null, id, null, null, 100)).Count);
    }

    [Fact]
    public void Comment_and_assign_are_audited()
    {
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        var id = Only(AlarmTypes.SustainedArousal).Id;
        Assert.Equal(200, _engine.Comment(id, "tess", "called the room").Status);
        Assert.Equal(400, _engine.Comment(id, "tess", "").Status);
        Assert.Equal("sam", _engine.Assign(id, "tess", "sam", u => u == "sam").Alarm!.AssignedTo);
        Assert.Equal(400, _engine.Assign(id, "tess", "mallory", u => u == "sam").Status);
        Assert.Equal(["raised", "commented", "assigned"], _engine.QueryAudit(new AuditFilter(null, null, id, null, null, 100)).Select(e => e.Action));
    }

    [Fact]
    public void Unacknowledged_high_priority_renotifies_then_escalates_on_hub_time()
    {
        Vitals("bed-02", T0);
        Assess(AlarmTypes.ArchitectDeprivation, "bed-02", true, T0);
        var id = Only(AlarmTypes.ArchitectDeprivation).Id;
        _time.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(1));
        _engine.Tick();
        Assert.Equal(0, Only(AlarmTypes.ArchitectDeprivation).Escalation);
        _time.Advance(TimeSpan.FromSeconds(1));
        _engine.Tick();
        Assert.Equal(1, Only(AlarmTypes.ArchitectDeprivation).Escalation);
        _time.Advance(TimeSpan.FromMinutes(3));
        _engine.Tick();
        Assert.Equal(2, Only(AlarmTypes.ArchitectDeprivation).Escalation);
        Assert.Equal(["raised", "re-notified", "escalated"], _engine.QueryAudit(new AuditFilter(null, null, id, null, null, 100)).Select(e => e.Action));
        Assert.Equal(0, _engine.Acknowledge(id, "sam", null).Alarm!.Escalation);
    }

    [Fact]
    public void Medium_priority_does_not_escalate_and_acknowledged_alarm_re_alarms()
    {
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        _time.Advance(TimeSpan.FromMinutes(30));
        _engine.Tick();
        Assert.Equal(0, Only(AlarmTypes.SustainedArousal).Escalation);

        Assess(AlarmTypes.ArchitectDeprivation, "bed-01", true, T0);
        var id = Only(AlarmTypes.ArchitectDeprivation).Id;
        _engine.Acknowledge(id, "tess", null);
        _time.Advance(TimeSpan.FromMinutes(30));
        _engine.Tick();
        Assert.Equal(AlarmStates.ActiveUnacknowledged, Only(AlarmTypes.ArchitectDeprivation).State);
    }

    [Fact]
    public void Incident_groups_the_per_bed_alarms_it_explains_and_ack_covers_them()
    {
        foreach (var bed in new[] { "bed-01", "bed-02", "bed-03", "bed-09" })
        {
            Vitals(bed, T0);
            Assess(AlarmTypes.SustainedArousal, bed, true, T0);
        }

        Assess(AlarmTypes.FacilityIncident, null, true, T0.AddMinutes(2), ["bed-01", "bed-02", "bed-03"],
            new FacilityIncident(T0, T0.AddMinutes(2), ["bed-01", "bed-02", "bed-03"], 24));
        var incident = Only(AlarmTypes.FacilityIncident);
        var children = _engine.Open().Where(a => a.ParentId == incident.Id).Select(a => a.Bed).Order().ToList();
        Assert.Equal(["bed-01", "bed-02", "bed-03"], children);
        Assert.Null(_engine.Open().Single(a => a.Bed == "bed-09").ParentId);

        // A bed's alarm raised while the incident is open joins it directly.
        Assess(AlarmTypes.AcuteSleepLoss, "bed-01", true, T0.AddMinutes(3));
        Assert.Equal(incident.Id, Only(AlarmTypes.AcuteSleepLoss).ParentId);

        _engine.Acknowledge(incident.Id, "tess", "Dream Exchange restarted");
        Assert.All(_engine.Open().Where(a => a.ParentId == incident.Id), a => Assert.True(a.Acknowledged));
        Assert.False(_engine.Open().Single(a => a.Bed == "bed-09").Acknowledged);

        // KPIs count the incident once, not its four children.
        var kpis = AlarmKpiCalculator.Compute("nexus", _engine.Query(new AlarmFilter("nexus", null, null, null, null, 100)),
            _engine.QueryAudit(new AuditFilter("nexus", null, null, null, null, 1000)), T0.AddMinutes(10), 0, 0);
        Assert.Equal(2, kpis.Annunciations);
        Assert.Equal(4, kpis.GroupedUnderIncidents);
    }

    [Fact]
    public void Chattering_is_detected_and_reported()
    {
        _engine = NewEngine(o => o.Types[AlarmTypes.FacilityIncident].Latching = false);
        for (var i = 0; i < 3; i++)
        {
            Assess(AlarmTypes.FacilityIncident, null, true, T0.AddSeconds(i * 20), ["bed-01"]);
            Assess(AlarmTypes.FacilityIncident, null, false, T0.AddSeconds((i * 20) + 10));
        }

        var a = _engine.Query(new AlarmFilter("nexus", null, AlarmTypes.FacilityIncident, null, null, 10))[0];
        Assert.True(a.Chattering);
    }

    [Fact]
    public void Late_assessment_does_not_open_a_new_alarm_but_a_fresh_one_does()
    {
        Vitals("bed-01", T0.AddHours(3));
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0.AddHours(1));
        Assert.Empty(_engine.Open());
        Assert.Equal(1, _engine.LateIgnored);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0.AddHours(3).AddMinutes(-12));
        Assert.Single(_engine.Open());
    }

    [Fact]
    public void Clock_skew_uses_limit_and_deadband()
    {
        _engine = NewEngine(o => { o.Types[AlarmTypes.ClockSkew].OnDelay = TimeSpan.Zero; o.Types[AlarmTypes.ClockSkew].OffDelay = TimeSpan.Zero; });
        _engine.ReportClockSkew("nexus", "bed-01", TimeSpan.FromSeconds(4.9), T0);
        Assert.Empty(_engine.Open());
        _engine.ReportClockSkew("nexus", "bed-01", TimeSpan.FromSeconds(-6), T0);
        Assert.Single(_engine.Open());
        _engine.ReportClockSkew("nexus", "bed-01", TimeSpan.FromSeconds(4.5), T0.AddSeconds(10));
        Assert.Single(_engine.Open());
        _engine.ReportClockSkew("nexus", "bed-01", TimeSpan.FromSeconds(3.9), T0.AddSeconds(20));
        Assert.Empty(_engine.Open());
    }

    [Fact]
    public void Data_gap_is_latching()
    {
        _engine.ReportDataGap("nexus", "bed-01", true, T0, "seq 10–42 missing");
        var id = Only(AlarmTypes.DataGap).Id;
        _engine.ReportDataGap("nexus", "bed-01", false, T0.AddMinutes(1), "complete");
        Assert.Equal(AlarmStates.ClearedUnacknowledged, Only(AlarmTypes.DataGap).State);
        _engine.Acknowledge(id, "tess", null);
        Assert.Empty(_engine.Open());
    }

    [Fact]
    public void Alarms_and_shelving_survive_a_restart_of_the_engine()
    {
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        var id = Only(AlarmTypes.SustainedArousal).Id;
        _engine.Shelve(id, "tess", false, "night nurse informed", TimeSpan.FromHours(1));
        var before = Only(AlarmTypes.SustainedArousal);

        _engine = NewEngine();
        Assert.Equal(before, Only(AlarmTypes.SustainedArousal));
        Vitals("bed-01", T0.AddMinutes(1));
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0.AddMinutes(1));
        Assert.Equal(id, Only(AlarmTypes.SustainedArousal).Id);
    }

    [Fact]
    public void The_audit_trail_refuses_updates_and_deletes()
    {
        _engine.ReportDataGap("nexus", "bed-01", true, T0, "gap");
        _engine.Flush();
        using var c = _store.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE audit SET actor = 'mallory';";
        Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() => cmd.ExecuteNonQuery());
        cmd.CommandText = "DELETE FROM audit;";
        Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() => cmd.ExecuteNonQuery());
    }

    [Fact]
    public void System_changes_are_stored_behind_ingestion_in_order_and_an_operator_action_after_them()
    {
        Vitals("bed-03", T0);
        Assess(AlarmTypes.ArchitectDeprivation, "bed-03", true, T0);
        var id = Only(AlarmTypes.ArchitectDeprivation).Id;
        // The acknowledgement is stored synchronously, after the queued raise: the store ends with the acknowledged version.
        _engine.Acknowledge(id, "tess", "seen");
        Assert.True(_store.FindAlarm(id)!.Acknowledged);
        Assert.Equal(["raised", "acknowledged"], _store.QueryAudit(new AuditFilter(null, null, id, null, null, 100)).Select(e => e.Action).Where(a => a is "raised" or "acknowledged"));

        Assess(AlarmTypes.SustainedArousal, "bed-03", true, T0);
        var arousal = Only(AlarmTypes.SustainedArousal).Id;
        _engine.Flush();
        Assert.NotNull(_store.FindAlarm(arousal));
    }

    [Fact]
    public void Changes_are_notified_in_order()
    {
        Vitals("bed-02", T0);
        Assess(AlarmTypes.ArchitectDeprivation, "bed-02", true, T0);
        _engine.Acknowledge(Only(AlarmTypes.ArchitectDeprivation).Id, "tess", null);
        Assert.Equal([AlarmStates.ActiveUnacknowledged, AlarmStates.ActiveAcknowledged], _changes.Select(a => a.State));
    }

    private sealed class StaticMonitor(AlarmOptions value) : IOptionsMonitor<AlarmOptions>
    {
        public AlarmOptions CurrentValue => value;

        public AlarmOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<AlarmOptions, string?> listener) => null;
    }
}
