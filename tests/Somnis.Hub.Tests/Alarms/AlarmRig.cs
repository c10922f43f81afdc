using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Contracts;
using Somnis.Hub.Alarms;
using Somnis.Hub.Detection;
using Somnis.Hub.Storage;

namespace Somnis.Hub.Tests.Alarms;

/// <summary>
/// The alarm engine and its operator actions with the real embedded store (temp directory) and a fake hub clock; event
/// time is driven by vitals. <see cref="Start"/> (re)starts them over the same store, as a hub restart does.
/// </summary>
internal sealed class AlarmRig : IDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 23, 0, 0, TimeSpan.Zero);

    private readonly string _dir = Directory.CreateTempSubdirectory("somnis-alarms-").FullName;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private AlarmStoreWriter? _writer;

    /// <param name="store">Wraps the real store (a test's failing store), or null for the real one.</param>
    public AlarmRig(Func<SomnisStore, IAlarmStore>? store = null)
    {
        Store = new SomnisStore(Microsoft.Extensions.Options.Options.Create(new HubOptions { DataDirectory = _dir }));
        Store.Migrate();
        AlarmStore = store?.Invoke(Store) ?? Store;
        Start();
    }

    public FakeTimeProvider Time { get; } = new(T0);

    public SomnisStore Store { get; }

    public IAlarmStore AlarmStore { get; }

    public AlarmOptions Options { get; private set; } = new();

    public AlarmEngine Engine { get; private set; } = null!;

    public AlarmActions Actions { get; private set; } = null!;

    /// <summary>Every version the engine notified, in order.</summary>
    public List<Alarm> Changes { get; } = [];

    public IMeterFactory Meters => _services.GetRequiredService<IMeterFactory>();

    /// <summary>A new engine (options as <paramref name="configure"/> sets them over the defaults) that loads what the store holds.</summary>
    public void Start(Action<AlarmOptions>? configure = null)
    {
        Options = new AlarmOptions();
        new AlarmOptionsSetup(new ConfigurationBuilder().Build()).Configure(Options);
        configure?.Invoke(Options);
        _writer?.Dispose();
        _writer = new AlarmStoreWriter(AlarmStore, Meters, new TestLogger<AlarmStoreWriter>());
        var options = new StaticMonitor(Options);
        Engine = new AlarmEngine(AlarmStore, _writer, options, Time, Meters, new TestLogger<AlarmEngine>());
        Engine.Changed += Changes.Add;
        Engine.Load();
        Actions = new AlarmActions(Engine, options);
    }

    public void Vitals(string bed, DateTimeOffset ts, long seq = 1) =>
        Engine.Record("nexus", new VitalsMessage { Bed = bed, Seq = seq, Ts = ts, IntervalSeconds = 10, SignalQuality = 1 });

    public void Assess(string type, string? bed, bool active, DateTimeOffset at, IReadOnlyList<string>? beds = null, object? evidence = null) =>
        Engine.OnAssessment(new AssessmentUpdate(type, "nexus", bed, active, at, active ? $"{type} holds" : "cleared", evidence, beds));

    /// <summary>The one open alarm of a type.</summary>
    public Alarm Only(string type) => Assert.Single(Engine.Open(), a => a.Type == type);

    /// <summary>The audit actions of an alarm, oldest first.</summary>
    public IEnumerable<string> AuditOf(string id) => Engine.QueryAudit(new AuditFilter(null, null, id, null, null, 100)).Select(e => e.Action);

    public void Dispose()
    {
        // The engine writes its changes behind ingestion: stop its writer before the store's directory goes.
        _writer?.Dispose();
        _services.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    internal sealed class StaticMonitor(AlarmOptions value) : IOptionsMonitor<AlarmOptions>
    {
        public AlarmOptions CurrentValue => value;

        public AlarmOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<AlarmOptions, string?> listener) => null;
    }
}
