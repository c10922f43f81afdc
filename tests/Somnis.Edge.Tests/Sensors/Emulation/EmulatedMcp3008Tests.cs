using System.Device.Spi;
using Iot.Device.Adc;
using Somnis.Edge.Sensors.Emulation;

namespace Somnis.Edge.Tests.Sensors.Emulation;

/// <summary>The real MCP3008 binding against the emulated chip (hardware/mcp3008/README.md).</summary>
public sealed class EmulatedMcp3008Tests
{
    private readonly EmulatedBed _bed = EmulatedNight.BedInBed();

    [Fact]
    public void Mcp3008_driver_reads_the_film_on_channel_0_and_the_null_bit_is_zero()
    {
        using var adc = new Mcp3008(new EmulatedMcp3008(_bed, new SpiConnectionSettings(0, 0)));
        var code = adc.Read(0);
        Assert.InRange(code * 3.3 / 1024, EmulatedBed.BcgBiasVolts - 0.2, EmulatedBed.BcgBiasVolts + 0.2);
        Assert.Equal(0, adc.Read(5));
    }
}
