using System.Diagnostics.Metrics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Contracts;
using Somnis.Hub.Alarms;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Tests.Storage;

public sealed class SomnisStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 23, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("somnis-store-").FullName;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly SomnisStore _store;

    public SomnisStoreTests()
    {
        _store = new SomnisStore(Options.Create(new HubOptions { DataDirectory = _dir }));
        _store.Migrate();
    }

    public void Dispose()
    {
        _services.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    internal static VitalsMessage Vitals(string bed, long seq, DateTimeOffset ts, double? hr = 58) => new()
    {
        Bed = bed, Seq = seq, Ts = ts, IntervalSeconds = 10, HeartRate = hr, RespirationRate = 14, ActivityCount = 3,
        SkinTemperature = null, RoomTemperature = 21.5, BedPresence = true, SignalQuality = 0.9, ArchitectStimulating = seq % 2 == 0,
    };

    private IMeterFactory Meters => _services.GetRequiredService<IMeterFactory>();

    [Fact]
    public void Migrate_creates_the_latest_schema_in_wal_mode_and_is_idempotent()
    {
        Assert.Equal(Migrations.Latest, _store.SchemaVersion);
        Assert.Empty(_store.Migrate());
        using var c = _store.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", cmd.ExecuteScalar());
        Assert.True(File.Exists(Path.Combine(_dir, "somnis.db")));
    }

    [Fact]
    public void A_database_from_a_newer_hub_is_refused_with_a_clear_message()
    {
        using (var c = _store.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = $"PRAGMA user_version = {Migrations.Latest + 1};";
            cmd.ExecuteNonQuery();
        }

        var ex = Assert.Throws<InvalidOperationException>(() => _store.Migrate());
        Assert.Contains($"schema version {Migrations.Latest + 1}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("newer Somnis", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_3_fills_the_device_time_of_alarms_stored_before_it_and_the_history_query_filters_by_it()
    {
        // A database as a hub at schema version 2 left it, with one alarm raised (device time) at 23:40+01:00.
        var dir = Directory.CreateTempSubdirectory("somnis-store-v2-").FullName;
        try
        {
            var old = new SomnisStore(Options.Create(new HubOptions { DataDirectory = dir }));
            var alarm = new Alarm
            {
                Id = "a1", Facility = "nexus", Bed = "bed-01", Type = "data-gap", Priority = "low", Class = "technical", Latching = true, Active = true,
                RaisedAt = T0, RaisedEventTime = new DateTimeOffset(2026, 3, 1, 23, 40, 0, 123, TimeSpan.FromHours(1)), AnnouncedAt = T0, LastEventTime = T0,
                Occurrences = 1, Summary = "gap",
            };
            using (var c = old.Open())
            using (var cmd = c.CreateCommand())
            {
                cmd.CommandText = Migrations.All[0].Sql + Migrations.All[1].Sql + "PRAGMA user_version = 2; INSERT INTO alarms (id, facility, bed, type, priority, closed, raised_at, json) VALUES ('a1', 'nexus', 'bed-01', 'data-gap', 'low', 0, 0, $json);";
                cmd.Parameters.AddWithValue("$json", System.Text.Json.JsonSerializer.Serialize(alarm, HubJsonContext.Default.Alarm));
                cmd.ExecuteNonQuery();
            }

            Assert.Contains(old.Migrate(), m => m.Version == 3);
            AlarmFilter Window(int fromMinute, int toMinute) => new(null, null, null, null, null, 10,
                new DateTimeOffset(2026, 3, 1, 22, fromMinute, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 1, 22, toMinute, 0, TimeSpan.Zero));
            Assert.Equal("a1", Assert.Single(old.QueryAlarms(Window(40, 41))).Id);
            Assert.Empty(old.QueryAlarms(Window(0, 40)));
            Assert.Empty(old.QueryAlarms(Window(41, 59)));

            // New rows get the column when stored.
            old.Save(alarm with { Id = "a2", RaisedEventTime = T0.AddDays(1) }, []);
            Assert.Equal("a2", Assert.Single(old.QueryAlarms(new AlarmFilter(null, null, null, null, null, 10, T0.AddDays(1), T0.AddDays(1).AddSeconds(1)))).Id);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Migration_versions_are_strictly_increasing_from_one()
    {
        Assert.Equal(Enumerable.Range(1, Migrations.All.Count), Migrations.All.Select(m => m.Version));
    }

    [Fact]
    public void Vitals_round_trip_with_nulls_and_redeliveries_are_stored_once()
    {
        var a = Vitals("bed-01", 1, T0);
        var b = Vitals("bed-01", 2, T0.AddSeconds(10), hr: null);
        var other = Vitals("bed-02", 1, T0);
        Assert.Equal(3, _store.AppendVitals([new("nexus", a), new("nexus", b), new("nexus", other)]));
        Assert.Equal(0, _store.AppendVitals([new("nexus", a)]));

        var points = _store.ReadVitals("nexus", "bed-01", T0, T0.AddMinutes(1), 100);
        Assert.Equal(2, points.Count);
        Assert.Equal(new VitalsPoint(T0, 1, 10, 58, 14, 3, null, 21.5, true, 0.9, false, false), points[0]);
        Assert.Null(points[1].HeartRate);
        Assert.True(points[1].ArchitectStimulating);
        Assert.Empty(_store.ReadVitals("other", "bed-01", T0, T0.AddMinutes(1), 100));
        Assert.Single(_store.ReadVitals("nexus", "bed-01", T0, T0.AddMinutes(1), 1));
        Assert.Equal(["nexus"], _store.FacilitiesOf("bed-01"));
        Assert.Equal(T0.AddSeconds(10), _store.LatestVitalsTime("nexus", "bed-01"));
    }

    [Fact]
    public void A_restarted_device_with_sequence_back_at_one_is_still_stored()
    {
        _store.AppendVitals([new("nexus", Vitals("bed-01", 1, T0))]);
        Assert.Equal(1, _store.AppendVitals([new("nexus", Vitals("bed-01", 1, T0.AddHours(1)))]));
    }

    [Fact]
    public void Pruner_deletes_only_vitals_older_than_the_retention()
    {
        var time = new FakeTimeProvider(T0);
        var pruner = new StorePruner(_store, _store, Options.Create(new StorageOptions { VitalsRetention = TimeSpan.FromDays(14) }), time, Meters, new TestLogger<StorePruner>());
        using var pruned = new MetricCollector<long>(Meters, HubMetrics.MeterName, "somnis.store.pruned");
        var rows = Enumerable.Range(0, 25_000).Select(i => new RecordedVitals("nexus", Vitals("bed-01", i + 1, T0.AddDays(-15).AddSeconds(i * 10)))).ToList();
        _store.AppendVitals(rows);
        var keep = Vitals("bed-01", 100_000, T0.AddDays(-13).AddSeconds(5));
        _store.AppendVitals([new("nexus", keep)]);

        // 25,000 rows span 2.9 days from day -15: those before day -14 go.
        var expected = rows.Count(r => r.Vitals.Ts < T0.AddDays(-14));
        Assert.Equal(expected, pruner.PruneOnce());
        Assert.Equal(expected, pruned.LastMeasurement!.Value);
        Assert.Empty(_store.ReadVitals("nexus", "bed-01", T0.AddDays(-20), T0.AddDays(-14).AddMilliseconds(-1), 10));
        Assert.Single(_store.ReadVitals("nexus", "bed-01", keep.Ts, keep.Ts, 10));
        Assert.Equal(0, pruner.PruneOnce());

        time.Advance(TimeSpan.FromDays(2));
        Assert.True(pruner.PruneOnce() > 0);
    }

    [Fact]
    public void Retention_walks_every_bed_of_every_facility_in_bounded_steps()
    {
        string[] beds = ["bed-01", "bed-02", "bed-10", "a", "zz"];
        string[] facilities = ["annex", "nexus"];
        var cut = T0.AddDays(-14);
        var rows = (from f in facilities
                    from b in beds
                    from i in Enumerable.Range(0, 40)
                    select new RecordedVitals(f, Vitals(b, i + 1, cut.AddMinutes((i - 25) * 10)))).ToList();
        _store.AppendVitals(rows);
        var old = rows.Count(r => r.Vitals.Ts < cut);

        // Steps of 7 rows: a step ends inside a bed's old range and the next one goes on from there.
        var deleted = 0;
        int n;
        var steps = 0;
        do
        {
            n = _store.PruneVitals(cut, 7);
            Assert.InRange(n, 0, 7);
            deleted += n;
            steps++;
        }
        while (n == 7);

        Assert.Equal(old, deleted);
        Assert.Equal((old + 6) / 7 + (old % 7 == 0 ? 1 : 0), steps);
        foreach (var f in facilities)
        {
            foreach (var b in beds)
            {
                var left = _store.ReadVitals(f, b, cut.AddDays(-1), cut.AddDays(1), 100);
                Assert.Equal(15, left.Count);
                Assert.All(left, p => Assert.True(p.Ts >= cut));
            }
        }
    }
}
