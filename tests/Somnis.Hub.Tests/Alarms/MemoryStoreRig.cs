using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

/// <summary>An <see cref="AlarmStoreWriter"/> over a <see cref="MemoryAlarmStore"/>, with metrics and its log, for the tests
/// of the parts below the engine.</summary>
internal sealed class MemoryStoreRig : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public MemoryStoreRig() => Writer = new AlarmStoreWriter(Store, Meters, Log);

    public MemoryAlarmStore Store { get; } = new();

    public TestLogger<AlarmStoreWriter> Log { get; } = new();

    public IMeterFactory Meters => _services.GetRequiredService<IMeterFactory>();

    public AlarmStoreWriter Writer { get; }

    public void Dispose()
    {
        Writer.Dispose();
        _services.Dispose();
    }
}
