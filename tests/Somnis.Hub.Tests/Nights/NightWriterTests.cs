using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Edge.Simulation;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Nights;
using Somnis.Hub.Storage;
using Somnis.Hub.Study;
using Somnis.Hub.Tests.Storage;

namespace Somnis.Hub.Tests.Nights;

/// <summary>The writer behind the live path: a store that cannot be written keeps nights queued, shows in readiness and
/// metrics, and gets everything when it returns.</summary>
public sealed class NightWriterTests : IDisposable
{
    private readonly TempStore _db = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero));
    private readonly FlakyNightStore _store;
    private readonly TestLogger<NightWriter> _log = new();

    public NightWriterTests() => _store = new FlakyNightStore(_db.Store);

    public void Dispose()
    {
        _services.Dispose();
        _db.Dispose();
    }

    private NightWriter Writer(TimeSpan? flush = null, TimeProvider? time = null) => new(_store,
        Options.Create(new StorageOptions { FlushInterval = flush ?? TimeSpan.Zero }), time ?? _time, _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), _log);

    private static NightRecorder Recorder(NightWriter writer) => new(writer, Options.Create(new DashboardOptions()));

    [Fact]
    public async Task While_the_store_fails_nights_stay_queued_visible_in_readiness_and_metrics_and_are_written_when_it_returns()
    {
        using var writer = Writer();
        using var failures = new MetricCollector<long>(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), HubMetrics.MeterName, "somnis.nights.write.failures");
        var health = new NightsHealthCheck(writer);
        _store.Failing = true;
        var night = SimulatedNight.Run(Recorder(writer), Scenario.ArchitectDeprivation, seed: 3);
        var queued = writer.Queue.Epochs;
        Assert.Equal(night.Epochs.Count, queued);

        Assert.ThrowsAny<Exception>(() => writer.WriteOnce());
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.ThrowsAny<Exception>(() => writer.WriteOnce());
        Assert.Equal(queued, writer.Queue.Epochs);
        Assert.Equal(2, failures.GetMeasurementSnapshot().Sum(m => m.Value));
        var report = (await health.CheckHealthAsync(new HealthCheckContext()));
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Contains("night writes failing: disk full", report.Description, StringComparison.Ordinal);
        Assert.Equal(600.0, report.Data["oldestQueuedSeconds"]);
        Assert.Null(_db.Store.FindNight(night.Key.Id));

        _store.Failing = false;
        Assert.Equal(1, writer.WriteOnce());
        Assert.Null(writer.Failure);
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(new HealthCheckContext())).Status);
        Assert.Equal(queued, writer.Written);
        var stored = _db.Store.FindNight(night.Key.Id)!;
        Assert.Equal(night.Epochs.Count, stored.Epochs);
        Assert.Equal(night.Summary!.End, stored.End);
        Assert.Equal(night.Summary.Metrics, stored.Metrics);
        Assert.Contains(_log.Lines, l => l.Contains("succeed again after 00:10:00", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_hosted_writer_retries_until_the_store_takes_the_night()
    {
        using var writer = Writer(time: TimeProvider.System);
        _store.Failing = true;
        await writer.StartAsync(CancellationToken.None);
        var night = SimulatedNight.Run(Recorder(writer), Scenario.Healthy, seed: 1);
        await _store.FirstFailure.Task.WaitAsync(TimeSpan.FromSeconds(30));
        _store.Failing = false;
        await _store.Written.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await writer.StopAsync(CancellationToken.None);
        Assert.Equal(night.Epochs.Count, _db.Store.FindNight(night.Key.Id)!.Epochs);
        Assert.Contains(_log.Lines, l => l.Contains("kept queued and retried", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_clean_stop_writes_what_is_queued()
    {
        using var writer = Writer(flush: TimeSpan.FromHours(1));
        await writer.StartAsync(CancellationToken.None);
        var night = SimulatedNight.Run(Recorder(writer), Scenario.Healthy, seed: 2, hours: 3, stopAfterMessages: 600);
        await writer.StopAsync(CancellationToken.None);
        Assert.Equal(night.Epochs.Count, _db.Store.FindNight(night.Key.Id)!.Epochs);
        Assert.Null(_db.Store.FindNight(night.Key.Id)!.End);
    }

    [Fact]
    public async Task A_failing_store_at_stop_is_reported_not_hidden()
    {
        using var writer = Writer(flush: TimeSpan.FromHours(1));
        Recorder(writer).Started("nexus", "bed-01", SimulatedNight.Evening);
        _store.Failing = true;
        await writer.StopAsync(CancellationToken.None);
        Assert.Contains(_log.Lines, l => l.Contains("could not be written at shutdown; 1 nights", StringComparison.Ordinal));
    }
}
