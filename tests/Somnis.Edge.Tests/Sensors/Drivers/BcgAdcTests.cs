using Somnis.Edge.Sensors.Drivers;
using Somnis.Edge.Sensors.Emulation;

namespace Somnis.Edge.Tests.Sensors.Drivers;

/// <summary>The film's ADC adapter on each emulated front end (hardware/ads1115, hardware/mcp3008).</summary>
public sealed class BcgAdcTests
{
    [Theory]
    [InlineData("ads1115")]
    [InlineData("mcp3008")]
    public void Reads_the_film_in_volts_around_the_amplifier_bias(string chip)
    {
        var f = new SensorDriverFixture(chip);
        using var adc = BcgAdc.Open(f.Options.Bcg!, f.Buses);
        var volts = new List<double>();
        for (var k = 0; k < 64; k++)
        {
            f.Bed.AdvanceTo(1 + (k / 128.0));
            volts.Add(adc.Read());
        }

        Assert.InRange(volts.Average(), EmulatedBed.BcgBiasVolts - 0.2, EmulatedBed.BcgBiasVolts + 0.2);
        Assert.True(volts.Max() - volts.Min() > 0.005, "the film signal should vary");
    }

    [Fact]
    public void A_disconnected_film_reads_the_bias_and_nothing_else()
    {
        var f = new SensorDriverFixture();
        f.Bed.Inject(EmulatedAds1115.Chip, ChipFault.FlatLine);
        using var adc = BcgAdc.Open(f.Options.Bcg!, f.Buses);
        Assert.InRange(adc.Read(), EmulatedBed.BcgBiasVolts - 0.002, EmulatedBed.BcgBiasVolts + 0.002);
    }
}
