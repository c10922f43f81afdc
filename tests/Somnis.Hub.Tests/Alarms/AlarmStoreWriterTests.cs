using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

public sealed class AlarmStoreWriterTests : IDisposable
{
    private static readonly DateTimeOffset T0 = AlarmRig.T0;
    private readonly MemoryAlarmStore _store = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly TestLogger<AlarmStoreWriter> _log = new();
    private readonly AlarmStoreWriter _writer;

    public AlarmStoreWriterTests() => _writer = new AlarmStoreWriter(_store, Meters, _log);

    private IMeterFactory Meters => _services.GetRequiredService<IMeterFactory>();

    public void Dispose()
    {
        _writer.Dispose();
        _services.Dispose();
    }

    private static AuditEntry[] Entry(string action) => [new AuditEntry(0, T0, null, "nexus", "bed-01", null, action, "system", null)];

    [Fact]
    public async Task Before_messages_are_acknowledged_everything_queued_is_stored_in_order()
    {
        foreach (var action in new[] { "raised", "grouped", "cleared" })
        {
            _writer.Enqueue(null, Entry(action));
        }

        await _writer.BeforeAcknowledgeAsync(CancellationToken.None);
        Assert.Equal(["raised", "grouped", "cleared"], _store.Audit.Select(a => a.Action));
        Assert.Equal(0, _writer.Queued);
    }

    [Fact]
    public void Saving_now_writes_what_was_queued_first_and_its_changes_all_or_none()
    {
        _writer.Enqueue(null, Entry("raised"));
        _writer.SaveNow([new AlarmChange(null, Entry("acknowledged")), new AlarmChange(null, Entry("acknowledged-child"))]);
        Assert.Equal(["raised", "acknowledged", "acknowledged-child"], _store.Audit.Select(a => a.Action));

        _store.Fail = true;
        Assert.Throws<IOException>(() => _writer.SaveNow([new AlarmChange(null, Entry("commented")), new AlarmChange(null, Entry("assigned"))]));
        _store.Fail = false;
        Assert.Equal(3, _store.Audit.Count);
    }

    [Fact]
    public void A_queued_change_the_store_refuses_is_counted_and_logged_and_does_not_stop_the_writer()
    {
        using var failures = new MetricCollector<long>(Meters, HubMetrics.MeterName, "somnis.alarms.store_failures");
        _store.Fail = true;
        _writer.Enqueue(null, Entry("raised"));
        _writer.Flush();
        Assert.Equal(1, failures.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Single(_log.Lines, l => l.Contains("could not write", StringComparison.Ordinal));

        _store.Fail = false;
        _writer.Enqueue(null, Entry("cleared"));
        _writer.Flush();
        Assert.Equal(["cleared"], _store.Audit.Select(a => a.Action));
    }
}
