using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Tests.Storage;

public sealed class VitalsHistoryWriterTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 23, 0, 0, TimeSpan.Zero);

    /// <summary>How long an acknowledgement may take (an fsync and a SQLite commit) on a busy shared machine.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("somnis-writer-").FullName;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly SomnisStore _store;
    private readonly TestLogger<VitalsHistoryWriter> _log = new();

    public VitalsHistoryWriterTests()
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

    private readonly FakeTimeProvider _time = new(T0);

    private VitalsHistoryWriter Writer(int capacity = 1_000, int batch = 100) =>
        new(_store, Options.Create(new StorageOptions { QueueCapacity = capacity, BatchSize = batch }), _time,
            _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), _log);

    private int Stored(string bed = "bed-01") => _store.ReadVitals("nexus", bed, T0.AddDays(-1), T0.AddDays(1), 100_000).Count;

    [Fact]
    public void Writes_in_batches_of_at_most_batch_size()
    {
        var writer = Writer(batch: 100);
        for (var i = 1; i <= 250; i++)
        {
            writer.Record("nexus", SomnisStoreTests.Vitals("bed-01", i, T0.AddSeconds(10 * i)));
        }

        Assert.Equal(100, writer.WriteOnce());
        Assert.Equal(100, writer.WriteOnce());
        Assert.Equal(50, writer.WriteOnce());
        Assert.Equal(0, writer.WriteOnce());
        Assert.Equal(250, Stored());
        Assert.Equal(250, writer.Written);
    }

    [Fact]
    public void A_full_queue_drops_counts_and_logs_once_per_episode()
    {
        var meters = _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var dropped = new MetricCollector<long>(meters, HubMetrics.MeterName, "somnis.store.vitals.dropped");
        var writer = Writer(capacity: 1_000, batch: 5_000);
        for (var i = 1; i <= 1_500; i++)
        {
            writer.Record("nexus", SomnisStoreTests.Vitals("bed-01", i, T0.AddSeconds(10 * i)));
        }

        Assert.Equal(500, writer.Dropped);
        Assert.Equal(500, dropped.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Single(_log.Lines, l => l.Contains("queue full", StringComparison.Ordinal));

        Assert.Equal(1_000, writer.WriteOnce());
        Assert.Equal(1_000, Stored());
        Assert.Single(_log.Lines, l => l.Contains("500 vitals were dropped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_write_keeps_its_batch_makes_the_store_unready_and_the_retry_stores_it()
    {
        var writer = Writer();
        for (var i = 1; i <= 10; i++)
        {
            writer.Record("nexus", SomnisStoreTests.Vitals("bed-01", i, T0.AddSeconds(10 * i)));
        }

        using (var c = _store.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "ALTER TABLE vitals RENAME TO vitals_away;";
            cmd.ExecuteNonQuery();
        }

        Assert.ThrowsAny<SqliteException>(() => writer.WriteOnce());
        Assert.Equal(10, writer.Queued);
        var health = new StoreHealthCheck(_store, writer);
        var failing = await health.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, failing.Status);
        Assert.Contains("store writes failing: SQLite Error 1: 'no such table: vitals'", failing.Description, StringComparison.Ordinal);

        using (var c = _store.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "ALTER TABLE vitals_away RENAME TO vitals;";
            cmd.ExecuteNonQuery();
        }

        Assert.Equal(10, writer.WriteOnce());
        Assert.Equal(10, Stored());
        Assert.Equal(0, writer.Queued);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, (await health.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext())).Status);
    }

    [Fact]
    public async Task A_clean_stop_flushes_the_queue()
    {
        var writer = Writer(capacity: 10_000, batch: 100);
        await writer.StartAsync(CancellationToken.None);
        for (var i = 1; i <= 5_000; i++)
        {
            writer.Record("nexus", SomnisStoreTests.Vitals("bed-01", i, T0.AddSeconds(10 * i)));
        }

        await writer.StopAsync(CancellationToken.None);
        Assert.True(5_000 == Stored(), string.Join("\n", _log.Lines));
        Assert.Equal(0, writer.Dropped);
    }

    [Fact]
    public async Task A_batch_fills_until_the_flush_interval_ends_or_a_whole_batch_is_queued()
    {
        var writer = Writer(batch: 100);
        var timeout = TimeSpan.FromSeconds(10);
        for (var i = 1; i <= 10; i++)
        {
            writer.Record("nexus", SomnisStoreTests.Vitals("bed-01", i, T0.AddSeconds(10 * i)));
        }

        // Ten rows queued: the writer waits for the flush interval (3 s by default) …
        Assert.Equal(TimeSpan.FromSeconds(3), new StorageOptions().FlushInterval);
        var filling = writer.LetTheBatchFillAsync(CancellationToken.None);
        Assert.False(filling.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(2_999));
        Assert.False(filling.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await filling.WaitAsync(timeout);
        Assert.Equal(10, writer.WriteOnce());

        // … or until a whole batch is queued, whichever comes first.
        filling = writer.LetTheBatchFillAsync(CancellationToken.None);
        for (var i = 11; i <= 110; i++)
        {
            // Not before the hundredth row (completion itself runs asynchronously, so only the "not yet" is asserted).
            Assert.False(filling.IsCompleted);
            writer.Record("nexus", SomnisStoreTests.Vitals("bed-01", i, T0.AddSeconds(10 * i)));
        }

        await filling.WaitAsync(timeout);
        Assert.Equal(100, writer.WriteOnce());

        // A whole batch already queued: no wait at all.
        for (var i = 111; i <= 210; i++)
        {
            writer.Record("nexus", SomnisStoreTests.Vitals("bed-01", i, T0.AddSeconds(10 * i)));
        }

        Assert.True(writer.LetTheBatchFillAsync(CancellationToken.None).IsCompleted);
        Assert.Equal(100, writer.WriteOnce());
        Assert.Equal(210, Stored());
    }

    /// <summary>The ingestor saves its accounting and acknowledges only after this: a hub killed in between would
    /// otherwise lose history the broker will not send again.</summary>
    [Fact]
    public async Task Acknowledgement_waits_until_what_was_recorded_is_committed()
    {
        var writer = Writer(batch: 100);
        await writer.StartAsync(CancellationToken.None);
        for (var i = 1; i <= 10; i++)
        {
            writer.Record("nexus", SomnisStoreTests.Vitals("bed-01", i, T0.AddSeconds(10 * i)));
        }

        // The writer lets the batch fill (the fake clock does not move), so nothing is committed yet.
        var ack = writer.BeforeAcknowledgeAsync(CancellationToken.None).AsTask();
        Assert.False(ack.IsCompleted);
        Assert.Equal(0, Stored());

        // A full batch makes the writer write; the acknowledgement then completes, with the ten rows on disk.
        for (var i = 11; i <= 100; i++)
        {
            writer.Record("nexus", SomnisStoreTests.Vitals("bed-01", i, T0.AddSeconds(10 * i)));
        }

        await ack.WaitAsync(Patience);
        Assert.True(Stored() >= 10);
        await writer.StopAsync(CancellationToken.None);
        Assert.Equal(100, Stored());
    }

    /// <summary>Once journaling, an acknowledgement waits for an fsynced append, not for the store: a killed hub's next
    /// start writes the journaled rows into the store (a torn last append, never acknowledged, is ignored), and a
    /// commit deletes what the journal no longer needs.</summary>
    [Fact]
    public async Task Journaled_rows_are_acknowledged_at_once_and_survive_a_kill()
    {
        var writer = Writer(batch: 1_000);
        await writer.StartAsync(CancellationToken.None);
        await writer.BeforeAcknowledgeAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
        for (var i = 1; i <= 10; i++)
        {
            writer.Record("nexus", SomnisStoreTests.Vitals("bed-01", i, T0.AddSeconds(10 * i)));
            writer.Record("annex", SomnisStoreTests.Vitals("bed-02", i, T0.AddSeconds(10 * i), hr: null));
        }

        // Nothing committed (the batch is filling on a fake clock that does not move), yet acknowledged: journaled.
        await writer.BeforeAcknowledgeAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
        Assert.Equal(0, Stored());
        var journal = Path.Combine(_dir, "history-journal");
        var segment = Assert.Single(Directory.GetFiles(journal, "*.seg"));

        // "Kill": the writer never writes; a torn append follows the good one.
        await File.AppendAllBytesAsync(segment, [200, 0, 0, 0, 1, 2, 3]);
        using var next = Writer(batch: 1_000);
        await next.StartAsync(CancellationToken.None);
        Assert.Equal(10, Stored());
        var bed02 = _store.ReadVitals("annex", "bed-02", T0.AddDays(-1), T0.AddDays(1), 100);
        Assert.Equal(10, bed02.Count);
        Assert.All(bed02, p => Assert.Null(p.HeartRate));
        Assert.Empty(Directory.GetFiles(journal, "*.seg"));

        // A commit deletes the segments it covers.
        await next.BeforeAcknowledgeAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
        next.Record("nexus", SomnisStoreTests.Vitals("bed-01", 11, T0.AddSeconds(110)));
        await next.BeforeAcknowledgeAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
        Assert.Single(Directory.GetFiles(journal, "*.seg"));
        await next.StopAsync(CancellationToken.None);
        Assert.Equal(11, Stored());
        Assert.Empty(Directory.GetFiles(journal, "*.seg"));
        writer.Dispose();
    }

    [Fact]
    public async Task Without_a_journal_acknowledgement_does_not_wait_on_a_failing_store_or_a_stopped_writer()
    {
        // The journal cannot be written (a file where its directory goes): acknowledgements fall back to the store.
        await File.WriteAllTextAsync(Path.Combine(_dir, "history-journal"), "not a directory");
        var writer = Writer(batch: 10);
        await writer.BeforeAcknowledgeAsync(CancellationToken.None).AsTask().WaitAsync(Patience);

        using (var c = _store.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "ALTER TABLE vitals RENAME TO vitals_away;";
            cmd.ExecuteNonQuery();
        }

        await writer.StartAsync(CancellationToken.None);
        for (var i = 1; i <= 10; i++)
        {
            writer.Record("nexus", SomnisStoreTests.Vitals("bed-01", i, T0.AddSeconds(10 * i)));
        }

        // A whole batch is queued, so the writer tries at once, fails and keeps the batch (retried after a backoff on
        // the fake clock); the live state must not stall on it.
        await writer.BeforeAcknowledgeAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
        Assert.Single(_log.Lines, l => l.Contains("History journal", StringComparison.Ordinal) && l.Contains("cannot be written", StringComparison.Ordinal));
        Assert.NotNull(writer.Failure);
        Assert.Equal(10, writer.Queued);
        await writer.StopAsync(CancellationToken.None);
    }

    /// <summary>The queue holds values, not messages (<see cref="VitalsRow"/>): every value, every absent value and every
    /// name comes out of the store as it went in, whatever order beds and facilities arrive in.</summary>
    [Fact]
    public void Every_value_and_every_absent_value_survives_the_queue()
    {
        var writer = Writer(capacity: 10_000, batch: 7);
        var random = new Random(31);
        var sent = new List<(string Facility, Contracts.VitalsMessage Vitals)>();
        string[] facilities = ["nexus", "annex", "nexus-ü"];
        string[] beds = ["bed-10", "bed-2", "bed-01", "Bett-ä"];
        double? Maybe(double x) => random.Next(3) == 0 ? null : x;
        for (var seq = 1; seq <= 60; seq++)
        {
            foreach (var (facility, bed) in facilities.SelectMany(f => beds.Select(b => (f, b))).OrderBy(_ => random.Next()))
            {
                var v = new Contracts.VitalsMessage
                {
                    Bed = bed, Seq = seq, Ts = T0.AddSeconds(10 * seq).AddMilliseconds(random.Next(1000)), IntervalSeconds = 10 + random.Next(3),
                    HeartRate = Maybe(40 + (random.NextDouble() * 60)), RespirationRate = Maybe(8 + (random.NextDouble() * 20)),
                    ActivityCount = Maybe(random.Next(50)), SkinTemperature = Maybe(30 + random.NextDouble()), RoomTemperature = Maybe(18 + random.NextDouble()),
                    BedPresence = random.Next(3) switch { 0 => null, 1 => false, _ => true },
                    SignalQuality = random.NextDouble(), ArchitectStimulating = random.Next(2) == 0, InterlockEngaged = random.Next(2) == 0,
                };
                sent.Add((facility, v));
                writer.Record(facility, v);
            }
        }

        while (writer.WriteOnce() > 0)
        {
        }

        Assert.Equal(sent.Count, writer.Written);
        foreach (var group in sent.GroupBy(s => (s.Facility, s.Vitals.Bed)))
        {
            var stored = _store.ReadVitals(group.Key.Facility, group.Key.Bed, T0.AddDays(-1), T0.AddDays(1), 1_000);
            var expected = group.Select(s => s.Vitals).OrderBy(v => v.Ts).Select(v => new VitalsPoint(
                DateTimeOffset.FromUnixTimeMilliseconds(v.Ts.ToUnixTimeMilliseconds()), v.Seq, v.IntervalSeconds, v.HeartRate, v.RespirationRate,
                v.ActivityCount, v.SkinTemperature, v.RoomTemperature, v.BedPresence, v.SignalQuality, v.ArchitectStimulating, v.InterlockEngaged));
            Assert.Equal(expected, stored.Select(p => p with { Ts = p.Ts.ToUniversalTime() }));
        }
    }

    [Theory]
    [InlineData("FlushInterval", "00:01:01", "Storage:FlushInterval must be between 00:00:00 and 00:01:00")]
    [InlineData("FlushInterval", "-00:00:01", "Storage:FlushInterval must be between 00:00:00 and 00:01:00")]
    [InlineData("VitalsRetention", "00:30:00", "Storage:VitalsRetention must be between 01:00:00 and 3650.00:00:00")]
    [InlineData("PruneInterval", "00:00:10", "Storage:PruneInterval must be between 00:01:00 and 1.00:00:00")]
    [InlineData("QueueCapacity", "10", "Storage:QueueCapacity must be between 1000 and 10000000")]
    [InlineData("BatchSize", "0", "Storage:BatchSize must be between 1 and 1000000")]
    public void Invalid_settings_are_named_with_their_range(string setting, string value, string message)
    {
        var o = new StorageOptions();
        var p = typeof(StorageOptions).GetProperty(setting)!;
        p.SetValue(o, p.PropertyType == typeof(TimeSpan) ? TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : int.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
        var result = new StorageOptionsValidator().Validate(null, o);
        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new StorageOptionsValidator().Validate(null, new StorageOptions()).Succeeded);
    }
}
