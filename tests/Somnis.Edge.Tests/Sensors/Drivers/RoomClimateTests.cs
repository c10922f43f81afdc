using Somnis.Edge.Sensors.Drivers;
using Somnis.Edge.Sensors.Emulation;

namespace Somnis.Edge.Tests.Sensors.Drivers;

/// <summary>The room climate adapter on the emulated BME280 (hardware/bme280/README.md).</summary>
public sealed class RoomClimateTests
{
    [Fact]
    public void Reads_the_room_temperature_and_humidity()
    {
        var f = new SensorDriverFixture();
        using var climate = RoomClimate.Open(f.Options.RoomClimate!, f.Buses);
        var r = climate.Read();

        Assert.InRange(r.Celsius, f.Bed.Current.RoomTemperature - 0.1, f.Bed.Current.RoomTemperature + 0.1);
        Assert.NotNull(r.Humidity);
        Assert.InRange(r.Humidity.Value, 40, 50);
    }

    [Fact]
    public void A_chip_that_does_not_acknowledge_cannot_be_opened()
    {
        var f = new SensorDriverFixture();
        f.Bed.Inject(EmulatedBme280.Chip, ChipFault.Nack);
        Assert.ThrowsAny<IOException>(() => RoomClimate.Open(f.Options.RoomClimate!, f.Buses));
    }
}
