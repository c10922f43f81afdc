using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Somnis.Hub;
using Somnis.Hub.Ingestion;

namespace Somnis.Bench.Micro;

/// <summary>
/// The hub's delivery accounting for a 1,000-bed facility: every data message goes through
/// <see cref="DeliveryTracker.ObserveData"/> (intervals arriving bed after bed, in order, as in a drain); and a checkpoint
/// snapshot when every bed changed since the last one (each bed's entry encoded again, as at full load). Per message / per bed.
/// </summary>
[MemoryDiagnoser]
public class DeliveryAccounting
{
    private const int Beds = 1000;
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 22, 0, 0, TimeSpan.Zero);
    private readonly string[] _beds = [.. Enumerable.Range(1, Beds).Select(b => $"bed-{b:0000}")];
    private string _dir = "";
    private ServiceProvider? _services;
    private DeliveryTracker? _tracker;
    private long _seq;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("somnis-micro-delivery-").FullName;
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _tracker = new DeliveryTracker(TimeProvider.System, Options.Create(new DeliveryOptions()), Options.Create(new HubOptions { DataDirectory = _dir }),
            _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), NullLogger<DeliveryTracker>.Instance);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Beds)]
    public int ObserveInOrder() => ObserveOneInterval();

    /// <summary>One interval of every bed, then the snapshot that encodes all of them again (subtract
    /// <see cref="ObserveInOrder"/> for the encoding alone).</summary>
    [Benchmark(OperationsPerInvoke = Beds)]
    public int ObserveAndSnapshot() => ObserveOneInterval() + (_tracker!.Snapshot()?.Entries.Count ?? 0);

    private int ObserveOneInterval()
    {
        var seq = ++_seq;
        var ts = Start.AddSeconds(10 * seq);
        var accepted = 0;
        foreach (var bed in _beds)
        {
            accepted += _tracker!.ObserveData("nexus", bed, seq, ts).Result == IngestionResult.Accepted ? 1 : 0;
        }

        return accepted;
    }
}
