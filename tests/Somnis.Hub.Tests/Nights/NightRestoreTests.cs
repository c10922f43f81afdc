using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Contracts;
using Somnis.Edge.Simulation;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Ingestion;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;
using Somnis.Hub.Tests.Storage;

namespace Somnis.Hub.Tests.Nights;

/// <summary>
/// A hub restarted mid-night (its objects dropped without a clean stop, as by <c>kill -9</c>, and built again over the same
/// data directory) against one that ran the same messages without interruption: the night goes on exactly.
/// </summary>
public sealed class NightRestoreTests : IDisposable
{
    private const string Facility = "nexus";
    private const string Bed = "bed-01";
    private static readonly DateTimeOffset Evening = SimulatedNight.Evening;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero));
    private readonly List<TempStore> _stores = [];

    public void Dispose()
    {
        _services.Dispose();
        foreach (var db in _stores)
        {
            db.Dispose();
        }
    }

    /// <summary>9 h of a bed (deprivation scenario), then a message after a long silence that ends the night.</summary>
    private static VitalsMessage[] Night(int seed = 4)
    {
        using var source = new SimulatedBedSource(new SleeperModel(Scenario.ArchitectDeprivation, seed), seed, 1);
        var messages = new List<VitalsMessage>();
        for (var i = 1; i <= 9 * 360; i++)
        {
            var r = source.Next(TimeSpan.FromSeconds(10));
            messages.Add(new VitalsMessage
            {
                Bed = Bed, Seq = i, Ts = Evening.AddSeconds(10 * i), IntervalSeconds = 10, HeartRate = r.HeartRate, RespirationRate = r.RespirationRate,
                ActivityCount = r.ActivityCount, BedPresence = r.BedPresence, SignalQuality = r.SignalQuality, ArchitectStimulating = r.ArchitectStimulating,
            });
        }

        messages.Add(new VitalsMessage { Bed = Bed, Seq = messages.Count + 1, Ts = Evening.AddHours(11), IntervalSeconds = 10, BedPresence = false, SignalQuality = 1 });
        return [.. messages];
    }

    private string NewDirectory(Action<TempStore>? seed = null)
    {
        var db = new TempStore();
        _stores.Add(db);
        seed?.Invoke(db);
        return db.Directory;
    }

    /// <summary>A sleeper admitted to the bed for three days, with two short finished nights there (a debt of 4 h) whose
    /// baselines give tonight's scorer its prior.</summary>
    private static void SeedSleeper(TempStore db)
    {
        db.Sleeper("ada");
        db.Admit("ada", Bed, Evening.AddDays(-3));
        foreach (var (night, hr) in new[] { (-2, 54.0), (-1, 56.0) })
        {
            var start = Evening.AddDays(night);
            db.Store.WriteNights([new NightChange(new NightKey(Facility, Bed, start), NightCalendar.NightOf(start, TimeZoneInfo.Utc), [],
                StoredNights.Metrics(300, 0) with { Baseline = new SleeperPrior(hr, 22, 4) }, null, start.AddHours(8))], start.AddHours(8));
        }
    }

    [Fact]
    public void A_night_interrupted_by_a_kill_ends_with_the_same_hypnogram_metrics_and_assessments_as_an_uninterrupted_one()
    {
        var messages = Night();
        var uninterrupted = new HubLife(NewDirectory(SeedSleeper), _services, _time);
        uninterrupted.Restore.Restore();
        uninterrupted.Receive(messages);
        uninterrupted.Drain();
        var id = Assert.Single(uninterrupted.Store.BedNights(Facility, Bed, Evening, Evening.AddDays(1))).Id;
        var expected = uninterrupted.Store.FindNight(id)!;
        Assert.NotNull(expected.End);
        Assert.Equal("ada", expected.SleeperId);

        // Four hours in: the night writer last wrote an hour ago; the delivery accounting (what the broker was acknowledged
        // for) was last saved three messages before the kill, and the history holds every message up to it.
        const int Kill = 4 * 360;
        var dir = NewDirectory(SeedSleeper);
        var before = new HubLife(dir, _services, _time);
        before.Restore.Restore();
        before.Receive(messages[..(Kill - 360)]);
        before.Drain();
        before.Receive(messages[(Kill - 360)..(Kill - 3)]);
        before.Delivery.Save();
        before.Receive(messages[(Kill - 3)..Kill]);
        var hypnogramAtKill = before.Detection.Night(Facility, Bed)!.Epochs.Select(e => (e.Start, e.State, e.PSleep)).ToList();
        Assert.True(hypnogramAtKill.Count > 400, $"{hypnogramAtKill.Count} epochs at the kill");

        var after = new HubLife(dir, _services, _time);
        var summary = after.Restore.Restore();
        Assert.Equal((1, 0), (summary.Replayed, summary.Resumed));
        Assert.InRange(summary.Messages, Kill - 200, Kill);
        // The hypnogram before the kill is there again, with the same sleeper's debt and prior.
        var restored = after.Detection.Night(Facility, Bed)!;
        Assert.Equal(hypnogramAtKill, restored.Epochs.Select(e => (e.Start, e.State, e.PSleep)));
        Assert.Equal(4, after.Detection.Tracker(Facility, Bed).DebtHours, 9);

        // The broker delivers again what it was never acknowledged for (fed already from the history: skipped), then the rest.
        after.Receive(messages[(Kill - 3)..]);
        after.Drain();
        var actual = after.Store.FindNight(id)!;
        Assert.Equal(expected.Metrics, actual.Metrics);
        Assert.NotNull(actual.Metrics!.Baseline);
        Assert.Equal(expected.End, actual.End);
        Assert.Equal(expected.Epochs, actual.Epochs);
        Assert.Equal(uninterrupted.Store.NightEpochs(id), after.Store.NightEpochs(id));
        Assert.Equal(expected.Assessments.Select(a => (a.Type, a.Start, a.End, a.Summary)), actual.Assessments.Select(a => (a.Type, a.Start, a.End, a.Summary)));
        Assert.NotEmpty(actual.Assessments);
        Assert.Equal(uninterrupted.Ledger.Debt("ada", Facility, Bed), after.Ledger.Debt("ada", Facility, Bed));
    }

    [Fact]
    public void A_night_whose_raw_history_is_gone_goes_on_from_its_stored_epochs()
    {
        var messages = Night();
        const int Kill = 4 * 360;
        var dir = NewDirectory();
        var before = new HubLife(dir, _services, _time);
        before.Receive(messages[..Kill]);
        before.Drain();
        var id = Assert.Single(before.Store.OpenNights()).Id;
        var stored = before.Store.NightEpochs(id);
        Assert.True(before.Store.PruneVitals(Evening.AddDays(1), 100_000) >= Kill);

        var after = new HubLife(dir, _services, _time);
        var summary = after.Restore.Restore();
        Assert.Equal((0, 1), (summary.Replayed, summary.Resumed));
        Assert.Equal(stored.Count, after.Detection.Night(Facility, Bed)!.Epochs.Count);

        after.Receive(messages[Kill..]);
        after.Drain();
        var night = after.Store.FindNight(id)!;
        var epochs = after.Store.NightEpochs(id);
        Assert.NotNull(night.End);
        Assert.Equal(Enumerable.Range(0, epochs.Count), epochs.Select(e => e.Index));
        Assert.Equal(stored, epochs.Take(stored.Count));
        Assert.True(epochs.Count > stored.Count + 500, $"{epochs.Count} epochs after the restart, {stored.Count} before");
        Assert.Equal(night.Start + (ScoredEpoch.Length * epochs.Count), night.End);
        Assert.Equal(epochs.Count(e => e.State == EpochState.Sleep) * 0.5, night.Metrics!.TotalSleepMin);
    }

    /// <summary>One run of the hub's night path over a data directory, as the hub wires it: store, delivery accounting,
    /// sleepers' ledger, night writer and recorder, detection and the restore. Dropped without a stop, like a killed hub.</summary>
    private sealed class HubLife
    {
        public HubLife(string dir, ServiceProvider services, TimeProvider time)
        {
            var hub = Options.Create(new HubOptions { DataDirectory = dir });
            var meters = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
            Store = new SomnisStore(hub);
            Store.Migrate();
            Delivery = new DeliveryTracker(time, Options.Create(new DeliveryOptions()), hub, meters, new TestLogger<DeliveryTracker>());
            Writer = new NightWriter(Store, Options.Create(new StorageOptions()), time, meters, new TestLogger<NightWriter>());
            Ledger = new SleeperLedger(Store, Store, Options.Create(new DetectionOptions()));
            var recorder = new NightRecorder(Writer, Options.Create(new DashboardOptions { TimeZone = "UTC" }), Ledger);
            Detection = new DetectionService(Options.Create(new DetectionOptions()), new TestLogger<DetectionService>(), recorder);
            Restore = new NightRestore(Store, Store, Detection, recorder, Ledger, Delivery, Options.Create(new DetectionOptions()), time, meters,
                new TestLogger<NightRestore>());
        }

        public SomnisStore Store { get; }

        public DeliveryTracker Delivery { get; }

        public NightWriter Writer { get; }

        public SleeperLedger Ledger { get; }

        public DetectionService Detection { get; }

        public NightRestore Restore { get; }

        /// <summary>As the ingestion pipeline applies vitals: accounting (duplicates dropped), detection, history.</summary>
        public void Receive(IReadOnlyList<VitalsMessage> messages)
        {
            var history = new List<RecordedVitals>();
            foreach (var m in messages)
            {
                if (Delivery.ObserveData(Facility, m.Bed, m.Seq, m.Ts).Result != IngestionResult.Duplicate)
                {
                    Detection.OnVitals(Facility, m);
                    history.Add(new RecordedVitals(Facility, m));
                }
            }

            Store.AppendVitals(history);
        }

        public void Drain()
        {
            while (Writer.WriteOnce() > 0)
            {
            }
        }
    }
}
