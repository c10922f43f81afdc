using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Contracts;
using Somnis.Edge.Simulation;
using Somnis.Hub.Cluster;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Storage;
using Somnis.Hub.Tests.Storage;

namespace Somnis.Hub.Tests.Nights;

/// <summary>A standby scores the night hot and writes none of it; when it takes over, the whole night so far is stored, so a
/// failover leaves no hole in the hypnogram (the epochs the old active had not written included).</summary>
public sealed class NightTakeoverTests : IDisposable
{
    private readonly TempStore _db = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        _services.Dispose();
        _db.Dispose();
    }

    [Fact]
    public async Task A_standby_that_takes_over_stores_the_night_it_scored_while_standing_by()
    {
        var meters = _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        var role = new ClusterRole(Options.Create(new HubOptions { Node = "b" }), Options.Create(new HaOptions { Enabled = true }), meters);
        using var writer = new NightWriter(_db.Store, Options.Create(new StorageOptions()), _time, meters, new TestLogger<NightWriter>(), role);
        var recorder = new NightRecorder(writer, Options.Create(new DashboardOptions { TimeZone = "UTC" }));
        var detection = new DetectionService(Options.Create(new DetectionOptions()), new TestLogger<DetectionService>(), recorder);
        var takeover = new NightTakeover(detection, new TestLogger<NightTakeover>(), role);
        await takeover.StartAsync(CancellationToken.None);

        // Three hours of a night through the live path, on a standby: scored, and every queued change let go.
        using var source = new SimulatedBedSource(new SleeperModel(Scenario.Healthy, 7), 7, 1);
        for (var i = 1; i <= 3 * 360; i++)
        {
            var r = source.Next(TimeSpan.FromSeconds(10));
            detection.OnVitals("nexus", new VitalsMessage
            {
                Bed = "bed-01", Seq = i, Ts = SimulatedNight.Evening.AddSeconds(10 * i), IntervalSeconds = 10, HeartRate = r.HeartRate,
                RespirationRate = r.RespirationRate, ActivityCount = r.ActivityCount, BedPresence = r.BedPresence, SignalQuality = r.SignalQuality,
                ArchitectStimulating = r.ArchitectStimulating,
            });
        }

        while (writer.WriteOnce() > 0)
        {
        }

        var tracker = detection.Tracker("nexus", "bed-01");
        var key = new NightKey("nexus", "bed-01", tracker.NightStart);
        Assert.Null(_db.Store.FindNight(key.Id));
        Assert.True(tracker.Epochs.Count > 300, $"{tracker.Epochs.Count} epochs scored");

        // The lease is taken: the night so far is stored as this node scored it, with its metrics.
        role.TakeOver(2);
        while (writer.WriteOnce() > 0)
        {
        }

        var stored = _db.Store.NightEpochs(key.Id);
        Assert.Equal(tracker.Epochs.Select(e => (e.Start, e.State)), stored.Select(e => (e.StartOf(key.Start), e.State)));
        Assert.Equal(tracker.CurrentMetrics().TotalSleepMin, _db.Store.FindNight(key.Id)!.Metrics!.TotalSleepMin);
        await takeover.StopAsync(CancellationToken.None);
    }
}
