using Somnis.Edge.Sensors.Emulation;
using Somnis.Edge.Simulation;

namespace Somnis.Edge.Tests.Sensors;

/// <summary>The Architect interlock: keep-alive relay, stimulation line sensed after it, fail-safe without the edge.</summary>
public sealed class InterlockTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Fact]
    public void Engaging_cuts_stimulation_and_releasing_lets_it_through_again()
    {
        using var source = EmulatedNight.Create(Scenario.Healthy, 3, out var bed);

        // Run until the Architect stimulates (the healthy scenario stimulates in REM).
        var stimulating = false;
        for (var i = 0; i < 3000 && !stimulating; i++)
        {
            stimulating = source.Next(Interval).ArchitectStimulating;
        }

        Assert.True(stimulating, "the Architect never stimulated");
        Assert.True(bed.RelayEnergised);

        source.SetInterlock(true);
        source.Next(Interval);
        var engaged = source.Next(Interval);
        Assert.True(engaged.InterlockEngaged);
        Assert.False(engaged.ArchitectStimulating);
        Assert.False(bed.RelayEnergised);
        Assert.True(bed.Current.ArchitectStimulating, "the Architect still wants to stimulate");
        Assert.True(engaged.Sensors.Single(s => s.Name == "architect").Healthy);

        source.SetInterlock(false);
        var released = source.Next(Interval);
        Assert.False(released.InterlockEngaged);
        Assert.True(released.ArchitectStimulating);
    }

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

    [Fact]
    public void Engage_at_start_keeps_stimulation_cut_from_the_first_interval()
    {
        var sensors = EmulatedNight.StandardSensors();
        sensors.Architect!.EngageAtStart = true;
        using var source = EmulatedNight.Create(Scenario.Healthy, 3, out var bed, sensors);
        var r = source.Next(Interval);
        Assert.True(r.InterlockEngaged);
        Assert.False(bed.RelayEnergised);
    }
}
