using Somnis.Edge.Simulation;
using Somnis.Edge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Somnis.Edge.Tests.Sensors;

/// <summary>
/// A leak guard: 5.5 emulated hours must not grow the managed heap (the edge runs for months). The heap is the whole
/// process's, so the test runs alone (<see cref="WholeProcessCollection"/>): beside other tests it measured what they
/// allocated and held at that moment, and failed for it.
/// </summary>
[Collection(WholeProcessCollection.Name)]
public sealed class HardwareBedSourceMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void Managed_heap_stays_flat_over_hours_of_sampling()
    {
        using var source = EmulatedNight.Create(Scenario.Healthy, 3);
        for (var i = 0; i < 200; i++)
        {
            source.Next(TimeSpan.FromSeconds(10));
        }

        var before = LiveHeap();
        for (var i = 0; i < 2000; i++)
        {
            source.Next(TimeSpan.FromSeconds(10));
        }

        var after = LiveHeap();
        output.WriteLine($"managed before {before / 1024} kB after {after / 1024} kB");
        Assert.True(after - before < 1024 * 1024, $"managed heap grew by {(after - before) / 1024} kB");
    }

    /// <summary>What is still reachable after a full, compacting collection with finalizers run.</summary>
    private static long LiveHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
