using Somnis.Edge.Sensors.Drivers;

namespace Somnis.Edge.Tests.Sensors.Drivers;

/// <summary>The GPIO adapter on the emulated lines: PIR, stimulation sense line, interlock relay keep-alive
/// (hardware/architect-interlock/README.md, hardware/hcsr501/README.md).</summary>
public sealed class GpioLinesTests
{
    private readonly SensorDriverFixture _f = new();

    private GpioLines Open() => GpioLines.Open(_f.Buses, _f.Options.Pir!.Pin!.Value, _f.Options.Architect!.StimulationPin!.Value, _f.Options.Architect.InterlockPin!.Value);

    [Fact]
    public void Rising_keep_alive_edges_energise_the_relay_and_a_steady_level_lets_it_drop()
    {
        using var lines = Open();
        Assert.False(_f.Bed.RelayEnergised);

        lines.WriteKeepAlive(high: true);
        Assert.True(_f.Bed.RelayEnergised);

        lines.WriteKeepAlive(high: true);
        _f.Bed.AdvanceTo(_f.Bed.Time + 0.6);
        Assert.False(_f.Bed.RelayEnergised);
    }

    [Fact]
    public void Reads_the_stimulation_line_after_the_relay_and_the_pir()
    {
        using var lines = Open();
        // Run until the Architect stimulates, keeping the relay energised (as the source does, 8 edges a second).
        var sawStimulation = false;
        var high = false;
        for (var t = 2.0; t < 4 * 3600 && !sawStimulation; t += 0.125)
        {
            _f.Bed.AdvanceTo(t);
            lines.WriteKeepAlive(high = !high);
            var r = lines.Read();
            Assert.Equal(_f.Bed.PirLine, r.Motion);
            sawStimulation = r.Stimulating;
            Assert.Equal(_f.Bed.StimulationLine, r.Stimulating);
        }

        Assert.True(sawStimulation, "the Architect never stimulated");
    }

    [Fact]
    public void Lines_that_are_not_wired_read_false()
    {
        using var lines = GpioLines.Open(_f.Buses, pirPin: -1, stimulationPin: -1, interlockPin: _f.Options.Architect!.InterlockPin!.Value);
        Assert.Equal(new GpioReading(false, false), lines.Read());
    }
}
