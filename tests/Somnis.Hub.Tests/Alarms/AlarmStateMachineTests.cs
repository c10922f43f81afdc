using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

/// <summary>The rules on their own, single-threaded, as the engine calls them under its lock (the rules end to end, through
/// the engine, are AlarmEngineTests').</summary>
public sealed class AlarmStateMachineTests : IDisposable
{
    private static readonly DateTimeOffset T0 = AlarmRig.T0;
    private readonly MemoryStoreRig _rig = new();
    private readonly FakeTimeProvider _time = new(T0);
    private readonly EventClocks _clocks = new();
    private readonly AlarmOptions _options = new();
    private readonly OpenAlarms _open;
    private readonly AlarmStateMachine _rules;

    public AlarmStateMachineTests()
    {
        new AlarmOptionsSetup(new ConfigurationBuilder().Build()).Configure(_options);
        _open = new OpenAlarms(_rig.Writer, new TestLogger<OpenAlarms>());
        _rules = Rules(_open, _clocks);
    }

    public void Dispose() => _rig.Dispose();

    private AlarmStateMachine Rules(OpenAlarms open, EventClocks clocks) =>
        new(open, clocks, _time, _rig.Meters, new TestLogger<AlarmStateMachine>());

    private static ConditionInput Holds(string type, string? bed, DateTimeOffset at, bool holds = true) =>
        new(type, "nexus", bed, holds, at, at, $"{type} holds", null);

    [Fact]
    public void A_high_priority_deprivation_on_a_bed_is_handed_back_for_the_interlock_rule()
    {
        var raised = _rules.Observe(Holds(AlarmTypes.ArchitectDeprivation, "bed-02", T0), _options);
        Assert.Equal(("bed-02", AlarmStates.ActiveUnacknowledged), (raised!.Bed, raised.State));
        Assert.Null(_rules.Observe(Holds(AlarmTypes.ArchitectDeprivation, "bed-02", T0.AddMinutes(1)), _options));
        Assert.Null(_rules.Observe(Holds(AlarmTypes.AcuteSleepLoss, "bed-02", T0), _options));
        _options.Types[AlarmTypes.ArchitectDeprivation].Priority = AlarmPriorities.Medium;
        Assert.Null(_rules.Observe(Holds(AlarmTypes.ArchitectDeprivation, "bed-03", T0), _options));
    }

    [Fact]
    public void A_bed_s_clock_runs_its_own_delays_and_its_facility_s_only()
    {
        _options.Types[AlarmTypes.SensorFault].OnDelay = TimeSpan.FromMinutes(1);
        _rules.Observe(Holds(AlarmTypes.SensorFault, "bed-01", T0), _options);
        _rules.Observe(Holds(AlarmTypes.SensorFault, "bed-02", T0), _options);
        Assert.True(_rules.AnyDelayRunning);

        _rules.RunDelays("nexus", "bed-01", _clocks.Advance("nexus", "bed-01", T0.AddMinutes(1)), seq: 7, _options);
        var raised = Assert.Single(_open.All);
        Assert.Equal(("bed-01", 7L), (raised.Bed, raised.TriggerSeq));
        _rules.RunDelays("nexus", "bed-02", _clocks.Advance("nexus", "bed-02", T0.AddMinutes(1)), seq: 9, _options);
        Assert.Equal(2, _open.Count);
        Assert.False(_rules.AnyDelayRunning);
    }

    [Fact]
    public void Loaded_alarms_are_carried_on_not_raised_again()
    {
        var active = _rules.Observe(Holds(AlarmTypes.ArchitectDeprivation, "bed-02", T0), _options)!;
        var loaded = new OpenAlarms(_rig.Writer, new TestLogger<OpenAlarms>());
        var notified = new List<Alarm>();
        loaded.Changed += notified.Add;
        var rules = Rules(loaded, new EventClocks());
        rules.Load([active]);

        // The condition still holds: the same alarm, nothing notified. Then it clears: the off-delay runs from there.
        Assert.Null(rules.Observe(Holds(AlarmTypes.ArchitectDeprivation, "bed-02", T0.AddMinutes(1)), _options));
        Assert.Empty(notified);
        rules.Observe(Holds(AlarmTypes.ArchitectDeprivation, "bed-02", T0.AddMinutes(2), holds: false), _options);
        Assert.True(rules.AnyDelayRunning);
        rules.RunDelays("nexus", "bed-02", (T0.AddMinutes(12), T0.AddMinutes(12)), seq: 1, _options);
        Assert.Equal(AlarmStates.ClearedUnacknowledged, Assert.Single(notified).State);
        Assert.Equal(active.Id, notified[0].Id);
    }

    [Fact]
    public void A_late_observation_opens_no_alarm_and_is_counted()
    {
        _clocks.Advance("nexus", "bed-01", T0.AddHours(1));
        Assert.Null(_rules.Observe(Holds(AlarmTypes.SustainedArousal, "bed-01", T0), _options));
        Assert.Equal(0, _open.Count);
        Assert.Equal(1, _rules.LateIgnored);
    }

    [Fact]
    public void The_tick_takes_due_timer_steps_as_the_system()
    {
        var raised = _rules.Observe(Holds(AlarmTypes.ArchitectDeprivation, "bed-02", T0), _options)!;
        _time.Advance(TimeSpan.FromMinutes(2));
        _rules.Tick(_time.GetUtcNow(), _options);
        Assert.Equal(1, _open.WithId(raised.Id)!.Escalation);
        _rig.Writer.Flush();
        var step = _rig.Store.Audit.Single(a => a.Action == "re-notified");
        Assert.Equal((AlarmStateMachine.SystemActor, "unacknowledged for 00:02:00"), (step.Actor, step.Detail));
    }
}
