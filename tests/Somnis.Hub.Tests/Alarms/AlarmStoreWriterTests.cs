using Microsoft.Extensions.Diagnostics.Metrics.Testing;
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
}
