using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

public sealed class OpenAlarmsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = AlarmRig.T0;
    private readonly MemoryStoreRig _rig = new();
    private readonly OpenAlarms _open;
    private readonly List<Alarm> _notified = [];

    public OpenAlarmsTests()
    {
        _open = new OpenAlarms(_rig.Writer, new TestLogger<OpenAlarms>());
        _open.Changed += _notified.Add;
    }

    public void Dispose() => _rig.Dispose();

    private MemoryAlarmStore Store => _rig.Store;

    private AlarmStoreWriter Writer => _rig.Writer;

    private static Alarm Sample(string id = "a1", string bed = "bed-01") => new()
    {
        Id = id, Facility = "nexus", Bed = bed, Type = AlarmTypes.SustainedArousal, Priority = "medium", Class = "clinical", Active = true,
        RaisedAt = T0, RaisedEventTime = T0, AnnouncedAt = T0, LastEventTime = T0, Occurrences = 1, Summary = "aroused",
    };

    private static AuditEntry[] Audit(Alarm a, string action) => [AuditEntry.About(a, T0, action, "tess", null)];

    [Fact]
    public void A_system_change_is_current_and_notified_at_once_and_stored_moments_later()
    {
        var a = Sample();
        _open.Commit(a, Audit(a, "raised"), CommitMode.System);
        Assert.Same(a, _open.Get(a.Key));
        Assert.Same(a, _open.WithId("a1"));
        Assert.Equal([a], _notified);
        Writer.Flush();
        Assert.Equal(a, Store.FindAlarm("a1"));
    }

    [Fact]
    public void A_system_change_the_store_refuses_still_takes_effect()
    {
        Store.Fail = true;
        var a = Sample();
        _open.Commit(a, Audit(a, "raised"), CommitMode.System);
        Writer.Flush();
        Assert.Same(a, _open.Get(a.Key));
        Assert.Equal([a], _notified);
        Assert.Null(Store.FindAlarm("a1"));
    }

    [Fact]
    public void An_operator_change_is_stored_in_one_transaction_before_it_takes_effect()
    {
        var a = Sample("a1", "bed-01");
        var b = Sample("b1", "bed-02");
        _open.Put(a);
        _open.Put(b);
        Writer.Flush();
        var before = Store.Transactions;
        Alarm Acked(Alarm x) => x with { Acknowledged = true, AckedBy = "tess", AckedAt = T0 };
        _open.Commit([new AlarmChange(Acked(a), Audit(a, "acknowledged")), new AlarmChange(Acked(b), Audit(b, "acknowledged"))], CommitMode.Operator);
        Assert.Equal(before + 1, Store.Transactions);
        Assert.True(Store.FindAlarm("a1")!.Acknowledged && Store.FindAlarm("b1")!.Acknowledged);
        Assert.True(_open.Get(a.Key)!.Acknowledged && _open.Get(b.Key)!.Acknowledged);
        Assert.Equal(["a1", "b1"], _notified.Select(x => x.Id));
    }

    [Fact]
    public void An_operator_change_the_store_refuses_throws_and_changes_nothing()
    {
        var a = Sample();
        _open.Put(a);
        Store.Fail = true;
        Assert.Throws<IOException>(() => _open.Commit(a with { AssignedTo = "sam" }, Audit(a, "assigned"), CommitMode.Operator));
        Assert.Same(a, _open.Get(a.Key));
        Assert.Empty(_notified);
        Assert.Empty(Store.Audit);
    }

    [Fact]
    public void A_version_that_returned_to_normal_leaves_the_open_alarms()
    {
        var a = Sample();
        _open.Commit(a, Audit(a, "raised"), CommitMode.System);
        _open.Commit(a with { Active = false, Closed = true }, Audit(a, "cleared"), CommitMode.System);
        Assert.Equal(0, _open.Count);
        Assert.Null(_open.WithId("a1"));
        Assert.Equal([false, true], _notified.Select(x => x.Closed));
    }

    [Fact]
    public void A_failing_listener_neither_stops_the_change_nor_the_listeners_after_it()
    {
        var open = new OpenAlarms(Writer, new TestLogger<OpenAlarms>());
        var later = new List<Alarm>();
        open.Changed += _ => throw new InvalidOperationException("listener broke");
        open.Changed += later.Add;
        var a = Sample();
        open.Commit(a, Audit(a, "raised"), CommitMode.System);
        Assert.Same(a, open.Get(a.Key));
        Assert.Equal([a], later);
    }

    [Fact]
    public void Put_takes_a_version_without_storing_or_notifying_it()
    {
        var a = Sample();
        _open.Put(a);
        Writer.Flush();
        Assert.Same(a, _open.Get(a.Key));
        Assert.Empty(_notified);
        Assert.Null(Store.FindAlarm("a1"));
    }
}
