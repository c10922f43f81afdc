using Somnis.Edge.Sensors.Emulation;
using Somnis.Edge.Simulation;

namespace Somnis.Edge.Tests.Sensors.Emulation;

/// <summary>The emulated bed's Architect interlock relay: a keep-alive the edge must drive, fail-safe without it.</summary>
public sealed class EmulatedBedTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Fact]
    public void Relay_drops_when_the_edge_stops_driving_it()
    {
        using var source = EmulatedNight.Create(Scenario.Healthy, 3, out var bed);
        source.Next(Interval);
        Assert.True(bed.RelayEnergised);

        // The edge hangs or crashes: nobody retriggers the monostable while time goes on.
        bed.AdvanceTo(bed.Time + EmulatedBed.RelayHoldSeconds + 0.01);
        Assert.False(bed.RelayEnergised);
        Assert.False(bed.StimulationLine);
    }

    [Fact]
    public void Relay_is_not_energised_at_boot_before_the_edge_runs()
    {
        var bed = new EmulatedBed(new SleeperModel(Scenario.Healthy, 1), 1);
        bed.AdvanceTo(0.5);
        Assert.False(bed.RelayEnergised);
    }
}
