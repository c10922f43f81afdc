using System.Device.I2c;
using Iot.Device.Mlx90614;

namespace Somnis.Edge.Sensors.Drivers;

/// <summary>MLX90614 object temperature through the binding, checked against the SMBus PEC the binding ignores.</summary>
internal sealed class SkinThermometer(I2cDevice device) : IDisposable
{
    private const byte ObjectTemperature1 = 0x07;
    private readonly Mlx90614 _driver = new(device);

    public static SkinThermometer Open(SensorOptions o, ISensorBuses buses) => new(buses.OpenI2c(o));

    /// <summary>The object temperature, °C.</summary>
    /// <exception cref="CrcException">The PEC does not match.</exception>
    public double Read()
    {
        var celsius = _driver.ReadObjectTemperature().DegreesCelsius;
        Span<byte> frame = stackalloc byte[6];
        var address = (byte)device.ConnectionSettings.DeviceAddress;
        frame[0] = (byte)(address << 1);
        frame[1] = ObjectTemperature1;
        frame[2] = (byte)((address << 1) | 1);
        device.WriteRead([ObjectTemperature1], frame[3..]);
        if (Pec.Crc8(frame[..5]) != frame[5])
        {
            throw new CrcException("MLX90614 PEC mismatch");
        }

        return celsius;
    }

    public void Dispose() => _driver.Dispose();
}
