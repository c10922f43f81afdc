using System.Data.Common;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

public sealed class AlarmStoreWriterTests : IDisposable
{
    private static readonly DateTimeOffset T0 = AlarmRig.T0;
    private readonly MemoryStoreRig _rig = new();

    public void Dispose() => _rig.Dispose();

    private static AuditEntry[] Entry(string action) => [new AuditEntry(0, T0, null, "nexus", "bed-01", null, action, "system", null)];

    [Fact]
    public async Task Before_messages_are_acknowledged_everything_queued_is_stored_in_order()
    {
        foreach (var action in new[] { "raised", "grouped", "cleared" })
        {
            _rig.Writer.Enqueue(null, Entry(action));
        }

        await _rig.Writer.BeforeAcknowledgeAsync(CancellationToken.None);
        Assert.Equal(["raised", "grouped", "cleared"], _rig.Store.Audit.Select(a => a.Action));
        Assert.Equal(0, _rig.Writer.Queued);
    }

    [Fact]
    public void Saving_now_writes_what_was_queued_first_and_its_changes_all_or_none()
    {
        _rig.Writer.Enqueue(null, Entry("raised"));
        _rig.Writer.SaveNow([new AlarmChange(null, Entry("acknowledged")), new AlarmChange(null, Entry("acknowledged-child"))]);
        Assert.Equal(["raised", "acknowledged", "acknowledged-child"], _rig.Store.Audit.Select(a => a.Action));

        _rig.Store.Fail = true;
        Assert.Throws<IOException>(() => _rig.Writer.SaveNow([new AlarmChange(null, Entry("commented")), new AlarmChange(null, Entry("assigned"))]));
        _rig.Store.Fail = false;
        Assert.Equal(3, _rig.Store.Audit.Count);
    }

    [Fact]
    public void A_queued_change_the_store_refuses_is_counted_and_logged_and_does_not_stop_the_writer()
    {
        using var failures = new MetricCollector<long>(_rig.Meters, HubMetrics.MeterName, "somnis.alarms.store_failures");
        _rig.Store.Fail = true;
        _rig.Writer.Enqueue(null, Entry("raised"));
        _rig.Writer.Flush();
        Assert.Equal(1, failures.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Single(_rig.Log.Lines, l => l.Contains("could not write", StringComparison.Ordinal));

        _rig.Store.Fail = false;
        _rig.Writer.Enqueue(null, Entry("cleared"));
        _rig.Writer.Flush();
        Assert.Equal(["cleared"], _rig.Store.Audit.Select(a => a.Action));
    }

    [Fact]
    public void While_the_store_is_unreachable_changes_are_kept_in_order_retried_with_backoff_and_written_when_it_returns()
    {
        var time = new FakeTimeProvider(T0);
        var log = new TestLogger<AlarmStoreWriter>();
        using var writer = new AlarmStoreWriter(_rig.Store, _rig.Meters, log, time);
        using var failures = new MetricCollector<long>(_rig.Meters, HubMetrics.MeterName, "somnis.alarms.store_failures");
        _rig.Store.Unreachable = true;
        writer.Enqueue(null, Entry("raised"));
        writer.Enqueue(null, Entry("grouped"));
        writer.Flush();
        Assert.Equal(2, writer.Queued);
        // One attempt (the writer's own loop may have made it before this Flush, with one change queued then).
        Assert.Single(log.Lines, l => l.Contains("Alarm store unreachable", StringComparison.Ordinal) && l.Contains("changes kept in memory", StringComparison.Ordinal));

        // Until the retry is due, acknowledgements do not wait on the store; an operator action is refused, nothing lost.
        var attempts = _rig.Store.Attempts;
        writer.Enqueue(null, Entry("escalated"));
        writer.Flush();
        Assert.Equal(attempts, _rig.Store.Attempts);
        Assert.ThrowsAny<DbException>(() => writer.SaveNow(null, Entry("acknowledged")));
        Assert.Equal(3, writer.Queued);

        _rig.Store.Unreachable = false;
        writer.Flush();
        Assert.Equal(3, writer.Queued);
        time.Advance(TimeSpan.FromSeconds(2));
        writer.Flush();
        Assert.Equal(0, writer.Queued);
        Assert.Equal(["raised", "grouped", "escalated"], _rig.Store.Audit.Select(a => a.Action));
        Assert.Contains(log.Lines, l => l.Contains("succeed again", StringComparison.Ordinal));
        Assert.Equal(0, failures.GetMeasurementSnapshot().Sum(m => m.Value));

        writer.SaveNow(null, Entry("acknowledged"));
        Assert.Equal("acknowledged", _rig.Store.Audit[^1].Action);
    }

    [Fact]
    public void An_operator_action_after_the_store_returns_writes_the_kept_changes_first()
    {
        var time = new FakeTimeProvider(T0);
        using var writer = new AlarmStoreWriter(_rig.Store, _rig.Meters, new TestLogger<AlarmStoreWriter>(), time);
        _rig.Store.Unreachable = true;
        writer.Enqueue(null, Entry("raised"));
        writer.Flush();
        _rig.Store.Unreachable = false;
        writer.SaveNow(null, Entry("acknowledged"));
        Assert.Equal(["raised", "acknowledged"], _rig.Store.Audit.Select(a => a.Action));
    }

    [Fact]
    public void Beyond_its_bound_the_queue_of_an_unreachable_store_drops_the_oldest_change_and_counts_it()
    {
        using var writer = new AlarmStoreWriter(_rig.Store, _rig.Meters, new TestLogger<AlarmStoreWriter>(), new FakeTimeProvider(T0));
        using var failures = new MetricCollector<long>(_rig.Meters, HubMetrics.MeterName, "somnis.alarms.store_failures");
        _rig.Store.Unreachable = true;
        writer.Enqueue(null, Entry("first"));
        writer.Flush();
        for (var i = 0; i < AlarmStoreWriter.MaxKept; i++)
        {
            writer.Enqueue(null, Entry("later"));
        }

        Assert.Equal(AlarmStoreWriter.MaxKept, writer.Queued);
        Assert.Equal(1, failures.GetMeasurementSnapshot().Sum(m => m.Value));
        _rig.Store.Unreachable = false;
        writer.SaveNow(null, Entry("acknowledged"));
        Assert.DoesNotContain(_rig.Store.Audit, a => a.Action == "first");
        Assert.Equal(AlarmStoreWriter.MaxKept + 1, _rig.Store.Audit.Count);
    }
}
