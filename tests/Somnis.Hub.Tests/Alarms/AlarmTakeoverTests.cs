using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

/// <summary>
/// The alarm engine as a standby (in memory only: nothing stored, nothing notified, operator actions refused) and its
/// takeover (docs/high-availability.md): the store's open alarms carry on as stored, a condition that holds without an open
/// alarm is raised once, and from then on a change is notified only after it is stored.
/// </summary>
public sealed class AlarmTakeoverTests : IDisposable
{
    private static readonly DateTimeOffset T0 = AlarmRig.T0;
    private readonly AlarmRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public void A_standby_evaluates_conditions_in_memory_but_stores_and_notifies_nothing_and_refuses_actions()
    {
        _rig.Engine.Shadow();
        _rig.Vitals("bed-02", T0);
        _rig.Assess(AlarmTypes.ArchitectDeprivation, "bed-02", true, T0);
        _rig.Engine.Flush();

        Assert.Empty(_rig.Changes);
        Assert.Empty(_rig.Store.LoadOpen());
        // What it evaluated is not what it shows: its reads are the stored alarms (none here).
        Assert.Empty(_rig.Engine.Open());
    }

    [Fact]
    public void A_standby_shows_the_alarms_as_the_active_stored_them_not_its_own_evaluation_and_refuses_actions_on_them()
    {
        // The active: a deprivation alarm on bed-02, acknowledged with a comment, stored.
        _rig.Vitals("bed-02", T0);
        _rig.Assess(AlarmTypes.ArchitectDeprivation, "bed-02", true, T0);
        var stored = _rig.Only(AlarmTypes.ArchitectDeprivation);
        Assert.IsType<ActionOutcome.Done>(_rig.Actions.Acknowledge(stored.Id, "tess", "checking the bed"));
        _rig.Engine.Flush();

        // A standby over the same store evaluates one more condition (bed-03) that nobody stored.
        _rig.Start();
        _rig.Changes.Clear();
        _rig.Engine.Shadow();
        _rig.Vitals("bed-03", T0.AddSeconds(10));
        _rig.Assess(AlarmTypes.ArchitectDeprivation, "bed-03", true, T0.AddSeconds(10));
        _rig.Engine.Flush();
        Assert.Empty(_rig.Changes);

        var seen = Assert.Single(_rig.Engine.Open());
        Assert.Equal((stored.Id, AlarmStates.ActiveAcknowledged, "checking the bed"), (seen.Id, seen.State, seen.AckComment));
        Assert.Equal([stored.Id], _rig.Engine.Query(new AlarmFilter(null, null, null, null, null, 100)).Select(a => a.Id));
        Assert.Equal(stored.Id, _rig.Engine.Find(stored.Id)?.Id);
        Assert.IsType<ActionOutcome.StoreUnavailable>(_rig.Actions.Comment(stored.Id, "tess", "on a standby"));
    }

    [Fact]
    public void A_takeover_carries_on_the_stored_alarms_and_raises_only_what_holds_without_one()
    {
        // The old active: a deprivation alarm on bed-02, acknowledged with a comment, stored.
        _rig.Vitals("bed-02", T0);
        _rig.Assess(AlarmTypes.ArchitectDeprivation, "bed-02", true, T0);
        var stored = _rig.Only(AlarmTypes.ArchitectDeprivation);
        Assert.IsType<ActionOutcome.Done>(_rig.Actions.Acknowledge(stored.Id, "tess", "checking the bed"));
        _rig.Engine.Flush();

        // The standby over the same store: it sees the same condition, and one more that the old active never stored.
        _rig.Start();
        _rig.Changes.Clear();
        _rig.Engine.Shadow();
        _rig.Vitals("bed-02", T0.AddSeconds(10));
        _rig.Vitals("bed-03", T0.AddSeconds(10));
        _rig.Assess(AlarmTypes.ArchitectDeprivation, "bed-02", true, T0.AddSeconds(10));
        _rig.Assess(AlarmTypes.ArchitectDeprivation, "bed-03", true, T0.AddSeconds(10));
        Assert.Empty(_rig.Changes);

        var (loaded, raised) = _rig.Engine.TakeOver("b");
        Assert.Equal((1, 1), (loaded, raised));

        // Notified only once stored: nothing before the writer has run, then the one raise.
        var open = _rig.Engine.Open();
        Assert.Equal(2, open.Count);
        var carried = Assert.Single(open, a => a.Bed == "bed-02");
        Assert.Equal((stored.Id, AlarmStates.ActiveAcknowledged, "checking the bed"), (carried.Id, carried.State, carried.AckComment));
        _rig.Engine.Flush();
        var notified = Assert.Single(_rig.Changes);
        Assert.Equal("bed-03", notified.Bed);
        Assert.Contains(_rig.Store.LoadOpen(), a => a.Id == notified.Id);
        Assert.Contains("raised", _rig.AuditOf(notified.Id));

        // Acting now: an operator action is taken and notified.
        Assert.IsType<ActionOutcome.Done>(_rig.Actions.Acknowledge(notified.Id, "tess", null));
        Assert.Equal(2, _rig.Changes.Count);
    }
}
