using System.Device.I2c;
using Iot.Device.Bmxx80;
using Iot.Device.Bmxx80.PowerMode;
using Somnis.Edge.Sensors.Emulation;

namespace Somnis.Edge.Tests.Sensors.Emulation;

/// <summary>The real BME280 binding against the emulated chip (hardware/bme280/README.md): datasheet trimming, the room's truth.</summary>
public sealed class EmulatedBme280Tests
{
    private readonly EmulatedBed _bed = EmulatedNight.BedInBed();

    [Fact]
    public void Bme280_compensation_reproduces_the_datasheet_example()
    {
        // BMP280 datasheet §3.12: adc_T = 519888 with the example trimming gives 25.08 °C.
        Assert.Equal(25.08, EmulatedBme280.FineTemperature(519888) / 5120.0, 2);
    }

    [Fact]
    public void Bme280_driver_finds_chip_id_reads_calibration_and_measures_the_room()
    {
        using var climate = new Bme280(new EmulatedBme280(_bed, new I2cConnectionSettings(1, 0x76)));
        climate.SetPowerMode(Bmx280PowerMode.Normal);
        var r = climate.Read();

        Assert.NotNull(r.Temperature);
        Assert.InRange(r.Temperature.Value.DegreesCelsius, _bed.Current.RoomTemperature - 0.1, _bed.Current.RoomTemperature + 0.1);
        Assert.NotNull(r.Humidity);
        Assert.InRange(r.Humidity.Value.Percent, 40, 50);
    }

    [Fact]
    public void Bme280_driver_rejects_a_chip_with_the_wrong_id()
    {
        Assert.ThrowsAny<IOException>(() => new Bme280(new EmulatedMpu6050(_bed, new I2cConnectionSettings(1, 0x76))));
    }
}
