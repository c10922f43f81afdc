using System.Device.I2c;
using Iot.Device.Mlx90614;
using Somnis.Edge.Sensors;
using Somnis.Edge.Sensors.Emulation;

namespace Somnis.Edge.Tests.Sensors.Emulation;

/// <summary>The real MLX90614 binding against the emulated chip (hardware/mlx90614/README.md).</summary>
public sealed class EmulatedMlx90614Tests
{
    private readonly EmulatedBed _bed = EmulatedNight.BedInBed();

    [Fact]
    public void Mlx90614_driver_reads_skin_temperature_and_the_pec_matches()
    {
        var device = new EmulatedMlx90614(_bed, new I2cConnectionSettings(1, 0x5A));
        using var thermometer = new Mlx90614(device);
        var celsius = thermometer.ReadObjectTemperature().DegreesCelsius;

        var truth = _bed.Current.InBed ? _bed.Current.SkinTemperature : _bed.Current.RoomTemperature + 0.5;
        Assert.InRange(celsius, truth - 0.2, truth + 0.2);
        Span<byte> frame = [0xB4, 0x07, 0xB5, 0, 0, 0];
        device.WriteRead([0x07], frame[3..]);
        Assert.Equal(Pec.Crc8(frame[..5]), frame[5]);
    }
}
