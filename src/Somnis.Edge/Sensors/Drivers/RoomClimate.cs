using Iot.Device.Bmxx80;
using Iot.Device.Bmxx80.PowerMode;

namespace Somnis.Edge.Sensors.Drivers;

/// <summary>The room climate sensor: a BME280 in normal mode, so a read needs no conversion wait.</summary>
internal sealed class RoomClimate(Bme280 driver) : IDisposable
{
    public static RoomClimate Open(SensorOptions o, ISensorBuses buses)
    {
        var sensor = new Bme280(buses.OpenI2c(o));
        try
        {
            sensor.SetPowerMode(Bmx280PowerMode.Normal);
            return new RoomClimate(sensor);
        }
        catch
        {
            sensor.Dispose();
            throw;
        }
    }

    /// <summary>Temperature (°C; NaN when the driver has none) and relative humidity (%, null when none).</summary>
    public ClimateReading Read()
    {
        var r = driver.Read();
        return new ClimateReading(r.Temperature?.DegreesCelsius ?? double.NaN, r.Humidity?.Percent);
    }

    public void Dispose() => driver.Dispose();
}

/// <summary>One reading of the room climate sensor.</summary>
internal readonly record struct ClimateReading(double Celsius, double? Humidity);
