using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Somnis.Contracts;
using Somnis.Hub;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Ingestion;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;

namespace Somnis.Bench.Micro;

/// <summary>
/// What a restarted hub does per stored vitals message before it is ready (docs/storage.md, "Restart"): beds 4 h into
/// their nights, every night open and stored as the live path left it. <see cref="RestoreOpenNights"/> is the whole
/// restore (beds in parallel, one per core, as at start-up); the other two are its parts on one thread: reading the
/// history, and scoring it.
/// </summary>
[MemoryDiagnoser]
public class NightReplay
{
    private const int Beds = 20;
    private const int PerBed = 4 * 360;
    private const int Messages = Beds * PerBed;
    private string _dir = "";
    private ServiceProvider? _services;
    private SomnisStore? _store;
    private VitalsMessage[][] _nights = [];

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("somnis-micro-replay-").FullName;
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _nights = [.. Enumerable.Range(1, Beds).Select(b => Night.Vitals($"bed-{b:D4}", seed: b)[..PerBed])];
        var (store, delivery, writer, detection, _) = Hub();
        _store = store;
        foreach (var night in _nights)
        {
            foreach (var m in night)
            {
                delivery.ObserveData("bench", m.Bed, m.Seq, m.Ts);
                detection.OnVitals("bench", m);
            }

            store.AppendVitals([.. night.Select(m => new RecordedVitals("bench", m))]);
        }

        delivery.Save();
        while (writer.WriteOnce() > 0)
        {
        }

        writer.Dispose();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store?.Dispose();
        _services?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public long RestoreOpenNights()
    {
        var (_, _, writer, _, restore) = Hub();
        var summary = restore.Restore();
        writer.Dispose();
        return summary.Messages;
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public long ReadStoredVitals()
    {
        long n = 0;
        for (var b = 1; b <= Beds; b++)
        {
            foreach (var m in _store!.VitalsAfter("bench", $"bed-{b:D4}", DateTimeOffset.MinValue))
            {
                n += m.Seq;
            }
        }

        return n;
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public int ScoreStoredVitals()
    {
        var updates = 0;
        foreach (var night in _nights)
        {
            var tracker = new SleepTracker("bench", night[0].Bed, new DetectionOptions());
            foreach (var m in night)
            {
                updates += tracker.Add(m).Count;
            }
        }

        return updates;
    }

    /// <summary>The hub's night path over the benchmark's data directory, as the hub wires it.</summary>
    private (SomnisStore Store, DeliveryTracker Delivery, NightWriter Writer, DetectionService Detection, NightRestore Restore) Hub()
    {
        var hub = Options.Create(new HubOptions { DataDirectory = _dir });
        var meters = _services!.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        var store = _store ?? new SomnisStore(hub);
        store.Migrate();
        var delivery = new DeliveryTracker(TimeProvider.System, Options.Create(new DeliveryOptions()), hub, meters, NullLogger<DeliveryTracker>.Instance);
        var writer = new NightWriter(store, Options.Create(new StorageOptions()), TimeProvider.System, meters, NullLogger<NightWriter>.Instance);
        var ledger = new SleeperLedger(store, store, Options.Create(new DetectionOptions()));
        var recorder = new NightRecorder(writer, Options.Create(new DashboardOptions()), ledger);
        var detection = new DetectionService(Options.Create(new DetectionOptions()), NullLogger<DetectionService>.Instance, recorder);
        var restore = new NightRestore(store, store, detection, recorder, ledger, delivery, Options.Create(new DetectionOptions()), TimeProvider.System, meters,
            NullLogger<NightRestore>.Instance);
        return (store, delivery, writer, detection, restore);
    }
}
