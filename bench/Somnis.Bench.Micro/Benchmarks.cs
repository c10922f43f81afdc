using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Somnis.Contracts;
using Somnis.Edge.Publishing;
using Somnis.Edge.Simulation;
using Somnis.Hub;
using Somnis.Hub.Alarms;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;

namespace Somnis.Bench.Micro;

/// <summary>A simulated night of one bed (the edge's own sleeper model, deprivation scenario), as the vitals messages an edge sends.</summary>
internal static class Night
{
    public const int Messages = 2880; // 8 h of 10-s intervals

    public static VitalsMessage[] Vitals(string bed = "bed-0001", int seed = 7)
    {
        var source = new SimulatedBedSource(new SleeperModel(Scenario.ArchitectDeprivation, seed), seed, 1);
        var start = new DateTimeOffset(2026, 11, 24, 22, 0, 0, TimeSpan.Zero);
        var result = new VitalsMessage[Messages];
        for (var i = 0; i < Messages; i++)
        {
            var r = source.Next(TimeSpan.FromSeconds(10));
            result[i] = new VitalsMessage
            {
                Bed = bed, Seq = i + 1, Ts = start.AddSeconds(10 * (i + 1)), IntervalSeconds = 10, HeartRate = r.HeartRate,
                RespirationRate = r.RespirationRate, ActivityCount = r.ActivityCount, SkinTemperature = r.SkinTemperature,
                RoomTemperature = r.RoomTemperature, BedPresence = r.BedPresence, SignalQuality = r.SignalQuality,
                ArchitectStimulating = r.ArchitectStimulating, InterlockEngaged = r.InterlockEngaged,
            };
        }

        return result;
    }
}

/// <summary>The hub's first step for every message: parse the JSON payload and validate every field and range.</summary>
[MemoryDiagnoser]
public class PayloadParseValidate
{
    private ReadOnlySequence<byte> _payload;

    [GlobalSetup]
    public void Setup() => _payload = new ReadOnlySequence<byte>(JsonSerializer.SerializeToUtf8Bytes(Night.Vitals()[1500], SomnisJsonContext.Default.VitalsMessage));

    [Benchmark]
    public bool ParseVitals() => MessageValidator.ParseVitals(_payload, "bed-0001").Ok;
}

/// <summary>Live sleep scoring of one bed: every message of a whole night through the tracker (epochs, assessments).</summary>
[MemoryDiagnoser]
public class EpochScoring
{
    private VitalsMessage[] _night = [];

    [GlobalSetup]
    public void Setup() => _night = Night.Vitals();

    [Benchmark(OperationsPerInvoke = Night.Messages)]
    public int ScoreNightPerMessage()
    {
        var tracker = new SleepTracker("bench", "bed-0001", new DetectionOptions());
        var updates = 0;
        foreach (var m in _night)
        {
            updates += tracker.Add(m).Count;
        }

        return updates;
    }
}

/// <summary>
/// The same night as the hub's live path scores it: recorded as it goes (epochs queued for the store, metrics every 10
/// minutes, assessments) with the owner's debt from the sleepers' ledger on every epoch, over a real (empty) store. The
/// night writer's loop is not run: the store's writes are on its own thread, measured by the hub benchmark. Against
/// <see cref="EpochScoring"/>, the cost of nights of record on the ingestion path.
/// </summary>
[MemoryDiagnoser]
public class EpochRecording
{
    private VitalsMessage[] _night = [];
    private string _dir = "";
    private ServiceProvider? _services;
    private NightWriter? _writer;
    private NightRecorder? _recorder;

    [GlobalSetup]
    public void Setup()
    {
        _night = Night.Vitals();
        _dir = Directory.CreateTempSubdirectory("somnis-micro-").FullName;
        var store = new SomnisStore(Options.Create(new HubOptions { DataDirectory = _dir }));
        store.Migrate();
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _writer = new NightWriter(store, Options.Create(new StorageOptions()), TimeProvider.System,
            _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), NullLogger<NightWriter>.Instance);
        var ledger = new SleeperLedger(store, store, Options.Create(new DetectionOptions()));
        ledger.Load();
        _recorder = new NightRecorder(_writer, Options.Create(new Somnis.Hub.Dashboard.DashboardOptions()), ledger);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _writer?.Dispose();
        _services?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Night.Messages)]
    public int ScoreAndRecordNightPerMessage()
    {
        var tracker = new SleepTracker("bench", "bed-0001", new DetectionOptions(), _recorder);
        var updates = 0;
        foreach (var m in _night)
        {
            updates += tracker.Add(m).Count;
        }

        // The night ends (so the next invocation starts the same night afresh), and the writer takes what was queued.
        var last = new List<AssessmentUpdate>();
        tracker.EndNight(last);
        updates += last.Count + _writer!.Queue.Take(int.MaxValue).Count;
        return updates;
    }
}

/// <summary>
/// Alarm evaluation with 1,000 beds of which 300 have an alarm condition pending or active: a vitals message advancing a
/// bed's event clock (the event-time delays), and an assessment repeating for an open alarm (every epoch of an alarmed bed).
/// </summary>
[MemoryDiagnoser]
public class AlarmEvaluation
{
    private string _dir = "";
    private ServiceProvider? _services;
    private AlarmStoreWriter? _writer;
    private AlarmEngine? _engine;
    private VitalsMessage[] _vitals = [];
    private AssessmentUpdate[] _repeats = [];
    private int _i;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("somnis-micro-").FullName;
        var store = new SomnisStore(Options.Create(new HubOptions { DataDirectory = _dir }));
        store.Migrate();
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new AlarmOptions();
        new AlarmOptionsSetup(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build()).Configure(options);
        var meters = _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        _writer = new AlarmStoreWriter(store, meters, NullLogger<AlarmStoreWriter>.Instance);
        _engine = new AlarmEngine(store, _writer, new StaticOptions(options), TimeProvider.System, meters, NullLogger<AlarmEngine>.Instance);
        var t0 = new DateTimeOffset(2026, 11, 24, 23, 0, 0, TimeSpan.Zero);
        _vitals = [.. Enumerable.Range(0, 1000).Select(i => new VitalsMessage { Bed = $"bed-{i:D4}", Seq = 1, Ts = t0, IntervalSeconds = 10, SignalQuality = 1 })];
        foreach (var v in _vitals)
        {
            _engine.Record("bench", v);
        }

        // 150 beds with an open sustained-arousal alarm, 150 with a sensor fault pending its on-delay.
        for (var i = 0; i < 150; i++)
        {
            _engine.OnAssessment(new AssessmentUpdate(AlarmTypes.SustainedArousal, "bench", $"bed-{i:D4}", true, t0, "HR up", null));
            _engine.Observe(new ConditionInput(AlarmTypes.SensorFault, "bench", $"bed-{i + 150:D4}", true, t0, t0, "bcg", null));
        }

        _engine.Flush();
        _repeats = [.. Enumerable.Range(0, 150).Select(i => new AssessmentUpdate(AlarmTypes.SustainedArousal, "bench", $"bed-{i:D4}", true, t0.AddSeconds(30), "HR up", null))];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _writer?.Dispose();
        _services?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public void RecordVitals()
    {
        var v = _vitals[_i++ % _vitals.Length];
        _engine!.Record("bench", v);
    }

    [Benchmark]
    public void RepeatAssessment() => _engine!.OnAssessment(_repeats[_i++ % _repeats.Length]);

    private sealed class StaticOptions(AlarmOptions value) : IOptionsMonitor<AlarmOptions>
    {
        public AlarmOptions CurrentValue => value;

        public AlarmOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<AlarmOptions, string?> listener) => null;
    }
}

/// <summary>The edge's store-and-forward cost per message: append to the on-disk journal, take it for publishing, acknowledge;
/// fsync batched as deployed (one flush per 64 messages stands in for the 100-ms timer).</summary>
[MemoryDiagnoser]
public class JournalAppend
{
    private string _dir = "";
    private Journal? _journal;
    private byte[] _payload = [];
    private long _seq;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("somnis-micro-journal-").FullName;
        var settings = new JournalSettings(_dir, 64L * 1024 * 1024, TimeSpan.FromHours(24), 1024 * 1024, TimeSpan.FromMilliseconds(100), 64 * 1024);
        _journal = Journal.Open(settings, "bed-0001", TimeProvider.System, () => TimeProvider.System.GetUtcNow(), NullLogger.Instance);
        _payload = JsonSerializer.SerializeToUtf8Bytes(Night.Vitals()[1500], SomnisJsonContext.Default.VitalsMessage);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _journal?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public void AppendPublishAcknowledge()
    {
        var seq = ++_seq;
        _journal!.Append(RecordKind.Vitals, seq, TimeProvider.System.GetUtcNow(), _payload);
        if (seq % 64 == 0)
        {
            _journal.Flush();
        }

        while (_journal.Next(replayAllowed: true, out _) is { } entry)
        {
            _journal.Acknowledge(entry);
        }
    }
}

/// <summary>The embedded store's history write per message, as the hub does it: a batch from a 1,000-bed facility
/// (intervals arriving bed after bed) taken off the writer's queue and committed in one transaction, at the old default
/// batch of 20,000 rows (20 per bed) and the current one of 100,000 (100 per bed). The file grows through the run, as
/// through a night.</summary>
[MemoryDiagnoser]
public class StoreAppend
{
    private const int Beds = 1000;
    private const int SmallBatch = 20_000;
    private const int Batch = 100_000;
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 22, 0, 0, TimeSpan.Zero);
    private readonly string[] _beds = [.. Enumerable.Range(1, Beds).Select(b => $"bed-{b:0000}")];
    private readonly VitalsMessage _template = Night.Vitals()[1500];
    private string _dir = "";
    private SomnisStore? _store;
    private VitalsHistoryWriter? _writer;
    private ServiceProvider? _services;
    private long _interval;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("somnis-micro-store-").FullName;
        _store = new SomnisStore(Options.Create(new HubOptions { DataDirectory = _dir }));
        _store.Migrate();
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _writer = new VitalsHistoryWriter(_store, Options.Create(new StorageOptions { BatchSize = Batch }), TimeProvider.System,
            _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), NullLogger<VitalsHistoryWriter>.Instance);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        ((object?)_store as IDisposable)?.Dispose();
        _services?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = SmallBatch)]
    public int RecordAndWrite20000() => RecordAndWrite(SmallBatch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int RecordAndWrite100000() => RecordAndWrite(Batch);

    private int RecordAndWrite(int rows)
    {
        for (var i = 0; i < rows / Beds; i++)
        {
            var interval = ++_interval;
            foreach (var bed in _beds)
            {
                _writer!.Record("nexus", _template with { Bed = bed, Seq = interval, Ts = Start.AddSeconds(10 * interval) });
            }
        }

        return _writer!.WriteOnce();
    }
}
