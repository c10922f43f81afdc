using Somnis.Hub.Alarms;
using Somnis.Hub.Detection;

namespace Somnis.Hub.Tests.Alarms;

/// <summary>The engine end to end: conditions in, ISA-18.2 states, audit and notifications out, with the real embedded
/// store and a fake hub clock (<see cref="AlarmRig"/>); event time is driven by vitals.</summary>
public sealed class AlarmEngineTests : IDisposable
{
    internal static readonly DateTimeOffset T0 = AlarmRig.T0;
    private readonly AlarmRig _rig = new();

    public void Dispose() => _rig.Dispose();

    private AlarmEngine Engine => _rig.Engine;

    private AlarmActions Actions => _rig.Actions;

    private void NewEngine(Action<AlarmOptions>? configure = null) => _rig.Start(configure);

    private void Vitals(string bed, DateTimeOffset ts) => _rig.Vitals(bed, ts);

    private void Assess(string type, string? bed, bool active, DateTimeOffset at, IReadOnlyList<string>? beds = null, object? evidence = null) =>
        _rig.Assess(type, bed, active, at, beds, evidence);

    private Alarm Only(string type) => _rig.Only(type);

    [Fact]
    public void Raise_ack_clear_walks_the_latching_states()
    {
        Vitals("bed-02", T0);
        Assess(AlarmTypes.ArchitectDeprivation, "bed-02", true, T0);
        var a = Only(AlarmTypes.ArchitectDeprivation);
        Assert.Equal((AlarmStates.ActiveUnacknowledged, "high", "clinical", true), (a.State, a.Priority, a.Class, a.Latching));

        Assert.IsType<ActionOutcome.Done>(Actions.Acknowledge(a.Id, "tess", "looking"));
        Assert.Equal(AlarmStates.ActiveAcknowledged, Only(AlarmTypes.ArchitectDeprivation).State);

        // Off-delay 10 min of event time: cleared only once the condition stayed clear that long.
        Assess(AlarmTypes.ArchitectDeprivation, "bed-02", false, T0.AddMinutes(1));
        Vitals("bed-02", T0.AddMinutes(10));
        Assert.True(Only(AlarmTypes.ArchitectDeprivation).Active);
        Vitals("bed-02", T0.AddMinutes(11));
        Assert.Empty(Engine.Open());
        Assert.Equal(AlarmStates.Cleared, Engine.Find(a.Id)!.State);
        Assert.Equal(["raised", "acknowledged", "cleared"], Engine.QueryAudit(new AuditFilter(null, null, a.Id, null, null, 100)).Select(e => e.Action));
    }

    [Fact]
    public void Latching_alarm_cleared_unacknowledged_waits_for_ack_then_returns_to_normal()
    {
        Assess(AlarmTypes.FacilityIncident, null, true, T0, ["bed-01", "bed-02", "bed-03"]);
        var a = Only(AlarmTypes.FacilityIncident);
        Assess(AlarmTypes.FacilityIncident, null, false, T0.AddMinutes(20));
        Assert.Equal(AlarmStates.ClearedUnacknowledged, Only(AlarmTypes.FacilityIncident).State);
        Assert.IsType<ActionOutcome.Done>(Actions.Acknowledge(a.Id, "tess", null));
        Assert.Empty(Engine.Open());
        Assert.Equal(AlarmStates.Cleared, Engine.Find(a.Id)!.State);
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
        NewEngine(o => o.Types[AlarmTypes.SustainedArousal].OffDelay = TimeSpan.Zero);
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        var id = Only(AlarmTypes.SustainedArousal).Id;
        Assess(AlarmTypes.SustainedArousal, "bed-01", false, T0.AddMinutes(1));
        Assert.Empty(Engine.Open());
        Assert.False(Engine.Find(id)!.Acknowledged);
    }

    [Fact]
    public void On_delay_on_event_time_raises_only_after_the_condition_held_long_enough()
    {
        NewEngine(o => o.Types[AlarmTypes.SustainedArousal].OnDelay = TimeSpan.FromMinutes(5));
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        Vitals("bed-01", T0.AddMinutes(4));
        Assert.Empty(Engine.Open());
        // Hub time does not matter for an event-time delay.
        _rig.Time.Advance(TimeSpan.FromHours(1));
        Engine.Tick();
        Assert.Empty(Engine.Open());
        Vitals("bed-01", T0.AddMinutes(5));
        Assert.Equal(AlarmStates.ActiveUnacknowledged, Only(AlarmTypes.SustainedArousal).State);
    }

    [Fact]
    public void Condition_that_clears_within_the_on_delay_never_alarms()
    {
        NewEngine(o => o.Types[AlarmTypes.SustainedArousal].OnDelay = TimeSpan.FromMinutes(5));
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", false, T0.AddMinutes(2));
        Vitals("bed-01", T0.AddMinutes(30));
        Assert.Empty(Engine.Open());
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
        var input = new ConditionInput(AlarmTypes.EdgeOffline, "nexus", "bed-04", true, _rig.Time.GetUtcNow(), T0, "offline", null);
        Engine.Observe(input);
        _rig.Time.Advance(TimeSpan.FromSeconds(29));
        Engine.Tick();
        Assert.Empty(Engine.Open());
        _rig.Time.Advance(TimeSpan.FromSeconds(1));
        Engine.Tick();
        Assert.Equal("technical", Only(AlarmTypes.EdgeOffline).Class);
        Engine.Observe(input with { Holds = false, Now = _rig.Time.GetUtcNow() });
        Assert.Empty(Engine.Open());
    }

    [Fact]
    public void Sensor_fault_while_offline_is_suppressed_by_design_and_unsuppressed_when_back()
    {
        NewEngine(o => o.Types[AlarmTypes.EdgeOffline].OnDelay = TimeSpan.Zero);
        Engine.Observe(new ConditionInput(AlarmTypes.EdgeOffline, "nexus", "bed-05", true, _rig.Time.GetUtcNow(), T0, "offline", null));
        Engine.Observe(new ConditionInput(AlarmTypes.SensorFault, "nexus", "bed-05", true, T0, T0, "bcg", null));
        Engine.Observe(new ConditionInput(AlarmTypes.SensorFault, "nexus", "bed-05", true, T0.AddMinutes(2), T0.AddMinutes(2), "bcg", null));
        Assert.Equal(AlarmStates.Suppressed, Only(AlarmTypes.SensorFault).State);
        Engine.Observe(new ConditionInput(AlarmTypes.EdgeOffline, "nexus", "bed-05", false, _rig.Time.GetUtcNow(), T0, "online", null));
        Assert.Equal(AlarmStates.ActiveUnacknowledged, Only(AlarmTypes.SensorFault).State);
    }

    [Fact]
    public void Shelve_hides_until_expiry_then_returns()
    {
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        var id = Only(AlarmTypes.SustainedArousal).Id;
        var r = Actions.Shelve(id, "tess", supervisor: false, "known restless sleeper", TimeSpan.FromMinutes(30));
        Assert.Equal(AlarmStates.Shelved, Assert.IsType<ActionOutcome.Done>(r).Alarm.State);
        _rig.Time.Advance(TimeSpan.FromMinutes(29));
        Engine.Tick();
        Assert.Equal(AlarmStates.Shelved, Only(AlarmTypes.SustainedArousal).State);
        _rig.Time.Advance(TimeSpan.FromMinutes(1));
        Engine.Tick();
        Assert.Equal(AlarmStates.ActiveUnacknowledged, Only(AlarmTypes.SustainedArousal).State);
        Assert.Contains("shelve-expired", Engine.QueryAudit(new AuditFilter(null, null, id, null, null, 100)).Select(e => e.Action));
    }

    [Fact]
    public void Unacknowledged_high_priority_renotifies_then_escalates_on_hub_time()
    {
        Vitals("bed-02", T0);
        Assess(AlarmTypes.ArchitectDeprivation, "bed-02", true, T0);
        var id = Only(AlarmTypes.ArchitectDeprivation).Id;
        _rig.Time.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(1));
        Engine.Tick();
        Assert.Equal(0, Only(AlarmTypes.ArchitectDeprivation).Escalation);
        _rig.Time.Advance(TimeSpan.FromSeconds(1));
        Engine.Tick();
        Assert.Equal(1, Only(AlarmTypes.ArchitectDeprivation).Escalation);
        _rig.Time.Advance(TimeSpan.FromMinutes(3));
        Engine.Tick();
        Assert.Equal(2, Only(AlarmTypes.ArchitectDeprivation).Escalation);
        Assert.Equal(["raised", "re-notified", "escalated"], Engine.QueryAudit(new AuditFilter(null, null, id, null, null, 100)).Select(e => e.Action));
        Assert.Equal(0, Assert.IsType<ActionOutcome.Done>(Actions.Acknowledge(id, "sam", null)).Alarm.Escalation);
    }

    [Fact]
    public void Medium_priority_does_not_escalate_and_acknowledged_alarm_re_alarms()
    {
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        _rig.Time.Advance(TimeSpan.FromMinutes(30));
        Engine.Tick();
        Assert.Equal(0, Only(AlarmTypes.SustainedArousal).Escalation);

        Assess(AlarmTypes.ArchitectDeprivation, "bed-01", true, T0);
        var id = Only(AlarmTypes.ArchitectDeprivation).Id;
        Actions.Acknowledge(id, "tess", null);
        _rig.Time.Advance(TimeSpan.FromMinutes(30));
        Engine.Tick();
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
        var children = Engine.Open().Where(a => a.ParentId == incident.Id).Select(a => a.Bed).Order().ToList();
        Assert.Equal(["bed-01", "bed-02", "bed-03"], children);
        Assert.Null(Engine.Open().Single(a => a.Bed == "bed-09").ParentId);

        // A bed's alarm raised while the incident is open joins it directly.
        Assess(AlarmTypes.AcuteSleepLoss, "bed-01", true, T0.AddMinutes(3));
        Assert.Equal(incident.Id, Only(AlarmTypes.AcuteSleepLoss).ParentId);

        Actions.Acknowledge(incident.Id, "tess", "Dream Exchange restarted");
        Assert.All(Engine.Open().Where(a => a.ParentId == incident.Id), a => Assert.True(a.Acknowledged));
        Assert.False(Engine.Open().Single(a => a.Bed == "bed-09").Acknowledged);

        // KPIs count the incident once, not its four children.
        var kpis = AlarmKpiCalculator.Compute("nexus", Engine.Query(new AlarmFilter("nexus", null, null, null, null, 100)),
            Engine.QueryAudit(new AuditFilter("nexus", null, null, null, null, 1000)), T0.AddMinutes(10), 0, 0);
        Assert.Equal(2, kpis.Annunciations);
        Assert.Equal(4, kpis.GroupedUnderIncidents);
    }

    [Fact]
    public void Chattering_is_detected_and_reported()
    {
        NewEngine(o => o.Types[AlarmTypes.FacilityIncident].Latching = false);
        for (var i = 0; i < 3; i++)
        {
            Assess(AlarmTypes.FacilityIncident, null, true, T0.AddSeconds(i * 20), ["bed-01"]);
            Assess(AlarmTypes.FacilityIncident, null, false, T0.AddSeconds((i * 20) + 10));
        }

        var a = Engine.Query(new AlarmFilter("nexus", null, AlarmTypes.FacilityIncident, null, null, 10))[0];
        Assert.True(a.Chattering);
    }

    [Fact]
    public void Late_assessment_does_not_open_a_new_alarm_but_a_fresh_one_does()
    {
        Vitals("bed-01", T0.AddHours(3));
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0.AddHours(1));
        Assert.Empty(Engine.Open());
        Assert.Equal(1, Engine.LateIgnored);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0.AddHours(3).AddMinutes(-12));
        Assert.Single(Engine.Open());
    }

    [Fact]
    public void Clock_skew_uses_limit_and_deadband()
    {
        NewEngine(o => { o.Types[AlarmTypes.ClockSkew].OnDelay = TimeSpan.Zero; o.Types[AlarmTypes.ClockSkew].OffDelay = TimeSpan.Zero; });
        Engine.ReportClockSkew("nexus", "bed-01", TimeSpan.FromSeconds(4.9), T0);
        Assert.Empty(Engine.Open());
        Engine.ReportClockSkew("nexus", "bed-01", TimeSpan.FromSeconds(-6), T0);
        Assert.Single(Engine.Open());
        Engine.ReportClockSkew("nexus", "bed-01", TimeSpan.FromSeconds(4.5), T0.AddSeconds(10));
        Assert.Single(Engine.Open());
        Engine.ReportClockSkew("nexus", "bed-01", TimeSpan.FromSeconds(3.9), T0.AddSeconds(20));
        Assert.Empty(Engine.Open());
    }

    [Fact]
    public void Data_gap_is_latching()
    {
        Engine.ReportDataGap("nexus", "bed-01", true, T0, "seq 10–42 missing");
        var id = Only(AlarmTypes.DataGap).Id;
        Engine.ReportDataGap("nexus", "bed-01", false, T0.AddMinutes(1), "complete");
        Assert.Equal(AlarmStates.ClearedUnacknowledged, Only(AlarmTypes.DataGap).State);
        Actions.Acknowledge(id, "tess", null);
        Assert.Empty(Engine.Open());
    }

    [Fact]
    public void Alarms_and_shelving_survive_a_restart_of_the_engine()
    {
        Vitals("bed-01", T0);
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0);
        var id = Only(AlarmTypes.SustainedArousal).Id;
        Actions.Shelve(id, "tess", false, "night nurse informed", TimeSpan.FromHours(1));
        var before = Only(AlarmTypes.SustainedArousal);

        NewEngine();
        Assert.Equal(before, Only(AlarmTypes.SustainedArousal));
        Vitals("bed-01", T0.AddMinutes(1));
        Assess(AlarmTypes.SustainedArousal, "bed-01", true, T0.AddMinutes(1));
        Assert.Equal(id, Only(AlarmTypes.SustainedArousal).Id);
    }

    [Fact]
    public void A_restarted_engine_carries_on_from_the_store_without_raising_or_notifying_again()
    {
        Vitals("bed-02", T0);
        Assess(AlarmTypes.ArchitectDeprivation, "bed-02", true, T0);
        var id = Only(AlarmTypes.ArchitectDeprivation).Id;
        _rig.Time.Advance(TimeSpan.FromMinutes(2));
        Engine.Tick();
        Assert.Equal(1, Only(AlarmTypes.ArchitectDeprivation).Escalation);

        // A hub taking over loads the open alarms: the condition that still holds is the same alarm, the step already
        // notified is not notified again, and escalation goes on from the annunciation.
        NewEngine();
        var notified = _rig.Changes.Count;
        Engine.Tick();
        Assess(AlarmTypes.ArchitectDeprivation, "bed-02", true, T0.AddMinutes(1));
        Assert.Equal(notified, _rig.Changes.Count);
        _rig.Time.Advance(TimeSpan.FromMinutes(3));
        Engine.Tick();
        Assert.Equal((id, 2), (Only(AlarmTypes.ArchitectDeprivation).Id, Only(AlarmTypes.ArchitectDeprivation).Escalation));
        Assert.Equal(["raised", "re-notified", "escalated"], _rig.AuditOf(id));
    }

    [Fact]
    public void Every_delay_that_runs_out_at_a_message_raises_its_alarm_then()
    {
        NewEngine(o =>
        {
            o.Types[AlarmTypes.ArchitectDeprivation].OnDelay = TimeSpan.FromMinutes(5);
            o.Types[AlarmTypes.AcuteSleepLoss].OnDelay = TimeSpan.FromMinutes(5);
        });
        Vitals("bed-01", T0);
        Assess(AlarmTypes.ArchitectDeprivation, "bed-01", true, T0);
        Assess(AlarmTypes.AcuteSleepLoss, "bed-01", true, T0);
        Assert.Empty(Engine.Open());

        // The deprivation (which the automatic interlock rule acts on) does not hold back the other alarm due at the same time.
        _rig.Vitals("bed-01", T0.AddMinutes(5), seq: 31);
        Assert.Equal(31, Only(AlarmTypes.ArchitectDeprivation).TriggerSeq);
        Assert.Equal(31, Only(AlarmTypes.AcuteSleepLoss).TriggerSeq);
    }

    [Fact]
    public void The_audit_trail_refuses_updates_and_deletes()
    {
        Engine.ReportDataGap("nexus", "bed-01", true, T0, "gap");
        Engine.Flush();
        using var c = _rig.Store.Open();
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
        Actions.Acknowledge(id, "tess", "seen");
        Assert.True(_rig.Store.FindAlarm(id)!.Acknowledged);
        Assert.Equal(["raised", "acknowledged"], _rig.Store.QueryAudit(new AuditFilter(null, null, id, null, null, 100)).Select(e => e.Action).Where(a => a is "raised" or "acknowledged"));

        Assess(AlarmTypes.SustainedArousal, "bed-03", true, T0);
        var arousal = Only(AlarmTypes.SustainedArousal).Id;
        Engine.Flush();
        Assert.NotNull(_rig.Store.FindAlarm(arousal));
    }

    [Fact]
    public void Changes_are_notified_in_order()
    {
        Vitals("bed-02", T0);
        Assess(AlarmTypes.ArchitectDeprivation, "bed-02", true, T0);
        Actions.Acknowledge(Only(AlarmTypes.ArchitectDeprivation).Id, "tess", null);
        Assert.Equal([AlarmStates.ActiveUnacknowledged, AlarmStates.ActiveAcknowledged], _rig.Changes.Select(a => a.State));
    }
}
