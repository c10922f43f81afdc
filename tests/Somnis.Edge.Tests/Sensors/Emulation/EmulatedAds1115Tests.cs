using System.Device.I2c;
using Iot.Device.Ads1115;
using Somnis.Edge.Sensors.Emulation;

namespace Somnis.Edge.Tests.Sensors.Emulation;

/// <summary>The real ADS1115 binding against the emulated chip (hardware/ads1115/README.md).</summary>
public sealed class EmulatedAds1115Tests
{
    private readonly EmulatedBed _bed = EmulatedNight.BedInBed();

    [Fact]
    public void Ads1115_driver_configures_continuous_mode_and_reads_the_film_around_its_bias()
    {
        using var adc = new Ads1115(new EmulatedAds1115(_bed, new I2cConnectionSettings(1, 0x48)), InputMultiplexer.AIN0, MeasuringRange.FS4096, DataRate.SPS128, DeviceMode.Continuous);
        var volts = new List<double>();
        for (var k = 0; k < 128; k++)
        {
            _bed.AdvanceTo(1 + (k / 128.0));
            volts.Add(adc.RawToVoltage(adc.ReadRaw()).Volts);
        }

        Assert.InRange(volts.Average(), EmulatedBed.BcgBiasVolts - 0.2, EmulatedBed.BcgBiasVolts + 0.2);
        Assert.True(volts.Max() - volts.Min() > 0.01, "the film signal should vary");
    }

    [Fact]
    public void Ads1115_conversion_register_is_big_endian_twos_complement()
    {
        var chip = new EmulatedAds1115(_bed, new I2cConnectionSettings(1, 0x48));
        _bed.Inject(EmulatedAds1115.Chip, ChipFault.OutOfRange);
        Span<byte> raw = stackalloc byte[2];
        chip.WriteRead([0x00], raw);

        // Power-on PGA is ±2.048 V: full scale reads 0x7FFF.
        Assert.Equal(0x7F, raw[0]);
        Assert.Equal(0xFF, raw[1]);
    }
}
