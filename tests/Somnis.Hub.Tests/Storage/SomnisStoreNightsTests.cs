using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;
using Somnis.Hub.Study;
using Somnis.Hub.Tests.Nights;

namespace Somnis.Hub.Tests.Storage;

/// <summary>Nights of record in the embedded store (SomnisStore.Nights.cs): the study's query, open nights, retention.</summary>
public sealed class SomnisStoreNightsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);
    private readonly TempStore _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void The_study_reads_finished_assigned_nights_in_the_range_and_flags_each_sleepers_first_night()
    {
        _db.Sleeper("ada", SleepProgram.Architect);
        _db.Sleeper("ben", SleepProgram.Companions);
        _db.Admit("ada", "bed-01", T0.AddDays(-10));
        _db.Admit("ben", "bed-02", T0.AddDays(-10));
        for (var d = 0; d < 5; d++)
        {
            StoredNights.Write(_db.Store, "bed-01", T0.AddDays(d), 400 + d, d % 2 == 0 ? 60 : 0);
            StoredNights.Write(_db.Store, "bed-02", T0.AddDays(d), 450, 0);
        }

        StoredNights.Write(_db.Store, "bed-03", T0, 300, 0); // unassigned
        _db.Store.WriteNights([new NightChange(new NightKey("nexus", "bed-01", T0.AddDays(5)), new DateOnly(2026, 3, 6), [], null, null, null)], T0); // going on

        var all = _db.Store.StudyNights(new StudyQuery(new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31)));
        Assert.Equal(10, all.Count);
        Assert.Equal(["ada", "ben"], all.Where(n => n.FirstNight).Select(n => n.SleeperId).Order());
        var first = all.First(n => n.SleeperId == "ada");
        Assert.Equal((new DateOnly(2026, 3, 1), SleepProgram.Architect, 60.0, 400.0), (first.NightDate, first.Program, first.StimulatedMin, first.TstMin!.Value));

        // Inclusive dates, and filters by facility, program and sleeper.
        Assert.Equal(6, _db.Store.StudyNights(new StudyQuery(new DateOnly(2026, 3, 2), new DateOnly(2026, 3, 4))).Count);
        Assert.All(_db.Store.StudyNights(new StudyQuery(new DateOnly(2026, 3, 2), new DateOnly(2026, 3, 4))), n => Assert.False(n.FirstNight));
        Assert.Equal(5, _db.Store.StudyNights(new StudyQuery(new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31), Program: SleepProgram.Companions)).Count);
        Assert.Equal(5, _db.Store.StudyNights(new StudyQuery(new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31), SleeperId: "ada")).Count);
        Assert.Empty(_db.Store.StudyNights(new StudyQuery(new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31), Facility: "elsewhere")));
        Assert.Equal(new DateOnly(2026, 3, 6), _db.Store.LatestNightDate());
        Assert.Equal(new NightKey("nexus", "bed-01", T0.AddDays(5)).Id, Assert.Single(_db.Store.OpenNights()).Id);
        Assert.Equal(6, _db.Store.SleeperNights("ada", null, 100).Count);
        Assert.Equal([T0.AddDays(1), T0], _db.Store.SleeperNights("ada", T0.AddDays(2), 2).Select(n => n.Start));
    }

    [Fact]
    public void Epochs_are_upserted_by_index_and_counted()
    {
        var key = new NightKey("nexus", "bed-01", T0);
        var e = new StoredEpoch(0, EpochState.Wake, 0.2, 10, 70, true, true);
        _db.Store.WriteNights([new NightChange(key, new DateOnly(2026, 3, 1), [e, e with { Index = 1 }], null, null, null)], T0);
        _db.Store.WriteNights([new NightChange(key, new DateOnly(2026, 3, 1), [e with { Index = 1, State = EpochState.Sleep, Presence = null, HeartRate = null }], null, null, null)], T0);
        Assert.Equal(2, _db.Store.FindNight(key.Id)!.Epochs);
        Assert.Equal([e, new StoredEpoch(1, EpochState.Sleep, 0.2, 10, null, null, true)], _db.Store.NightEpochs(key.Id));
    }

    [Fact]
    public void Retention_deletes_old_nights_with_their_epochs()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var old = StoredNights.Write(_db.Store, "bed-01", T0.AddDays(-500), 400, 0);
        var kept = StoredNights.Write(_db.Store, "bed-01", T0.AddDays(-10), 400, 0);
        var time = new FakeTimeProvider(T0);
        var pruner = new StorePruner(_db.Store, _db.Store, Options.Create(new StorageOptions()), time,
            services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), new TestLogger<StorePruner>());
        Assert.Equal(1, pruner.PruneOnce());
        Assert.Null(_db.Store.FindNight(old.Id));
        Assert.Empty(_db.Store.NightEpochs(old.Id));
        Assert.Equal(3, _db.Store.NightEpochs(kept.Id).Count);
    }
}
