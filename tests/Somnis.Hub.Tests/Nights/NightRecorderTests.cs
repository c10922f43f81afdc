using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Edge.Simulation;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;
using Somnis.Hub.Tests.Storage;

namespace Somnis.Hub.Tests.Nights;

/// <summary>Whole simulated nights through the recorder as the live path will call it, into the real store.</summary>
public sealed class NightRecorderTests : IDisposable
{
    private readonly TempStore _db = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        _services.Dispose();
        _db.Dispose();
    }

    private (NightRecorder Recorder, NightWriter Writer) Create(string zone = "UTC")
    {
        var writer = new NightWriter(_db.Store, Options.Create(new StorageOptions()), _time,
            _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), new TestLogger<NightWriter>());
        return (new NightRecorder(writer, Options.Create(new DashboardOptions { TimeZone = zone })), writer);
    }

    private static void Drain(NightWriter writer)
    {
        while (writer.WriteOnce() > 0)
        {
        }
    }

    [Fact]
    public void A_deprivation_night_is_stored_with_its_hypnogram_metrics_assessments_and_sleeper()
    {
        _db.Sleeper("ada", SleepProgram.Architect);
        _db.Admit("ada", "bed-01", SimulatedNight.Evening.AddHours(-1));
        var (recorder, writer) = Create();
        using var w = writer;
        var night = SimulatedNight.Run(recorder, Scenario.ArchitectDeprivation, seed: 4);
        Drain(writer);

        var stored = _db.Store.FindNight(night.Key.Id)!;
        Assert.Equal(("ada", SleepProgram.Architect), (stored.SleeperId, stored.Program));
        Assert.Equal(new DateOnly(2026, 3, 1), stored.NightDate);
        Assert.Equal(night.Summary!.End, stored.End);
        Assert.Equal(night.Summary.Metrics, stored.Metrics);
        Assert.True(stored.Metrics!.StimulatedMin > 30, $"stimulated {stored.Metrics.StimulatedMin} min");

        var epochs = _db.Store.NightEpochs(night.Key.Id);
        Assert.Equal(night.Epochs.Count, epochs.Count);
        Assert.Equal(night.Epochs.Select(e => (e.Start, e.State, e.Stimulating)), epochs.Select(e => (e.StartOf(night.Key.Start), e.State, e.Stimulating)));
        Assert.Equal(night.Epochs.Select(e => e.MeanHeartRate), epochs.Select(e => e.HeartRate));

        var deprivation = stored.Assessments.First(a => a.Type == AssessmentTypes.ArchitectDeprivation);
        var first = night.Updates.First(u => u.Type == AssessmentTypes.ArchitectDeprivation && u.Active);
        Assert.Equal(first.EventTime, deprivation.Start);
        Assert.NotNull(deprivation.End);
        Assert.True(deprivation.Evidence!.Value.TryGetProperty("stimulatedMin", out _));
        Assert.Equal(0, recorder.OpenNights);
    }

    [Fact]
    public void Recording_the_same_night_again_after_a_restart_changes_nothing()
    {
        var (recorder, writer) = Create();
        var night = SimulatedNight.Run(recorder, Scenario.Healthy, seed: 5);
        Drain(writer);
        writer.Dispose();
        var before = _db.Store.FindNight(night.Key.Id)!;

        // A restarted hub replays the bed's raw history from the night's start through a new recorder: same key, same rows.
        var (again, writer2) = Create();
        using var w2 = writer2;
        var replay = SimulatedNight.Run(again, Scenario.Healthy, seed: 5);
        Drain(writer2);
        Assert.Equal(night.Key, replay.Key);
        var after = _db.Store.FindNight(night.Key.Id)!;
        Assert.Equal((before.Epochs, before.End, before.Metrics), (after.Epochs, after.End, after.Metrics));
        Assert.Equal(before.Assessments.Select(a => (a.Type, a.Start, a.End, a.Summary)), after.Assessments.Select(a => (a.Type, a.Start, a.End, a.Summary)));
        Assert.Equal(night.Epochs.Count, after.Epochs);
        Assert.Single(_db.Store.BedNights("nexus", "bed-01", DateTimeOffset.MinValue, DateTimeOffset.MaxValue));
        Assert.Null(after.SleeperId);
    }

    [Fact]
    public void A_night_is_filed_under_the_evening_it_began_in_the_facilitys_zone()
    {
        var (recorder, writer) = Create("Europe/Berlin");
        using var w = writer;
        // 23:30 UTC is 00:30 in Berlin: still the night of 1 March there.
        Assert.Equal(new DateOnly(2026, 3, 1), recorder.NightDate(new DateTimeOffset(2026, 3, 1, 23, 30, 0, TimeSpan.Zero)));
        var key = recorder.Started("nexus", "bed-02", new DateTimeOffset(2026, 3, 1, 23, 30, 0, TimeSpan.Zero));
        Drain(writer);
        Assert.Equal(new DateOnly(2026, 3, 1), _db.Store.FindNight(key.Id)!.NightDate);
        Assert.Equal("nexus/bed-02/1772407800000", key.Id);
    }

    [Fact]
    public void Assessments_are_kept_per_night_and_facility_incidents_left_out()
    {
        var (recorder, writer) = Create();
        using var w = writer;
        var key = recorder.Started("nexus", "bed-01", SimulatedNight.Evening);
        var t = SimulatedNight.Evening;
        recorder.Assessment(key, new AssessmentUpdate(AssessmentTypes.SustainedArousal, "nexus", "bed-01", true, t.AddHours(1), "HR up", null));
        recorder.Assessment(key, new AssessmentUpdate(AssessmentTypes.SustainedArousal, "nexus", "bed-01", true, t.AddHours(1.2), "HR higher", null));
        recorder.Assessment(key, new AssessmentUpdate(AssessmentTypes.SustainedArousal, "nexus", "bed-01", false, t.AddHours(1.5), "cleared", null));
        recorder.Assessment(key, new AssessmentUpdate(AssessmentTypes.FacilityIncident, "nexus", null, true, t.AddHours(2), "4 beds", null));
        recorder.Assessment(key, new AssessmentUpdate(AssessmentTypes.AcuteSleepLoss, "nexus", "bed-01", true, t.AddHours(7), "short", null));
        recorder.Ended(key, t.AddHours(8), StoredNights.Metrics(300, 0));
        Drain(writer);

        var stored = _db.Store.FindNight(key.Id)!.Assessments;
        Assert.Equal(
            [
                new NightAssessment(AssessmentTypes.SustainedArousal, t.AddHours(1), t.AddHours(1.5), "HR higher", null),
                new NightAssessment(AssessmentTypes.AcuteSleepLoss, t.AddHours(7), t.AddHours(8), "short", null),
            ],
            stored);
    }

    [Fact]
    public void A_resumed_night_keeps_its_stored_assessments()
    {
        var (recorder, writer) = Create();
        using var w = writer;
        var key = recorder.Started("nexus", "bed-01", SimulatedNight.Evening);
        recorder.Assessment(key, new AssessmentUpdate(AssessmentTypes.SustainedArousal, "nexus", "bed-01", true, SimulatedNight.Evening.AddHours(1), "HR up", null));
        recorder.Progress(key, StoredNights.Metrics(60, 0));
        Drain(writer);
        Assert.Single(_db.Store.FindNight(key.Id)!.Assessments);

        var (restarted, writer2) = Create();
        using var w2 = writer2;
        restarted.Resume(_db.Store.OpenNights().Single());
        restarted.Assessment(key, new AssessmentUpdate(AssessmentTypes.SustainedArousal, "nexus", "bed-01", false, SimulatedNight.Evening.AddHours(2), "cleared", null));
        restarted.Progress(key, StoredNights.Metrics(120, 0));
        Drain(writer2);
        var a = Assert.Single(_db.Store.FindNight(key.Id)!.Assessments);
        Assert.Equal((SimulatedNight.Evening.AddHours(1), SimulatedNight.Evening.AddHours(2)), (a.Start, a.End!.Value));
    }
}
